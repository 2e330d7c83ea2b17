-- Pages as LowCardinality: a site has thousands of pages, not millions, and a dictionary-encoded
-- column groups ~1.6x faster (event:page breakdown at 1M events: 99 -> 62 ms of CPU) and stores smaller.
-- Rewrites the column once, as a mutation.
ALTER TABLE events MODIFY COLUMN pathname LowCardinality(String);
