"""Every metric of the report with its Chinese label, a short English title and how to show it — one list
read by the terminal table, the HTML report, the dashboard and the exports, so no page shows a raw key."""
from __future__ import annotations

# key, 中文, English (terminal), kind: % share, n number, s seconds, ‰ per 1,000
OUTCOMES = (("conversations", "会话数", "conversations", "n"), ("csat", "人工满意度 CSAT(4–5分)", "CSAT 4–5", "%"),
            ("csat_mean", "CSAT 平均分", "CSAT mean", "n"), ("participation_rate", "评价参与率", "participation", "%"),
            ("nps", "NPS 净推荐值", "NPS", "n"), ("transfer_rate", "转人工率", "transfer", "%"),
            ("self_service_rate", "机器人自助解决率", "self-service", "%"),
            ("first_contact_resolution", "首次联系解决率 FCR", "FCR", "%"), ("helpful_rate", "答案有用率", "helpful", "%"),
            ("bot_csat", "机器人满意度(问题已解决)", "bot CSAT", "%"))
OPERATIONS = (("handoffs", "转人工会话", "hand-offs", "n"), ("wait_p50_s", "排队等待中位数", "wait p50", "s"),
              ("wait_p90_s", "排队等待 P90", "wait p90", "s"), ("service_level", "服务水平", "service level", "%"),
              ("abandon_rate", "放弃率", "abandoned", "%"), ("first_response_p50_s", "首次响应中位数", "1st reply p50", "s"),
              ("handle_time_p50_s", "处理时长中位数", "handle p50", "s"), ("occupancy", "坐席占用率", "occupancy", "%"),
              ("complaint_rate_per_1000", "投诉率(每千会话)", "complaints/1000", "n"),
              ("complaint_handle_p50_s", "投诉处理时长中位数", "complaint p50", "s"), ("qa_score", "质检得分", "QA", "n"))
AGENT_COLUMNS = ("conversations", "csat", "participation_rate", "nps", "first_response_p50_s", "handle_time_p50_s",
                 "occupancy", "qa_score")
EXTRA = {"surveys_sent": "已邀请评价", "ratings": "已评价", "nps_responses": "NPS 回答数", "complaints": "投诉数",
         "bot_csat_responses": "机器人满意度回答数", "answers_helpful": "有用", "answers_unhelpful": "没用",
         "key": "维度", "channel": "渠道", "group": "技能组", "rule": "转人工规则", "day": "日期", "agent": "坐席"}


def labels() -> dict:
    """key → Chinese label of every metric and grouping."""
    return dict({key: zh for key, zh, _, _ in OUTCOMES + OPERATIONS}, **EXTRA)


def kinds() -> dict:
    return {key: kind for key, _, _, kind in OUTCOMES + OPERATIONS}


def shown(value, kind: str) -> str:
    """A metric as people read it: 83.3%, 42 s, —."""
    if value is None:
        return "—"
    if kind == "%":
        return f"{value * 100:.1f}%"
    if kind == "s":
        return f"{value:g} s"
    return f"{value:g}"
