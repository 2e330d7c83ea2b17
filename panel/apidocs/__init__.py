"""``/api/docs/``: the API reference for people, rendered on the server from the OpenAPI document.

``schema_text`` puts a JSON Schema into words, ``curl`` writes an example call, ``reference`` turns the
whole document into plain data for the template, ``views`` serves it (to anyone: it is documentation).
Nothing comes from another host and the page runs no script.
"""
