"""API keys: shown once, stored as a SHA-256 hash with a visible prefix, carrying scopes."""
