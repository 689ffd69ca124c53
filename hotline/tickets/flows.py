"""Intake (统一接收登记): validate, place, store durably, announce."""
from __future__ import annotations

import logging

import asyncpg

from hotline.auth import Principal
from hotline.errors import ApiError
from hotline.tickets import service
from hotline.tickets.models import TicketIn

log = logging.getLogger(__name__)


async def resolve_area(conn: asyncpg.Connection, data: TicketIn) -> dict[str, str]:
    """The area chain of the request; 422 for an unknown area code."""
    if data.area_code is None:
        return {}
    chain = await service.area_chain(conn, data.area_code)
    if chain is None:
        raise ApiError(422, "行政区划代码不存在", [{"field": "area_code", "message": f"未知代码 {data.area_code}"}])
    return {"area": data.area_code, **chain}


async def receive(pool: asyncpg.Pool, principal: Principal, data: TicketIn,
                  idempotency_key: str | None) -> tuple[int, bool]:
    """Register a request; returns (ticket id, created) and commits before returning."""
    async with pool.acquire() as conn:
        chain = await resolve_area(conn, data)
        async with conn.transaction():
            ticket_id = await service.insert_ticket(conn, principal, data, chain=chain, fields={},
                                                    idempotency_key=idempotency_key)
            if ticket_id is None:
                return await service.get_by_idempotency_key(conn, principal, idempotency_key, data), False
            await service.add_event(conn, ticket_id, principal, "receive", to_status="received",
                                    data=service.event_payload(data))
    return ticket_id, True
