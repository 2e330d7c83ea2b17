"""Lantern's Django project: accounts, organisations, sites, API keys, the dashboard and the Stats API."""
