-- day_sums at rest in one part per month: the engine's own merge choice left a month's sums in six or
-- seven parts, and every read of a page pays for each part and column it opens (at 10M events a month,
-- the built page's engine time 172 -> 148 ms once merged). The closed-days job writes a few parts a day,
-- so a month's partition is rewritten about once a day.
ALTER TABLE day_sums MODIFY SETTING min_age_to_force_merge_seconds = 60;
