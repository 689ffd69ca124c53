"""Shapes and options of callback surveys (回访)."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from hotline.endpoints import SafeStr


class Satisfaction(StrEnum):
    SATISFIED = "satisfied"
    BASICALLY_SATISFIED = "basically_satisfied"
    UNSATISFIED = "unsatisfied"

    @property
    def label(self) -> str:
        return {"satisfied": "满意", "basically_satisfied": "基本满意", "unsatisfied": "不满意"}[self.value]


class Solved(StrEnum):
    SOLVED = "solved"
    UNSOLVED = "unsolved"

    @property
    def label(self) -> str:
        return {"solved": "已解决", "unsolved": "未解决"}[self.value]


def option(settings, name: str):
    """A callback/report option from the service settings."""
    return getattr(settings, name)


def rate_weights(settings) -> tuple[float, float, float]:
    """(response, resolution, satisfaction) weights, normalised to sum to 1."""
    raw = option(settings, "rate_weights")
    parts = [float(x) for x in (raw.split(",") if isinstance(raw, str) else raw)]
    if len(parts) != 3 or any(p < 0 for p in parts) or sum(parts) <= 0:
        raise ValueError(f"rate_weights must be three non-negative numbers, got {raw!r}")
    total = sum(parts)
    return tuple(p / total for p in parts)  # type: ignore[return-value]


class CallbackIn(BaseModel):
    """What the agent recorded after phoning the requester."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "if": {"properties": {"reached": {"const": True}}, "required": ["reached"]},
        "then": {"required": ["satisfaction", "solved"],
                 "properties": {"satisfaction": {"type": "string"}, "solved": {"type": "string"}}}})

    reached: bool = Field(description="是否联系上诉求人")
    satisfaction: Satisfaction | None = Field(None, description="满意 / 基本满意 / 不满意（联系上时必填）")
    solved: Solved | None = Field(None, description="已解决 / 未解决（联系上时必填）")
    comment: SafeStr = Field("", max_length=1000, description="诉求人意见")


class SurveyIn(BaseModel):
    """The requester's own answer through the one-time link."""

    model_config = ConfigDict(extra="forbid")

    satisfaction: Satisfaction
    solved: Solved
    comment: SafeStr = Field("", max_length=1000)


class CallbackLinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hours: int | None = Field(None, ge=1, le=24 * 30, description="有效小时数（默认按配置）")


class CallbackOut(BaseModel):
    ticket_id: int
    round: int
    outcome: str = Field(description="pending（未联系上，待再次回访） / reached / unreachable")
    attempts: int
    decision: str | None = Field(None, description="close（归档） / reopen（重办）")
    status: str
    reply_by: datetime | None = None


class CallbackLinkOut(BaseModel):
    token: str
    url: str
    expires_at: datetime
    sms_text: str


class SurveyOut(BaseModel):
    ticket_no: str
    title: str
    unit_name: str | None
    resolution: str
    replied_at: datetime | None
    expires_at: datetime
    questions: list[dict]
