"""Request shapes of the 110 linkage: hand-offs and acknowledgements from 110, the outbox listing."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hotline.endpoints import SafeStr
from hotline.tickets.schemas import Requester, clean_text
from models.enums import Urgency


class HandoffIn(BaseModel):
    """A 双非 call pushed by the 110 platform with its incident number."""

    model_config = ConfigDict(extra="forbid")
    incident_no: str = Field(..., min_length=1, max_length=64, pattern=r"^[0-9A-Za-z\-_]+$")
    content: str = Field(..., min_length=1, max_length=5000)
    address: str = Field("", max_length=500)
    area_code: str | None = Field(None, pattern=r"^[0-9]{6}([0-9]{3}([0-9]{3})?)?$")
    requester: Requester = Field(default_factory=Requester)
    urgency: Urgency = Urgency.NORMAL
    mediation: bool | None = Field(None, description="先由110处警，后续交属地调解：true 建纠纷案件；省略时按内容识别")

    @field_validator("content", "address")
    @classmethod
    def _clean(cls, v: str) -> str:
        return clean_text(v)


class AckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    idempotency_key: SafeStr = Field(..., min_length=1, max_length=200)
    ref: SafeStr | None = Field(None, max_length=100)


class OutboxQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    state: str | None = Field(None, pattern="^(pending|delivered|acknowledged|failed)$")
    limit: int = Field(100, ge=1, le=500)
