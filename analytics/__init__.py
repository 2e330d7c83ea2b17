"""The event store's facade: every name ``panel`` uses to query, export or delete a site's data.

Behind it: the only ClickHouse client, the event schema, the typed ``Query`` and the SQL it builds over
events and visits, funnels, and a site's reads, export and deletion. Nothing else in the codebase
writes SQL for ClickHouse, and this package imports no Django. Process settings (``analytics.config``,
``analytics.datadir``) are imported from their own modules.

    >>> from analytics import Filter, Goal, Query, run_query
"""

from analytics.client import ClickHouseError, EngineBusyError
from analytics.closed_days import build as build_closed_days
from analytics.compare import LOWER_IS_BETTER, change, tone
from analytics.comparisons import MODES as COMPARISON_MODES
from analytics.comparisons import comparison_range
from analytics.countries import country_name
from analytics.deletion import delete_older_than, delete_site_data
from analytics.dimensions import DIMENSIONS, GOAL, PROPS_PREFIX, TIME_DIMENSIONS
from analytics.dimensions import find as find_dimension
from analytics.dropped import DroppedDay, dropped_events
from analytics.errors import QueryError
from analytics.export import DROPPED_COLUMNS as EXPORT_DROPPED_COLUMNS
from analytics.export import EVENT_COLUMNS as EXPORT_EVENT_COLUMNS
from analytics.export import VISIT_EXPORT_COLUMNS as EXPORT_VISIT_COLUMNS
from analytics.export import dropped_rows as export_dropped_rows
from analytics.export import event_batches as export_event_batches
from analytics.export import totals as export_totals
from analytics.export import visit_batches as export_visit_batches
from analytics.filters import MAX_DEPTH, MAX_VALUE_CHARS, MAX_VALUES, OPERATORS, Filter, FilterNode, Logic
from analytics.funnels import MAX_NAME as MAX_FUNNEL_NAME
from analytics.funnels import MAX_STEPS, MIN_STEPS, Funnel, FunnelResult, build_funnels, run_funnel
from analytics.goals import MAX_DISPLAY_NAME, MAX_EVENT_NAME, MAX_PAGE_PATH, Goal
from analytics.imported.export import COLUMNS as EXPORT_IMPORTED_COLUMNS
from analytics.imported.export import batches as export_imported_batches
from analytics.imported.lantern import LanternLoaded, is_lantern_export, load_lantern
from analytics.imported.lantern import drop_staging as drop_import_staging
from analytics.imported.lantern import staged_imports as staged_import_ids
from analytics.imported.load import Loaded as ImportLoaded
from analytics.imported.load import kept_days as import_kept_days
from analytics.imported.load import load_plausible
from analytics.imported.read import SKIP_WARNINGS as IMPORT_SKIP_WARNINGS
from analytics.imported.read import ActiveImport, Decision
from analytics.imported.read import decide as decide_imports
from analytics.imported.rows import ImportFileError
from analytics.imported.store import drop as drop_imports
from analytics.periods import MAX_DAYS, PERIODS, DateRange, custom_range, parse_date, resolve_period, today_in
from analytics.prop_keys import top_prop_keys
from analytics.query import MAX_LIMIT, METRICS, REVENUE_METRICS, Query
from analytics.realtime import current_visitors
from analytics.runner import run_query
from analytics.stats_start import first_event_day
from analytics.timebuckets import buckets as time_buckets
from analytics.topology import Topology
from analytics.traffic import LastDay, hourly_visitors, last_day
from analytics.transfer import COPIED as TRANSFER_TABLES
from analytics.transfer import DERIVED as DERIVED_TABLES
from analytics.transfer import Month as TransferMonth
from analytics.transfer import NotAPrefix, stored_tables
from analytics.transfer import copy_month as transfer_month
from analytics.transfer import counts as store_counts
from analytics.transfer import first_difference as first_count_difference
from analytics.transfer import month_plan as transfer_plan
from analytics.transfer import on as store_of
from analytics.visit_days import PAGE_TOKEN, one_page

__all__ = [  # noqa: RUF022 - grouped by topic, sorted within a group
    # Queries: the typed Query, its registries and limits, and running it
    "DIMENSIONS",
    "GOAL",
    "MAX_LIMIT",
    "METRICS",
    "PAGE_TOKEN",  # a page load's token: its requests share one read of the days' counts
    "PROPS_PREFIX",
    "REVENUE_METRICS",
    "TIME_DIMENSIONS",
    "Query",
    "find_dimension",
    "one_page",
    "run_query",
    "time_buckets",
    # Filters and their limits
    "MAX_DEPTH",
    "MAX_VALUES",
    "MAX_VALUE_CHARS",
    "OPERATORS",
    "Filter",
    "FilterNode",
    "Logic",
    # Periods: date ranges in a site's time zone
    "MAX_DAYS",
    "PERIODS",
    "DateRange",
    "custom_range",
    "parse_date",
    "resolve_period",
    "today_in",
    # Goals and funnels, with the limits their fields are checked against
    "MAX_DISPLAY_NAME",
    "MAX_EVENT_NAME",
    "MAX_FUNNEL_NAME",
    "MAX_PAGE_PATH",
    "MAX_STEPS",
    "MIN_STEPS",
    "Funnel",
    "FunnelResult",
    "Goal",
    "run_funnel",
    # Comparing two periods, and showing values
    "COMPARISON_MODES",
    "LOWER_IS_BETTER",
    "comparison_range",
    "change",
    "country_name",
    "tone",
    # Site-level reads: live visitors, hourly traffic, dropped events, property keys, first day
    "DroppedDay",
    "current_visitors",
    "dropped_events",
    "first_event_day",
    "hourly_visitors",
    "last_day",
    "LastDay",
    "top_prop_keys",
    # A site's data: closed days' sums (a job), deleting it (all, or past retention), the full export
    "build_closed_days",
    "build_funnels",
    "EXPORT_DROPPED_COLUMNS",
    "EXPORT_EVENT_COLUMNS",
    "EXPORT_IMPORTED_COLUMNS",
    "EXPORT_VISIT_COLUMNS",
    "delete_older_than",
    "delete_site_data",
    "export_dropped_rows",
    "export_event_batches",
    "export_imported_batches",
    "export_totals",
    "export_visit_batches",
    # Imported history: loading an export (all or nothing), dropping an import, adding it to queries
    "IMPORT_SKIP_WARNINGS",
    "ActiveImport",
    "Decision",
    "ImportFileError",
    "ImportLoaded",
    "LanternLoaded",
    "decide_imports",
    "drop_import_staging",
    "drop_imports",
    "import_kept_days",
    "is_lantern_export",
    "load_lantern",
    "load_plausible",
    "staged_import_ids",
    # Moving the event store to another installation (``transfer``), and its topologies
    "DERIVED_TABLES",
    "TRANSFER_TABLES",
    "NotAPrefix",
    "Topology",
    "TransferMonth",
    "first_count_difference",
    "store_counts",
    "store_of",
    "stored_tables",
    "transfer_month",
    "transfer_plan",
    # Errors: a bad query (the caller's fault), the engine failing, the embedded engine held elsewhere
    "ClickHouseError",
    "EngineBusyError",
    "QueryError",
]
