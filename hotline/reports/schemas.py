"""Request shapes of the reports room (the rates' query is in reports/rates.py, the escalation report's in
reports/escalations.py)."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from hotline.endpoints import Day


class AttentionQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    area: str | None = Field(None, pattern=r"^[0-9]{6,12}$", description="地区（含下级）")
    unit: str | None = Field(None, max_length=64, description="承办单位（编码或编号）")
    limit: int = Field(50, ge=1, le=200)


class CountsQuery(BaseModel):
    """The 12345–110 linkage counts: a day range and optionally one area."""

    model_config = ConfigDict(extra="forbid")
    from_: Day = Field(..., alias="from")
    to: Day
    area: str | None = Field(None, pattern=r"^[0-9]{6}$")
