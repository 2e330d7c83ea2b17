"""Plausible-compatible Stats API (v1): aggregate, timeseries, breakdown. The dashboard calls it too."""
