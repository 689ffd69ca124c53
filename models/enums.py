"""Enumerations shared by the service, routing and reports.

Identifiers are English; each member carries the Chinese label operators read.
The same values are PostgreSQL enum types (see migrations/0001_spine.sql).
"""
from enum import StrEnum


class LabelledEnum(StrEnum):
    """A string enum whose members have a Chinese display label."""

    @property
    def label(self) -> str:
        return _LABELS[type(self).__name__][self.value]


class Channel(LabelledEnum):
    PHONE = "phone"
    WEB = "web"
    APP = "app"
    WECHAT = "wechat"
    POLICE_110 = "110"
    ENTERPRISE = "enterprise"
    EMAIL = "email"


class RequesterType(LabelledEnum):
    CITIZEN = "citizen"
    ENTERPRISE = "enterprise"


class Urgency(LabelledEnum):
    NORMAL = "normal"
    URGENT = "urgent"
    EMERGENCY = "emergency"


class Status(LabelledEnum):
    RECEIVED = "received"
    TRIAGE = "triage"
    DISPATCHED = "dispatched"
    SIGNED = "signed"
    IN_PROGRESS = "in_progress"
    RETURNED = "returned"
    REPLIED = "replied"
    CLOSED = "closed"
    TRANSFERRED = "transferred"


class Disposition(LabelledEnum):
    HOTLINE = "12345"
    POLICE = "110"
    JOINT = "joint"


class Tier(LabelledEnum):
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"
    STREET = "street"


class Role(LabelledEnum):
    AGENT = "agent"
    HANDLER = "handler"
    SUPERVISOR = "supervisor"
    LINKAGE = "linkage"
    ADMIN = "admin"
    MEDIATOR = "mediator"
    COURT = "court"


class CaseStatus(LabelledEnum):
    """A dispute case's place in mediation (see routing.disputes.workflow)."""

    NEW = "new"
    ACCEPTED = "accepted"
    ASSIGNED = "assigned"
    MEDIATING = "mediating"
    REVIEWING = "reviewing"
    SETTLED = "settled"
    FAILED = "failed"
    TERMINATED = "terminated"
    CLOSED = "closed"


class CaseSource(LabelledEnum):
    TICKET = "ticket"
    POLICE_110 = "110"
    WALK_IN = "walk_in"
    PATROL = "patrol"
    COURT = "court"


class RiskLevel(LabelledEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    MAJOR = "major"

    @property
    def rank(self) -> int:
        return list(RiskLevel).index(self)


_LABELS: dict[str, dict[str, str]] = {
    "Channel": {
        "phone": "电话", "web": "网站", "app": "移动端", "wechat": "微信",
        "110": "110移交", "enterprise": "企业服务专席", "email": "电子邮件",
    },
    "RequesterType": {"citizen": "群众", "enterprise": "企业"},
    "Urgency": {"normal": "一般", "urgent": "紧急", "emergency": "特急"},
    "Status": {
        "received": "已受理", "triage": "待分拣", "dispatched": "已派单",
        "signed": "已签收", "in_progress": "办理中", "returned": "已退单",
        "replied": "已办结", "closed": "已归档", "transferred": "已移交110",
    },
    "Disposition": {"12345": "12345受理", "110": "移交110", "joint": "联动处置"},
    "Tier": {"province": "省级", "city": "市级", "county": "县级", "street": "乡镇街道"},
    "Role": {
        "agent": "话务员", "handler": "承办单位", "supervisor": "督办人员",
        "linkage": "110联动平台", "admin": "管理员", "mediator": "调解员", "court": "法院诉调对接平台",
    },
    "CaseStatus": {
        "new": "待受理", "accepted": "已受理", "assigned": "已分派", "mediating": "调解中",
        "reviewing": "协议审查中", "settled": "调解成功", "failed": "调解不成", "terminated": "终止调解",
        "closed": "已结案",
    },
    "CaseSource": {"ticket": "12345工单", "110": "110联动移交", "walk_in": "来访登记", "patrol": "网格排查",
                   "court": "法院诉前委派"},
    "RiskLevel": {"low": "低", "medium": "中", "high": "高", "major": "重大"},
}
