"""The one error type the query layer raises for bad input: it names the field at fault."""

from __future__ import annotations


class QueryError(ValueError):
    """A query parameter is invalid; ``field`` names it so the API can answer 400 with it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
