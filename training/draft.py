"""The draft knowledge base trainers edit, kept in the conversation store (SQLite or PostgreSQL).

Customers are answered from a published version; trainers change the draft until they publish it.
Every change is validated against the whole draft with the same rules as a KB file, carries the
entry's revision (two trainers editing one entry: the second gets a conflict, never a silent
overwrite), bumps the draft's revision and writes its audit row in the same transaction.
"""
from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import replace
from pathlib import Path
from typing import Dict, Iterable, List, Optional

from sqlalchemy import delete, func, insert, select, true, update
from sqlalchemy.engine import Connection

from bot.store import ConversationStore, kb_entries, kb_resources, kb_state
from knowledge_base.entry import KnowledgeBase
from knowledge_base.loader import KBValidationError, Problem, build_kb

from training import audit
from training.draft_import import plan_import
from knowledge_base.errors import Conflict, NotFound

DRAFT_REVISION = "draft_revision"
IMPORT_TRIES = 3  # an import planned on a draft that changed meanwhile is planned again, this often
NO_LINE = re.compile(r" \((first defined at )?line 0\)")
UNCATEGORISED = "(未分类)"  # the tree's node for entries without a category
SEARCH_MIN_SCORE = 0.3  # retrieval match probability from which an entry is found without the words in it
SUMMARY_FIELDS = ("id", "question", "category", "status", "valid_from", "valid_to", "handoff")


class EditConflict(Conflict):
    """The entry changed since the trainer loaded it; reload and apply the edit again."""


class Draft:
    def __init__(self, store: ConversationStore):
        self.store = store

    # -- reading --------------------------------------------------------------------------------
    def revision(self) -> int:
        with self.store.reading() as conn:
            return _revision(conn)

    def is_empty(self) -> bool:
        with self.store.reading() as conn:
            return conn.execute(select(func.count()).select_from(kb_entries)).scalar_one() == 0

    def entries(self) -> List[dict]:
        """Every entry as a dict with its ``_revision``, in the trainers' order."""
        with self.store.reading() as conn:
            return _rows(conn)

    def entry(self, entry_id: str) -> dict:
        with self.store.reading() as conn:
            row = conn.execute(select(kb_entries).where(kb_entries.c.id == entry_id)).first()
        if row is None:
            raise NotFound(f"no entry {entry_id!r} in the draft")
        return _as_dict(row)

    def search(self, text: str = "", category: str = "", status: str = "", limit: int = 50,
               offset: int = 0, scores: Optional[Dict[str, float]] = None) -> dict:
        """Entries under ``category`` whose id, questions or answers contain ``text`` (case-insensitive),
        or that the bot's retrieval finds for it (``scores``: entry id → match probability, see
        ``Workbench.search``). Entries whose id contains the text first; then those found by retrieval,
        best first; then those whose questions contain the text; then those whose answers do."""
        needle = text.strip().lower()
        within = "" if category == UNCATEGORISED else category
        scores = {k: v for k, v in (scores or {}).items() if v >= SEARCH_MIN_SCORE} if needle else {}
        found = [e for e in self.entries()
                 if (not category or e["category"] == within or (within and e["category"].startswith(within + "/")))
                 and (not status or e["status"] == status)
                 and (not needle or e["id"] in scores or needle in _haystack(e))]
        if needle:
            found.sort(key=lambda e: (needle not in e["id"].lower(), -scores.get(e["id"], -1.0),
                                      needle not in _questions(e)))
        shown = [dict({k: e[k] for k in SUMMARY_FIELDS}, similar=len(e["similar"]), revision=e["_revision"])
                 for e in found[offset:offset + limit]]
        return {"total": len(found), "entries": shown}

    def categories(self) -> List[dict]:
        """The category tree flattened: every path and prefix with its number of entries."""
        counts: Dict[str, int] = {}
        for entry in self.entries():
            parts = [p for p in entry["category"].split("/") if p] or [UNCATEGORISED]
            for depth in range(1, len(parts) + 1):
                path = "/".join(parts[:depth])
                counts[path] = counts.get(path, 0) + 1
        return [{"path": path, "name": path.rsplit("/", 1)[-1], "depth": path.count("/"), "entries": n}
                for path, n in sorted(counts.items())]

    def knowledge_base(self, folder: Optional[Path] = None) -> KnowledgeBase:
        """The draft as a KnowledgeBase; its dictionary files are written into ``folder`` (or a cache)."""
        with self.store.reading() as conn:
            records = [(_record(e), 0, {}) for e in _rows(conn)]
            resources = _resources(conn)
        if not records:
            raise NotFound("the draft is empty: import a knowledge base first (faqbot kb import FILE)")
        return build_kb(records, "draft", resources=_write_resources(resources, folder))

    def write_resources(self, folder: Path) -> Dict[str, str]:
        """The draft's own dictionary files, written into ``folder`` (setting → path): a KB file put
        there — an upload — may name them, as the draft's YAML export does."""
        with self.store.reading() as conn:
            return _write_resources(_resources(conn), folder)

    # -- writing --------------------------------------------------------------------------------
    def import_kb(self, kb: KnowledgeBase, actor: str, merge: bool = False) -> dict:
        """Replace the draft with ``kb`` (or, with ``merge``, add and update its entries and keep the
        rest). Validated as a whole first: a failed import changes nothing. The checking runs with no
        lock held; only the writing is a (short) transaction, so customers never wait on an import."""
        for _ in range(IMPORT_TRIES):
            revision, current = self._snapshot()
            plan = plan_import(kb, current, revision, merge, actor, _clean, _validate, _record)
            with self.store.transaction() as conn:
                if _revision(conn) != plan.revision:
                    continue  # a trainer changed the draft meanwhile: plan again on what it is now
                chosen = kb_entries.c.id.in_(plan.replacing) if plan.replacing is not None else true()
                conn.execute(delete(kb_entries).where(chosen))
                if plan.rows:
                    conn.execute(insert(kb_entries), plan.rows)
                _import_resources(conn, kb.resources)
                audit.record(conn, actor, "kb.import", "kb", dict(plan.summary, source=kb.source, merge=merge))
                _bump(conn)
            return {k: len(v) if isinstance(v, list) else v for k, v in plan.summary.items()}
        raise EditConflict("the draft kept changing while the file was checked; import it again")

    def _snapshot(self) -> tuple:
        """(draft revision, entries by id) in one short read; decoded after the lock is released."""
        with self.store.reading() as conn:
            revision = _revision(conn)
            raw = conn.execute(select(kb_entries).order_by(kb_entries.c.position, kb_entries.c.id)).all()
        return revision, {row.id: _as_dict(row) for row in raw}

    def seed(self, kb: KnowledgeBase, actor: str = "system") -> bool:
        """Fill an empty draft (first start of a server); a draft trainers already have is left alone."""
        if not self.is_empty():
            return False
        self.import_kb(kb, actor)
        return True

    def save(self, data: dict, actor: str, revision: Optional[int] = None) -> dict:
        """Create the entry (``revision`` None) or update it (``revision`` = the one the trainer loaded)."""
        data = _clean(data)
        entry_id = str(data.get("id") or "").strip()
        with self.store.transaction() as conn:
            rows = _rows(conn)
            before = next((e for e in rows if e["id"] == entry_id), None)
            _check_revision(entry_id, before, revision)
            records = [data if e["id"] == entry_id else _record(e) for e in rows]
            _validate(records if before else records + [data], f"entry {entry_id or '(new)'}")
            _write(conn, data, actor, before, before["_position"] if before else _next_position(conn))
            changes = _diff(_record(before) if before else {}, data)
            audit.record(conn, actor, "entry.update" if before else "entry.create", entry_id, changes)
            _bump(conn)
        return self.entry(entry_id)

    def retire(self, entry_id: str, actor: str, revision: Optional[int] = None) -> dict:
        """Stop serving the entry from the next version on; it stays in the draft for history."""
        entry = self.entry(entry_id)
        return self.save(dict(_record(entry), status="retired"), actor, entry["_revision"] if revision is None
                         else revision)

    def add_similar(self, entry_id: str, texts: Iterable[str], actor: str) -> dict:
        """Append similar questions; ones the entry already has are skipped (safe to repeat)."""
        entry = self.entry(entry_id)
        present = set(entry["similar"]) | {entry["question"]}
        new = [t.strip() for t in dict.fromkeys(texts) if t.strip() and t.strip() not in present]
        if not new:
            return entry
        return self.save(dict(_record(entry), similar=entry["similar"] + new), actor, entry["_revision"])


def _revision(conn: Connection) -> int:
    value = conn.execute(select(kb_state.c.value).where(kb_state.c.key == DRAFT_REVISION)).scalar()
    return int(value or 0)


def _bump(conn: Connection) -> None:
    now = time.time()
    if conn.execute(update(kb_state).where(kb_state.c.key == DRAFT_REVISION)
                    .values(value=str(_revision(conn) + 1), updated=now)).rowcount == 0:
        conn.execute(insert(kb_state).values(key=DRAFT_REVISION, value="1", updated=now))


def _rows(conn: Connection) -> List[dict]:
    query = select(kb_entries).order_by(kb_entries.c.position, kb_entries.c.id)
    return [_as_dict(row) for row in conn.execute(query)]


def _as_dict(row) -> dict:
    return dict(json.loads(row.data), _revision=row.revision, _position=row.position, _updated=row.updated,
                _updated_by=row.updated_by)


def _record(entry: dict) -> dict:
    """The entry's own fields, without the draft's bookkeeping."""
    return {k: v for k, v in entry.items() if not k.startswith("_")}


def _clean(data: dict) -> dict:
    """An entry as the loader would read it back (Entry.to_dict) — the form stored and compared."""
    record = _record(data)
    try:
        entry = build_kb([(record, 0, {})], "entry").entries[0]
    except KBValidationError:
        return record  # _validate reports it with the whole draft as context
    return entry.to_dict()


def _validate(records: List[dict], where: str) -> None:
    """The loader's rules over the whole draft; a draft has no lines, so none are quoted."""
    try:
        build_kb([(r, 0, {}) for r in records], where)
    except KBValidationError as exc:
        raise KBValidationError([replace(p, message=NO_LINE.sub("", p.message)) for p in exc.problems]) from None


def _check_revision(entry_id: str, before: Optional[dict], revision: Optional[int]) -> None:
    if not entry_id:
        raise KBValidationError([Problem("entry", 0, "id", "required")])
    if revision is None and before is not None:
        raise EditConflict(f"entry {entry_id!r} already exists (edit it instead of creating it again)")
    if revision is not None and before is None:
        raise NotFound(f"no entry {entry_id!r} in the draft")
    if before is not None and before["_revision"] != revision:
        raise EditConflict(f"entry {entry_id!r} was changed by {before['_updated_by']} since you opened it "
                           f"(revision {before['_revision']}, yours {revision}); reload it and apply your edit again")


def _write(conn: Connection, data: dict, actor: str, before: Optional[dict], position: float) -> None:
    values = dict(data=json.dumps(data, ensure_ascii=False, sort_keys=True), updated=time.time(),
                  updated_by=actor[:64], position=position)
    if before is None:
        conn.execute(insert(kb_entries).values(id=data["id"], revision=1, **values))
    else:
        conn.execute(update(kb_entries).where(kb_entries.c.id == data["id"])
                     .values(revision=kb_entries.c.revision + 1, **values))


def _next_position(conn: Connection) -> float:
    return float(conn.execute(select(func.coalesce(func.max(kb_entries.c.position), 0))).scalar_one()) + 1


def _diff(before: dict, after: dict) -> dict:
    """Changed fields as {field: [before, after]} — what the audit log shows."""
    return {k: [before.get(k), after.get(k)] for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)}


def _questions(entry: dict) -> str:
    return " ".join([entry["id"], entry["question"], *entry["similar"]]).lower()


def _haystack(entry: dict) -> str:
    answers = entry["answer"].values() if isinstance(entry["answer"], dict) else [entry["answer"]]
    return " ".join([entry["id"], entry["question"], *entry["similar"], *answers]).lower()


def _import_resources(conn: Connection, resources: Dict[str, str]) -> None:
    """Keep the KB's own dictionary / synonym files' contents, so versions rebuild anywhere."""
    for name, path in resources.items():
        content = Path(path).read_text(encoding="utf-8") if Path(path).exists() else ""
        conn.execute(delete(kb_resources).where(kb_resources.c.name == name))
        conn.execute(insert(kb_resources).values(name=name, filename=Path(path).name, content=content))


def _resources(conn: Connection) -> Dict[str, tuple]:
    return {r.name: (r.filename, r.content) for r in conn.execute(select(kb_resources))}


def _write_resources(resources: Dict[str, tuple], folder: Optional[Path]) -> Dict[str, str]:
    if not resources:
        return {}
    if folder is None:
        from knowledge_base.environment import cache_root

        blob = json.dumps(sorted(resources.items()), ensure_ascii=False).encode()
        folder = cache_root() / "draft-resources" / hashlib.sha256(blob).hexdigest()[:16]
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, (filename, content) in resources.items():
        path = folder / filename
        if not path.exists() or path.read_text(encoding="utf-8") != content:
            path.write_text(content, encoding="utf-8")
        paths[name] = str(path)
    return paths
