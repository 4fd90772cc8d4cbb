"""The bot's own sentences (not KB answers), in Chinese and English."""
from __future__ import annotations

MESSAGES = {
    "zh": {
        "clarify": "您是想问：",
        "fallback": "抱歉，这个问题我还没学会。您可以换个说法问问，或者输入“转人工”联系人工客服。",
        "empty": "您好，请问有什么可以帮您？",
        "welcome": "您好，我是智能客服。猜你想问：",
        "too_long": "您的消息太长了（最多 {limit} 个字），请精简后再发送。",
        "handoff": "这个问题需要人工客服为您处理，正在为您转接人工客服，请稍候。",
        "no_answer": "（这条知识还没有填写答案，请联系人工客服。）",
    },
    "en": {
        "clarify": "Did you mean:",
        "fallback": "Sorry, I don't know the answer to that yet. Try rephrasing, or type \"agent\" to talk to a person.",
        "empty": "Hi, how can I help you?",
        "welcome": "Hi, I'm the support assistant. You might want to ask:",
        "too_long": "Your message is too long (at most {limit} characters). Please shorten it.",
        "handoff": "A human agent needs to handle this. Connecting you to an agent, please wait.",
        "no_answer": "(This entry has no answer yet; please contact an agent.)",
    },
}


def language_of(text: str) -> str:
    """English only for Latin-letter text without Chinese ("12306" or "iPhone 15 退货" stay Chinese)."""
    has_cjk = any("\u3400" <= ch <= "\u9fff" for ch in text)
    has_latin = any("a" <= ch.lower() <= "z" for ch in text)
    return "en" if has_latin and not has_cjk else "zh"


def message(key: str, language: str, **values) -> str:
    return MESSAGES.get(language, MESSAGES["zh"])[key].format(**values)
