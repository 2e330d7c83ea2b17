"""Email reports, traffic alerts and the scheduled jobs around a site's data (retention)."""
