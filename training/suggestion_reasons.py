"""Why a suggestion is made, in words a trainer reads (Chinese, or English when the UI is English).

The stored suggestion keeps numbers (``detail``, ``evidence``); this turns them into sentences, so
the page never shows raw JSON such as ``{"clarify_ignored": 2, …}``.
"""
from __future__ import annotations

from typing import Dict, List

LANGUAGES = ("zh", "en")

_WORDS = {
    "zh": {
        "reasons": {"fallback": "兜底 {n} 次", "clarify_ignored": "反问后没有选择 {n} 次", "not_helpful": "被评为没帮助 {n} 次",
                    "handed_off": "转了人工 {n} 次", "offline": "对话记录里 {n} 次"},
        "asked": "{volume} 条客户消息（{sessions} 次对话）机器人没有解决：{reasons}。",
        "confident": "机器人认为最可能是「{entry}」（置信度 {score}），这些说法和它已有的问题相近（相似度 {similarity}）。",
        "covered": "机器人拿不准（置信度 {score}），但这些说法和「{entry}」已有的问题相近（相似度 {similarity}），加为相似问后就能直接回答。",
        "far": "机器人倾向于「{entry}」（置信度 {score}），但意思不同（和它的问题相似度只有 {similarity}），所以建议新建条目。",
        "new": "没有条目覆盖这些问题：最接近的是「{entry}」（相似度 {similarity}）。",
        "new_nothing": "没有条目覆盖这些问题。",
        "known": "已略过 {n} 个知识库里已有的说法。",
        "vague": "没有建议{texts}：机器人对这种笼统的说法有意反问，加到一个条目会让反问消失。",
        "learned": "在 {sessions} 次对话里，客户问了这句之后选择了或认可了「{entry}」（点选 {clicks} 次，好评 {votes} 次），"
                   "而且它和该条目已有的问题相近（相似度 {similarity}）。",
        "handoff_add": "{sessions} 次转人工的对话里客户这样问；它和「{entry}」已有的问题相近（相似度 {similarity}），人工客服的回答可用来核对该条目的答案。",
        "handoff_new": "{sessions} 次转人工的对话里客户这样问，没有条目覆盖；人工客服的回答已填入答案，改好后即可新建条目。",
        "agent": "客服 {agent} 结束会话时保存：客户这样问，客服这样答（答案已填入）。",
        "quote": "「{text}」", "sep": "、",
    },
    "en": {
        "reasons": {"fallback": "fell back {n}×", "clarify_ignored": "options ignored {n}×", "not_helpful": "rated not helpful {n}×",
                    "handed_off": "handed to a person {n}×", "offline": "in the transcripts {n}×"},
        "asked": "{volume} customer message(s) in {sessions} conversation(s) the bot did not resolve: {reasons}.",
        "confident": "The bot's best guess is \u201c{entry}\u201d (confidence {score}) and these wordings are close to its "
                     "questions (similarity {similarity}).",
        "covered": "The bot is unsure (confidence {score}), but these wordings are close to the questions of \u201c{entry}\u201d "
                   "(similarity {similarity}): as similar questions they will be answered.",
        "far": "The bot leans to \u201c{entry}\u201d (confidence {score}) but the meaning differs (similarity to its questions "
               "only {similarity}), so a new entry is suggested.",
        "new": "No entry covers these questions; the closest is \u201c{entry}\u201d (similarity {similarity}).",
        "new_nothing": "No entry covers these questions.",
        "known": "{n} wording(s) the knowledge base already has were left out.",
        "vague": "Not suggested: {texts} — the bot asks which entry was meant on purpose; filing it under one entry "
                 "would remove that question.",
        "learned": "In {sessions} conversation(s) customers asked this and then chose or approved \u201c{entry}\u201d "
                   "({clicks} click(s), {votes} helpful vote(s)); it is close to that entry's questions (similarity {similarity}).",
        "handoff_add": "Asked in {sessions} conversation(s) handed to a person; close to the questions of \u201c{entry}\u201d "
                       "(similarity {similarity}): compare the agent's reply with that entry's answer.",
        "handoff_new": "Asked in {sessions} conversation(s) handed to a person and covered by no entry; the agent's reply "
                       "is filled in as the answer of a new entry.",
        "agent": "Saved by agent {agent} when closing a conversation: the customer's question and the agent's answer "
                 "(filled in).",
        "quote": "\u201c{text}\u201d", "sep": ", ",
    },
}


def describe(suggestion: dict, language: str = "zh") -> str:
    """The reasons of one stored suggestion (``training.suggestions``' shape) as sentences."""
    words = _WORDS[language if language in LANGUAGES else "zh"]
    detail, evidence = suggestion.get("detail") or {}, suggestion.get("evidence") or {}
    kind = suggestion.get("kind")
    values = {"entry": suggestion.get("entry_question") or evidence.get("closest_question") or "",
              "score": _number(suggestion.get("score")), "similarity": _number(evidence.get("similarity")),
              "sessions": detail.get("sessions") or 0}
    if kind == "learned":
        return words["learned"].format(clicks=detail.get("clicks") or 0, votes=detail.get("helpful_votes") or 0,
                                       **values)
    if kind == "qa":  # a quality reviewer's finding (handoff/quality.py)
        return ("质检发现：" if words is _WORDS["zh"] else "Quality review finding: ") + f"{detail.get('by', '')}"
    if kind == "agent":
        return words["agent"].format(agent=detail.get("agent") or "")
    if kind == "handoff":
        return words["handoff_add" if suggestion.get("action") == "add_similar" else "handoff_new"].format(**values)
    return " ".join(_mined(words, suggestion, detail, evidence, values))


def _mined(words: Dict, suggestion: dict, detail: dict, evidence: dict, values: dict) -> List[str]:
    reasons = words["sep"].join(words["reasons"].get(k, k + " {n}").format(n=n)
                                for k, n in sorted((detail.get("reasons") or {}).items(), key=lambda kv: -kv[1]))
    said = [words["asked"].format(volume=suggestion.get("volume", 0), reasons=reasons, **values)]
    if suggestion.get("action") == "add_similar":
        said.append(words["confident" if evidence.get("confident") else "covered"].format(**values))
    elif evidence.get("far"):
        said.append(words["far"].format(**values))
    else:
        said.append(words["new" if values["entry"] else "new_nothing"].format(**values))
    if evidence.get("known"):
        said.append(words["known"].format(n=evidence["known"]))
    if evidence.get("vague"):
        texts = words["sep"].join(words["quote"].format(text=t) for t in evidence["vague"])
        said.append(words["vague"].format(texts=texts))
    return said


def _number(value) -> str:
    return f"{value:.2f}" if isinstance(value, (int, float)) else "—"
