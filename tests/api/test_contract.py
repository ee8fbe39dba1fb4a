"""The API described and tested from outside: the OpenAPI description matches the routes, and
real responses of every endpoint validate against its schemas (jsonschema, Draft 2020-12, the
dialect of OpenAPI 3.1)."""

from __future__ import annotations

import re

import pytest
from jsonschema import Draft202012Validator

from app.api import openapi

PATH_PARAMETER = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")


def _validator(spec: dict, path: str, status: str = "200") -> Draft202012Validator:
    schema = spec["paths"][path]["get"]["responses"][status]["content"]["application/json"][
        "schema"]
    return Draft202012Validator({**schema, "components": spec["components"]})


def _check(spec, path, response, status="200"):
    assert response.status_code == int(status), (path, response.status_code, response.json)
    errors = sorted(_validator(spec, path, status).iter_errors(response.json), key=str)
    assert not errors, (path, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]])


def test_the_description_covers_every_api_route_and_nothing_else(demo_app):
    spec = openapi.spec()
    routes = {}
    for rule in demo_app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            routes[PATH_PARAMETER.sub(r"{\1}", rule.rule)] = (
                rule.methods - {"HEAD", "OPTIONS"}, set(rule.arguments))
    assert set(routes) == set(spec["paths"])
    for path, (methods, arguments) in routes.items():
        operations = spec["paths"][path]
        assert {m.upper() for m in operations} == methods, path
        declared = {p["name"] for p in operations["get"]["parameters"] if "name" in p
                    and p["in"] == "path"}
        assert declared == arguments, path
    Draft202012Validator.check_schema({"$defs": spec["components"]["schemas"]})


def test_the_description_is_served_without_a_token(demo_app):
    client = demo_app.test_client(use_cookies=False)
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json == openapi.spec()
    assert response.json["openapi"].startswith("3.")
    every_ref = re.findall(r'"\$ref": "#/components/(\w+)/(\w+)"', response.text.replace(
        '":"', '": "'))
    assert every_ref
    for section, name in every_ref:
        assert name in response.json["components"][section], (section, name)


def test_every_endpoint_answers_as_described(demo_app, api_for):
    spec = openapi.spec()
    api = api_for("admin")
    lists = {"/api/v1/cycles": "/api/v1/cycles", "/api/v1/municipalities": None,
             "/api/v1/evaluations": None, "/api/v1/recommendations": None,
             "/api/v1/rankings": None}
    for path in lists:
        response = api.get(path)
        _check(spec, path, response)
        assert response.json["data"], path  # the demo has rows of every kind
    evaluations = api.all("/api/v1/evaluations", limit=3)
    kinds = set()
    for row in evaluations:
        _check(spec, "/api/v1/evaluations/{evaluation_id}",
               api.get(f"/api/v1/evaluations/{row['id']}"))
        answers = api.get(f"/api/v1/evaluations/{row['id']}/answers", query_string={
            "limit": 500, "lang": "en"})
        _check(spec, "/api/v1/evaluations/{evaluation_id}/answers", answers)
        for answer in answers.json["data"]:
            kinds.update(part for part in ("value", "inputs", "items", "samples")
                         if answer[part] is not None)
            kinds.update(["na"] if answer["na"] else [])
    # the demo's answers hold every part a criterion type keeps
    assert {"value", "inputs", "items", "samples"} <= kinds, kinds
    for row in api.all("/api/v1/municipalities"):
        _check(spec, "/api/v1/municipalities/{municipality_id}",
               api.get(f"/api/v1/municipalities/{row['id']}"))
    for query in ({"cycle": 1403}, {"cycle": 1404, "tier": "S"}, {"province": 1}):
        _check(spec, "/api/v1/rankings", api.get("/api/v1/rankings", query_string=query))


@pytest.mark.parametrize("path, status", [
    ("/api/v1/evaluations?limit=0", "400"),
    ("/api/v1/evaluations?status=lost", "400"),
    ("/api/v1/evaluations?updated_since=yesterday", "400"),
    ("/api/v1/evaluations?cursor=forged", "400"),
    ("/api/v1/evaluations/999999", "404"),
    ("/api/v1/evaluations/999999/answers", "404"),
    ("/api/v1/municipalities/999999", "404"),
    ("/api/v1/rankings?cycle=1300", "404"),
])
def test_errors_answer_as_described(demo_app, api_for, path, status):
    spec = openapi.spec()
    response = api_for("admin").get(path, headers={"Accept-Language": "en"})
    template = path.split("?")[0].replace("999999", "{x}")
    template = {"/api/v1/evaluations/{x}": "/api/v1/evaluations/{evaluation_id}",
                "/api/v1/evaluations/{x}/answers":
                    "/api/v1/evaluations/{evaluation_id}/answers",
                "/api/v1/municipalities/{x}": "/api/v1/municipalities/{municipality_id}"
                }.get(template, template)
    _check(spec, template, response, status)


def test_refusals_answer_as_described(demo_app, api_for):
    spec = openapi.spec()
    client = demo_app.test_client(use_cookies=False)
    _check(spec, "/api/v1/evaluations", client.get("/api/v1/evaluations"), "401")
    _check(spec, "/api/v1/rankings", api_for("inspector").get("/api/v1/rankings"), "403")
