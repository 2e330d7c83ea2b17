"""Sites (a domain and its timezone) and the daily visitor-hash salts that ingest reads."""
