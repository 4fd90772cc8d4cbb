"""The quality checks' findings in Chinese for the trainers' page (``knowledge_base.quality`` words
them in English for `faqbot kb check` and for the page in English)."""
from __future__ import annotations

from typing import List

from knowledge_base.entry import KnowledgeBase

KINDS = {"zh": {"near_duplicate": "问题重复", "empty_answer": "答案缺失", "too_few_similar": "相似问太少",
                "expired": "已过期", "expiring_soon": "即将过期", "not_yet_valid": "尚未生效",
                "broken_related": "相关条目失效"},
         "en": {"near_duplicate": "near-duplicate", "empty_answer": "empty answer", "too_few_similar": "too few similar",
                "expired": "expired", "expiring_soon": "expiring soon", "not_yet_valid": "not yet valid",
                "broken_related": "broken related link"}}
SHOWN_IDS = 5


def worded(findings: List[dict], kb: KnowledgeBase, language: str) -> List[dict]:
    """``findings`` (``Finding.to_dict()``) with ``kind_label`` and, in Chinese, ``message`` rewritten."""
    language = language if language in KINDS else "zh"
    return [dict(f, kind_label=KINDS[language].get(f["kind"], f["kind"]),
                 message=_chinese(f, kb) if language == "zh" else f["message"]) for f in findings]


def _chinese(f: dict, kb: KnowledgeBase) -> str:
    ids, d = f["entry_ids"], f.get("details") or {}
    name = _name(kb, ids[0]) if ids else ""
    kind = f["kind"]
    if kind == "near_duplicate":
        (a, b), (text_a, text_b) = ids[:2], d.get("texts", ["", ""])
        pair = f"「{text_a}」（{a}）和「{text_b}」（{b}）"
        if d.get("exact"):
            return f"{pair}规范化后是同一个问题，机器人分不清这两个条目。"
        return f"{pair}几乎相同（相似度 {d.get('similarity', 0):.2f}），客户这样问可能得到其中任何一个。"
    if kind == "empty_answer":
        channel = d.get("channel", "default")
        if channel == "default":
            return f"{name}没有默认答案，客户会收到占位回复。"
        if f["severity"] == "info":
            return f"{len(ids)} 个条目没有「{channel}」渠道的答案，该渠道的客户会收到默认答案：{_ids(ids)}。"
        return f"{name}的「{channel}」渠道答案是空的，该渠道的客户会收到默认答案——请填上或删除这个渠道。"
    if kind == "too_few_similar":
        return f"{name}只有 {d.get('similar', 0)} 个相似问，请至少加到 {d.get('minimum', 0)} 个，机器人才认得客户的各种问法。"
    if kind == "expired":
        return f"{name}已于 {d.get('valid_to')} 过期但仍是已发布状态，客户已经得不到它——请延长有效期或改为草稿。"
    if kind == "expiring_soon":
        return f"{name}的有效期到 {d.get('valid_to')}（{_in_days(d.get('days', 0))}），请延长有效期或准备替代条目。"
    if kind == "not_yet_valid":
        return f"{name}从 {d.get('valid_from')} 起才会回答（{_in_days(d.get('days', 0))}）。"
    if kind == "broken_related":
        return f"{name}的相关条目 {d.get('related')} {_why(kb, d.get('related'))}，客户看不到这个链接。"
    return f["message"]


def _name(kb: KnowledgeBase, entry_id: str) -> str:
    entry = kb.get(entry_id)
    return f"条目 {entry_id}「{entry.question}」" if entry is not None else f"条目 {entry_id}"


def _why(kb: KnowledgeBase, entry_id) -> str:
    target = kb.get(entry_id) if entry_id else None
    if target is None:
        return "不存在"
    return {"draft": "还是草稿", "retired": "已停用"}.get(target.status, "已过期")


def _ids(ids: List[str]) -> str:
    more = len(ids) - SHOWN_IDS
    return "、".join(ids[:SHOWN_IDS]) + (f" 等 {len(ids)} 个" if more > 0 else "")


def _in_days(days: int) -> str:
    return "今天" if days == 0 else f"{days} 天后"
