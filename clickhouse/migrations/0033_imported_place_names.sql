-- Imported regions and cities by name, as native visits store them (analytics/imported/places.py):
-- region_name is the English name of the ISO 3166-2 code in region (the code when none is known),
-- city_name the name of the GeoNames id in city ('' when none is known), both set when loading.
-- region and city stay as exported, for the full export. Rows loaded earlier read their code and id,
-- as they did, until imported again.
ALTER TABLE imported_locations ADD COLUMN IF NOT EXISTS region_name String DEFAULT region;
ALTER TABLE imported_locations ADD COLUMN IF NOT EXISTS city_name String DEFAULT if(city = 0, '', toString(city));
