"""Request shapes of repeat calls and merged tickets."""
from __future__ import annotations

from pydantic import Field

from hotline.endpoints import WholeInt
from hotline.tickets.schemas import Strict
from hotline.workflow.schemas import _Text

TICKET_ID = dict(ge=1, le=2**63 - 1)


class LeadIn(_Text):
    """追加 / 并单: the lead ticket this call is folded into."""

    lead_id: WholeInt = Field(..., description="主工单编号（id）", **TICKET_ID)
    reason: str = Field("", max_length=1000)


class LinkIn(_Text):
    """关联: another ticket about a related matter; both stay open."""

    other_id: WholeInt = Field(..., description="关联的工单编号（id）", **TICKET_ID)
    reason: str = Field("", max_length=1000)


class UnmergeIn(_Text):
    reason: str = Field(..., min_length=1, max_length=1000, description="撤销原因")


class CandidatesQuery(Strict):
    limit: int = Field(20, ge=1, le=100, description="最多条数")
