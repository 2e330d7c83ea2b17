"""Goals and funnels of a site: what the query layer counts as conversions (``analytics.Goal``)."""
