"""Request and response shapes of the hotspot and surge reports."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from hotline.endpoints import AREA_RULE


class HotspotQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    area: str | None = Field(None, pattern=r"^[0-9]{6,12}$", description="地区（含下级）。" + AREA_RULE)
    category: str | None = Field(None, min_length=1, max_length=64, description="类别代码")
    limit: int = Field(100, ge=1, le=500)


class SurgeQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    area: str | None = Field(None, pattern=r"^[0-9]{6,12}$", description="地区（含下级）。" + AREA_RULE)
    limit: int = Field(100, ge=1, le=500)


class HotspotItem(BaseModel):
    id: int
    area_code: str = Field(..., description="区县代码")
    area_name: str | None
    category: str
    category_name: str | None
    count: int = Field(..., description="窗口内来电数")
    baseline: float = Field(..., description="基线：此前同一地区同一类别的来电数按窗口长度折算的期望值")
    baseline_calls: int = Field(..., description="基线期内的来电数")
    score: float = Field(..., description="-log10(p)，越大越异常")
    p_value: float
    peak_count: int
    started_at: str
    last_seen_at: str
    ticket_ids: list[int] = Field(..., description="窗口内的工单（最新的 50 张）")


class HotspotReport(BaseModel):
    items: list[HotspotItem]
    window_hours: float
    baseline_days: float
    rule: str


class SurgeItem(BaseModel):
    id: int
    area_code: str
    area_name: str | None
    count: int
    baseline: float
    baseline_calls: int
    score: float
    p_value: float
    peak_count: int
    grouped: int = Field(..., description="激增期间自动归并到主工单的来电数")
    started_at: str
    last_seen_at: str
    label: str


class SurgeReport(BaseModel):
    items: list[SurgeItem]
    window_hours: float
    baseline_days: int
    rule: str
