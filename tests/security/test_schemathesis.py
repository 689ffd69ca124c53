"""Property-based API testing with schemathesis against the service's own OpenAPI document.

The document is fetched from the live app (/api/v1/openapi.json); for every
operation schemathesis generates requests from the schemas and checks: no 5xx,
status codes documented, content type and response body conform to the schema.
Each operation is called with a fresh token of a role it allows (admin first), so
the calls pass authorization and the per-token rate limit is not reached.

The requests are synchronous (requests library), so the generation loop runs in
a worker thread while the session's event loop keeps serving the app.
"""
from __future__ import annotations

import asyncio
import os
import re
import time
from dataclasses import dataclass, field

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, Phase, given, settings as hsettings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis import checks as st_checks  # noqa: E402

from models.enums import Role  # noqa: E402

MAX_EXAMPLES = int(os.environ.get("HOTLINE_FUZZ_EXAMPLES", "12"))
BUDGET_SECONDS = 85.0
ROLE_PREFERENCE = [Role.ADMIN, Role.AGENT, Role.SUPERVISOR, Role.HANDLER, Role.LINKAGE, Role.COURT]
# Long-lived streams cannot be fuzzed with a request/response client.
SKIP_PATHS = {"/api/v1/reports/escalations/stream"}
CHECKS = [
    st_checks.not_a_server_error,
    st_checks.status_code_conformance,
    st_checks.content_type_conformance,
    st_checks.response_schema_conformance,
    st_checks.response_headers_conformance,
    st_checks.positive_data_acceptance,   # a request the document calls valid is not refused as malformed
]
REJECTED = "Schema-valid request rejected"
# Invalid input: never a 5xx, always rejected with a 4xx.
NEGATIVE_CHECKS = [st_checks.not_a_server_error, st_checks.negative_data_rejection]
# Mismatches between the OpenAPI document and the service, reported to the lead and
# tolerated here until fixed: (operation regex, check title, status or None). The test
# prints the ones that no longer occur, so they can be removed once fixed.
# (The dispute desk's entries are gone: its shapes now state the source/ticket_id/summary rule as
# if/then, org codes as patterned unique items, the division as {unit, task} objects, party phone and
# id patterns, and integers as JSON numbers.)
KNOWN_DOC_GAPS: list[tuple[str, str, int | None]] = []


def known_gap(label: str, title: str, status: int) -> int | None:
    """The index of the KNOWN_DOC_GAPS entry matching a failure, or None."""
    for i, (pattern, gap_title, gap_status) in enumerate(KNOWN_DOC_GAPS):
        if re.fullmatch(pattern, label) and title == gap_title and gap_status in (None, status):
            return i
    return None


def semantic(resp) -> bool:
    """A 422 about what the request refers to (an unknown unit, category or area; a ticket's state), not
    about its shape: the service's own checks, whose details carry no pydantic `type`. The document
    describes shapes, so only shape rejections of schema-valid requests count as its gaps. An upload's
    415 (its content is not an allowed format, hotline.attachments.kinds) is counted the same way."""
    if resp.status_code == 415:  # an upload whose bytes are no allowed format: a schema cannot say that
        try:
            return [d.get("field") for d in resp.json()["details"]] == ["file"]
        except (ValueError, KeyError, TypeError, AttributeError):
            return False
    if resp.status_code != 422:
        return False
    try:
        details = resp.json()["details"]
    except (ValueError, KeyError, TypeError):
        return False
    return bool(details) and all("type" not in d for d in details)


@dataclass
class Findings:
    rejected: int = 0   # schema-valid requests refused for their shape: the document's gaps
    semantic: int = 0   # schema-valid requests refused for what they refer to (not counted)
    failures: list[str] = field(default_factory=list)
    known: set[int] = field(default_factory=set)
    calls: int = 0
    operations: int = 0


def _describe(exc: BaseException) -> list[tuple[str, str]]:
    """(title, message) of each check failure inside a schemathesis FailureGroup."""
    subs = getattr(exc, "exceptions", None) or [exc]
    return [(getattr(e, "title", type(e).__name__), getattr(e, "message", str(e)).strip()) for e in subs]


def _passes(op, ticket_id: int) -> list[tuple[GenerationMode, dict, int, list]]:
    """(mode, fixed path parameters, examples, checks) for one operation."""
    out = [(GenerationMode.POSITIVE, {}, MAX_EXAMPLES, CHECKS)]
    if "{id}" in op.path:  # random ids are all 404: also aim at a ticket that exists
        out.append((GenerationMode.POSITIVE, {"id": str(ticket_id)}, MAX_EXAMPLES, CHECKS))
    out.append((GenerationMode.NEGATIVE, {}, max(5, MAX_EXAMPLES // 2), NEGATIVE_CHECKS))
    return out


def _run(schema, base_url: str, headers_for: dict[str, dict], ticket_id: int, deadline: float) -> Findings:
    found = Findings()
    seen: set = set()
    for result in schema.get_all_operations():
        op = result.ok()
        if op.path in SKIP_PATHS:
            continue
        found.operations += 1
        headers = headers_for.get(op.label, {})
        for mode, path_parameters, examples, checks in _passes(op, ticket_id):
            fuzz = _fuzzer(op, mode, path_parameters, examples, checks, base_url, headers, deadline, found, seen)
            try:
                fuzz()
            except Unsatisfiable:  # nothing to make invalid (no parameters, no body)
                pass
    return found


def _fuzzer(op, mode, path_parameters, examples, checks, base_url, headers, deadline, found, seen):
    """A hypothesis test calling one operation with generated cases and recording check failures."""

    @hsettings(max_examples=examples, deadline=None, database=None, derandomize=True,
               phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=op.as_strategy(generation_mode=mode, path_parameters=path_parameters or None))
    def fuzz(case):
        if time.monotonic() > deadline:
            return
        if mode == GenerationMode.NEGATIVE and any(v is None for v in (case.query or {}).values()):
            return  # requests drops a None-valued query parameter: what is sent is not the invalid case
        found.calls += 1
        resp = case.call(base_url=base_url, headers=headers, timeout=10)
        try:
            case.validate_response(resp, checks=checks)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # a schemathesis FailureGroup: record it, no shrinking
            for title, message in _describe(exc):
                if mode == GenerationMode.NEGATIVE and resp.status_code == 413:
                    continue  # refused for its size before it is parsed (413): a rejection, not in schemathesis' list
                if title == REJECTED and semantic(resp):
                    found.semantic += 1
                    continue
                if title == REJECTED and known_gap(op.label, title, resp.status_code) is None:
                    found.rejected += 1
                key = f"{op.label}: {title}"
                gap = known_gap(op.label, title, resp.status_code)
                if gap is not None:
                    found.known.add(gap)
                elif key not in seen:
                    seen.add(key)
                    found.failures.append(f"{key} [{mode.value}]: {message[:600]}\n"
                                          f"  got {resp.status_code}: {resp.text[:300]}\n"
                                          f"  reproduce: {case.as_curl_command()}")

    return fuzz


@pytest.fixture(scope="module")
async def fuzz_headers(client, tokens, pool) -> dict[str, dict]:
    """One fresh token per operation, of the first role in ROLE_PREFERENCE it allows."""
    doc = await (await client.get("/api/v1/openapi.json")).json()
    unit = await pool.fetchval("SELECT id FROM units ORDER BY id LIMIT 1")
    out = {}
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            roles = op.get("x-roles")
            if not roles:
                continue
            role = next(r for r in ROLE_PREFERENCE if r.value in roles)
            kw = {"unit_id": unit} if role == Role.HANDLER else {"area_code": "320000"} if role == Role.SUPERVISOR else {}
            out[f"{method.upper()} {path}"] = await tokens.make(role, **kw)
    return out


async def test_openapi_fuzz(client, fuzz_headers, agent):
    resp = await client.get("/api/v1/openapi.json")
    assert resp.status == 200
    doc = await resp.json()
    schema = schemathesis.openapi.from_dict(doc)
    base_url = str(client.make_url("")).rstrip("/")
    started = time.monotonic()
    ticket = await client.post("/api/v1/tickets", headers=agent, json={
        "channel": "phone", "content": "小区门口路灯坏了一个月没人修", "area_code": "320682"})
    assert ticket.status == 201
    ticket_id = (await ticket.json())["id"]
    found = await asyncio.to_thread(_run, schema, base_url, fuzz_headers, ticket_id, started + BUDGET_SECONDS)
    elapsed = time.monotonic() - started
    print(f"schemathesis {schemathesis.SCHEMATHESIS_VERSION}: {found.operations} operations, "
          f"{found.calls} calls in {elapsed:.1f}s; schema-valid requests rejected: {found.rejected} "
          f"(refused for what they refer to, not counted: {found.semantic})")
    for i, gap in enumerate(KNOWN_DOC_GAPS):
        print("known documentation gap", "seen:" if i in found.known else "NOT seen (fixed? remove it):", gap)
    assert found.operations >= 20
    assert found.rejected == 0, "\n\n".join(found.failures)
    assert not found.failures, "\n\n".join(found.failures)
