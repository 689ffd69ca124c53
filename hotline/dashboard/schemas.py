"""Query and answer shapes of the dashboard's endpoints."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from hotline.endpoints import AREA_RULE


class MapQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    area: str | None = Field(None, pattern=r"^[0-9]{6}$",
                             description="省、市或县（区）代码：地图显示其下的区县。" + AREA_RULE)


class BoundaryQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    area: str | None = Field(None, pattern=r"^[0-9]{6}$",
                             description="省、市或县（区）代码，默认本省；未知代码返回 422")


class AreaRef(BaseModel):
    code: str
    name: str
    level: str


class CountyCounts(BaseModel):
    code: str
    name: str
    city_code: str | None
    city_name: str | None
    open: int = Field(description="在办工单（未办结）")
    overdue: int = Field(description="超期工单（签收或办理超时）")


class Counts(BaseModel):
    open: int
    overdue: int


class MapOut(BaseModel):
    as_of: str
    area: AreaRef
    counties: list[CountyCounts]
    totals: Counts
    unplaced: Counts = Field(description="只登记到市级、未落到区县的工单")


class BoardQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    area: str | None = Field(None, pattern=r"^[0-9]{6}([0-9]{3}([0-9]{3})?)?$", description="地区（含下级）。" + AREA_RULE)
    limit: int = Field(20, ge=1, le=100, description="每个清单最多列出的案件数")


class RiskCount(BaseModel):
    risk: str
    label: str
    open: int = Field(description="在办案件")
    listed: int = Field(description="其中挂牌督办")
    overdue: int = Field(description="其中调解超期")


class BoardTotals(BaseModel):
    open: int
    listed: int
    overdue: int
    high_risk: int


class BoardOut(BaseModel):
    as_of: str
    area: str | None
    by_risk: list[RiskCount]
    totals: BoardTotals
    high_risk: list[dict] = Field(description="在办的高/重大风险案件（重大在前）")
    listed: list[dict] = Field(description="挂牌督办中的案件")
    overdue: list[dict] = Field(description="调解超期的在办案件")
