"""The Sites API's part of the OpenAPI document (``panel.stats_api.openapi`` adds these paths).

>>> sorted(paths())[0]
'/api/v1/sites'
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

_ERROR = {"$ref": "#/components/schemas/Error"}
_SITE: Schema = {
    "type": "object",
    "required": ["domain", "timezone", "retention_days"],
    "properties": {
        "domain": {"type": "string"},
        "timezone": {"type": "string", "description": "An IANA timezone; days are counted in it."},
        "retention_days": {"type": "integer", "minimum": 30, "maximum": 3650},
    },
}
_GOAL: Schema = {
    "type": "object",
    "required": ["id", "display_name", "goal_type", "event_name", "page_path"],
    "properties": {
        "id": {"type": "integer"},
        "display_name": {"type": "string"},
        "goal_type": {"enum": ["event", "page"]},
        "event_name": {"type": ["string", "null"]},
        "page_path": {"type": ["string", "null"]},
    },
}
_LINK: Schema = {
    "type": "object",
    "required": ["id", "name", "url", "password_protected"],
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "url": {"type": "string", "description": "The read-only dashboard, for anyone holding the URL."},
        "password_protected": {"type": "boolean"},
    },
}
_DELETED: Schema = {"type": "object", "properties": {"deleted": {"const": True}}}
_FORMS = ("application/json", "application/x-www-form-urlencoded", "multipart/form-data")


def _errors() -> dict[str, Schema]:
    def error(description: str) -> Schema:
        return {"description": description, "content": {"application/json": {"schema": _ERROR}}}

    return {
        "400": error("A field is invalid; the message names it."),
        "401": error("No API key, or a wrong one (browser sessions cannot use this API)."),
        "403": error("The key lacks the sites:write scope, or its member is a viewer."),
        "404": error("No such site (or goal, or shared link) that this key can manage."),
        "429": error("The API key made more requests than its allowance."),
    }


def _operation(
    operation: str, summary: str, answer: Schema, *, body: Schema | None = None, example: Schema | None = None
) -> Schema:
    spec: Schema = {
        "operationId": operation,
        "summary": summary,
        "tags": ["Sites API"],
        "security": [{"bearer": []}],
        "responses": {
            "200": {"description": "Done.", "content": {"application/json": {"schema": answer}}},
            **_errors(),
        },
    }
    if body is not None:
        media = {"schema": body, **({"example": example} if example else {})}
        spec["requestBody"] = {"required": True, "content": {kind: media for kind in _FORMS}}
    return spec


def _fields(required: list[str], **properties: Schema) -> Schema:
    return {"type": "object", "required": required, "properties": properties}


def _parameter(name: str, where: str, schema: Schema, description: str = "") -> Schema:
    described = {"description": description} if description else {}
    return {"name": name, "in": where, "required": where == "path", **described, "schema": schema}


def paths() -> dict[str, Schema]:
    site_ref = {"$ref": "#/components/schemas/Site"}
    domain = _parameter("domain", "path", {"type": "string"})
    goal_id = _parameter("goal_id", "path", {"type": "integer"})
    listing = _fields(["sites", "meta"], sites={"type": "array", "items": site_ref}, meta={"type": "object"})
    goals = _fields(["goals"], goals={"type": "array", "items": {"$ref": "#/components/schemas/Goal"}})
    link_ref = {"$ref": "#/components/schemas/SharedLink"}
    links = _fields(["shared_links"], shared_links={"type": "array", "items": link_ref})
    string = {"type": "string"}
    site_id = {**_parameter("site_id", "query", string, "The site's domain."), "required": True}
    site_id_or_body = {**site_id, "description": "The site's domain (or site_id in the body)."}
    return {
        "/api/v1/sites": {
            "get": {
                **_operation("listSites", "The sites this key can see, by domain.", listing),
                "parameters": [
                    _parameter(
                        "limit", "query", {"type": "integer", "minimum": 1, "maximum": 100, "default": 100}
                    ),
                    _parameter(
                        "after", "query", string, "The last domain of the previous page (meta.after)."
                    ),
                ],
            },
            "post": _operation(
                "createSite",
                "Add a site.",
                site_ref,
                body=_fields(["domain"], domain=string, timezone={**string, "default": "UTC"}),
                example={"domain": "example.org", "timezone": "Europe/Berlin"},
            ),
        },
        "/api/v1/sites/{domain}": {
            "parameters": [domain],
            "get": _operation("getSite", "One site.", site_ref),
            "put": _operation(
                "updateSite",
                "Change a site's domain, timezone or retention.",
                site_ref,
                body=_fields([], domain=string, timezone=string, retention_days={"type": "integer"}),
                example={"timezone": "UTC", "retention_days": 365},
            ),
            "delete": _operation("deleteSite", "Delete a site with all its data.", _DELETED),
        },
        "/api/v1/sites/goals": {
            "get": {
                **_operation("listGoals", "A site's goals.", goals),
                "parameters": [site_id],
            },
            "put": _operation(
                "putGoal",
                "Find or create a goal.",
                {"$ref": "#/components/schemas/Goal"},
                body=_fields(
                    ["site_id", "goal_type"],
                    site_id=string,
                    goal_type={"enum": ["event", "page"]},
                    event_name=string,
                    page_path=string,
                    display_name=string,
                ),
                example={"site_id": "example.com", "goal_type": "event", "event_name": "Signup"},
            ),
        },
        "/api/v1/sites/goals/{goal_id}": {
            "parameters": [goal_id],
            "delete": {
                **_operation("deleteGoal", "Delete a goal.", _DELETED),
                "parameters": [site_id_or_body],
            },
        },
        "/api/v1/sites/shared-links": {
            "get": {
                **_operation("listSharedLinks", "A site's shared links.", links),
                "parameters": [site_id],
            },
            "put": _operation(
                "putSharedLink",
                "Find a shared link by name, or create it (optionally with a password).",
                {"$ref": "#/components/schemas/SharedLink"},
                body=_fields(["site_id", "name"], site_id=string, name=string, password=string),
                example={"site_id": "example.com", "name": "Board"},
            ),
        },
        "/api/v1/sites/shared-links/{link_id}": {
            "parameters": [_parameter("link_id", "path", {"type": "integer"})],
            "delete": {
                **_operation("deleteSharedLink", "Revoke a shared link.", _DELETED),
                "parameters": [site_id_or_body],
            },
        },
    }


def schemas() -> dict[str, Schema]:
    return {"Site": _SITE, "Goal": _GOAL, "SharedLink": _LINK}
