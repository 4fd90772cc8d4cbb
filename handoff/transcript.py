"""Conversation files for replay: `faqbot handoff explain` and `faqbot eval-dialogues`.

Accepted forms (one file may hold many conversations):
- YAML/JSON: ``{conversations: [{id, channel, attributes, turns: [...]}]}``, or one conversation
  ``{turns: [...]}``, or a bare list of turns;
- JSONL: one conversation per line (``{"session_id", "turns": [{"role", "text"}, ...]}`` — the
  JD customer-service sample's layout) — only customer turns are replayed;
- plain text: one customer message per line.
A turn is text, or ``{text, handoff: true|false, entry: ID, attributes: {...}}``: ``handoff`` marks
"a person should take over here", ``entry`` the entry that should answer (labels for evaluation).
A conversation replaying a recorded JD session by reference says ``session: SESSION_ID`` and its turns
``ref: N`` (the turn's index in that session) instead of ``text``; the words are read from the sessions
sample (``handoff.session_refs``), which may not be copied into the repository.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional

import yaml
from handoff.session_refs import SessionTexts
from knowledge_base.errors import InvalidInput


class TranscriptError(InvalidInput):
    pass


@dataclass
class LabelledTurn:
    text: str
    handoff: Optional[bool] = None  # should a person take over at this turn? None: not labelled
    entry: Optional[str] = None  # the entry that should answer; None: not labelled
    attributes: dict = field(default_factory=dict)


@dataclass
class Transcript:
    id: str
    turns: List[LabelledTurn]
    channel: str = "web"
    attributes: dict = field(default_factory=dict)


def load_transcripts(path, sessions=None) -> List[Transcript]:
    """``sessions``: the sessions sample that ``ref`` turns point into (default: found near ``path``)."""
    path = Path(path)
    if not path.exists():
        raise TranscriptError(f"{path}: file not found")
    text = path.read_text(encoding="utf-8")
    texts = SessionTexts.near(path, sessions)
    if path.suffix == ".jsonl":
        return [_conversation(_json(line, path, n), f"{path}:{n}", str(n), texts)
                for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    if path.suffix in (".yml", ".yaml", ".json"):
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise TranscriptError(f"{path}: not valid YAML/JSON: {exc}") from exc
        if isinstance(data, dict) and "conversations" in data:
            return [_conversation(c, f"{path}: conversations[{n}]", str(n + 1), texts)
                    for n, c in enumerate(data["conversations"] or [])]
        return [_conversation(data if isinstance(data, dict) else {"turns": data}, str(path), path.stem, texts)]
    return [Transcript(path.stem, [LabelledTurn(line.strip()) for line in text.splitlines() if line.strip()])]


def _json(line: str, path: Path, n: int):
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise TranscriptError(f"{path}:{n}: not valid JSON: {exc.msg}") from exc


def _conversation(data, where: str, default_id: str, texts: SessionTexts) -> Transcript:
    if not isinstance(data, dict) or not isinstance(data.get("turns"), list):
        raise TranscriptError(f"{where}: expected a conversation with a list of turns")
    turns = []
    for n, turn in enumerate(data["turns"]):
        if isinstance(turn, dict) and turn.get("role", "customer") != "customer":
            continue  # the agent's side of a recorded conversation
        turns.append(_turn(_with_text(turn, data.get("session"), texts, f"{where}.turns[{n}]"), f"{where}.turns[{n}]"))
    attributes = data.get("attributes") or {}
    if not isinstance(attributes, dict):
        raise TranscriptError(f"{where}.attributes: expected a mapping")
    return Transcript(str(data.get("id") or data.get("session_id") or default_id), turns,
                      str(data.get("channel") or "web"), attributes)


def _with_text(turn, session, texts: SessionTexts, where: str):
    """A ``ref`` turn with the words of the session's turn it points to; any other turn as it is."""
    if not isinstance(turn, dict) or "ref" not in turn or "text" in turn:
        return turn
    try:
        return {**turn, "text": texts.text({"session_id": session, "turn": turn["ref"]}, where)}
    except InvalidInput as exc:
        raise TranscriptError(str(exc)) from exc


def _turn(turn, where: str) -> LabelledTurn:
    if isinstance(turn, str):
        return LabelledTurn(turn)
    if not isinstance(turn, dict) or not isinstance(turn.get("text"), str):
        raise TranscriptError(f"{where}: expected text or {{text: …}}")
    handoff = turn.get("handoff")
    if handoff is not None and not isinstance(handoff, bool):
        raise TranscriptError(f"{where}.handoff: expected true or false")
    return LabelledTurn(turn["text"], handoff, turn.get("entry"), turn.get("attributes") or {})
