ALTER TABLE events_local ON CLUSTER 'lantern' MODIFY COLUMN pathname LowCardinality(String);

ALTER TABLE events ON CLUSTER 'lantern' MODIFY COLUMN pathname LowCardinality(String);
