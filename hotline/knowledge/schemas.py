"""Request and response shapes of 热线百科 (knowledge base), the 政务问答台 and the answer actions.

Every rule a shape has is stated here (lengths, patterns, ranges), so the OpenAPI document says it;
what the service checks beyond the shape (a category, area or unit that does not exist, dates in the
wrong order) is a 422 whose details name the field.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from hotline.endpoints import PAGE_SIZE_MAX, Cursor, Day, SafeStr, _whole_number, clean_text

AREA6 = r"^[0-9]{6}$"
AREA_ANY = r"^[0-9]{6}([0-9]{3}([0-9]{3})?)?$"
SLUG = r"^[a-z0-9][a-z0-9._-]{0,79}$"
# an id as JSON numbers go (5 and 5.0 alike, as hotline.endpoints.WholeInt), its range stated in the schema
ArticleId = Annotated[int, Field(ge=1, le=2**63 - 1), BeforeValidator(_whole_number)]
TEXT_FIELDS = ("title", "question", "answer", "basis_name", "basis_number", "keywords", "reason", "target",
               "channel", "unit_code", "category", "note")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator(*TEXT_FIELDS, mode="before", check_fields=False)
    @classmethod
    def _clean(cls, v):
        return clean_text(v) if isinstance(v, str) else v


class ArticleIn(Strict):
    """A new article (草稿), or a revision of one: the whole content each time."""

    slug: str = Field(..., pattern=SLUG, description="主题标识（小写字母、数字、. _ -）；同一主题的下级地区条目覆盖上级")
    title: str = Field(..., min_length=1, max_length=200)
    question: str = Field("", max_length=2000, description="典型问法")
    answer: str = Field(..., min_length=1, max_length=20000, description="答复口径")
    basis_name: str = Field("", max_length=300, description="政策依据名称")
    basis_number: str = Field("", max_length=100, description="政策依据文号")
    category: str | None = Field(None, min_length=1, max_length=64, description="事项分类编码或中文名称")
    area_code: str = Field(..., pattern=AREA6, description="适用地区（含下级），6 位行政区划代码")
    unit_code: str | None = Field(None, min_length=1, max_length=64,
                                  description="维护单位编码（热线人员填写；承办单位为本单位，不填）")
    public: bool = Field(True, description="true：公开（政务问答台可见）；false：仅内部")
    effective_from: Day | None = Field(None, description="生效日期（含）")
    expires_on: Day | None = Field(None, description="失效日期（含当日有效），不早于生效日期")
    keywords: str = Field("", max_length=500, description="关键词，空格分隔")
    reason: str = Field("", max_length=1000, description="修订说明")


class ActionIn(Strict):
    """审核通过 / 退回修改 / 发布 / 下线, with an optional reason."""

    reason: str = Field("", max_length=1000)


class ArticleQuery(Strict):
    status: Literal["draft", "reviewed", "published", "retired"] | None = None
    area: str | None = Field(None, pattern=AREA6, description="适用地区（含下级）")
    unit: SafeStr | None = Field(None, max_length=64, description="维护单位编码")
    category: SafeStr | None = Field(None, max_length=64)
    after: Cursor | None = Field(None, description="keyset cursor: the last id of the previous page")
    limit: int = Field(50, ge=1, le=PAGE_SIZE_MAX)


class SearchQuery(Strict):
    q: SafeStr = Field(..., min_length=1, max_length=500, description="问题或关键词")
    area: str | None = Field(None, pattern=AREA_ANY, description="来电所在地区：只返回适用该地区的条目（本地条目优先）")
    category: SafeStr | None = Field(None, max_length=64, description="事项分类编码")
    limit: int = Field(5, ge=1, le=20)
    on: Day | None = Field(None, description="按该日期判断生效/失效（默认今天）")


class PublicSearchQuery(Strict):
    q: SafeStr = Field(..., min_length=1, max_length=200, description="问题或关键词")
    area: str | None = Field(None, pattern=AREA_ANY, description="所在地区")
    limit: int = Field(5, ge=1, le=10)


class Hit(BaseModel):
    id: int
    slug: str
    title: str
    snippet: str
    highlights: list[list[int]] = Field(description="snippet 中命中词的 [起, 止) 位置")
    snippet_html: str = Field(description="snippet，命中词以 <mark> 标出（已转义）")
    area_code: str
    area_name: str
    category: str | None
    basis: str
    public: bool
    score: float


class SearchOut(BaseModel):
    query: str
    terms: list[str]
    items: list[Hit]


class ArticleOut(BaseModel):
    id: int
    slug: str
    title: str
    question: str
    answer: str
    basis_name: str
    basis_number: str
    category: str | None
    area_code: str
    area_name: str
    unit: dict | None
    public: bool
    effective_from: date | None
    expires_on: date | None
    keywords: str
    status: str
    status_label: str
    version: int
    source_ticket_id: int | None
    opened_count: int
    last_opened_at: datetime | None
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime
    allowed_actions: list[str] = Field(default_factory=list)


class ArticlePage(BaseModel):
    items: list[ArticleOut]
    next_after: int | None


class AnswerIn(Strict):
    """直接答复: the agent answered the call on the spot, from an article (or in its own words)."""

    article_id: ArticleId | None = Field(None, description="所依据的知识条目")
    answer: str = Field(..., min_length=1, max_length=5000, description="告知诉求人的答复内容")


class ReferIn(Strict):
    """转办 to another hotline, or 告知 the requester which channel handles the matter."""

    kind: Literal["transfer", "inform"] = Field(..., description="transfer 转办（其他热线/平台）/ inform 告知（办理渠道）")
    target: str = Field(..., min_length=1, max_length=200, description="转办对象或告知的办理机构")
    channel: str = Field("", max_length=200, description="告知的渠道（电话、网址、窗口地址）")
    reason: str = Field("", max_length=1000)


class DraftFromTicketIn(Strict):
    """A unit's reply turned into a draft article; what is not given is taken from the ticket."""

    slug: str | None = Field(None, pattern=SLUG)
    title: str | None = Field(None, min_length=1, max_length=200)
    area_code: str | None = Field(None, pattern=AREA6, description="默认为工单所在区县")
    public: bool = False


class ImportIn(Strict):
    """A CSV or XLSX file (the columns of docs/knowledge.md), base64-encoded in JSON."""

    format: Literal["csv", "xlsx"]
    content: str = Field(..., min_length=4, max_length=8_000_000, pattern=r"^[A-Za-z0-9+/=\s]+$",
                         description="文件内容（base64）")
    publish: bool = Field(False, description="true：导入后直接发布（仅督办人员/管理员）；false：导入为草稿")


class ExportQuery(Strict):
    status: Literal["draft", "reviewed", "published", "retired"] | None = None


class GapsQuery(Strict):
    from_: Day | None = Field(None, alias="from", description="起始日期（含），默认 to 前 29 天")
    to: Day | None = Field(None, description="截止日期（含），默认今天")
    limit: int = Field(20, ge=1, le=100)


class StaleQuery(Strict):
    idle_days: int = Field(365, ge=1, le=3650, description="多少天未被打开算作陈旧")
    limit: int = Field(100, ge=1, le=500)
