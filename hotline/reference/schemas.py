"""Query and response shapes of the reference endpoints."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from hotline.endpoints import SafeStr
from models.enums import Tier

AREA_CODE = r"^[0-9]{6}([0-9]{3}([0-9]{3})?)?$"


class _Query(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: SafeStr | None = Field(None, max_length=50, description="按名称或编码搜索（包含即可）")
    limit: int = Field(50, ge=1, le=500, description="最多返回条数")


class AreaQuery(_Query):
    parent: str | None = Field(None, pattern=AREA_CODE, description="只列此地区的直接下级")
    level: Tier | None = Field(None, description="层级：province / city / county / street")


class CategoryQuery(_Query):
    pass


class UnitQuery(_Query):
    area: str | None = Field(None, pattern=AREA_CODE, description="只列此地区（含下级）的单位")
    category: SafeStr | None = Field(None, max_length=64, description="能承办此诉求类别（编码或名称）的单位")
    tier: Tier | None = Field(None, description="单位层级")


class AreaOut(BaseModel):
    code: str
    name: str
    short_name: str
    level: Tier
    level_label: str
    parent_code: str | None


class CategoryOut(BaseModel):
    code: str
    name: str
    unit_type: str
    scope: str


class UnitOut(BaseModel):
    id: int
    code: str
    name: str
    unit_type: str
    area_code: str
    area_name: str
    tier: Tier
    tier_label: str
    active: bool


class AreaList(BaseModel):
    items: list[AreaOut]


class CategoryList(BaseModel):
    items: list[CategoryOut]


class UnitList(BaseModel):
    items: list[UnitOut]
