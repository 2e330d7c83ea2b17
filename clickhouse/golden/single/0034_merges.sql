ALTER TABLE day_sums MODIFY SETTING min_age_to_force_merge_seconds = 60;

ALTER TABLE visits MODIFY SETTING min_age_to_force_merge_seconds = 0;
