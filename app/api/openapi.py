"""The OpenAPI 3.1 description of the read API, written here beside the code it describes and
served at ``/api/v1/openapi.json``. A test checks it against the URL map (every API route is
described, with its methods and path parameters, and nothing else), and the contract test
validates real responses against its schemas (``tests/api/test_contract.py``)."""

from __future__ import annotations

from app import workflow
from app.api.paging import DEFAULT_LIMIT, MAX_LIMIT

VERSION = "1.0.0"


def _nullable(kind: str, **extra) -> dict:
    return {"type": [kind, "null"], **extra}


def _object(properties: dict, required: list[str] | None = None) -> dict:
    return {"type": "object", "additionalProperties": False, "properties": properties,
            "required": list(properties) if required is None else required}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _page(item: str) -> dict:
    return _object({"data": {"type": "array", "items": _ref(item)},
                    "next": _nullable("string", description="The cursor of the next page; "
                                      "null on the last page.")})


TIME = _nullable("string", format="date-time")
DATE = _nullable("string", format="date")
NUMBER = _nullable("number")
INTEGER = _nullable("integer")
STRING = {"type": "string"}
ANSWER_VALUE = {"type": ["number", "boolean", "string", "null"]}

SCHEMAS = {
    "Error": _object({"error": {"type": "string", "description": "What went wrong, in the "
                                "caller's language (?lang= or Accept-Language; Persian by "
                                "default)."},
                      "status": {"type": "integer"}}, ["error", "status"]),
    "Cycle": _object({"id": {"type": "integer"}, "year": {"type": "integer"},
                      "title": STRING, "visit_start": DATE, "visit_end": DATE,
                      "is_open": {"type": "boolean"}, "declaration_deadline": DATE}),
    "CycleList": _page("Cycle"),
    "TierInCycle": _object({"cycle": {"type": "integer"}, "tier": STRING,
                            "evaluation_id": {"type": "integer"}}),
    "Municipality": _object({
        "id": {"type": "integer"}, "name": STRING, "county": STRING,
        "province_id": {"type": "integer"}, "province": STRING,
        "grade": {"type": "integer"}, "population": INTEGER, "census_year": INTEGER,
        "budget_million_rial": INTEGER, "staff_count": INTEGER, "area_hectares": INTEGER,
        "updated_at": TIME,
        "tiers": {"type": "array", "items": _ref("TierInCycle"),
                  "description": "The municipality's resource tier in each cycle (from the "
                                 "evaluations the token may see)."}}),
    "MunicipalityPage": _page("Municipality"),
    "Place": _object({"id": {"type": "integer"}, "name": STRING,
                      "province_id": {"type": "integer"}, "province": STRING}),
    "Tier": _object({"id": STRING, "title": STRING}),
    "Gate": _object({"id": STRING, "met": {"type": "boolean"}, "raw_met": {"type": "boolean"}}),
    "UnitScore": _object({"id": STRING, "title": STRING, "score": NUMBER, "raw_score": NUMBER,
                          "band": _nullable("string"), "evaluated": {"type": "boolean"},
                          "weight": NUMBER}),
    "Evaluation": _object({
        "id": {"type": "integer"}, "municipality": _ref("Place"), "cycle": {"type": "integer"},
        "status": {"type": "string", "enum": workflow.ordered()},
        "status_title": {"type": "string", "description": "The workflow's title of the "
                         "state, in the caller's language."},
        "rubric": _object({"id": _nullable("string"), "version": _nullable("string"),
                           "sha256": _nullable("string")}),
        "tier": _ref("Tier"),
        "scores": _object({"adjusted": NUMBER, "raw": NUMBER,
                           "ungated_adjusted": _nullable("number", description="Before the "
                                                         "verdict rules (gates)."),
                           "ungated_raw": NUMBER}),
        "band": _nullable("string"), "raw_band": _nullable("string"),
        "gates": {"type": "array", "items": _ref("Gate")},
        "complete": {"type": "boolean"}, "answered": {"type": "integer"},
        "applicable": {"type": "integer"}, "report_number": _nullable("string"),
        "units": {"type": "array", "items": _ref("UnitScore")},
        "created_at": TIME, "updated_at": TIME, "submitted_at": TIME, "approved_at": TIME,
        "signed_at": TIME}),
    "EvaluationPage": _page("Evaluation"),
    "Sample": _object({"site": STRING, "value": ANSWER_VALUE}),
    "Answer": _object({
        "id": {"type": "integer"}, "criterion": STRING, "unit": _nullable("string"),
        "title": _nullable("string"), "type": _nullable("string"),
        "na": {"type": "boolean"}, "na_reason": STRING, "note": STRING,
        "value": ANSWER_VALUE,
        "inputs": {"type": ["object", "null"], "additionalProperties": ANSWER_VALUE,
                   "description": "A computed criterion's inputs."},
        "items": {"type": ["array", "null"], "items": STRING,
                  "description": "A checklist's ticked items."},
        "samples": {"type": ["array", "null"], "items": _ref("Sample"),
                    "description": "Observations at several sites."},
        "text": {"type": "string", "description": "The answer as the criterion type says "
                 "it, in the caller's language."},
        "updated_at": TIME}),
    "AnswerPage": _page("Answer"),
    "Response": _object({"id": {"type": "integer"}, "action_taken": STRING,
                         "progress": {"type": "integer", "minimum": 0, "maximum": 100},
                         "evidence": STRING, "acted_on": DATE, "created_at": TIME}),
    "FollowUp": _object({"evaluation_id": {"type": "integer"},
                         "outcome": {"type": "string", "enum": ["done", "partly", "not_done"]},
                         "note": STRING, "updated_at": TIME}),
    "Recommendation": _object({
        "id": {"type": "integer"}, "evaluation_id": {"type": "integer"},
        "municipality_id": {"type": "integer"}, "cycle": {"type": "integer"},
        "unit": _nullable("string"), "text": STRING, "responsible": STRING,
        "deadline": DATE, "position": {"type": "integer"},
        "responses": {"type": "array", "items": _ref("Response")},
        "follow_ups": {"type": "array", "items": _ref("FollowUp")}}),
    "RecommendationPage": _page("Recommendation"),
    "RankingRow": _object({
        "evaluation_id": {"type": "integer"}, "cycle": {"type": "integer"},
        "municipality": _ref("Place"), "tier": _ref("Tier"), "score": NUMBER,
        "raw_score": NUMBER, "band": _nullable("string"),
        "rank": {"type": "integer", "minimum": 1}, "raw_rank": {"type": "integer", "minimum": 1},
        "peers": {"type": "integer"}, "tier_average": NUMBER, "tier_raw_average": NUMBER}),
    "RankingPage": _page("RankingRow"),
}


def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


PARAMETERS = {
    "limit": _query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                              "default": DEFAULT_LIMIT}, "Rows per page."),
    "cursor": _query("cursor", STRING, "The `next` of the previous page (opaque)."),
    "province": _query("province", {"type": "integer"}, "A province's id."),
    "cycle": _query("cycle", {"type": "integer", "minimum": 1300, "maximum": 1500},
                    "The cycle's Jalali year, e.g. 1404."),
    "tier": _query("tier", STRING, "A tier id of the rubric."),
    "status": _query("status", {"type": "string", "enum": workflow.ordered()},
                     "The workflow state."),
    "municipality": _query("municipality", {"type": "integer"}, "A municipality's id."),
    "evaluation": _query("evaluation", {"type": "integer"}, "An evaluation's id."),
    "updated_since": _query("updated_since", {"type": "string", "format": "date-time"},
                            "Only rows changed at or after this moment (ISO 8601; UTC "
                            "without an offset)."),
    "lang": _query("lang", {"type": "string", "enum": ["fa", "en"]},
                   "The language of titles and messages (else Accept-Language; else fa)."),
}


def _path_id(name: str) -> dict:
    return {"name": name, "in": "path", "required": True,
            "schema": {"type": "integer", "minimum": 1}}


def _error(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": _ref("Error")}}}


ERRORS = {
    "400": _error("A parameter is not valid (the message says which and why)."),
    "401": _error("No token, or a token that is not valid, revoked or expired."),
    "404": _error("No such object, or the token's user may not see it."),
    "429": _error("Too many requests with this token; see Retry-After."),
}


def _get(summary: str, schema: str, parameters: list, *, refusals=("400", "401", "429"),
         public: bool = False) -> dict:
    operation = {
        "summary": summary,
        "parameters": list(parameters) +
                      [{"$ref": "#/components/parameters/lang"}],
        "responses": {
            "200": {"description": "OK; the ETag header names this content.",
                    "headers": {"ETag": {"schema": STRING}},
                    "content": {"application/json": {"schema": _ref(schema)}}},
            "304": {"description": "Not modified: the If-None-Match named the current ETag."},
            **{code: ERRORS[code] for code in refusals}},
    }
    if public:
        operation["security"] = []
    return {"get": operation}


def _params(*names: str) -> list[dict]:
    return [{"$ref": f"#/components/parameters/{name}"} for name in names]


PAGING = ("limit", "cursor")

PATHS = {
    "/api/v1/openapi.json": _get("This description", "Error", [], refusals=(), public=True),
    "/api/v1/cycles": _get("Evaluation cycles, newest first", "CycleList", []),
    "/api/v1/municipalities": _get(
        "Municipalities the token may see, with their profile and tier by cycle",
        "MunicipalityPage", _params("province", "updated_since", *PAGING)),
    "/api/v1/municipalities/{municipality_id}": _get(
        "One municipality", "Municipality", [_path_id("municipality_id")],
        refusals=("401", "404", "429")),
    "/api/v1/evaluations": _get(
        "Evaluations the token may see: state, rubric version, scores, gates, band, units",
        "EvaluationPage",
        _params("province", "cycle", "municipality", "tier", "status", "updated_since",
                *PAGING)),
    "/api/v1/evaluations/{evaluation_id}": _get(
        "One evaluation", "Evaluation", [_path_id("evaluation_id")],
        refusals=("401", "404", "429")),
    "/api/v1/evaluations/{evaluation_id}/answers": _get(
        "The answers of one evaluation: values, N/A, notes, inputs, items, samples",
        "AnswerPage", [_path_id("evaluation_id"), *_params("updated_since", *PAGING)],
        refusals=("400", "401", "404", "429")),
    "/api/v1/recommendations": _get(
        "Recommendations with the municipality's answers and the follow-ups",
        "RecommendationPage",
        _params("province", "cycle", "evaluation", "updated_since", *PAGING)),
    "/api/v1/rankings": _get(
        "The ranking within tier of a cycle's finals (for those who see the dashboard)",
        "RankingPage", _params("cycle", "province", "tier", *PAGING),
        refusals=("400", "401", "404", "429")),
}
PATHS["/api/v1/rankings"]["get"]["responses"]["403"] = _error(
    "The token's user does not see the dashboard.")
# the description itself is the one answer that is not data of the schemas above
PATHS["/api/v1/openapi.json"]["get"]["responses"]["200"]["content"] = {
    "application/json": {"schema": {"type": "object", "required": ["openapi", "paths"]}}}


def spec() -> dict:
    """The whole description, as a plain dict."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Arzyab read API", "version": VERSION,
                 "description": "Read-only data of the evaluations of municipalities, for BI "
                                "tools. Authenticate with a personal token from your profile "
                                "page: `Authorization: Bearer arz_…`. A token sees exactly "
                                "what its user sees in the application. Lists are paged by "
                                "cursor (`next`); send `If-None-Match` with a page's ETag to "
                                "get 304 when nothing changed."},
        "security": [{"token": []}],
        "paths": PATHS,
        "components": {
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer",
                                          "description": "A personal API token."}},
            "schemas": SCHEMAS,
            "parameters": PARAMETERS,
        },
    }
