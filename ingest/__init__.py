"""Lantern's ingestion: the ``POST /api/event`` WSGI app, its pipeline, the buffer and the flusher.

A request is parsed into a frozen ``EventRequest``, then named pipeline steps enrich it or drop it
with a ``DropReason``; accepted events go to the buffer, and the flusher moves batches to ClickHouse.
This package imports no Django and does no ORM query.
"""
