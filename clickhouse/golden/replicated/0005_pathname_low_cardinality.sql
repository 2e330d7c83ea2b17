ALTER TABLE events ON CLUSTER 'lantern' MODIFY COLUMN pathname LowCardinality(String);
