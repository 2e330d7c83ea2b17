"""The error a bad request raises: it names the field, and the app answers 4xx with it as JSON."""

from __future__ import annotations


class PayloadError(ValueError):
    """The request body is unusable; ``field`` names what is wrong, ``status`` the HTTP answer."""

    def __init__(self, field: str, message: str, status: int = 400) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.status = status

    def body(self) -> dict[str, dict[str, list[str]]]:
        return {"errors": {self.field: [self.message]}}
