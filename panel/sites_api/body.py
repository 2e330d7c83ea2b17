"""A request body as a flat dict of strings: JSON objects, url-encoded or multipart forms (Plausible's
own examples send ``curl -F``), for POST and PUT alike.

    >>> parse_body(b'{"domain": "example.com"}', "application/json")
    {'domain': 'example.com'}
    >>> parse_body(b"domain=example.com&timezone=UTC", "application/x-www-form-urlencoded")
    {'domain': 'example.com', 'timezone': 'UTC'}
"""

from __future__ import annotations

import io

import orjson
from django.http import HttpRequest, QueryDict
from django.http.multipartparser import MultiPartParser, MultiPartParserError

MAX_BODY = 64 * 1024


class BodyError(ValueError):
    """The body cannot be read; the message says why."""


def parse_body(raw: bytes, content_type: str) -> dict[str, str]:
    if len(raw) > MAX_BODY:
        raise BodyError(f"the body is larger than {MAX_BODY} bytes")
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/json" or (not kind and raw.lstrip().startswith(b"{")):
        try:
            data = orjson.loads(raw or b"{}")
        except orjson.JSONDecodeError:
            raise BodyError("the body is not valid JSON") from None
        if not isinstance(data, dict):
            raise BodyError("the body must be a JSON object")
        return {str(k): v if isinstance(v, str) else orjson.dumps(v).decode() for k, v in data.items()}
    return {str(k): str(v) for k, v in QueryDict(raw, encoding="utf-8").items()}


def request_body(request: HttpRequest) -> dict[str, str]:
    content_type = request.headers.get("Content-Type", "")
    if content_type.lower().startswith("multipart/form-data"):
        try:
            meta = {**request.META, "CONTENT_LENGTH": str(len(request.body))}
            parser = MultiPartParser(meta, io.BytesIO(request.body), [], "utf-8")
            fields, _files = parser.parse()
        except MultiPartParserError as exc:
            raise BodyError(f"the form cannot be read: {exc}") from None
        return {str(k): str(v) for k, v in fields.items()}
    return parse_body(request.body, content_type)
