"""Lantern's query interface to ClickHouse: the client, the event schema and the typed Query.

Nothing else in the codebase writes SQL for ClickHouse. This package imports no Django.

    >>> from analytics import Query, run_query
"""

from analytics.query import DateRange, Query, QueryError
from analytics.runner import run_query

__all__ = ["DateRange", "Query", "QueryError", "run_query"]
