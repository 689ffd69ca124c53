"""How a call is framed, read over the whole text rather than one word (pure, no I/O).

A police word means little on its own: 走失 in "how long before I may report a missing
person" is a question about a rule; 报警 in "the boss said he would call the police on
me" is the other side's threat inside a wage claim; 冒烟 in "the heater smoked, I pulled
the plug, nothing burned" is a product complaint. These detectors say what the caller
is doing — reporting a crime, asking about a rule, requesting public works, complaining
after the fact — so that routing.split can weigh rule words and model scores by it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# The other party threatens to call the police (wage claims, debts): not the caller's report.
OTHERS_CALL_POLICE = re.compile(
    r"(?:他|她|他们|老板|经理|对方|包工头|物业|房东|保安|店主|老板娘|公司|厂里|厂长|领导|邻居|有人在[^。！？，,]{0,6}群里|群里有人)"
    r"[^。！？；;，,]{0,10}?(?:说|扬言|威胁|喊着?|还说|要|就|会)[^。！？；;，,]{0,6}?"
    r"(?<!我)(?<!我要)(?<!我想)[“\"']?(?:报警|叫警察|找警察|喊警察|叫派出所|找派出所)(?:说我|告我|抓我|抓)?[^。！？；;，,]{0,4}")
# The caller wants to report a crime to the police (报警/报案), even one that happened earlier.
REPORT_INTENT = re.compile(
    r"(?:想|要|需要|申请|希望|准备)(?:去)?(?:报警|报案|立案)|报警立案|我要报警|(?:帮我|替我|给我)报警|"
    r"请(?:你们)?(?:帮忙)?报警|(?:本人|我)?要求报案|现在想报|想去报案|去派出所报案[^。！？]{0,20}现在想")
# A question about a rule or a procedure, not a report of something happening.
RULE_QUESTION = re.compile(
    r"多久(?:才)?(?:可以|能|算)|是不是一定要|需要(?:带)?什么(?:材料|手续|证件)?|怎么预防|如何预防|怎么防范|"
    r"如何防范|加强防范|(?:能|可)不能报警|可以报警吗|能报警吗|该不该报警|要不要报警|报警需要|应该(?:去)?找(?:哪|谁)|"
    r"哪个部门|归谁管|还是找|应该去.{0,8}还是|还是去(?:法院|派出所)|如果(?:有人|遇到|发生)|遇到.{0,10}(?:怎么办|应该怎么)|"
    r"多大年龄|多少岁|(?:要|会)?负(?:刑事|法律)?责任|怎么判|判几年|算不算|犯法吗|违法吗|以后用得上|先了解|想了解|预防宣传|搞个宣传|能找回来吗|能追回(?:来)?吗|一般能|一般会|能去哪里|去哪里申请|哪里可以(?:申请|领|办)|在哪里领|哪里领|可以免费领|能查监控吗|"
    r"能不能开除|会不会被开除|是不是应该|有没有(?:什么)?[^。！？]{0,10}服务|承担什么责任|费用谁出|怎么举报|如何举报|怎么防")
# A request for public works, a service or an administrative matter; or a complaint after the fact.
CIVIL_INTENT = re.compile(
    r"希望[^。！？]{0,14}(?:修|补|装|设置|整治|管一管|管管|处理|解决|改造|检查|查一下|来查)|"
    r"建议[^。！？]{0,14}(?:加装|安装|设置|修|整治|处理|增设|管理)|建议相关部门|"
    r"什么时候(?:能|可以|才能|才)?(?:修|补|处理|解决|来水|来电|发|到账)|尽快(?:修|补|处理|解决|安排|把)|"
    r"能不能(?:派人|让|安排|多装|加装)|想让.{0,8}(?:检查|看看|修)|让[^。！？]{0,8}(?:公司|物业|部门)来(?:看|查|修)|"
    r"想投诉|要投诉|我要投诉|投诉(?!电话)|要求[^。！？]{0,6}(?:赔偿|整改|退|处理)|只想拿回|"
    r"减速带|坑洼|大坑|补贴|低保|工伤|社保|公积金|医保|养老金|抚养费|营业执照|经营异常|增容|质量问题|"
    r"已经在医院|住院了|出院了|在家休养|已经不用了|"
    r"(?:想|请|麻烦)[^。！？]{0,10}(?:派人|来人|师傅|电工)?[^。！？]{0,4}来(?:检查|看看|看一下|修)|麻烦修|修一下|"
    r"(?:能不能|是不是应该|应该)(?:装|安装|设置|加装)|有个坑|装(?:个)?(?:监控|红绿灯|路灯)|社区能不能|能不能来调解")
# The hazard did not become a fire: smoke or a smell that stopped, a plug pulled.
CONTAINED = re.compile(
    r"没(?:有)?(?:看到|见到|看见|发现)?(?:明火|着火|起火|烧起来|着起来)|没看到火|未(?:起火|着火)|"
    r"拔(?:掉|了)(?:了)?(?:插头|电源)|已经(?:不用|关掉|关了|断电)|断了电|"
    r"(?:拉了|关了|关掉|拉下)(?:总闸|总阀|阀门|电闸)|把(?:总闸|总阀|电闸)(?:拉|关)了|开窗通风|现在没事了")
# The caller also names a government matter to dispatch (漏水也要有人来修, 物业收费也要有人管一管):
# police first for the scuffle, and the matter itself still goes to a unit (joint).
ALSO_MATTER = re.compile(
    r"也(?:要|得|需要|请|该|应该|希望)[^。！？]{0,16}(?:管|查|解决|修|处理|确认|定|说清楚|拆|帮忙|投诉|调解|来)|"
    r"一直不(?:处理|管|解决)[^。！？]{0,8}问题|(?:的事|问题)(?:也|还)(?:要|得|需要)")
STILL_BURNING = re.compile(r"越来越|浓烟|呛得|跑不出|火很大|烧起来了|着起来了")
# Fear of a future harm, said right before the harm word: 担心有人掉下去, 怕孩子受伤.
SPECULATIVE = re.compile(r"担心|害怕|怕|万一|容易|以免|会不会|可能会|生怕|以防|恐怕")


@dataclass(frozen=True)
class Framing:
    """What the caller is doing, read over the whole text."""

    report_intent: bool = False   # wants to report a crime (报警/报案)
    rule_question: bool = False   # asks about a rule or a procedure
    civil_intent: bool = False    # requests public works / a service, or complains after the fact
    contained: bool = False       # a smoke/heat hazard that did not become a fire
    also_matter: bool = False     # names a government matter to dispatch besides the incident

    @property
    def asks_not_reports(self) -> bool:
        """A question or a 12345 request, with no wish to report a crime."""
        return (self.rule_question or self.civil_intent) and not self.report_intent


def mask_others_calling_police(text: str) -> str:
    """Blank out '(the boss) said he would call the police': it is not the caller's report."""
    return OTHERS_CALL_POLICE.sub(lambda m: "□" * len(m.group(0)), text)


def read_framing(masked: str) -> Framing:
    """Framing of a normalised text whose compounds (and others' police threats) are masked."""
    contained = bool(CONTAINED.search(masked)) and not STILL_BURNING.search(masked)
    return Framing(bool(REPORT_INTENT.search(masked)), bool(RULE_QUESTION.search(masked)),
                   bool(CIVIL_INTENT.search(masked)), contained, bool(ALSO_MATTER.search(masked)))


def speculative_before(text: str, clause_start: int, start: int) -> bool:
    """True if a fear word (担心, 怕 …) comes within eight characters before start in its clause."""
    return bool(SPECULATIVE.search(text[max(clause_start, start - 8):start]))
