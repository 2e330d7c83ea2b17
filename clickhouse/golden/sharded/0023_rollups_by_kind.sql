DROP TABLE IF EXISTS rollups ON CLUSTER 'lantern' SYNC;

DROP TABLE IF EXISTS rollups_local ON CLUSTER 'lantern' SYNC;

CREATE TABLE rollups_local ON CLUSTER 'lantern'
(
    site_id UInt64,
    day Date,
    build UInt64,
    kind Enum8(
        'whole' = 1, 'head' = 2, 'tail' = 3, 'cross' = 4, 'overnight' = 5, 'xWW' = 6, 'xTW' = 7, 'xWH' = 8, 'xTH' = 9
    ),
    dim LowCardinality(String),
    value String,
    p_visitors Int64,
    p_pageviews Int64,
    p_events Int64,
    p_visits Int64,
    p_visit_pageviews Int64,
    p_bounces Int64,
    p_bounce_visits Int64,
    p_duration_ms Int64,
    p_page_pageviews Int64
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/rollups', '{replica}')
PARTITION BY toYYYYMM(day)
ORDER BY (site_id, dim, kind, day, build, value)
SETTINGS replicated_deduplication_window = 100000, replicated_deduplication_window_seconds = 604800, index_granularity = 1024, min_age_to_force_merge_seconds = 10;

CREATE TABLE rollups ON CLUSTER 'lantern' AS rollups_local
ENGINE = Distributed('lantern', currentDatabase(), 'rollups_local', cityHash64(site_id));

TRUNCATE TABLE rollup_builds_local ON CLUSTER 'lantern';

ALTER TABLE rollup_builds_local ON CLUSTER 'lantern' MODIFY SETTING min_age_to_force_merge_seconds = 10;

ALTER TABLE day_changes_local ON CLUSTER 'lantern' MODIFY SETTING min_age_to_force_merge_seconds = 10;
