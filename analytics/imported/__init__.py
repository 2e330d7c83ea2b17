"""Imported history: another tool's daily aggregates (Plausible's CSV export, or Lantern's own full
export), loaded into their own tables and added into the queries that can take them.

- ``tables``: the imported tables and the export's file names and columns.
- ``rows``: one CSV file read as a stream into typed rows; a bad cell is an ``ImportFileError``
  naming the file, line and column.
- ``load``: a zip's files into the tables under one import id, all or nothing.
- ``read``: which imported table answers a query, and its rows as the query's partial sums.
"""
