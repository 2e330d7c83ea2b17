CREATE TABLE IF NOT EXISTS sessions
(
    site_id UInt64,
    visitor_id UInt64,
    session_start DateTime64(3, 'UTC'),
    session_end DateTime64(3, 'UTC'),
    version UInt64,
    deleted UInt8,
    fingerprint UInt64,
    hits UInt32,
    pageviews UInt32,
    events UInt32,
    interactive_events UInt32,
    is_bounce UInt8,
    duration_ms UInt32,
    hostname LowCardinality(String),
    entry_page String,
    exit_page String,
    referrer String,
    referrer_source LowCardinality(String),
    channel LowCardinality(String),
    utm_medium LowCardinality(String),
    utm_source LowCardinality(String),
    utm_campaign String,
    utm_content String,
    utm_term String,
    country_code LowCardinality(String),
    region LowCardinality(String),
    city LowCardinality(String),
    browser LowCardinality(String),
    browser_version LowCardinality(String),
    os LowCardinality(String),
    os_version LowCardinality(String),
    device LowCardinality(String),
    screen_size LowCardinality(String)
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(session_start)
ORDER BY (site_id, toDate(session_start), visitor_id, session_start);
