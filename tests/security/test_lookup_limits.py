"""Status lookups (#17): attempts are limited per ticket number and per client address, right codes included."""
from __future__ import annotations

import aiohttp

from hotline.auth import create_token
from hotline import keys
from models.enums import Role


async def _ticket(http, base, agent) -> dict:
    body = {"channel": "phone", "area_code": "320682", "content": "路口红绿灯不亮，车辆通行混乱。"}
    async with http.post(f"{base}/api/v1/tickets", json=body, headers=agent) as r:
        assert r.status == 201
        return await r.json()


async def _try(http, base, ticket_no, code) -> tuple[int, str | None]:
    async with http.post(f"{base}/api/v1/lookup", json={"ticket_no": ticket_no, "code": code}) as r:
        await r.read()
        return r.status, r.headers.get("Retry-After")


async def test_guesses_on_one_ticket_are_limited_for_every_client(settings, live, agent):
    limited = settings.model_copy(update={"lookup_per_ticket_per_minute": 5, "lookup_per_client_per_minute": 100})
    async with live.server(limited) as (base, _):
        async with aiohttp.ClientSession() as http:
            t = await _ticket(http, base, agent)
        async with live.session_from("127.0.0.41") as a, live.session_from("127.0.0.42") as b:
            guesses = [await _try(a, base, t["ticket_no"], f"ZZZZZ{c}") for c in "23456789"]
            right = await _try(b, base, t["ticket_no"], t["lookup_code"])
            other_ticket = await _ticket(a, base, agent)
            other = await _try(b, base, other_ticket["ticket_no"], other_ticket["lookup_code"])
    assert [s for s, _ in guesses[:5]] == [404] * 5
    assert all(s == 429 and retry.isdigit() for s, retry in guesses[5:]), guesses
    assert right[0] == 429, "the right code is not told apart while the ticket is limited"
    assert other[0] == 200, "another ticket is not limited"


async def test_one_client_guessing_many_tickets_is_limited(settings, live, agent):
    limited = settings.model_copy(update={"lookup_per_ticket_per_minute": 100, "lookup_per_client_per_minute": 10})
    async with live.server(limited) as (base, _):
        async with aiohttp.ClientSession() as http:
            t = await _ticket(http, base, agent)
        async with live.session_from("127.0.0.43") as guesser, live.session_from("127.0.0.44") as other:
            guesses = [await _try(guesser, base, f"20261201{n:08d}", "ABCDEF") for n in range(15)]
            mine = await _try(other, base, t["ticket_no"], t["lookup_code"])
    assert [s for s, _ in guesses[:10]] == [404] * 10
    assert {s for s, _ in guesses[10:]} == {429}
    assert mine[0] == 200
