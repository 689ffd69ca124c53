"""Build the project-written split corpus and train the shipped split model.

Usage:
    python3 -m routing.split_train corpus   # (re)write routing/data/split_corpus.csv
    python3 -m routing.split_train train    # train → routing/data/split_model/
    python3 -m routing.split_train all

All corpus text is original, written for this project: scenario "cores" are
combined with call framings (first person, agent phone summary) and slot
values, seeded, plus hand-written rows. Thresholds are tuned on out-of-fold
probabilities of the corpus (never on tests/routing/data/split_cases.csv).
"""
from __future__ import annotations

import csv
import json
import random
import sys
from datetime import datetime, timezone
from pathlib import Path

from routing.split import MODEL_DIR, MODEL_FILE, META_FILE, POLICE_VALUE, JOINT_VALUE, SILENT_RULES_THRESHOLD

CORPUS_PATH = Path(__file__).resolve().parent / "data" / "split_corpus.csv"
SEED = 12345
HOTLINE, POLICE, JOINT = "12345", "110", "joint"

PLACES = [
    "幸福路和人民路路口", "地铁二号线站台", "星河小区三号楼", "菜市场门口", "公交车上", "实验小学门口",
    "万家超市里", "滨江公园湖边", "我家楼下", "小区地下车库", "城东商业街", "河堤上", "火车站广场",
    "网吧门口", "夜市", "工业园区", "建筑工地", "人民医院门口", "加油站旁边", "老城区巷子里",
    "长途汽车站", "大学城宿舍楼下", "农贸市场", "高架桥下面", "村口", "步行街", "体育馆停车场",
]
RECENT = ["刚刚", "刚才", "就在五分钟前", "现在", "十几分钟前", "半小时前", "", "", "今天晚上", "就刚才"]
MONEY = ["3000", "8600", "两万", "五万多", "12000", "四千八", "六万", "九千块"]

POLICE_PLEAS = ["快派人来", "请马上出警", "麻烦赶紧过来看看", "我该怎么办", "你们快来", "", "", "求求你们快点", "人还在现场"]
HOTLINE_PLEAS = ["希望有关部门处理一下", "请尽快解决", "麻烦帮忙协调", "想咨询一下", "希望给个说法", "", "", "请帮忙反映一下", "怎么办"]
JOINT_PLEAS = ["麻烦派人过来", "请尽快处理", "怎么办", "", "", "希望有关部门处理一下", "请马上来人"]

NEUTRAL_PLEAS = ["请尽快处理", "怎么办", "麻烦帮忙看一下", "请核实", ""]

SUMMARY = [
    "市民来电称{core}，{plea}。", "来电人反映：{core}。{plea}", "来电人称其{core}，诉求：{plea}。",
    "市民反映{core}。", "来电人表示{core}，要求{plea}。",
]
FIRST = [
    "我{core}，{plea}", "喂，你好，{core}，{plea}", "你好，{core}。{plea}", "{core}！{plea}",
    "麻烦问一下，{core}，{plea}", "我跟你说，{core}，{plea}",
]

POLICE_CORES = [
    "{t}在{p}被几个人围着打，头上流血了", "{t}在{p}被一个不认识的男的打了一拳，眼睛都肿了",
    "{t}看到{p}有两伙人在打架，有人拿着棍子", "{t}在{p}看到一个男的拿着刀追着人跑",
    "{t}老公喝了酒回家就打我，孩子吓得一直哭", "{t}隔壁一直传来女人喊救命的声音，还有摔东西的动静",
    "{t}在{p}有人拿砖头砸人", "{t}被前男友堵在{p}，他掐我脖子", "{t}在{p}被人用啤酒瓶砸了头",
    "{t}在{p}看到一个男的一直踹一个女的", "{t}在{p}被骑电动车的人抢了包", "{t}在{p}手机被偷了，小偷往东边跑了",
    "{t}回家发现门锁被撬了，家里被翻得乱七八糟", "{t}发现停在{p}的电动车被人偷走了",
    "{t}看到有人在{p}撬车门偷东西", "{t}在{p}有人拿刀逼我把钱交出来", "{t}店里收银台的钱被人拿走了，监控拍到了人",
    "{t}接到自称公安局的电话，按他说的转了{m}元到安全账户，现在联系不上了",
    "{t}在网上刷单被骗了{m}元，刚转过去对方就把我拉黑了", "{t}有人冒充孩子班主任让交资料费，我已经扫码付了{m}",
    "{t}我妈被人骗去买理财，刚在银行汇了{m}块钱出去", "{t}网上认识的人让我在投资平台充值，充了{m}元现在提不出来",
    "{t}有个假客服说要给我理赔，让我开屏幕共享，卡里{m}被划走了", "{t}孩子在{p}玩着玩着就不见了，到处都找不到",
    "我家老人有老年痴呆，{t}出门到现在还没回来", "{t}我五岁的儿子在{p}走丢了", "女儿放学到现在还没回家，电话也打不通",
    "{t}有个三四岁的小孩一个人在{p}哭，找不到大人", "我八十多岁的父亲出门买菜，到现在一直联系不上",
    "{t}在{p}出了车祸，有人躺在地上起不来", "{t}在{p}一辆货车把骑电动车的撞倒了，司机开车跑了",
    "{t}在{p}两辆车撞在一起，有人被卡在车里", "{t}我被一辆电动车撞了，腿在流血", "{t}在高速上追尾了，车停在应急车道上",
    "{t}在{p}有辆车开得歪歪扭扭，司机好像喝醉了", "{t}有人在{p}飙车，速度特别快",
    "{t}{p}有一家店着火了，火很大", "{t}我家厨房起火了", "{t}对面楼有一户窗户往外冒浓烟",
    "{t}{p}的电动车充电的时候烧起来了", "{t}{p}后面的山上起火了", "{t}{p}传来一声巨响，好像爆炸了，有人受伤",
    "{t}有个人坐在{p}的楼顶边上，看样子要往下跳", "{t}我朋友发消息说不想活了，现在联系不上",
    "{t}有个女的站在桥边栏杆外面哭", "{t}我老公说要喝农药，把自己反锁在屋里", "{t}我室友吃了一整瓶安眠药，叫不醒",
    "{t}电梯突然停了，我们三个人被困在里面", "{t}孩子被锁在车里了，太阳很大", "{t}有人掉进{p}旁边的河里了",
    "{t}{p}有个坑塌了，有工人被埋在下面", "{t}小孩的头卡在阳台栏杆里出不来",
    "{t}我女儿打电话说被人关起来了，对方要钱", "{t}我被一伙人带到一个房子里，不让我走，手机也被收走了",
    "{t}看见{p}有人把一个小孩强行抱上面包车开走了", "{t}{p}有个老人突然倒在地上，叫不醒",
    "{t}有人在{p}抽搐口吐白沫", "{t}在{p}有个男的一直跟着我，我很害怕", "{t}在公交车上有人摸我",
    "{t}发现{p}有人在女厕所偷拍", "{t}{p}有几个喝醉的人在闹事，把店里的东西砸了", "{t}有人在{p}拿着棍子到处砸车",
    "{t}一伙人冲进我店里乱砸", "{t}发现{p}有人聚众赌博", "{t}{p}的出租屋里有人在吸毒",
    "{t}有人打电话说要杀了我全家", "{t}前夫拿着刀在我家门口，扬言要砍我", "{t}有人一直在敲我家门想进来，我一个人在家很害怕",
    "{t}在{p}有人持刀抢劫", "{t}我家里进了小偷，人还在屋里", "{t}在{p}看到有人把一个女孩往车里拖",
    "{t}我被人从背后推倒抢走了项链", "{t}{p}有人在打一个小孩，打得很凶", "{t}我儿子在学校被几个同学堵着打，现在在医院",
    "{t}在{p}有个人被车撞飞了", "{t}在{p}一个骑摩托的摔在路中间不动了", "{t}我家楼上着火了，楼道全是烟",
    "{t}有个老人掉进{p}的水塘里了", "{t}{p}有个小孩爬到窗户外面了", "{t}在{p}有人拿枪", "{t}我被人绑在车里，偷偷打的电话",
    "{t}我的车在{p}被人砸了玻璃，包被拿走了", "{t}有个醉汉在{p}拿着酒瓶到处挑衅", "{t}有人在{p}往人群里冲，撞倒了好几个人",
]
HOTLINE_CORES = [
    "{p}装修从早上七点就开始电钻，太吵了", "楼上邻居{t}还在跳绳，吵得睡不着", "{p}的广场舞音响声音太大",
    "楼下烧烤店半夜还在营业，吵死了", "{p}的工地晚上十一点还在打桩", "家里{t}突然停电了，什么时候能恢复",
    "小区{t}停水了，事先也没有通知", "家里水龙头出来的水发黄", "热水一直出不来，物业也不管", "燃气表不走字了",
    "燃气费在哪里可以交", "小区已经停气三天了", "物业费涨价没有公示", "电梯老是坏，物业一直不修",
    "小区车位被外面的车占了", "物业保洁好几天没打扫楼道了", "楼道里堆满了杂物，消防通道被堵了",
    "包工头拖欠我们工资三个月了，一直不给", "{p}有十几个工人在工地门口等着要工资，大家都挺平静的",
    "我们几个工人想要回工钱，老板说下个月再给", "公司拖欠工资，想了解怎么申请劳动仲裁",
    "在{p}买的衣服不给退", "健身房的预付卡老板跑路了", "网购的手机是假货，商家不退款",
    "吃了外卖拉肚子，想投诉这个商家", "超市卖过期的食品", "{p}有辆车违停，堵住了我的车开不出去",
    "{p}的红绿灯坏了", "{p}的路灯一直不亮", "{p}的井盖丢了，很危险", "{p}路面有个大坑",
    "公交车司机态度很差", "出租车拒载", "打车软件多收了我二十块钱",
    "去年被电信诈骗了两万，派出所立了案，想问问有没有进展", "前几年被人打伤过，想咨询怎么申请法律援助",
    "之前家里被盗报过警，想问问保险怎么理赔", "上个月车被撞了，交警已经出了责任认定，保险公司一直不赔",
    "接到电话说我医保卡被冻结，我没理他，想问问是不是诈骗", "收到短信说中奖了，要先交手续费，我没转钱，想确认一下",
    "有人推销养老项目，想问问靠不靠谱", "每天都有人打电话推销贷款，很烦", "网贷催收老是打电话骚扰我的家人",
    "有个陌生号码老是打电话骚扰", "小区里有人飞线给电动车充电，担心会着火", "楼道里停满了电动车，存在火灾隐患",
    "家里燃气管道生锈了，怕会漏气", "{p}经常发生交通事故，建议装个红绿灯", "学校门口经常有车开得很快，希望加强管理",
    "小区有人遛狗不拴绳，孩子们都很害怕", "邻居家的狗天天叫", "小区流浪狗太多了", "有人的狗在电梯里大小便",
    "和邻居因为漏水的事有矛盾，想请社区来调解", "跟房东因为押金吵了几句，想问问怎么维权",
    "昨天和邻居吵了一架，现在已经没事了，想请社区协调一下停车的问题", "社保怎么办理转移", "孩子上学的户口问题想咨询",
    "{p}的树倒了挡住了人行道", "小区垃圾好几天没人清运", "河边有人钓鱼乱扔垃圾", "楼下餐馆油烟太大",
    "有人在砍小区里的树", "想问一下打疫苗在哪里预约", "想打官司不知道去哪里咨询", "建议增加一条到{p}的公交线路",
    "想表扬一下政务大厅的工作人员", "{t}又停电了，这个月已经第三次了", "现在还没来水，孩子都没法洗澡",
    "{t}物业又来催物业费，态度很差", "刚买的电动车电池不到一个月就坏了，商家不给换", "楼上邻居喝了酒在家大声唱歌",
    "楼上老是往下扔垃圾", "有人在{p}露天烧垃圾", "{p}有人占道摆摊", "小区门口的共享单车乱停乱放",
    "我家猫走丢了，想问问有没有收容的地方", "办理居住证需要什么材料", "公积金提取一直办不下来",
    "医院挂号太难了", "{p}附近新开了一个KTV，晚上太吵", "房子漏水，开发商不给修", "延期交房一年多了",
    "中介卷走了我的押金，电话也打不通", "小区门禁坏了，外人随便进", "邻居在楼道里堆放杂物，说了也不听",
    "快递被放在驿站丢了，快递公司不赔", "我的车停在小区被人刮了一道，想让物业调监控",
    "网上买的保健品是虚假宣传", "想反映{p}的电动车逆行问题比较多", "希望在{p}加装监控",
    "去年在{p}被偷了电动车，到现在没找到，想问问进展", "孩子学校收费不合理", "养老金调整的政策想咨询",
    "村里修路占了我家的地，补偿一直没给", "小区里的健身器材坏了", "工地的渣土车掉了很多土在路上",
    "单位不给交社保", "想投诉一家培训机构不退费", "驾照换证怎么办理", "出租屋的房东突然要涨房租",
    "楼下的商铺把空调外机对着我家窗户", "自来水费突然比平时高了很多", "小区的电动车充电桩坏了",
    "{t}有人敲门推销，赶都赶不走", "邻居老是在楼道里抽烟", "我被人拉进一个群里推销股票，没买，觉得是骗子",
    "以前借给朋友的钱一直不还，想问问怎么起诉", "婚姻家庭纠纷想找人调解", "有人在{p}发小广告",
]
POLICE_CORES += [
    "{t}有人在{p}用弹弓打路人", "{t}我的店门被人开车撞坏了，人跑了", "{t}楼下有人在撬共享电单车的锁",
    "{t}有个男的在{p}拦着女生，不让她走还骂她", "{t}我在{p}被人碰瓷，好几个人围着我要钱", "{t}我的车在{p}被人扎了轮胎，人还在附近",
    "{t}{p}有人在偷井盖", "{t}我在{p}买东西，老板说我偷东西，把我关在仓库里", "{t}有个男的在{p}拿着弹簧刀比划",
    "{t}有人把{p}的消防栓砸开了，水喷了一地", "{t}{p}的高压线断了掉在路上，还在冒火花", "{t}{p}的广告牌被风刮下来砸到了人",
    "{t}{p}有人中暑倒下了", "{t}一个老人在{p}噎住了喘不上气", "{t}退款客服让我下载会议软件，照做以后卡里的钱被转走了",
    "{t}我被拉进一个投资群，刚把{m}打到他们指定的账户，现在群解散了", "{t}有人冒充快递员骗走了我妈的银行卡和密码",
    "{t}看到一个小孩被人拉着手哭着喊不认识他", "{t}我的孩子在{p}被一个陌生人叫走了", "我老伴{t}去医院复查，到现在没回来，手机也没人接",
    "{t}有个人在{p}的高楼窗台上坐着，两条腿悬在外面", "{t}我弟说活着太累了，一个人开车去了海边，电话不接",
    "{t}{p}有人被车门夹住拖着走", "{t}我们在{p}爬山迷路了，有人摔伤了走不了", "{t}有个工人从{p}的架子上摔下来了，一动不动",
    "{t}我家热水器那里冒出火苗，窗帘烧着了", "{t}{p}有一辆车的发动机冒起了黑烟", "{t}{p}的变电箱爆出火花，噼里啪啦响",
    "{t}有几个人在{p}围殴一个外卖小哥", "{t}有人在{p}朝人群泼不明液体", "{t}一群人在{p}拿着砍刀互相追砍",
    "{t}有个男的在{p}拽着一个女的头发往墙上撞", "{t}我被合租的室友锁在房间里，他在外面砸门",
]
HOTLINE_CORES += [
    "小区门口的早餐店把垃圾倒在下水道", "公园的厕所晚上不开门", "电动车上牌要排很久的队", "孩子打完疫苗有点发烧，想问问正常吗",
    "学校要求家长买指定的校服", "医保卡密码忘了怎么办", "公积金贷款额度怎么算", "新房交付后墙面开裂", "小区的监控一直是坏的",
    "物业收了装修押金不退", "暖气不热，屋里才十几度", "天然气涨价没有听证", "液化气站送气不及时", "燃气公司抄表员上门态度不好",
    "想申请在小区装充电桩", "家门口的树枝挡住了窗户，希望修剪", "公交车到站不停", "火车站的出租车排队太乱", "街上的共享单车太多挡路",
    "网上买的课程想退费平台不同意", "有人在朋友圈卖三无产品", "去年借给亲戚的钱一直不还，想咨询怎么起诉", "前公司拖欠的提成怎么讨回",
    "想了解一下怎么申请廉租房", "社区活动中心晚上太吵", "楼下超市的冷库机器整夜响", "工地塔吊的灯晚上照到我家",
    "有人在小区绿地遛狗不捡狗屎", "邻居家的鸽子到处拉屎", "乡镇卫生院晚上没有医生值班", "孩子在幼儿园被老师罚站了，想反映一下",
    "想查一下我的社保缴费记录", "外卖骑手在小区里骑得太快，担心撞到人", "路口很多人闯红灯，建议加强管理", "楼下经常有人喝酒喧哗到半夜",
    "楼上经常往下扔烟头，怕引起火灾", "健身房教练强制推销私教课", "住宅楼下开了一家棋牌室，吵得很", "小区门口每晚都有人聚在一起打牌，很吵",
]

JOINT_CORES = [
    "{t}{p}楼道里有很大的煤气味", "{t}闻到隔壁家有股天然气的味道，敲门没人应", "{t}{p}的燃气管道好像漏气了，呲呲响",
    "{t}有个喝醉的人躺在{p}的马路中间", "{t}{p}路边倒着一个喝醉的人，怎么叫都不醒", "{t}小区里一条没拴绳的大狗把一个小孩咬了",
    "{t}我在{p}被一条狗咬了，狗主人不管", "{t}邻居因为停车位吵起来了，双方情绪很激动，快要打起来了",
    "{t}和房东因为押金吵起来，房东叫了几个人堵在门口不让我走", "{t}{p}几十个工人讨薪，把路口堵住了",
    "{t}楼上楼下因为漏水的事吵起来，已经推搡起来了", "{t}{p}有个精神不正常的人拿着东西在路上乱跑",
    "{t}{p}有个流浪汉躺在地上，冻得发抖", "{t}装修工人和业主因为工钱吵起来了，工人情绪失控",
    "{t}村里两家因为地界的事吵架，一方扬言要动手", "{t}物业和业主在小区门口起了冲突，互相推搡",
    "{t}顾客和商家因为退款吵起来了，顾客在店里砸东西", "{t}单元门口有股很浓的液化气味道",
    "{t}{p}有个醉汉趴在机动车道上", "{t}有条大狗在{p}扑倒了一个老人，把腿咬伤了",
    "{t}业主和开发商的人因为交房的事在售楼处吵起来了，有人动手推人", "{t}两个摊贩因为抢位置吵架，其中一个要动手",
    "{t}我和前妻因为孩子抚养的事吵起来了，她家里人过来堵门", "{t}{p}一群村民因为征地补偿拦着施工车辆不让走",
    "{t}邻居因为噪音的事和我吵起来，他在门口骂得很难听还踹门", "{t}{p}有个精神病人在砸路边的车",
    "{t}我家厨房有燃气泄漏的味道，阀门关了还是有味", "{t}我爸喝多了躺在{p}的路上，我一个人扶不动",
    "{t}工地上几十个工人堵在门口要工资，跟保安推搡起来了", "{t}租客欠房租不走，和房东在楼道里扭在一起",
    "{t}{p}有个老人醉倒在路边，天很冷", "{t}小区里有只狗追着咬人，已经咬伤两个了", "{t}单元楼里闻到很重的煤气味，有人还在楼道里抽烟",
    "{t}家长和培训机构老板因为退费吵起来，双方推搡", "{t}工人在公司楼顶拉横幅讨薪，说再不给钱就跳下去",
    "{t}业主和物业保安在小区门口互相推搡，有人摔倒了", "{t}{p}有个神志不清的人在车流里乱走",
]

HOTLINE_CORES += [
    "{p}的公厕太脏了没人打扫", "小区的路灯坏了一个月了", "想问问低保怎么申请",
    "残疾人补贴什么时候发", "医保异地报销怎么办理", "不动产证一直办不下来", "惠农补贴没有发到位", "养殖场臭味太大",
    "景区门票乱收费", "旅行社强制购物", "个税退税怎么操作", "发票开错了怎么作废", "企业开办要多长时间",
    "政府项目的工程款一直拖着不付", "校外培训机构退费难", "校车超载，希望查一查", "老师体罚学生，想反映一下",
    "居住证到期了怎么续签", "无犯罪证明在哪里开", "户口迁移需要什么手续", "小区消防通道被车堵了",
    "楼道里堆了很多纸箱，存在安全隐患", "工厂排放的废水流进了河里", "晚上工厂的机器噪音太大", "河道里的垃圾没人清理",
    "小区门口的路坑坑洼洼", "农村公路没有硬化", "驾校乱收费", "公交车太少，等车要半小时", "站台离小区太远了",
]

HAND = [
    ("救命，有人在我家门口砍门", POLICE), ("我在出租车上，司机不按导航走，把车开到荒郊野外，还锁了车门", POLICE),
    ("刚才我在ATM取钱，后面一个人抢了我的卡就跑", POLICE), ("我女朋友被她前夫抓走了，塞进了一辆黑色的车", POLICE),
    ("有个男的拿着汽油桶站在加油站门口说要点火", POLICE), ("我奶奶在公园晨练，一转眼人就不见了，她有阿尔茨海默症", POLICE),
    ("对面工厂的锅炉好像爆了，很多人在往外跑", POLICE), ("商场里有人拿刀乱挥，大家都在跑", POLICE),
    ("一个孩子在水库边玩，掉进水里了", POLICE), ("我儿子今天没去学校，老师说没见到人，到处找不到", POLICE),
    ("有人冒充银行工作人员，我刚按他的要求把验证码给了他，卡里的钱少了两万", POLICE),
    ("一伙人开着车把我们的店门堵了，拿着铁棍要进来", POLICE), ("我被人下药了，现在头很晕，在酒吧厕所里", POLICE),
    ("楼下一个老人摔倒了，头磕破了血流了一地", POLICE), ("隧道里好几辆车连环相撞，有人在喊救命", POLICE),
    ("我闺蜜说她在酒店被一个男的控制了，不让她出门", POLICE), ("有人把一袋可疑的东西放在地铁座位上，还在滴答响", POLICE),
    ("我爸在河边钓鱼，刚才人掉下去了，现在看不见人", POLICE), ("有个男的在小区里露下体，吓坏了好几个小姑娘", POLICE),
    ("学校门口有个陌生人一直给小孩发糖，还想把孩子带走", POLICE), ("我家的门被人用胶水堵了，还在门上泼了红油漆", POLICE),
    ("房间里有人在打我妈，我躲在厕所里打的电话", POLICE), ("我刚被人骗了，他说是我领导，让我转了四万块钱", POLICE),
    ("一辆大货车在高速上侧翻了，货物撒了一地，还有人在车里", POLICE), ("有个老奶奶在马路中间迷路了，问她什么都说不清楚", POLICE),
    ("有几个小混混在网吧门口收保护费", POLICE), ("我爸突然捂着胸口倒下了，没有呼吸了", POLICE),
    ("宿舍楼里有人烧东西，整层都是黑烟", POLICE), ("有人在桥上往下扔石头，砸到了下面的车", POLICE),
    ("我在外地打工被老板关在厂里，不让出去也不给工资", POLICE), ("有个小男孩被困在废弃的冷库里了", POLICE),
    ("好像有人在撬我家隔壁的门，隔壁出去旅游了", POLICE), ("一个男的在公交车上掏出一把刀，司机停车了", POLICE),
    ("我妹妹被网友骗到外地，现在说被人看着走不了", POLICE), ("小区里的地下室冒出很多烟，闻着像电线烧了", POLICE),
    ("我骑车被人故意别了一下摔倒了，手骨折了，对方跑了", POLICE), ("村里的水库决堤了，有人家里进水出不来", POLICE),
    ("他说今天不给钱就弄死我，现在就在我楼下", POLICE), ("我的车被人开走了，车钥匙还在我身上", POLICE),
    ("路边有个婴儿被扔在纸箱里", POLICE), ("两个醉汉在烧烤摊拿凳子互砸", POLICE), ("有个女的在哭喊说不认识那个男的，男的硬拉她走", POLICE),
    ("我们家停车场的车被人划了十几辆，人还没走远", POLICE), ("加油站有个人在抽烟，油枪还插在车上，工作人员管不了", POLICE),
    ("楼下停电动车的棚子烧着了", POLICE), ("有人在公园里给老人卖假药，刚收了一个老人八千块", POLICE),
    ("我被人打了，对方五六个人，现在躲在超市里", POLICE), ("我刚才开车把一个小孩刮倒了，孩子在哭，腿上出血", POLICE),
    ("我家孩子被一个大人抱走了，说是他亲戚，我根本不认识", POLICE), ("有人在江边把自己的鞋子脱了，一直往水里走", POLICE),
    ("物业电话打不通，想问一下停车费怎么交", HOTLINE), ("我打扫卫生的时候发现阳台漏水", HOTLINE),
    ("想问一下打车到火车站有没有公交直达", HOTLINE), ("能不能帮我查一下，我去年报案的那个诈骗案件到哪一步了", HOTLINE),
    ("我想举报一家店卖假烟", HOTLINE), ("我们楼的电梯今天坏了，还好里面没有人", HOTLINE),
    ("楼上在打地基一样的砸墙，装修没有报备", HOTLINE), ("有人在街上散发传单说能办低息贷款，我觉得是骗人的，提醒一下大家", HOTLINE),
    ("以前被打过的事已经调解好了，现在想问赔偿款什么时候到", HOTLINE), ("路口的监控好像坏了，建议修一下", HOTLINE),
    ("小区有人在绿化带里种菜", HOTLINE), ("想问一下被狗咬了去哪里打狂犬疫苗比较近", HOTLINE),
    ("我们村的路灯晚上都不亮，走夜路不安全", HOTLINE), ("家门口的下水道堵了，一下雨就积水", HOTLINE),
    ("工厂每天晚上偷排污水，河里的鱼都死了", HOTLINE), ("有人偷偷在我们楼顶加盖了一层", HOTLINE),
    ("楼下早餐店的煤气罐放在门口，感觉不安全，希望检查一下", HOTLINE), ("小区旁边的工地半夜偷倒渣土", HOTLINE),
    ("我已经报过警了，警察也来处理过了，现在想投诉物业的监控一直是坏的", HOTLINE),
    ("隔壁店铺刚刚开业放了很多鞭炮，声音很大", HOTLINE), ("火车站出租车乱收费", HOTLINE),
    ("我在网上买东西被商家骗了，说好七天无理由不给退", HOTLINE), ("学校附近有个网吧让未成年人进去", HOTLINE),
    ("想咨询一下怎么预防电信诈骗，给老人讲一讲", HOTLINE), ("物业的保安态度很凶，跟业主说话骂骂咧咧", HOTLINE),
    ("他们公司欠了我们三个月工资，我们十几个人明天想去劳动局问问", HOTLINE),
    ("我在小区里被一条小狗追了一下，没咬到，希望物业管管", HOTLINE), ("高速上有个收费站排队太长", HOTLINE),
    ("孩子在学校跟同学闹矛盾，老师处理不公平", HOTLINE), ("车被贴了罚单，觉得不合理，想问问怎么申诉", HOTLINE),
    ("公园里的湖没有护栏，小孩在边上玩很危险，建议加护栏", HOTLINE), ("有人在小区里放生蛇，大家很害怕", HOTLINE),
    ("刚刚接到一个电话说我快递丢了要赔钱，我没有操作，挂了", HOTLINE),
    ("邻居天天在家打麻将到半夜", HOTLINE), ("想问问现在打疫苗还需要预约吗", HOTLINE), ("社区医院打针的护士态度不好", HOTLINE),
    ("楼下的狗没拴绳，见人就叫，还好没咬人", HOTLINE), ("燃气公司上门安检收费合理吗", HOTLINE),
    ("我们小区停气了，燃气公司说在抢修，什么时候能好", HOTLINE), ("小区消防栓没水，消防设施形同虚设", HOTLINE),
    ("路边有一棵大树被风刮断了，压在了一辆车上，车里没人", HOTLINE), ("反映一下，菜市场缺斤短两", HOTLINE),
    ("在二手平台卖东西，买家收到货说是假的要退款，我该怎么办", HOTLINE), ("我父母被推销保健品，花了很多钱，想让有关部门查查这家店", HOTLINE),
    ("喝醉酒的邻居半夜敲错门，后来走了，想让物业加强门禁", HOTLINE), ("小区旁边的河道有死鱼，很臭", HOTLINE),
    ("想咨询一下交通事故责任认定不服怎么办", HOTLINE), ("马路上有条流浪狗被车撞死了，没人清理", HOTLINE),
    ("邻居家装修把我家墙打裂了", HOTLINE), ("商场的扶梯坏了好久没修", HOTLINE),
    ("一楼住户被楼上的人打扰，大家商量好了找物业调解", HOTLINE), ("物业说我家漏水淹了楼下，要我赔钱，我不认", HOTLINE),
    ("楼道里有煤气味，燃气公司已经来修好了，想问问这个费用谁出", HOTLINE),
    ("我们小区门口有人吵架，吵了几句就走了", HOTLINE), ("房东不退押金还骂人", HOTLINE),
    ("楼道里好像有股煤气味，快来看看，我都不敢开灯", JOINT), ("我家狗把邻居小孩咬了一口，邻居家长要打我", JOINT),
    ("有个老人喝醉了睡在公交站台边的车道上", JOINT), ("饭店里两桌客人因为座位吵起来了，摔了杯子，眼看要动手", JOINT),
    ("几十个业主把售楼处围住了，情绪很激动，有人在推搡工作人员", JOINT), ("邻居因为装修噪音跟装修工人吵起来了，工人拿起了锤子比划", POLICE),
    ("房东带人来换锁，租客不让，两边扭打起来了", JOINT), ("一个流浪的老人在桥洞下面发高烧，说不出话", JOINT),
    ("路上有个人醉得不省人事躺在斑马线上", JOINT), ("我们村两户人因为宅基地打起来了，一个人头破了", JOINT),
    ("楼下邻居因为漏水天天来砸我家门，今天还扬言要找人收拾我", JOINT), ("厂里工人讨薪把老板围在办公室不让走", JOINT),
    ("有一条没牵绳的狗在{p}咬伤了一个骑车的人".format(p="小区门口"), JOINT), ("地下室有很重的天然气味，还有人住在里面", JOINT),
    ("一个精神不太正常的男的在小区里追着小孩跑", JOINT), ("快递员和业主因为送货上门的事吵起来，快递员推了业主一把", JOINT),
]


TAXONOMY_PATH = Path(__file__).resolve().parent.parent / "classifier" / "data" / "taxonomy.csv"
TAXONOMY_FRAMES = [
    "想反映一下{item}的问题，{plea}", "关于{item}，想咨询一下具体怎么办", "我们这边{item}的情况比较严重，{plea}",
    "{p}附近{item}，已经有一段时间了，{plea}", "来电人咨询{item}相关事宜。", "市民反映{p}存在{item}问题，要求处理。",
    "我要投诉{item}，{plea}", "{item}的事情找了好几个部门都没人管", "想了解一下{item}方面的政策", "你好，{item}这个事归哪个部门管？",
]


def taxonomy_items() -> list[str]:
    """Scope phrases of the project's department taxonomy (12345 business lines)."""
    if not TAXONOMY_PATH.exists():
        return []
    with TAXONOMY_PATH.open(encoding="utf-8", newline="") as fh:
        return [item for row in csv.DictReader(fh) for item in row["scope"].split("、") if item]


def _fill(core: str, rng: random.Random) -> str:
    """Fill slot placeholders in a scenario core."""
    return core.format(t=rng.choice(RECENT), p=rng.choice(PLACES), m=rng.choice(MONEY))


def _frame(core: str, label: str, rng: random.Random) -> str:
    """Wrap a filled core in a first-person or phone-summary framing."""
    pleas = {POLICE: POLICE_PLEAS, HOTLINE: HOTLINE_PLEAS, JOINT: JOINT_PLEAS}[label]
    plea = rng.choice(NEUTRAL_PLEAS) if rng.random() < 0.25 else rng.choice(pleas)
    if rng.random() < 0.4:
        text = rng.choice(SUMMARY).format(core=core.lstrip("我"), plea=plea or "请核实处理")
    else:
        text = rng.choice(FIRST).format(core=core, plea=plea)
    return text.replace("，。", "。").replace("，，", "，").strip("，。 ") + ("" if text.endswith(("！", "？")) else "。")


def build_corpus(seed: int = SEED) -> list[tuple[str, str]]:
    """Generate the deduplicated (text, label) corpus, seeded."""
    return [(text, label) for text, label, _ in build_grouped_corpus(seed)]


def build_grouped_corpus(seed: int = SEED) -> list[tuple[str, str, str]]:
    """Generate (text, label, scenario group) rows; the group keeps a scenario in one CV fold."""
    rng = random.Random(seed)
    rows: dict[str, tuple[str, str]] = {}
    plan = ((POLICE_CORES, POLICE, 9), (HOTLINE_CORES, HOTLINE, 7), (JOINT_CORES, JOINT, 12))
    for cores, label, per_core in plan:
        for n, core in enumerate(cores):
            for _ in range(per_core):
                rows.setdefault(_frame(_fill(core, rng), label, rng), (label, f"{label}:{n}"))
    for n, item in enumerate(taxonomy_items()):
        for _ in range(3):
            frame = rng.choice(TAXONOMY_FRAMES)
            text = frame.format(item=item, p=rng.choice(PLACES), plea=rng.choice(HOTLINE_PLEAS + NEUTRAL_PLEAS) or "请处理")
            rows.setdefault(text.replace("，。", "。").rstrip("，"), (HOTLINE, f"taxonomy:{n}"))
    for n, (text, label) in enumerate(HAND):
        rows.setdefault(text, (label, f"hand:{n}"))
    items = sorted((text, label, group) for text, (label, group) in rows.items())
    rng.shuffle(items)
    return items


def write_corpus(path: Path = CORPUS_PATH, seed: int = SEED) -> int:
    """Write the corpus CSV (text,label); return the row count."""
    rows = build_corpus(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "label"])
        writer.writerows(rows)
    return len(rows)


def read_rows(path: Path) -> list[tuple[str, str]]:
    """Read a two-column CSV (text, label/expected) without its header."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        return [(r[0], r[1]) for r in reader if r]


def build_pipeline(C: float = 4.0):
    """TF-IDF over classifier.text tokens (1-2 grams) + char 1-3 grams → logistic regression."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    from classifier.text import normalize, tokenize

    features = FeatureUnion([
        ("word", TfidfVectorizer(tokenizer=tokenize, token_pattern=None, lowercase=False, ngram_range=(1, 2),
                                 min_df=2, max_features=20_000, sublinear_tf=True)),
        ("char", TfidfVectorizer(analyzer="char", preprocessor=normalize, lowercase=False, ngram_range=(1, 3),
                                 min_df=2, max_features=30_000, sublinear_tf=True)),
    ])
    clf = LogisticRegression(C=C, max_iter=3000, class_weight="balanced")
    return Pipeline([("features", features), ("clf", clf)])


def scenario_groups(texts: list[str]) -> list[str]:
    """Scenario group per text (generated rows share their core's group; others stand alone)."""
    known = {text: group for text, _, group in build_grouped_corpus()}
    return [known.get(text, f"row:{i}") for i, text in enumerate(texts)]


HOTLINE_AUGMENT_PATH = Path(__file__).resolve().parent.parent / "classifier" / "data" / "corpus.csv"
HOTLINE_AUGMENT_ROWS = 2500


def hotline_augment(path: Path = HOTLINE_AUGMENT_PATH, n: int = HOTLINE_AUGMENT_ROWS) -> list[tuple[str, str, str]]:
    """Seeded sample of the department classifier's training complaints as extra 12345 rows.

    Every row of that project-written corpus is a 12345 matter (it is labelled by
    department), so it widens the 12345 side far beyond this module's own scenarios.
    """
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r.get("split", "train") == "train" and r.get("text")]
    rng = random.Random(SEED)
    rng.shuffle(rows)
    return [(r["text"], HOTLINE, "clf:" + r.get("group", r["label"])) for r in rows[:n]]


def training_rows(corpus: Path = CORPUS_PATH) -> list[tuple[str, str, str]]:
    """Corpus rows with scenario groups, plus the 12345 augmentation."""
    rows = read_rows(corpus)
    groups = scenario_groups([t for t, _ in rows])
    return [(t, y, g) for (t, y), g in zip(rows, groups)] + hotline_augment()


def oof_police_probs(texts: list[str], labels: list[str], groups: list[str], folds: int = 5) -> list[float]:
    """Out-of-fold P(110)+P(joint), folds split by scenario so unseen scenarios are scored."""
    from sklearn.model_selection import GroupKFold, cross_val_predict

    cv = GroupKFold(n_splits=folds)
    proba = cross_val_predict(build_pipeline(), texts, labels, groups=groups, cv=cv, method="predict_proba")
    classes = sorted(set(labels))
    idx = [classes.index(POLICE_VALUE), classes.index(JOINT_VALUE)]
    return [float(row[idx[0]] + row[idx[1]]) for row in proba]


MISS_COST = 5.0  # a police matter left on 12345 costs five wrong escalations


def tune_thresholds(labels: list[str], probs: list[float]) -> dict:
    """Police threshold minimising MISS_COST·missed + wrongly escalated on scenario-grouped OOF model probs.

    Rules are left out on purpose: their lexicons were written against this corpus,
    so only the model's out-of-fold scores say how it behaves on unseen scenarios.
    """
    def cost(t: float) -> float:
        """Weighted error count of model-only decisions at threshold t."""
        missed = sum(1 for p, y in zip(probs, labels) if y != HOTLINE and p < t)
        wrong = sum(1 for p, y in zip(probs, labels) if y == HOTLINE and p >= t)
        return MISS_COST * missed + wrong

    grid = [x / 100 for x in range(15, 86, 5)]
    best = min(grid, key=lambda t: (cost(t), -t))
    return {"police_threshold": best, "review_threshold": round(best / 2, 3), "oof_cost": cost(best)}



def train(corpus: Path = CORPUS_PATH, out_dir: Path = MODEL_DIR) -> dict:
    """Train on the corpus, tune thresholds out-of-fold, write joblib + metadata.json."""
    import joblib
    import sklearn

    rows = training_rows(corpus)
    texts, labels, groups = [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]
    probs = oof_police_probs(texts, labels, groups)
    thresholds = tune_thresholds(labels, probs)
    # Not tuned: the rules were written against this corpus, so rule-silent corpus rows are
    # almost all 12345 and any OOF tuning drives this bar to the top of the grid (measured: 0.95),
    # which then misses novel police phrasings. A fixed judgment value is used instead.
    thresholds["silent_rules_threshold"] = SILENT_RULES_THRESHOLD
    augment = sum(1 for g in groups if g.startswith("clf:"))
    pipeline = build_pipeline().fit(texts, labels)
    out_dir.mkdir(parents=True, exist_ok=True)
    joblib.dump(pipeline, out_dir / MODEL_FILE, compress=3)
    meta = {
        "name": "hotline-split", "version": 1, "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "corpus": str(corpus.relative_to(Path(__file__).resolve().parent.parent)), "rows": len(rows), "hotline_augment_rows": augment,
        "hotline_augment_source": str(HOTLINE_AUGMENT_PATH.relative_to(Path(__file__).resolve().parent.parent)),
        "label_counts": {y: labels.count(y) for y in sorted(set(labels))}, "classes": [str(c) for c in pipeline.classes_],
        "features": "tfidf(classifier.text.tokenize, 1-2gram) + tfidf(char 1-3gram)", "estimator": "LogisticRegression(C=4, balanced)",
        "sklearn": sklearn.__version__, "seed": SEED, **thresholds,
    }
    (out_dir / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return meta


def main(argv: list[str]) -> None:
    """CLI entry point."""
    cmd = argv[1] if len(argv) > 1 else "all"
    if cmd in ("corpus", "all"):
        print("corpus rows:", write_corpus())
    if cmd in ("train", "all"):
        print(json.dumps(train(), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main(sys.argv)
