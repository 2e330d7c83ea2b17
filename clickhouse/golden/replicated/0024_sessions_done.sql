CREATE TABLE IF NOT EXISTS sessions_done ON CLUSTER 'lantern'
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/sessions_done', '{replica}')
PARTITION BY toYYYYMM(day)
ORDER BY (site_id, day, build, visitor_id, session_start)
SETTINGS replicated_deduplication_window = 100000, replicated_deduplication_window_seconds = 604800, min_age_to_force_merge_seconds = 10
EMPTY AS SELECT toDate(session_end) AS day, toUInt64(0) AS build, * EXCEPT (version, deleted, fingerprint)
FROM sessions;

TRUNCATE TABLE rollup_builds ON CLUSTER 'lantern';
