-- Finished visits, kept with the day's rollup build: the sessions ending on a UTC day as that day's build
-- read them (latest state, deleted ones left out), one plain row each, with the columns of `sessions`
-- (less its version bookkeeping). While the build is current (its inputs have not changed:
-- analytics/rollups.py) a query reads the day's visits from here instead of taking argMax over every
-- version in `sessions` (analytics/sessions.py live_sql); other days are read live. The next build of a
-- day deletes the rows of the builds before the one it replaces.
CREATE TABLE IF NOT EXISTS sessions_done
ENGINE = MergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (site_id, day, build, visitor_id, session_start)
SETTINGS min_age_to_force_merge_seconds = 10
EMPTY AS SELECT toDate(session_end) AS day, toUInt64(0) AS build, * EXCEPT (version, deleted, fingerprint)
FROM sessions;

-- Builds made before this table have no rows in it: they are made again (queries read raw until then).
TRUNCATE TABLE rollup_builds;
