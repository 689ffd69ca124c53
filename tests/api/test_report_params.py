"""Every report is driven from its OpenAPI description: the documented names, optional when documented."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

REPORT_PREFIX = "/api/v1/reports/"
STREAMS = {"/api/v1/reports/escalations/stream"}


def _example(schema: dict) -> str:
    """A valid value for a documented query parameter."""
    if "enum" in schema:
        return str(schema["enum"][-1])
    fmt = schema.get("format")
    if fmt == "date":
        return (date.today() - timedelta(days=3)).isoformat()
    if fmt == "date-time":
        return (datetime.now().astimezone() - timedelta(days=3)).replace(microsecond=0).isoformat()
    if schema.get("type") == "integer":
        return str(schema.get("minimum", 1))
    if "pattern" in schema and "[0-9]{6" in schema["pattern"]:
        return "320600"
    return ""


async def _reports(client) -> list[tuple[str, list[dict]]]:
    doc = await (await client.get("/api/v1/openapi.json")).json()
    return [(path, ops["get"]["parameters"]) for path, ops in doc["paths"].items()
            if path.startswith(REPORT_PREFIX) and "get" in ops and path not in STREAMS]


@pytest.fixture(scope="module")
async def reader(tokens):
    """The admin: every report's roles include it (some, such as 质检, are not for agents)."""
    from models.enums import Role

    return await tokens.make(Role.ADMIN)


async def test_every_report_answers_without_its_optional_parameters(client, reader):
    reports = await _reports(client)
    assert len(reports) >= 5
    for path, params in reports:
        assert not any(p["required"] for p in params if p["in"] == "query"), path
        resp = await client.get(path, headers=reader)
        assert resp.status == 200, (path, await resp.text())


async def test_every_report_takes_each_documented_parameter(client, reader):
    for path, params in await _reports(client):
        query = {p["name"]: _example(p["schema"]) for p in params if p["in"] == "query"}
        query = {k: v for k, v in query.items() if v != ""}
        if "from" in query and "to" in query:
            query["to"] = query["from"].replace(query["from"][:10], (date.today() - timedelta(days=1)).isoformat())
        resp = await client.get(path, headers=reader, params=query)
        assert resp.status == 200, (path, query, await resp.text())


async def test_reports_document_from_and_refuse_from_underscore(client, reader):
    reports = await _reports(client)
    for path, params in reports:
        names = {p["name"] for p in params}
        assert "from_" not in names, path
        if "from" not in names:
            continue
        resp = await client.get(path, headers=reader, params={"from_": "2026-01-01"})
        assert resp.status == 422, path
        assert (await resp.json())["details"][0]["field"] == "from_"


@pytest.mark.parametrize("path", ["/api/v1/reports/linkage", "/api/v1/reports/rates"])
async def test_from_after_to_names_the_to_field(client, agent, path):
    resp = await client.get(path, headers=agent, params={"from": "2026-03-02", "to": "2026-03-01"})
    assert resp.status == 422
    assert (await resp.json())["details"][0]["field"] == "to"


async def test_a_too_long_range_names_to_not_body(client, agent):
    resp = await client.get("/api/v1/reports/rates", headers=agent, params={"from": "2020-01-01", "to": "2026-01-01"})
    assert resp.status == 422
    assert [d["field"] for d in (await resp.json())["details"]] == ["to"]


async def test_query_parameters_are_typed_in_the_document(client):
    doc = await (await client.get("/api/v1/openapi.json")).json()
    rates = {p["name"]: p["schema"] for p in doc["paths"]["/api/v1/reports/rates"]["get"]["parameters"]}
    assert rates["from"]["format"] == "date"
    assert rates["group_by"]["enum"][0] == "unit"
    overdue = {p["name"]: p["schema"] for p in doc["paths"]["/api/v1/reports/overdue"]["get"]["parameters"]}
    assert overdue["limit"]["type"] == "integer" and overdue["limit"]["maximum"] == 200
