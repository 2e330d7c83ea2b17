ALTER TABLE imported_locations_local ON CLUSTER 'lantern' ADD COLUMN IF NOT EXISTS region_name String DEFAULT region;

ALTER TABLE imported_locations ON CLUSTER 'lantern' ADD COLUMN IF NOT EXISTS region_name String DEFAULT region;

ALTER TABLE imported_locations_local ON CLUSTER 'lantern' ADD COLUMN IF NOT EXISTS city_name String DEFAULT if(city = 0, '', toString(city));

ALTER TABLE imported_locations ON CLUSTER 'lantern' ADD COLUMN IF NOT EXISTS city_name String DEFAULT if(city = 0, '', toString(city));
