"""The Sites API (``/api/v1/sites``): list, create, read, update and delete sites with a sites:write key."""
