"""Lantern's query interface to ClickHouse: the client, the event schema and the typed Query.

Nothing else in the codebase writes SQL for ClickHouse. This package imports no Django.

    >>> from analytics import Filter, Goal, Query, run_query
"""

from analytics.filters import Filter, FilterNode, Logic
from analytics.funnels import Funnel, FunnelResult, run_funnel
from analytics.goals import Goal
from analytics.query import DateRange, Query, QueryError
from analytics.runner import run_query

__all__ = [
    "DateRange",
    "Filter",
    "FilterNode",
    "Funnel",
    "FunnelResult",
    "Goal",
    "Logic",
    "Query",
    "QueryError",
    "run_funnel",
    "run_query",
]
