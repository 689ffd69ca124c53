"""热线百科: the article review flow and the area scope rules, as data and pure functions.

Review flow (`ARTICLE_ACTIONS`): a unit or the hotline writes a draft (草稿); the hotline reviews it
(审核通过) and publishes it (发布); a published article is retired (下线) when it no longer holds.
Revising an article in any status makes a new version, back in draft: nothing reaches callers
without a hotline review.

Area scope: an article for an area applies to that area and every area below it. Articles share
a topic through their slug; where several of one topic apply, the deepest one wins (a county's
article overrides the province's for that county and below, and nowhere else).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Iterable, Mapping, Sequence

from models.enums import Role

R = Role
DRAFT, REVIEWED, PUBLISHED, RETIRED = "draft", "reviewed", "published", "retired"
STATUSES = (DRAFT, REVIEWED, PUBLISHED, RETIRED)
STATUS_LABELS = {DRAFT: "草稿", REVIEWED: "已审核", PUBLISHED: "已发布", RETIRED: "已下线"}
REVIEWERS = frozenset({R.SUPERVISOR, R.ADMIN})          # the hotline's own review
WRITERS = frozenset({R.AGENT, R.HANDLER, R.SUPERVISOR, R.ADMIN})


class ArticleFlowError(ValueError):
    """An article action not allowed from this status (reason 'state') or for this role ('role')."""

    def __init__(self, status: str, action: str, reason: str):
        self.status, self.action, self.reason = status, action, reason
        super().__init__(f"article action {action!r} not allowed ({reason}) in status {status}")


@dataclass(frozen=True)
class ArticleAction:
    code: str
    label: str
    sources: frozenset[str]
    target: str
    roles: frozenset[Role]


def _a(code: str, label: str, sources, target: str, roles) -> ArticleAction:
    return ArticleAction(code, label, frozenset(sources), target, frozenset(roles))


ARTICLE_ACTIONS: dict[str, ArticleAction] = {a.code: a for a in (
    _a("revise", "修订", STATUSES, DRAFT, WRITERS),
    _a("review", "审核通过", [DRAFT], REVIEWED, REVIEWERS),
    _a("send_back", "退回修改", [REVIEWED], DRAFT, REVIEWERS),
    _a("publish", "发布", [REVIEWED], PUBLISHED, REVIEWERS),
    _a("retire", "下线", [PUBLISHED], RETIRED, REVIEWERS | {R.HANDLER}),
)}


def article_actions(status: str, role: Role | str) -> list[str]:
    """The actions `role` may take on an article in `status` (scope aside), in table order."""
    role = Role(role)
    return [c for c, a in ARTICLE_ACTIONS.items() if status in a.sources and role in a.roles]


def apply_article(status: str, action: str, role: Role | str) -> str:
    """The status after the action; ArticleFlowError when the status or the role does not allow it."""
    spec = ARTICLE_ACTIONS.get(action)
    if spec is None or status not in spec.sources:
        raise ArticleFlowError(status, action, "state")
    if Role(role) not in spec.roles:
        raise ArticleFlowError(status, action, "role")
    return spec.target


# --- area scope ------------------------------------------------------------------------------

def ancestors(code: str, parents: Mapping[str, str | None]) -> list[str]:
    """The area itself and its parents up to the province, nearest first ([] for an unknown code)."""
    out: list[str] = []
    current: str | None = code
    while current is not None and current in parents and current not in out:
        out.append(current)
        current = parents[current]
    return out


def depth(code: str, parents: Mapping[str, str | None]) -> int:
    """0 for a province, 1 for a city, 2 for a county, 3 for a street."""
    return max(len(ancestors(code, parents)) - 1, 0)


def within(code: str, root: str, parents: Mapping[str, str | None]) -> bool:
    """Whether `code` lies in root's subtree (itself included)."""
    return root in ancestors(code, parents)


def live_on(day: date, effective_from: date | None, expires_on: date | None) -> bool:
    """Whether an article is in force on `day` (both ends included)."""
    return (effective_from is None or effective_from <= day) and (expires_on is None or expires_on >= day)


@dataclass(frozen=True)
class Placed:
    """What the scope rules need of an article."""

    id: int
    slug: str
    area_code: str
    depth: int


def applicable(articles: Iterable[Placed], area_chain: Sequence[str]) -> list[Placed]:
    """The articles that apply in the area whose chain (itself and parents) is given, overrides applied:
    for each slug only the deepest applicable article remains."""
    chain = set(area_chain)
    best: dict[str, Placed] = {}
    for a in articles:
        if a.area_code not in chain:
            continue
        kept = best.get(a.slug)
        if kept is None or a.depth > kept.depth:
            best[a.slug] = a
    return sorted(best.values(), key=lambda a: a.id)


def owning_unit(area_code: str, unit_type: str, units: Mapping[tuple[str, str], str],
                parents: Mapping[str, str | None]) -> str | None:
    """The unit that maintains an article for (area, unit type): the unit of that type in the area,
    else in the nearest parent that has one (as dispatch moves up a missing unit). None if nowhere."""
    for code in ancestors(area_code, parents):
        unit = units.get((code, unit_type))
        if unit is not None:
            return unit
    return None
