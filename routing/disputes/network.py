"""The mediation network and assignment of a case to its organisations (pure).

Organisations sit in a county (or a city) and may cover one 乡镇街道 (`town`) or one
村/社区 (`community`) inside it, named as they appear in addresses. A case goes to
the lowest tier that mediates its type and covers its address (the community
committee for a quarrel between neighbours), with the specialised committee for
its type beside it (联调) or in the lead when the type says so; a high-risk case
starts one tier up, a 重大 one at the county. 挂牌督办 moves the lead to the next
tier covering the same address.

The sample province's network: models/data/mediation_320000.csv written by hand for
two counties; every other county and city gets a generated one (`generated_orgs`).
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from models.enums import RiskLevel
from routing.disputes.catalogue import TIERS, DisputeType

NETWORK_CSV = Path(__file__).resolve().parents[2] / "models" / "data" / "mediation_320000.csv"
GENERAL = ("people", "centre")  # organisations that take any type at their place
RISK_MIN_TIER = {RiskLevel.HIGH: "town", RiskLevel.MAJOR: "county"}


@dataclass(frozen=True)
class Org:
    code: str
    name: str
    kind: str
    tier: str
    area_code: str
    town: str = ""
    community: str = ""
    dispute_types: tuple[str, ...] = ()
    leader: str = ""
    phone: str = ""
    mediators: tuple[tuple[str, str], ...] = ()
    city_code: str = ""

    def handles(self, dispute_type: str) -> bool:
        return not self.dispute_types or dispute_type in self.dispute_types

    def covers(self, county: str | None, city: str | None, address: str) -> bool:
        """The case's place lies inside this organisation's."""
        if self.tier == "city":
            return self.area_code in (city, county)
        if self.area_code != county:
            return False
        return (not self.town or self.town in address) and (not self.community or self.community in address)


@dataclass(frozen=True)
class Assignment:
    lead: Org
    supports: tuple[Org, ...]
    reason: str


def tier_rank(tier: str) -> int:
    return TIERS.index(tier)


def read_orgs(path: Path | str = NETWORK_CSV) -> list[Org]:
    """The hand-written organisations (with their mediators)."""
    with open(path, encoding="utf-8", newline="") as fh:
        rows = csv.DictReader(line for line in fh if not line.startswith("#"))
        return [Org(r["code"], r["name"], r["kind"], r["tier"], r["area_code"], r["town"], r["community"],
                    tuple(t for t in r["dispute_types"].split("|") if t), r["leader"], r["phone"],
                    tuple(tuple(m.split(":", 1)) for m in r["mediators"].split("|") if ":" in m))
                for r in rows]


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = ("建国", "秀英", "志强", "桂兰", "国平", "海燕", "卫东", "玉兰", "明华", "春梅", "立新", "丽娟", "德明",
         "红梅", "永刚", "晓东", "建华", "文斌", "淑珍", "振华", "学军", "素芳", "长江", "美玲")


def _person(seed: str, salt: int) -> str:
    h = sum((i + 1) * ord(c) for i, c in enumerate(seed)) + salt * 7919
    return SURNAMES[h % len(SURNAMES)] + GIVEN[(h // len(SURNAMES)) % len(GIVEN)]


def generated_orgs(areas: Iterable, written: Sequence[Org]) -> list[Org]:
    """A county centre and specialised committees for every county, a city centre, a medical
    committee, lawyers and notaries for every city — skipping places written by hand."""
    have = {o.code for o in written}
    out: list[Org] = []

    def add(code, name, kind, tier, area, types=(), leader=""):
        if code not in have:
            mediators = ((_person(code, 1), "专职调解员"), (_person(code, 2), "兼职调解员"))
            out.append(Org(code, name, kind, tier, area.code, dispute_types=tuple(types), leader=leader,
                           mediators=mediators))

    for a in areas:
        level = str(getattr(a, "level", ""))
        if level == "county":
            n, c = a.name, a.code
            add(f"{c}-centre", f"{n}社会矛盾纠纷调处化解中心", "centre", "county", a,
                leader=f"{n}委政法委副书记 {_person(c, 3)}")
            add(f"{c}-property", f"{n}物业纠纷人民调解委员会", "industry", "county", a, ["property"])
            add(f"{c}-traffic", f"{n}道路交通事故纠纷人民调解委员会", "industry", "county", a, ["traffic"])
            add(f"{c}-labour", f"{n}劳动人事争议调解中心", "industry", "county", a, ["labour"])
            add(f"{c}-consumer", f"{n}市场监督管理局消费纠纷行政调解室", "admin", "county", a, ["consumer"])
        elif level == "city":
            n, c = a.name, a.code
            add(f"{c}-centre", f"{n}社会矛盾纠纷调处化解中心", "centre", "city", a,
                leader=f"{n}委政法委副书记 {_person(c, 3)}")
            add(f"{c}-medical", f"{n}医疗纠纷人民调解委员会", "industry", "city", a, ["medical"])
            add(f"{c}-lawyer", f"{n}律师调解中心", "lawyer", "city", a)
            add(f"{c}-notary", f"{n}公证调解中心", "notary", "city", a, ["family", "land", "other"])
    return out


def _general_at(orgs: Sequence[Org], county, city, address, dtype: str, min_tier: str) -> Org | None:
    """The lowest-tier general organisation covering the place at or above min_tier."""
    found = [o for o in orgs if o.kind in GENERAL and o.handles(dtype) and o.covers(county, city, address)
             and tier_rank(o.tier) >= tier_rank(min_tier)]
    return min(found, key=lambda o: (tier_rank(o.tier), o.code), default=None)


def _industry(orgs: Sequence[Org], county, city, address, industry: str) -> Org | None:
    found = [o for o in orgs if o.kind not in GENERAL and industry in o.dispute_types
             and o.covers(county, city, address)]
    return min(found, key=lambda o: (tier_rank(o.tier), o.code), default=None)


def assign(orgs: Sequence[Org], dtype: DisputeType, *, county: str | None, city: str | None, address: str,
           risk: RiskLevel | str = RiskLevel.LOW) -> Assignment | None:
    """Lead and supporting organisations for a case, with the reason (None: nobody covers it)."""
    risk = RiskLevel(risk)
    min_tier = dtype.first_tier
    lift = RISK_MIN_TIER.get(risk)
    if lift and tier_rank(lift) > tier_rank(min_tier):
        min_tier = lift
    general = _general_at(orgs, county, city, address, dtype.code, min_tier)
    local = _general_at(orgs, county, city, address, dtype.code, "community")
    special = _industry(orgs, county, city, address, dtype.industry_type) if dtype.industry_type else None
    if special is not None and dtype.industry_leads:
        lead, supports = special, [o for o in (local,) if o is not None]
        reason = f"{dtype.label}由{special.name}牵头"
    elif general is not None:
        lead, supports = general, [o for o in (special,) if o is not None]
        reason = f"{dtype.label}由属地{general.name}调解"
        if local is not None and local.code != general.code:
            supports.append(local)
            reason += f"（{risk.label}风险，提级调处，{local.name}协助）"
    elif special is not None:
        lead, supports, reason = special, [], f"{dtype.label}由{special.name}调解"
    else:
        return None
    unique = tuple(dict.fromkeys(o for o in supports if o.code != lead.code))
    return Assignment(lead, unique, reason)


def above(orgs: Sequence[Org], current: Org, *, county: str | None, city: str | None, address: str,
          dtype: str) -> Org | None:
    """The general organisation one tier (or more) above `current` covering the same place."""
    found = [o for o in orgs if o.kind in GENERAL and o.handles(dtype) and o.covers(county, city, address)
             and tier_rank(o.tier) > tier_rank(current.tier)]
    return min(found, key=lambda o: (tier_rank(o.tier), o.code), default=None)
