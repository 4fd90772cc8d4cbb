"""Publishing: the draft becomes an immutable, numbered version that servers switch to.

A version is the KB snapshot (in the store, so any worker can rebuild it), the trained bot folder
(``curation.versions_dir/vNNNN``) and the evaluation on the trainers' test set. Publishing is gated
(``training.publish_gate``): the draft is compared with the live version per question — on the test
set, on recent traffic replayed and on the flagship questions — and a draft that loses answers or
scores worse beyond the configured limits is refused unless published anyway with a note (audited).
``preview`` runs the same evaluation without publishing, for the trainer to read before confirming.
Rolling back only moves the live pointer.

Publishing and rolling back hold one database lock (``bot.store.locks``), so trainers on different
workers take turns; a version's folder is written under a temporary name, verified (every file's
sha256) and renamed into place before the live pointer moves to it.
"""
from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Dict, List, Optional

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.artefact import ArtefactError, read_manifest
from bot.config import Config
from bot.engine import Bot
from bot.store import ConversationStore, kb_state, kb_versions
from bot.store.locks import exclusive
from knowledge_base.entry import KnowledgeBase
from knowledge_base.loader import build_kb

from training import audit
from training.draft import Draft
from training.test_set import TestSet
from training.model_cache import train_cached
from training.publish_gate import PublishGate
from knowledge_base.errors import Conflict, InvalidInput, NotFound

log = logging.getLogger(__name__)

LIVE_VERSION = "live_version"
LOADED_VERSIONS = 2  # bots kept in memory: the live one and the one switched from
PUBLISH_LOCK = "publish"
PUBLISH_WAIT_SECONDS = 600  # a colleague's publish (training included) is waited for this long


class PublishRefused(Conflict):
    """The draft evaluates worse than the live version beyond the tolerance."""

    def __init__(self, reasons: List[str], evaluation: dict):
        self.reasons = reasons
        self.evaluation = evaluation
        super().__init__("publish refused by the evaluation gate:\n  " + "\n  ".join(reasons) +
                         "\n(fix the draft, or publish anyway with --force --note WHY / '仍然发布' with a note)")


class NoteRequired(InvalidInput):
    """Publishing anyway over the gate's reasons needs a note saying why (it goes to the audit log)."""

    code = "note_required"


class BrokenVersion(Conflict):
    """A version whose trained folder cannot be served (damaged, or of another format)."""

    code = "version_unusable"

    def __init__(self, number: int, reason: Exception):
        super().__init__(f"version {number} cannot be served: {reason}; roll back to another version "
                         "or publish again")


class Publisher:
    def __init__(self, store: ConversationStore, config: Config, show_progress: bool = False):
        self.store = store
        self.config = config
        self.draft = Draft(store)
        self.tests = TestSet(store)
        self.gate = PublishGate(store, config)
        self.root = Path(config.curation.versions_dir)
        self.show_progress = show_progress
        self._loaded: Dict[int, Bot] = {}

    # -- reading --------------------------------------------------------------------------------
    def live(self) -> Optional[int]:
        with self.store.reading() as conn:
            value = conn.execute(select(kb_state.c.value).where(kb_state.c.key == LIVE_VERSION)).scalar()
        return int(value) if value else None

    def versions(self) -> List[dict]:
        """Newest first, without the snapshots."""
        columns = [c for c in kb_versions.c if c.name != "snapshot"]
        with self.store.reading() as conn:
            rows = [dict(r._mapping) for r in conn.execute(select(*columns).order_by(kb_versions.c.number.desc()))]
        live = self.live()
        for row in rows:
            row["evaluation"] = json.loads(row["evaluation"])
            row["live"] = row["number"] == live
        return rows

    def snapshot(self, number: int, folder: Optional[Path] = None) -> KnowledgeBase:
        """The KB exactly as version ``number`` was published (its dictionary files written to ``folder``)."""
        with self.store.reading() as conn:
            blob = conn.execute(select(kb_versions.c.snapshot).where(kb_versions.c.number == number)).scalar()
        if blob is None:
            raise NotFound(f"no version {number}")
        data = json.loads(blob)
        from training.draft import _write_resources

        resources = _write_resources({k: tuple(v) for k, v in data["resources"].items()}, folder)
        return build_kb([(e, 0, {}) for e in data["entries"]], f"version {number}", resources=resources)

    def load(self, number: int) -> Bot:
        """The version's trained bot; a worker without its folder rebuilds it from the snapshot.
        Versions are immutable, so the last few loaded are kept."""
        if number not in self._loaded:
            self._loaded[number] = self._load(number)
            while len(self._loaded) > LOADED_VERSIONS:
                self._loaded.pop(next(iter(self._loaded)))
        return self._loaded[number]

    def _load(self, number: int) -> Bot:
        model = self.folder(number) / "model"
        if not model.exists():
            base = self._evaluation_of(number).get("calibration_base")
            bot, _ = train_cached(None, self.config, self.show_progress, kb=self.snapshot(number, self.folder(number)
                                                                                           / "resources"),
                                  base=self.model_folder(base) if base else None)
            _copy_into(Path(bot.folder), model)
        return Bot.load(model)

    def folder(self, number: int) -> Path:
        return self.root / f"v{number:04d}"

    def model_folder(self, number: int) -> Path:
        """Version ``number``'s trained folder (rebuilt from its snapshot where this worker lacks it)."""
        folder = self.folder(number) / "model"
        if not folder.exists():
            self.load(number)
        return folder

    def calibration_base(self) -> Optional[Path]:
        """The live version's trained folder: a draft keeps its fusion, confidence and thresholds while it
        changed little since them, so an edit changes decisions only near the edited entries. None when
        nothing is live (or the live version cannot be had: the draft is then calibrated afresh)."""
        live = self.live()
        if live is None:
            return None
        try:
            return self.model_folder(live)
        except Exception as exc:  # a broken live version must not stop the draft from training
            log.warning("live version %s cannot calibrate the draft: %s", live, type(exc).__name__)
            return None

    def _evaluation_of(self, number: int) -> dict:
        return next((v["evaluation"] for v in self.versions() if v["number"] == number), {}) or {}

    # -- writing --------------------------------------------------------------------------------
    def publish(self, actor: str, note: str = "", force: bool = False) -> dict:
        """Train the draft, evaluate it against the live version, and make it live — one publish at
        a time across every process sharing the store."""
        with exclusive(self.store, PUBLISH_LOCK, PUBLISH_WAIT_SECONDS, "another publish or rollback"):
            return self._publish(actor, note, force)

    def preview(self) -> dict:
        """What publishing the draft now would change, without publishing: the gate's evaluation, its
        per-question diff against the live version and its reasons to refuse (``regressions``)."""
        self.root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".preview-", dir=self.root))
        try:
            bot, train_seconds = train_cached(None, self.config, self.show_progress,
                                              kb=self.draft.knowledge_base(staging / "resources"),
                                              base=self.calibration_base())
            evaluation = self._evaluate_against_live(bot)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        evaluation["train_seconds"] = train_seconds
        return evaluation

    def _publish(self, actor: str, note: str, force: bool) -> dict:
        self.root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=self.root))
        try:
            kb = self.draft.knowledge_base(staging / "resources")
            base = self.live()
            bot, train_seconds = train_cached(None, self.config, self.show_progress, kb=kb,
                                              base=self.model_folder(base) if base else None)
            evaluation = self._gate(bot, force, actor, note)
            evaluation.update(train_seconds=train_seconds, calibration_base=base)
            _copy_into(Path(bot.folder), staging / "model")
            number = self._commit(kb, staging, evaluation, actor, note)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return next(v for v in self.versions() if v["number"] == number)

    def rollback(self, number: int, actor: str) -> dict:
        """Make an earlier (or later) version live again; servers switch within ``reload_seconds``."""
        with exclusive(self.store, PUBLISH_LOCK, PUBLISH_WAIT_SECONDS, "a publish or another rollback"):
            previous = self.live()
            self._servable(number)  # refused before anyone is switched to it
            with self.store.transaction() as conn:
                _set_live(conn, number)
                audit.record(conn, actor, "rollback", f"version:{number}", {"from": previous, "to": number})
        return next(v for v in self.versions() if v["number"] == number)

    def _servable(self, number: int) -> None:
        """Version ``number``'s folder is whole on disk (every file's sha256) and its bot loads."""
        self.snapshot(number)  # NotFound for a version that was never published
        model = self.folder(number) / "model"
        try:
            if model.exists():
                read_manifest(model, verify=True)
            self.load(number)
        except (ArtefactError, OSError, ValueError) as exc:
            self._loaded.pop(number, None)
            raise BrokenVersion(number, exc) from exc

    def restore_draft(self, number: int, actor: str) -> dict:
        """Start editing again from what version ``number`` holds."""
        return self.draft.import_kb(self.snapshot(number), actor)

    # -- parts ----------------------------------------------------------------------------------
    def _gate(self, bot: Bot, force: bool, actor: str, note: str) -> dict:
        evaluation = self._evaluate_against_live(bot)
        reasons = evaluation.get("regressions", [])
        if reasons and not force:
            with self.store.transaction() as conn:
                audit.record(conn, actor, "publish.refused", "kb", evaluation)
            raise PublishRefused(reasons, evaluation)
        if reasons and not note.strip():
            raise NoteRequired("publishing anyway over the gate's reasons needs a note saying why:\n  " +
                               "\n  ".join(reasons))
        if "live" in evaluation:
            evaluation["forced"] = bool(reasons)
        return evaluation

    def _evaluate_against_live(self, bot: Bot) -> dict:
        queries = self.tests.queries()
        live = self.live()
        fingerprint = _fingerprint(queries)
        evaluation = {"test_cases": len(queries), "test_set": fingerprint}
        if live is None:
            evaluation.update(self.gate.evaluate(bot, None, queries))
            return evaluation
        evaluation["live_version"] = live
        evaluation.update(self.gate.evaluate(bot, self.load(live), queries, self._evaluation(live, fingerprint)))
        return evaluation

    def _evaluation(self, number: int, fingerprint: str) -> Optional[dict]:
        """Version ``number``'s own result, when it was measured on this very test set."""
        evaluation = self._evaluation_of(number)
        return evaluation.get("draft") if evaluation.get("test_set") == fingerprint else None

    def _commit(self, kb: KnowledgeBase, staging: Path, evaluation: dict, actor: str, note: str) -> int:
        """Number the version, put its verified folder in place, then record it and make it live in
        one transaction (the folder is copied outside it: a large model must not hold up other writes)."""
        snapshot = json.dumps({"entries": [e.to_dict() for e in kb], "resources": _resource_contents(kb)},
                              ensure_ascii=False)
        number = self._next_number()
        target = self.folder(number)
        _place_verified(staging, target)
        try:
            with self.store.transaction() as conn:
                conn.execute(insert(kb_versions).values(
                    number=number, created=time.time(), created_by=actor[:64], note=note,
                    kb_hash=kb.content_hash(), snapshot=snapshot,
                    evaluation=json.dumps(evaluation, ensure_ascii=False)))
                _set_live(conn, number)
                audit.record(conn, actor, "publish", f"version:{number}",
                             {"note": note, "entries": len(kb), "kb_hash": kb.content_hash(),
                              "draft": evaluation["draft"], "forced": evaluation.get("forced", False),
                              "overridden": evaluation.get("regressions", []) if evaluation.get("forced") else []})
        except IntegrityError as exc:  # only a publisher ignoring the lock gets here
            shutil.rmtree(target, ignore_errors=True)
            raise Conflict(f"version {number} was published meanwhile; publish again") from exc
        return number

    def _next_number(self) -> int:
        with self.store.reading() as conn:
            return conn.execute(select(func.coalesce(func.max(kb_versions.c.number), 0))).scalar_one() + 1


def _fingerprint(queries) -> str:
    blob = json.dumps(sorted([q.text, q.expected_id or ""] for q in queries), ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _set_live(conn, number: int) -> None:
    now = time.time()
    changed = conn.execute(update(kb_state).where(kb_state.c.key == LIVE_VERSION).values(value=str(number), updated=now))
    if changed.rowcount == 0:
        conn.execute(insert(kb_state).values(key=LIVE_VERSION, value=str(number), updated=now))


def _resource_contents(kb: KnowledgeBase) -> dict:
    return {name: [Path(path).name, Path(path).read_text(encoding="utf-8") if Path(path).exists() else ""]
            for name, path in kb.resources.items()}


def _place_verified(staging: Path, target: Path) -> None:
    """Copy ``staging`` to ``target`` under a temporary name, check every file's sha256, then rename
    it into place: a version folder is whole or absent. A folder left at ``target`` by a publish that
    died before recording it is replaced."""
    writing = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.writing")
    shutil.copytree(staging, writing)
    try:
        read_manifest(writing / "model", verify=True)
        if target.exists():
            leftover = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.leftover")
            target.rename(leftover)
            shutil.rmtree(leftover, ignore_errors=True)
        writing.rename(target)
    finally:
        shutil.rmtree(writing, ignore_errors=True)


def _copy_into(source: Path, target: Path) -> None:
    """Copy a trained folder; written beside under a name of its own and renamed, so a reader never
    sees half a folder and two processes rebuilding one version do not write into each other's."""
    if target.exists():
        return
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.copying")
    shutil.copytree(source, tmp)
    try:
        tmp.rename(target)
    except OSError:  # another process put it there first: theirs is as good
        if not target.exists():
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
