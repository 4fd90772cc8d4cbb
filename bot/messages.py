"""The bot's own sentences (not KB answers), in Chinese and English."""
from __future__ import annotations

MESSAGES = {
    "zh": {
        "clarify": "您是想问：",
        "about": "{n}. 关于「{question}」：{answer}",
        "fallback": "抱歉，这个问题我还没学会。您可以换个说法问问，或者输入“转人工”联系人工客服。",
        "empty": "您好，请问有什么可以帮您？",
        "welcome": "您好，我是智能客服。猜你想问：",
        "too_long": "您的消息太长了（最多 {limit} 个字），请精简后再发送。",
        "handoff": "这个问题需要人工客服为您处理，正在为您转接人工客服，请稍候。",
        "no_answer": "（这条知识还没有填写答案，请联系人工客服。）",
        "leave_message": "现在暂时没有人工客服可以接待（非工作时间或客服忙）。请直接留言：写下您的问题和联系方式"
                         "（手机号或邮箱），我们上班后会尽快联系您。",
        "offer_person": "如果还需要人工客服帮您处理，请回复“转人工”。",
        "way_out": "如果这不是您想问的，可以换个说法再问，或回复“转人工”。",
        "ticket_saved": "留言已收到（编号 {ticket}），客服上班后会尽快联系您。",
        "queued": "已为您转接人工客服，前面还有 {ahead} 位，请稍候。",
        "accepted": "客服 {agent} 为您服务。",
        "transferred": "正在为您转接到{group}，请稍候。",
        "closed": "本次人工服务已结束，机器人继续为您服务。",
        "left_queue": "已为您取消排队，机器人继续为您服务。",
        "survey": "请为本次人工服务打分：",
        "ticket_contact": "请留下您的手机号或邮箱，方便客服联系您（您写的内容已记下）。",
        "ticket_reopened": "您的回复已转给客服（工单 {ticket}），请留意回复。",
        "ticket_closed": "您的留言（工单 {ticket}）已处理完毕。",
        "queue_timeout": "客服都在忙，让您久等了。请直接留言：写下您的问题和联系方式（手机号或邮箱），我们会尽快联系您。",
        "lookup_failed": "抱歉，暂时没能为您查到结果（系统繁忙），请稍后再试。",
        "lookup_not_found": "没有查到 {value} 的记录，请核对后再发给我。",
        "lookup_cancelled": "好的，已取消查询。还有其他问题可以随时问我。",
        "recent_order": "您最近的订单 {value} {status}，想咨询这个订单吗？",
        "recent_order_question": "订单 {value} 到哪了",
    },
    "en": {
        "clarify": "Did you mean:",
        "about": "{n}. About \"{question}\": {answer}",
        "fallback": "Sorry, I don't know the answer to that yet. Try rephrasing, or type \"agent\" to talk to a person.",
        "empty": "Hi, how can I help you?",
        "welcome": "Hi, I'm the support assistant. You might want to ask:",
        "too_long": "Your message is too long (at most {limit} characters). Please shorten it.",
        "handoff": "A human agent needs to handle this. Connecting you to an agent, please wait.",
        "no_answer": "(This entry has no answer yet; please contact an agent.)",
        "leave_message": "No agent can take your chat right now (outside opening hours or all busy). Type your "
                         "question and how to reach you (phone or e-mail), and we will get back to you.",
        "offer_person": "If you would still like a person to help, reply \"agent\".",
        "way_out": "If this is not what you meant, try asking another way, or reply \"agent\".",
        "ticket_saved": "Message received (ticket {ticket}). We will get back to you soon.",
        "queued": "Connecting you to an agent; {ahead} customer(s) ahead of you.",
        "accepted": "{agent} is now helping you.",
        "transferred": "Transferring you to {group}, please wait.",
        "closed": "The agent has closed this chat. The assistant is back if you need anything.",
        "left_queue": "You left the queue. The assistant is back if you need anything.",
        "survey": "How satisfied were you with the agent?",
        "ticket_contact": "Please leave a phone number or e-mail address so we can reach you (your message is noted).",
        "ticket_reopened": "Your reply went to the agent (ticket {ticket}).",
        "ticket_closed": "Your message (ticket {ticket}) has been dealt with.",
        "queue_timeout": "All agents are busy, sorry for the wait. Please leave a message (your question and a phone "
                         "number or e-mail) and we will get back to you.",
        "lookup_failed": "Sorry, I could not look that up right now (the system is busy). Please try again later.",
        "lookup_not_found": "I found no record for {value}. Please check it and send it again.",
        "lookup_cancelled": "OK, I won't look it up. Ask me anything else any time.",
        "recent_order": "Your recent order {value}: {status}. Is your question about it?",
        "recent_order_question": "Where is order {value}?",
    },
}


def language_of(text: str) -> str:
    """English only for Latin-letter text without Chinese ("12306" or "iPhone 15 退货" stay Chinese)."""
    has_cjk = any("\u3400" <= ch <= "\u9fff" for ch in text)
    has_latin = any("a" <= ch.lower() <= "z" for ch in text)
    return "en" if has_latin and not has_cjk else "zh"


def message(key: str, language: str, **values) -> str:
    return MESSAGES.get(language, MESSAGES["zh"])[key].format(**values)
