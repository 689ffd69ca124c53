"""Weighted signal lexicons for the 12345–110 split (pure, no I/O).

Each signal is a regular expression over normalised text with a weight and a
kind: ``police`` (110 matter), ``joint`` (110 first, then 12345 units), or
``civil`` (a 12345 context word that never outweighs a police signal).
Context words that merely *contain* a signal character (打电话, 偷偷, 砍树,
吵死了 …) are masked before matching; a match preceded in its clause by a
negator (没有人受伤, 差点被撞) is dropped; past-tense, consultation,
resolved and hazard-report framings damp police weight unless a recency
word (刚刚, 正在, 现在 …) says the matter is live.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from routing.split_framing import Framing, mask_others_calling_police, read_framing, speculative_before

POLICE = "police"
JOINT = "joint"
CIVIL = "civil"

STRONG = 1.0  # rule evidence at or above this sends the matter to 110 by itself


@dataclass(frozen=True)
class Signal:
    """One lexicon entry: pattern, weight, kind and the Chinese reason shown to agents."""

    key: str
    reason: str
    pattern: re.Pattern
    weight: float
    kind: str = POLICE
    severe: bool = False  # overrides a joint reading (weapons, fire, kidnapping …)
    hazard: bool = False  # damped by 隐患/经常/担心 framings (a hazard report is 12345)
    group: str = ""  # "conflict" / "grievance": becomes joint inside a civil dispute / grievance


@dataclass(frozen=True)
class Hit:
    """A signal matched in a text, with its effective (damped) weight."""

    signal: Signal
    span: tuple[int, int]
    weight: float
    notes: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class RuleResult:
    """Outcome of the rule layer: hits, evidence per kind and framing flags."""

    hits: tuple[Hit, ...]
    police: float
    joint: float
    civil: float
    severe: bool
    recent: bool
    framings: tuple[str, ...]
    framing: Framing = Framing()

    @property
    def reasons(self) -> list[str]:
        """Chinese reasons of the hits that kept weight, strongest first, deduplicated."""
        seen: list[str] = []
        for hit in sorted(self.hits, key=lambda h: -h.weight):
            if hit.weight > 0 and hit.signal.reason not in seen:
                seen.append(hit.signal.reason)
        return seen


def _sig(key, reason, pattern, weight, kind=POLICE, severe=False, hazard=False, group="") -> Signal:
    """Build a Signal from a pattern string."""
    return Signal(key, reason, re.compile(pattern), weight, kind, severe, hazard, group)


PERSON = r"(?:那口子|俺男人|俺媳妇|孩他爹|孩他娘|老头子|老头儿|老太婆|老婆子|俺爹|俺娘|俺妈|俺爸|家人|亲人|朋友|同学|室友|同事|男子|女子|男的|女的|孩子|小孩|儿子|女儿|闺女|宝宝|娃|小朋友|学生|老人|老太太|老大爷|老爷子|老太|父亲|母亲|爸爸|妈妈|我爸|我妈|他爸|他妈|奶奶|爷爷|姥姥|姥爷|外婆|外公|老伴|妻子|老婆|媳妇|丈夫|老公|弟弟|妹妹|哥哥|姐姐|侄子|孙子|孙女|外孙|病人|患者|老年人|年轻人|一个人|有人|男人|女人)"
WEAPON = r"(?:菜刀|弹簧刀|钢管|扳手|锄头|镰刀|甩棍|弹弓|砍刀|水果刀|西瓜刀|匕首|刀子|尖刀|长刀|刀|铁棍|钢管|木棍|棍子|棒子|球棒|棒球棍|砖头|石头|斧头|锤子|榔头|铁锹|剪刀|酒瓶|啤酒瓶|凳子|椅子|板凳|枪|弩|汽油|硫酸)"

SIGNALS: tuple[Signal, ...] = (
    # --- violence and weapons -------------------------------------------------
    _sig("assault", "人身伤害/殴打", r"(?:拽|揪|扯)着?.{0,4}头发|往墙上撞|打(?:路人|行人)|抡|扇|殴打|打人|被打|挨打|打我|打他|打她|打了我|打了他|打了她|(?:被|挨|把|将)[^。！？，,]{0,8}打(?!算|扫|听|工|车|折|针|电话|官司|裂|穿|通|孔|洞|坏|碎|疫|狂犬|卡|印)|打了.{0,3}(?:拳|巴掌|耳光|脚)|一拳|一巴掌|打一个(?:人|小孩|孩子|老人|女的|男的)|打小孩|打孩子|打老人|打得很凶|围着打|堵着打|踹(?!门)|掐|打伤|打断|打晕|打死|打破头|打骨折|暴打|毒打|围殴|群殴|互殴|斗殴|打架|(?<![快要就])打起来了|打成一团|扭打|厮打|拳打脚踢|扇耳光|扇了|踹了|踢了我|揪着头发|动手打|动起手来|动手了|动了手|抓破|抓伤|挠破|按在(?:地上|桌上|墙上)|按倒在地|把(?:我|他|她|人)推(?:到|下|倒|进)|施暴|家暴|家庭暴力|虐待(?!动物|猫|狗|小动物)", 1.0, group="conflict"),
    _sig("weapon", "持械/凶器", r"泼.{0,4}液体|比划着?刀|毁容|(?:拿|持|举|挥|掏出|亮出|抄起|拎着|提着|握着|拿起|挥舞)(?:着|起|了|出)?(?:一把|一根|一只|一个|把|根|只|个)?" + WEAPON + r"|持械|械斗|管制刀具|凶器|刀伤|被刀|用刀|捅了|捅伤|捅人|刺伤|砍伤|砍人|砍了|要砍|开枪|枪声|炸药|爆炸物|泼硫酸|泼汽油|互砸|可疑(?:物品|的东西|包裹|爆炸)", 1.6, severe=True, group="armed"),
    _sig("homicide", "命案/杀人威胁", r"杀人|杀了|要杀|杀死|弄死|打死|同归于尽|命案|尸体|死人了|人死了", 1.6, severe=True, group="armed"),
    _sig("threat", "威胁恐吓", r"算账|收拾你|不交就|不给就|威胁|恐吓|扬言|报复|不让我活|让我好看|找人收拾|弄残", 0.7, group="conflict"),
    # --- crimes in progress or just happened -----------------------------------
    _sig("robbery", "抢劫抢夺", r"碰瓷|围着[^。！？，,]{0,4}要钱|讹钱|讹诈|拽下来|拽走|扯走|扯下|夺走|抢.{0,4}跑|抢劫|抢包|抢钱|抢手机|抢项链|抢走|抢了|被[^。！？，,]{0,10}抢|飞车抢|拦路抢|打劫|劫财", 1.2, group="conflict"),
    _sig("theft", "盗窃", r"(?:试着|挨家挨户|一家一家)[^。！？]{0,10}(?:拧|推|拉)门|拧门把手|偷|撬|掏.{0,4}(?:钱包|口袋|包|手机)|把手伸进.{0,6}包|拉车门|试车门|被偷|偷了|偷走|偷东西|偷车|小偷|扒手|扒窃|盗窃|被盗|失窃|偷电瓶|偷电动车|入室|撬门|撬锁|撬开|门锁被撬|撬坏|翻得乱七八糟|顺走|被人拿走|被拿走|钱被拿|被人开走|被开走|下药|迷药|迷晕|保护费|敲诈", 1.0),
    _sig("vandalism", "打砸/毁坏财物", r"砸开|扎了?.{0,2}轮胎|扎胎|往.{0,8}扔(?:砖头|石头|瓶子)|扔砖头|扔石头|打砸|砸车|砸店|砸门|砸窗|砸了|砸坏|砸烂|砸东西|乱砸|划车|车被划|打碎|砸碎|砸到|砸中|砸.{0,3}门|踹.{0,3}门|泼.{0,3}油漆|泼粪|堵锁眼|被人划|车被.{0,3}划|划了.{0,4}车|纵火|放火|烧车|冲进(?:我家|家里|店里|屋里|来)", 1.0, group="conflict"),
    _sig("kidnap", "绑架劫持/限制人身自由", r"赎金|赎人|在(?:我们|他们)手(?:上|里)|撕票|不准报警|被关着|绑架|绑走|绑在|被绑|绑起来|劫持|人质|强行(?:抱|拉|拖|带|塞|拽)|往车里(?:拖|拽|塞)|塞进.{0,6}车|抓走|硬拉|硬拽|(?:拖|拽|抱)上.{0,4}车|被.{0,6}控制|被.{0,6}关(?:在|起来)|非法拘禁|被关起来|关起来了|锁起来不让|限制人身自由|被控制|控制起来|传销窝点|被拉进传销|勒索", 1.6, severe=True),
    _sig("detained", "被强行扣留", r"走不了|出不去|逃不出来|锁了车门|锁死车门|不让下车|扣押|扣留|不让(?:我|他|她|我们)?(?:走|离开|出去|出门|下车)|把车门锁(?:了|住|死)|收走.{0,4}(?:身份证|手机)", 1.0, group="conflict"),
    _sig("intrusion", "非法侵入住宅", r"闯进|闯入|私闯|硬闯|想进来|要进来|撬我家|(?:带走|抱走)(?:了)?.{0,4}(?:孩子|小孩)|把(?:孩子|小孩)带走", 1.0),
    _sig("sexual", "性侵害/猥亵", r"动手动脚|针孔摄像头|裙底|偷偷拍|强奸|性侵|猥亵|非礼|摸我|露阴|露下体|暴露下体|耍流氓|暴露狂|偷拍|性骚扰|咸猪手", 1.2),
    _sig("stalking", "跟踪尾随", r"跟着(?:放学|上学)|跟着.{0,6}(?:小学生|孩子|女生|学生)|跟踪|尾随|一直跟着|跟了我|跟着我|蹲守|堵在门口不走|在我家门口徘徊", 1.0, group="conflict"),
    _sig("public_order", "扰乱公共秩序/闹事", r"闹事|耍酒疯|发酒疯|撒酒疯|寻衅|滋事|挑衅|打砸抢|聚众斗殴|扰乱秩序|持续闹|大闹|撒泼打滚", 0.9, group="conflict"),
    _sig("drugs", "涉毒涉赌涉黄", r"制毒|赌钱|赌档|地下赌|赌博网站|博彩|吸毒|贩毒|毒品|冰毒|k粉|聚众赌博|赌场|开设赌场|卖淫|嫖娼|招嫖", 1.0),
    # --- fraud with money just lost --------------------------------------------
    _sig("fraud_loss", "电信诈骗且已转账", r"(?:钱|余额)[^。！？，,]{0,8}(?:一笔一笔|不停|一直)?(?:被划走|被扣走|被转走|被扣)|扣款短信|(?:正在|还在|要)[^。！？，,]{0,6}(?:去银行)?(?:转账|汇款|打款)|汇款的路上|还在催我(?:转|汇|打)|刚(?:充|转|汇|打)(?:了|过去)|(?:转|打|付|充)了.{0,6}钱[^。！？]{0,12}(?:不回|拉黑|联系不上|失联|不见了)|冒充[^。！？]{0,10}(?:借钱|要钱)[^。！？]{0,10}(?:转|打|给)|取了.{0,6}(?:给了|交给)|钱被转走|被转走|(?:转|打|汇)(?:进|到)[^。！？，,]{0,10}账户|指定(?:的)?账户|安全账户|监管账户|骗走[^。！？]{0,10}(?:银行卡|密码|验证码|钱)|卡里的?钱(?:少了|没了|被转走|被划走)|(?:诈骗|骗|上当|刷单|冒充|假客服|假警察|杀猪盘|投资平台)[^。！？]{0,30}(?:转账|转了|转过去|汇了|汇款|打款|打了钱|付了|扫码|被划走|划走|扣走|取走|转走|充值|刷了)|(?:转账|转了|转过去|汇了|汇款|打款|打了钱|付了)[^。！？]{0,30}(?:诈骗|被骗|骗子|骗了|上当|联系不上|拉黑|冒充)", 1.2),
    _sig("identity_misuse", "身份信息被冒用（贷款/办卡）", r"(?:冒用|盗用|用我的|拿我的|用了我的)(?:身份证?|身份信息|信息|名义|名字)[^。！？]{0,16}(?:贷款|借款|借了|办(?:了)?(?:卡|手机卡|电话卡)|注册(?:了)?公司)", 1.2),
    _sig("fraud_live", "电信诈骗正在进行", r"(?:涉嫌|涉及)(?:违法|犯罪|洗钱|案件)[^。！？]{0,30}(?:宾馆|酒店|开(?:个)?房|不要告诉|保密|转账|配合)|远程审查|视频审查|(?:宾馆|酒店)开(?:个)?房间?[^。！？]{0,12}(?:审查|调查|配合)|(?:冒充|自称)(?:公安|警察|检察院|法院)[^。！？]{0,20}(?:要求|让)", 1.2),
    _sig("report_crime", "来电人要求报案（诈骗/盗窃/冒用等）", r"(?:诈骗|被骗|骗走|骗了|骗子|被盗|偷|冒用|盗用|敲诈|勒索|抢|假币|假钞)[^。！？]{0,40}?(?:想|要|需要|申请|准备|要求)(?:去)?(?:正式)?(?:报警|报案|立案)|(?:报警|报案)立案|(?:想|要|需要|准备|要求)(?:去)?(?:正式)?报案", 1.2),
    _sig("fraud_word", "疑似诈骗", r"诈骗|被骗|骗子|骗了|上当", 0.4),
    # --- missing and vulnerable people ----------------------------------------
    _sig("missing", "人员走失/失联", r"一(?:晚上|夜|整夜|宿)(?:都)?没(?:有)?回(?:来|家)|彻夜未归|跑出去了?[^。！？]{0,12}没回|离家出走|到这会儿(?:都|还)?没(?:有)?回(?:来|家)|一转眼[^。！？]{0,6}不见|被[^。！？，,]{0,8}(?:叫走|领走|带走)|(?:喊|说|哭着说)不认识(?:他|她|这个人|那个人)|到现在(?:都|还)?没(?:有)?回(?:来|家)|" + PERSON + r"(?!的)[^。！？，,]{0,16}(?:不见了|走丢|走失|丢了|找不到了|找不着|失联|联系不上|没回来|没回家|没有回家|没有回来|一夜未归|未归|下落不明|不知去向|不知道去哪)|" + PERSON + r"[^。！？]{0,20}(?:联系不上|一直没回|还没回|没有回|没回|打不通|没找到|找不到)|到处(?:都)?找不(?:到|着)|(?:找不到|找不着|丢了)(?:我家|我的|家里)?" + PERSON + r"|走散|走失|走丢|失踪|被拐|拐走|拐卖|人贩子|抱走了", 1.2),
    _sig("vulnerable", "弱势人员处于危险", r"(?:身边|旁边)没有大人|没有大人(?:看着|跟着|陪着)|让[^。！？，,]{0,6}上他的车|叫[^。！？，,]{0,6}上车|诱骗|引诱(?:小孩|孩子|学生)|认知障碍|(?:老年痴呆|阿尔茨海默|智力障碍|智障|自闭症|精神病|精神异常|精神不正常|失智)[^。！？]{0,20}(?:出门|跑出|走出|不见|没回|找不到|走丢|走失|在路上|乱跑)|(?:小孩|孩子|宝宝|婴儿)[^。！？]{0,8}(?:独自|一个人)[^。！？]{0,10}(?:在路|在马路|在河边|在街上|哭)|迷路|弃婴|(?:婴儿|孩子).{0,4}被(?:扔|丢)|说不清(?:楚)?(?:家|住)", 1.1),
    # --- traffic ---------------------------------------------------------------
    _sig("traffic_injury", "交通事故有人受伤", r"(?:撞|刮|蹭)[^。！？]{0,10}开走|顶在一起|撞在一起|驾驶室变形|压在车下|(?:撞|翻|倒)[^。！？]{0,10}压在|(?:车祸|撞|交通事故|碾|刮倒|翻车|侧翻|追尾|相撞)[^。！？]{0,20}(?:受伤|流血|出血|昏迷|不省人事|躺在地上|倒地|起不来|动不了|骨折|伤得|重伤|死亡|没了呼吸|卡在车里|被压)|撞人|撞倒|撞伤|被车撞|被.{0,4}车.{0,2}撞|撞了人|撞死|碾压|碾过|肇事逃逸|撞了就跑|逃逸|(?:撞|刮|别|碰)[^。！？]{0,20}(?:跑了|逃了|溜了)", 1.3),
    _sig("traffic_accident", "交通事故", r"车祸|交通事故|追尾|相撞|撞车|撞上了|翻车|侧翻|剐蹭|刮蹭", 1.0, hazard=True),
    _sig("dangerous_driving", "危险驾驶", r"打瞌睡|睡着了|疲劳驾驶|忽左忽右|左右摇摆|横冲直撞|乱撞|撞坏|歪歪扭扭|蛇形|司机.{0,6}(?:喝醉|醉)|酒驾|醉驾|喝醉了?(?:还在)?开车|喝了酒(?:还)?开车|飙车|逆行|无证驾驶|开斗气车|别车", 1.0, hazard=True),
    # --- fire, explosion, gas ---------------------------------------------------
    _sig("fire", "火情", r"着火|起火|失火|火灾|烧起来|烧着了|火势|火很大|大火|明火|火苗|烧了起来|火光", 1.3, severe=True, hazard=True),
    _sig("smoke", "冒烟", r"冒烟|浓烟|冒出.{0,4}烟|全是烟|都是烟|黑烟|电线烧|烧焦|焦糊味", 1.0, hazard=True),
    _sig("explosion", "爆炸", r"(?:煤气罐|液化气罐|燃气罐)[^。！？]{0,16}(?:一起死|同归于尽|点火|炸)|不明(?:包裹|物品|物体|液体)|来历不明的(?:箱子|包)|一直在响|爆炸|炸了|爆燃|炸开|巨响|(?<!火)爆了", 1.4, severe=True, hazard=True),
    _sig("co_poisoning", "一氧化碳中毒", r"一氧化碳|煤气中毒|燃气中毒|中毒昏迷", 1.4, severe=True),
    # --- life in danger --------------------------------------------------------
    _sig("suicide", "自杀自伤风险", r"爬上(?:了)?.{0,4}(?:塔吊|楼顶|广告牌|高压塔|桥顶|吊臂)|窗台上坐着|悬在外面|活着太累|遗书|遗言|别跳|翻过.{0,4}(?:护栏|栏杆|围栏)|翻到.{0,4}(?:护栏|栏杆|围栏)|吞了.{0,4}药|跳楼|跳河|跳江|跳湖|跳桥|跳下去|往下跳|要跳(?!舞|广场舞|绳)|轻生|自杀|自尽|寻短见|想不开|割腕|喝农药|喝了农药|农药瓶[^。！？]{0,8}(?:要喝|喝下去|往嘴里)|吞药|吃了安眠药|吃了一瓶|上吊|不想活|活不下去|活着没意思|站在楼顶|坐在楼顶|站在天台|坐在天台|站在桥上|爬到.{0,6}(?:外面|栏杆|护栏)|(?:栏杆|护栏|窗户)外|往(?:水|河|江|湖)里走|安眠药|一整瓶|服毒", 1.5, group="grievance"),
    _sig("trapped", "人员被困", r"夹住|拖着走|在水里挣扎|扑腾|沉下去|不会游泳|没上来|滑下去|人掉下去|有人掉|压着.{0,4}(?:人|工人|两个|一个)|压在.{0,6}(?:下面|底下)|电梯[^。！？，,]{0,6}卡(?:住|在)|卡在.{0,6}中间|把(?:我|他|她|孩子|人)(?:给)?(?:关|锁)(?:在|起来)|迷路了[^。！？]{0,10}(?:摔|伤|走不了|天黑|没电)|找不到下山|被困|困在|困住|" + PERSON + r"[^。！？，,]{0,8}(?:卡住|卡在|出不来|锁在|关在|掉下去|埋在|掉进|掉到)|(?:锁|关|困)在(?:了)?(?:车|屋|房间|电梯|厕所|阳台)里|掉进.{0,4}(?:河|井|坑|水|湖|塘|江)|掉到.{0,6}(?:河|井|坑|水)|落水|溺水|被埋|压在下面|卡在电梯", 1.2),
    _sig("medical", "急症/生命危险", r"叫(?:他|她)(?:也|都)?没(?:有)?反应|(?:房顶|楼上|梯子|脚手架|树上|屋顶)[^。！？，,]{0,4}(?:摔|掉|跌)下来|中暑|噎住|喘不上气|呼吸困难|发紫|一动不动|叫(?:也|都)?没(?:有)?反应|叫不应|没动静|晕厥|迷迷糊糊|昏迷|晕倒|晕过去|昏倒|倒地不起|(?:人|老人|大爷|大妈|阿姨|男子|女子|男的|女的|小孩|孩子|他|她|老太太|老大爷)[^。！？，,]{0,6}(?:倒在地上|倒地|摔倒在地|躺在地上不动)|不省人事|没有呼吸|没了呼吸|没气了|心脏骤停|叫不醒|血流了一地|流了一地(?:的)?血|摔在.{0,6}不动|不动了|起不来|抽搐|口吐白沫|大出血|流了很多血|满身是血|血流不止|奄奄一息|快不行了", 1.2),
    _sig("fall", "老人/儿童摔倒", r"(?:老人|大爷|大妈|奶奶|爷爷|老太太|老大爷|孩子|小孩)[^。！？，,]{0,4}(?:摔倒|跌倒|摔下)", 0.5),
    _sig("injury", "有人受伤", r"打到(?:了)?(?:头|脸|眼睛)|头被打|骨折|头破|磕破|流血|出血|受伤|伤得很重|重伤", 0.8, group="conflict"),
    _sig("electric", "电力设施危险", r"高压线[^。！？]{0,6}(?:断|掉)|电线(?:断了|掉在地上|掉下来)|冒火花|爆出火花|火花", 1.2, hazard=True),
    _sig("road_debris", "高速道路障碍", r"(?:高速|高架|快速路)[^。！？]{0,12}(?:掉了?|遗撒|散落|横在)", 1.0, hazard=True),
    _sig("danger_generic", "紧急求助", r"救命|报警|快来人|赶紧来|快派人|很危险|有危险|出人命|要出事|太危险了", 0.4),
    # --- joint (110 first, then 12345 units) -------------------------------------
    _sig("gas_leak", "燃气泄漏（联动燃气企业）", r"(?:煤气|燃气|天然气|液化气|液化石油气)(?:味|的味道|泄漏|泄露|漏了|漏气|管道?漏|在漏)|漏气|闻到.{0,6}(?:煤气|燃气|天然气|液化气)|(?:煤气|燃气|天然气)罐?.{0,6}(?:嘶嘶|呲呲|往外冒)", 1.2, kind=JOINT, hazard=True),
    _sig("drunk_road", "醉酒人员倒卧道路（联动救助）", r"(?:一身酒气|满身酒气|酒气熏天|醉醺醺|醉得)[^。！？]{0,12}(?:躺|倒|睡|趴|推都不醒|叫不醒)|(?:躺|倒|睡|趴)[^。！？]{0,12}(?:一身酒气|满身酒气|醉醺醺|像是喝醉|好像喝醉|喝醉了)|醉倒|烂醉[^。！？]{0,10}(?:躺|倒|睡|趴)|(?:喝醉|醉酒|醉汉|醉鬼|酒鬼|喝多了|喝多|酒喝多)[^。！？]{0,14}(?:躺|倒|睡|趴)|(?:躺|倒|睡|趴)(?:在|到)[^。！？]{0,8}(?:马路|路中间|路上|路边|公路|车道|街上|路口)[^。！？]{0,12}(?:醉|酒)|(?:躺|倒|睡|趴)着(?:一个|个)[^。！？]{0,6}(?:醉|喝多)", 1.2, kind=JOINT),
    _sig("person_on_road", "人员倒卧道路", r"(?:马路中间|路中间|车道上|车流里|高架桥上|快速路上|高速上)[^。！？，,]{0,4}(?:躺着|坐着|走来走去|来回走|乱走|徘徊)|(?:躺|倒|趴|睡)(?:在|到)(?:了)?[^。！？]{0,4}(?:马路中间|路中间|马路上|公路上|车道上|机动车道)", 0.9, kind=JOINT),
    _sig("dog_bite", "犬只伤人（联动养犬管理/防疫）", r"(?:金毛|泰迪|哈士奇|藏獒|狼狗|柴犬|比熊|阿拉斯加|萨摩|杜宾|罗威纳|比特|斗牛犬|德牧|土狗)[^。！？，,没未]{0,10}(?:咬|扑倒|扑伤|抓伤)|(?:狗|犬)[^。！？，,没未]{0,10}(?:咬|扑倒|扑伤|抓伤)|被.{0,4}狗咬|狗咬", 1.2, kind=JOINT),
    _sig("escalation", "纠纷可能升级为冲突", r"对峙|(?:开始|有人)扔东西|揪在一起|扭成一团|抱在一起打|闹着要|拦都拦不住|劝不住|(?:快|要|马上|差点|准备|眼看)(?:就)?(?:要)?打起来|要动手|想动手|准备动手|推搡|推推搡搡|拉扯|撕扯|扭在一起|情绪(?:很|非常|特别)?激动|情绪失控|僵持|互不相让|剑拔弩张|冲突升级|堵着门|堵住门|堵门|围着不让走|围堵|推了我|推了他|推了她|推我|推倒|推人|推了.{0,4}一把|对骂|骂起来|骂得很难听|互相推(?!诿|脱|荐)", 1.0, kind=JOINT),
    _sig("road_block", "群体性堵路/冲击", r"(?:人|工人|村民|业主|群众|他们|家属|老人|摊贩|学生|司机)[^。！？]{0,12}(?:堵|拦|占|躺|坐)(?:住了?|了|在)?(?:马路|路口|道路|公路|国道|高速|铁路|大门|门口|政府)|(?:马路|路口|道路|公路|大门)(?:被)?[^。！？]{0,6}(?:人|工人|村民)[^。！？]{0,4}堵|(?:把|将)(?:马路|路口|道路|公路|大门|门口)(?:给)?堵|拦(?:着|住)[^。！？，,]{0,6}车|拦车|卧轨|冲击|围攻|围住(?:了)?(?:政府|车|人)", 1.0, kind=JOINT, hazard=True),
    _sig("crowd", "人员聚集", r"几十个人聚|(?:讨说法|维权)[^。！？]{0,20}(?:聚|围)|几十(?:个)?人|上百(?:个)?人|一大群人|一群人|聚集|聚在|围了很多人|一帮人|一伙人", 0.4, kind=JOINT, hazard=True),
    _sig("mental_disorder", "精神异常人员（联动社区/卫健）", r"(?:精神状态不(?:太)?好|精神恍惚|说话颠三倒四|胡言乱语|光着脚)[^。！？]{0,16}(?:马路|路中间|路上|车流|高架|桥上|乱跑|走来走去)|(?:马路|路中间|高架桥)[^。！？]{0,12}(?:颠三倒四|胡言乱语|精神不正常)|(?:精神病|精神异常|精神不正常|精神不太正常|精神有问题|精神疾病|疯子|神志不清)[^。！？]{0,16}(?:乱跑|砸|拿|打|伤人|闹|骂|追|吓|马路|路中间|路上|车流|不肯走|发病)", 1.1, kind=JOINT),
    _sig("vagrant", "流浪人员需救助", r"(?:流浪|乞讨|拾荒)[^。！？]{0,24}(?:身上很烫|发烧|高烧|病了|冻僵|昏迷|叫不醒)|(?:流浪|乞讨|拾荒)[^。！？]{0,12}(?:冻|倒|躺|晕|病|发烧|高烧|不动|快不行|没吃)", 1.0, kind=JOINT),
    # --- civil context (12345 domain; never cancels police weight) -------------
    _sig("civil_dispute", "民间纠纷", r"(?:敲门|上门|去找他|找他)(?:理论|评理|说理)|嫌[^。！？，,]{0,8}(?:吵|脏|臭|挡)|纠纷|吵架|争吵|吵起来|吵了起来|争执|矛盾|扯皮|讨说法|口角|起了冲突|发生冲突|闹矛盾|因为.{0,12}(?:吵|争)", 0.5, kind=CIVIL),
    _sig("grievance", "诉求类事项", r"欠薪|拖欠工资|讨薪|要工资|工钱|物业|业主|房东|租客|装修|噪音|扰民|停车位|车位|退款|退钱|商家|包工头|拆迁|征地|补偿|维权|押金|债务|欠钱|欠款|彩礼|离婚|赡养|宅基地|地界|边界|砌墙|占了我家|占地|漏水|渗水|物业费|欠费|工程款|补偿款|修路|施工|工伤|社保|低保|补贴|抚养费|医药费|音响|广场舞|工资|排水沟|下水道|水渠|灌溉|院墙|鱼塘|承包|占道|摊位|油烟", 0.5, kind=CIVIL),
)

# Compound words that contain a signal character but are not the signal.
MASKS = re.compile(
    r"打(?:他|她|我|你)的?(?:电话|手机)|打电话|打一个电话|打一通电话|打了电话|打过电话|打个电话|打了个电话|打了几次电话|打了好几次电话|电话打|打不通|打通|打热线|打12345|打110|打120|打119|打了110|打扫|打车|打的|打卡|打印|打折|打针|打疫苗|打官司|打听|打工|打水|打包|打开|打算|打理|打游戏|打球|打篮球|打羽毛球|打麻将|打扰|打井|打孔|打钻|打桩|打药|打农药|打分|打字|打款方式|打招呼|打交道|打烊|打蜡|打气|打闹|打趣|打听|打击|打造|打火机|打铁|打磨|打地基|打雷|打呼|打鼾|打喷嚏|打呵欠|打零工|打白条|打110电话"
    r"|(?:猫|狗|猫咪|狗狗|宠物|鹦鹉|小鸟|兔子)[^。，,]{0,6}(?:走丢了?|走失了?|跑丢了?|丢了|不见了|找不到了)"
    r"|(?:走失|走丢|跑丢)的(?:宠物|猫|狗|狗狗|猫咪)|防走失|防走丢|防拐"
    r"|来电人|报警人|当事人|负责人|联系人|工作人员|本人|(?:狗|猫|动物)[^。，,]{0,4}被车撞(?:死)?了?|打不着火|点不着火|打不着|(?:水管|管道|管子|水表|轮胎|爆管)爆了|爆管|爆雷|爆满|爆仓|爆款|爆料|烧烤"
    r"|偷偷(?!拍|录)|偷工减料|偷税|偷排|偷倒|偷懒|偷停|偷接|偷用|偷开|偷建|偷采"
    r"|砍树|砍伐|砍价|砍掉(?:树|枝)|砍了(?:树|几棵|一棵)"
    r"|吵死了|吵死|烦死|热死|冷死|累死|气死|笑死|饿死|死机|死角|死胡同|死循环|死活|要死不活"
    r"|杀虫|杀毒|秒杀|杀价|灭杀|扑杀"
    r"|献血|血压|血糖|验血|血型|抽血|血脂|血常规"
    r"|抢购|抢票|抢修|抢单|抢红包|抢占|抢车位|抢道|抢号|抢先|抢险"
    r"|火车|火锅|火气|发火|上火|火爆|火葬|火化|烟火|烟花|火腿|火柴|防火|消防|火险|火候|灭火器|火灾隐患|火灾风险"
    r"|烟囱|冒烟的烟囱|油烟"
    r"|爆炸性新闻|炸鸡|炸串|油炸|炸酱|炸了锅|爆炸头"
    r"|被困扰|困难|困扰|困惑|犯困|贫困|困境"
    r"|卡住了?(?:银行卡|卡片)|卡在审核|卡在.{0,4}(?:环节|流程|审批|手续)"
    r"|骗保|骗补|骗取补贴"
    r"|逃逸的?责任认定书"
    r"|撞衫|撞脸|撞单"
    r"|救命钱|救命药|砸(?:了)?(?:一个|个)?(?:洞|墙)|(?:球|毽子)[^。，,]{0,4}打到|下药(?:店|房)"
    r"|扬言要投诉|扬言要曝光|威胁要投诉|威胁要曝光|威胁说要投诉|威胁我要投诉|恐吓信息没有|报复性消费"
    r"|打起来的话|没有打起来|没打起来"
    r"|一群人(?:在广场|跳舞|跳广场舞|打牌|下棋|唱歌)|跳广场舞|跳舞|聚集(?:着)?(?:蚊|苍|老鼠)"
    r"|拉扯(?:电线|线)|划车位|划停车位"
    r"|跳楼价|跳楼甩卖|跳楼大甩卖"
    r"|捅了篓子|捅破"
    r"|丢了(?:钱包|手机|身份证|卡|证件|东西|快递|包裹|行李|钥匙)"
)
NEAR_MISS = re.compile(r"差点|差一点|险些|几乎")  # inside a match (有人差点掉下去): it did not happen
NEGATORS = re.compile(r"没有|没|无|未|并未|不是|不曾|不会|不用|差点|差一点|险些|以免|防止|避免|禁止|严禁|不存在|排除|否认")
NEGATOR_FALSE = re.compile(r"没拴绳|没牵绳|没有拴绳|没有牵绳|没栓绳|不拴绳|不牵绳|未拴绳|未牵绳|没戴嘴套|不止一次|不是一次两次|没想到|没办法|没多久|没过多久|没人管|没人理|没人处理|没人回|没一会|无缘无故|无故|不知道|没钱|无奈|无语|没完没了|无法无天|没事找事|没关门|没反应过来|未成年")
CLAUSE = re.compile(r"[，,。.！!？?；;：:、\n]")
RECENT = re.compile(r"今儿个|刚刚|刚才|刚(?=被|把|转|汇|付|给|发生|出|在|看到|发现|从|有|才|打|撞|抢|偷|跑|走|进|回)|正在|(?<!到)现在(?!想|要咨询|怎么|能|可以|该|需要|要求|希望|都|已经)|此刻|还在|一直在|这会儿|就在|分钟前|分钟之前|半小时前|个小时前|小时之前|今天|今晚|今早|今天早上|刚发生|救命|快来|快派|赶紧来|赶快来")
PAST = re.compile(r"去年|前年|上个?月|上半年|几个月前|半年前|一年前|两年前|几年前|多年前|年前|当年|上周|上星期|上礼拜|上个礼拜|上个星期|上次|那次|前几天|前天|前段时间|前阵子|前些日子|前些天|以前|之前|曾经|小时候|那年")
CONSULT = re.compile(r"咨询|想了解|了解一下|怎么办理|如何办理|怎么处理比较好|怎么查|如何查|进展|进度|能不能追回|可以追回吗|是否可以|需要什么材料|怎么预防|如何防范|有没有什么|去哪里|哪个部门|走什么程序|怎么起诉|法律援助|律师")
RESOLVED = re.compile(r"做了笔录|做过笔录|报过案|已经报案|协商好了|协商解决|修好了|已经修好|已修复|已经关了|已经处理完|已处理|处理完了|处理好了|已经解决|解决了|已经好了|已经灭了|火灭了|已经扑灭|已经找到|找到了|人已经回来|已经回家|已回家|已结案|结案了|私了|已经和解|和解了|调解好了|已经立案|立案了|警察已经|派出所已经|民警已经|已经报过警|报过警了|已经报警了|警察来过|派出所处理|交警已经|交警处理|没理(?:他|她|会)|没上当|挂了电话|挂掉(?:了)?电话|(?:现在|后来|孩子|人)(?:都)?没事了?|(?:现在|已经)在医院|没什么事|很安全|已经离开|"
                      r"找回来了|放出来了|道歉了|已经处理了|灭了|烧完|伤好了|腿好了|没味道了|是谣言|谣言")
HAZARD = re.compile(r"隐患|担心|害怕|怕(?!了)|万一|容易|风险|会不会|可能会|安全吗|一旦|经常|总是|老是|每天|天天|频繁|多次|常常|时常|屡次|有时候|时不时|偶尔|隔三差五|建议|希望.{0,6}(?:管理|整治|加强|处理)|以防|预防|防范|宣传")
HAZARD_AFTER = re.compile(r"问题|现象|乱象|比较多|很多|太多|严重|频发|隐患|多发")


def mask_compounds(text: str) -> str:
    """Blank out compound words that contain a signal character but are not the signal."""
    return MASKS.sub(lambda m: "□" * len(m.group(0)), text)


def clause_of(text: str, pos: int) -> tuple[int, int]:
    """Return (start, end) of the clause containing position pos."""
    start = 0
    for m in CLAUSE.finditer(text, 0, pos):
        start = m.end()
    nxt = CLAUSE.search(text, pos)
    return start, (nxt.start() if nxt else len(text))


def is_negated(text: str, start: int) -> bool:
    """True if a negator precedes position start within its clause (six-character window)."""
    c_start, _ = clause_of(text, start)
    window = text[max(c_start, start - 6):start]
    window = NEGATOR_FALSE.sub(lambda m: "□" * len(m.group(0)), window)
    return bool(NEGATORS.search(window))


def framings(text: str) -> tuple[bool, tuple[str, ...]]:
    """Return (recent, framing names) for the whole text."""
    recent = bool(RECENT.search(text))
    found = tuple(name for name, rx in (("past", PAST), ("consult", CONSULT), ("resolved", RESOLVED)) if rx.search(text))
    return recent, found


def is_hazard_report(text: str, start: int, end: int) -> bool:
    """True if a speculative/chronic word (担心, 隐患, 经常 …) precedes start within its clause."""
    c_start, _ = clause_of(text, start)
    _, c_end = clause_of(text, start)
    before = HAZARD.search(text[max(c_start, start - 12):start])
    return bool(before or HAZARD_AFTER.search(text[end:min(c_end, end + 10)]))


def damping(signal: Signal, recent: bool, found: tuple[str, ...]) -> tuple[float, tuple[str, ...]]:
    """Multiplier applied to a police/joint hit by the text's framing."""
    factor, notes = 1.0, []
    if "resolved" in found:
        factor, notes = factor * 0.3, notes + ["已处理"]
    if not recent:
        if "past" in found:
            factor, notes = factor * 0.35, notes + ["过去发生"]
        if "consult" in found:
            factor, notes = factor * 0.5, notes + ["咨询性质"]
    if "question" in found:
        factor, notes = factor * 0.3, notes + ["询问规定或办事程序"]
    return factor, tuple(notes)


def scan(text: str) -> RuleResult:
    """Match all signals against normalised text and aggregate evidence per kind."""
    masked = mask_others_calling_police(mask_compounds(text))
    recent, found = framings(masked)
    framing = read_framing(masked)
    if framing.report_intent:  # a crime reported now, even one that happened earlier, is police work
        found = tuple(f for f in found if f not in ("past", "consult"))
    elif framing.rule_question and not recent:
        found = found + ("question",)
    hits: list[Hit] = []
    for signal in SIGNALS:
        if signal.pattern.search(masked) is None:  # most signals are absent: skip the Python loop
            continue
        hit = _first_live_hit(signal, masked, recent, found, framing)
        if hit is not None:
            hits.append(hit)
    return _aggregate(tuple(hits), recent, found, framing)


def _first_live_hit(signal: Signal, masked: str, recent: bool, found: tuple[str, ...],
                    framing: Framing = Framing()) -> Hit | None:
    """First non-negated match of a signal, with its damped weight."""
    for m in signal.pattern.finditer(masked):
        if is_negated(masked, m.start()) or NEAR_MISS.search(m.group(0)):
            continue
        if signal.kind == CIVIL:
            return Hit(signal, m.span(), signal.weight, ())
        factor, notes = damping(signal, recent, found)
        if signal.hazard and is_hazard_report(masked, m.start(), m.end()):
            factor, notes = factor * 0.3, notes + ("隐患或经常性反映",)
        elif not signal.severe and speculative_before(masked, clause_of(masked, m.start())[0], m.start()):
            factor, notes = factor * 0.3, notes + ("担心可能发生",)
        if signal.hazard and framing.contained:
            factor, notes = factor * 0.3, notes + ("未起火，已控制",)
        return Hit(signal, m.span(), signal.weight * factor, notes)
    return None


def _aggregate(hits: tuple[Hit, ...], recent: bool, found: tuple[str, ...], framing: Framing = Framing()) -> RuleResult:
    """Sum effective weights per kind; a severe hit counts only if it kept full strength."""
    police = sum(h.weight for h in hits if h.signal.kind == POLICE)
    joint = sum(h.weight for h in hits if h.signal.kind == JOINT)
    civil = sum(h.weight for h in hits if h.signal.kind == CIVIL)
    severe = any(h.signal.severe and h.weight >= STRONG for h in hits)
    return RuleResult(hits, police, joint, civil, severe, recent, found, framing)
