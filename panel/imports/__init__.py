"""Imported history: uploading another tool's export in a site's settings (or ``./dev manage
importplausible``), loading it in the background, and the site's active import that queries add in."""
