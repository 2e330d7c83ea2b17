ALTER TABLE day_sums ON CLUSTER 'lantern' MODIFY SETTING min_age_to_force_merge_seconds = 60;

ALTER TABLE visits ON CLUSTER 'lantern' MODIFY SETTING min_age_to_force_merge_seconds = 0;
