CREATE TABLE IF NOT EXISTS lantern_migrations (version UInt32, name String, applied_at DateTime DEFAULT now()) ENGINE = MergeTree ORDER BY version;
