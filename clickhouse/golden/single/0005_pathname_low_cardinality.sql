ALTER TABLE events MODIFY COLUMN pathname LowCardinality(String);
