-- How the engine merges two derived tables, measured at 10M events a month:
-- day_sums at rest in one part per month: the engine's own merge choice left a month's sums in six or
-- seven parts, and every read of a page pays for each part and column it opens (the built page's engine
-- time 172 -> 148 ms once merged). The closed-days job writes a few parts a day, so a month's partition
-- is rewritten about once a day.
ALTER TABLE day_sums MODIFY SETTING min_age_to_force_merge_seconds = 60;
-- visits without forced merges (0030 set 60 s): while events keep arriving, every minute rewrote the
-- month's whole partition (1.3M visits) to fold in a few new rows, and the page read during it paid for
-- that (live page 290 -> 230 ms). Readers group by visit_id, so the engine's ordinary merges, which
-- leave the large part alone, are enough.
ALTER TABLE visits MODIFY SETTING min_age_to_force_merge_seconds = 0;
