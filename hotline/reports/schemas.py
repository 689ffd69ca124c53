"""Request shapes of the reports room (the rates' query is in reports/rates.py, the escalation report's in
reports/escalations.py)."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from hotline.endpoints import AREA_RULE, PAGE_SIZE_MAX, Day


class AttentionQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    area: str | None = Field(None, pattern=r"^[0-9]{6,12}$", description="地区（含下级）。" + AREA_RULE)
    unit: str | None = Field(None, max_length=64, description="承办单位（编码或编号）")
    limit: int = Field(50, ge=1, le=PAGE_SIZE_MAX)


class CountsQuery(BaseModel):
    """The 12345–110 linkage counts: a day range and optionally one area."""

    model_config = ConfigDict(extra="forbid")
    from_: Day | None = Field(None, alias="from", description="起始日期（含），默认 to 前 29 天")
    to: Day | None = Field(None, description="截止日期（含），默认今天")
    area: str | None = Field(None, pattern=r"^[0-9]{6}$", description="市或县（区）代码。" + AREA_RULE)

    @field_validator("to")
    @classmethod
    def _range(cls, to, info: ValidationInfo):
        frm = info.data.get("from_")
        if frm and to and frm > to:
            raise ValueError("不能早于 from")
        return to
