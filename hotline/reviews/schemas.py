"""Request shapes of bad-review handling (差评处置)."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hotline.endpoints import AREA_RULE, Day
from hotline.tickets.schemas import clean_text


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _text(v: str) -> str:
    v = clean_text(v)
    if not v:
        raise ValueError("不能为空")
    return v


class RulingIn(Strict):
    valid: bool = Field(..., description="true：有效差评（须整改）；false：无效差评")
    reason: str = Field(..., min_length=1, max_length=1000, description="认定理由")
    _clean = field_validator("reason")(_text)


class TextIn(Strict):
    text: str = Field(..., min_length=1, max_length=2000)
    _clean = field_validator("text")(_text)


class ReviewQuery(Strict):
    ruling: str | None = Field(None, pattern="^(pending|valid|invalid)$", description="pending 待认定 / valid 有效 / invalid 无效")
    todo: str | None = Field(None, pattern="^(rectify|reply)$", description="rectify：待整改；reply：待回复（实名）")
    limit: int = Field(100, ge=1, le=500)


class ReviewRatesQuery(Strict):
    from_: Day | None = Field(None, alias="from", description="差评产生日期起（含，北京时间），默认 to 前 29 天")
    to: Day | None = Field(None, description="差评产生日期止（含，北京时间），默认今天")


class QualityQuery(Strict):
    from_: Day | None = Field(None, alias="from", description="评价日期起（含，北京时间），默认 to 前 29 天")
    to: Day | None = Field(None, description="评价日期止（含，北京时间），默认今天")
    area: str | None = Field(None, pattern=r"^[0-9]{6,12}$", description="地区（含下级）。" + AREA_RULE)
    ruling: str | None = Field(None, pattern="^(pending|upheld|dismissed)$",
                               description="pending 待认定 / upheld 属实 / dismissed 不属实")
    check: str | None = Field(None, pattern="^(same_phone|before_reply|rapid_callbacks)$",
                              description="same_phone 同一号码多次评价 / before_reply 先评价后答复 / "
                                          "rapid_callbacks 同一话务员回访间隔过短")
    limit: int = Field(200, ge=1, le=1000)


class FlagRulingIn(Strict):
    upheld: bool = Field(..., description="true：质检属实，该评价不予采信，不再计入满意率等指标；false：评价有效，继续计入")
    reason: str = Field(..., min_length=1, max_length=1000, description="认定理由")
    _clean = field_validator("reason")(_text)
