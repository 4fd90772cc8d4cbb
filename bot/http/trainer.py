"""The trainers' API behind /trainer: browse and edit the draft, try it, check it, accept suggestions
from traffic, curate the test set, publish, roll back, read the audit log.

Trainers (and admins) sign in like agents (``/api/agent/login``) and send the bearer token. Every
route translates into one ``Workbench`` call; errors become 4xx with the reason.
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Dict, List, Optional

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from knowledge_base.limits import ImportLimits
from knowledge_base.loader import KBValidationError, load_kb
from knowledge_base.writer import FORMATS, write_kb
from training.publisher import PublishRefused
from training.workbench import Workbench

from bot.http.staff_auth import with_role
from bot.service.conversations import Conversations
from bot.service.live import VERSIONS_TOPIC, LiveVersion
from bot.service.try_panel import TryPanel

TRAINER_ROLES = ("trainer", "admin")
IMPORT_SUFFIXES = (".yml", ".yaml", ".jsonl", ".json", ".csv", ".xlsx")
SUFFIX = {"yaml": ".yml", "jsonl": ".jsonl", "csv": ".csv", "xlsx": ".xlsx", "rasa": ".yml"}


class EntryUpdate(BaseModel):
    entry: Dict = Field(..., description="the entry's fields, as in a KB file")
    revision: int = Field(..., ge=1, description="the revision the trainer loaded (conflicts are refused)")


class RevisionIn(BaseModel):
    revision: int = Field(..., ge=1)


class SimilarIn(BaseModel):
    texts: List[str] = Field(..., min_length=1, max_length=200)


class TryIn(BaseModel):
    text: str = Field(..., min_length=1, max_length=500)
    channel: str = Field("default", max_length=32)


class PublishIn(BaseModel):
    note: str = Field("", max_length=500)
    force: bool = False


class RollbackIn(BaseModel):
    version: int = Field(..., ge=1)


class TestCaseIn(BaseModel):
    text: str = Field(..., min_length=1, max_length=500)
    expected_id: Optional[str] = Field(None, max_length=255, description="null: the bot must not answer")


class AcceptIn(BaseModel):
    entry_id: Optional[str] = Field(None, max_length=255, description="another entry than the suggested one")
    questions: Optional[List[str]] = Field(None, max_length=100, description="a subset of the suggested questions")
    answer: str = Field("", max_length=5000, description="for a new entry")
    new_id: str = Field("", max_length=255, description="for a new entry")


def trainer_router(conversations: Conversations, bench: Workbench, versions: LiveVersion) -> APIRouter:
    router = APIRouter(prefix="/api/trainer", tags=["trainers"])
    desk = conversations.desk
    panel = TryPanel(bench, desk, conversations.lookups)

    trainer = with_role(desk, TRAINER_ROLES, "the workbench is for trainers and admins")

    def _switched(version: dict) -> dict:
        """This worker serves it now; the others are told (and look every reload_seconds anyway)."""
        versions.check()
        conversations.hub.publish(VERSIONS_TOPIC, {"version": version["number"]})
        return version

    @router.get("/me")
    def me(me: dict = Depends(trainer)) -> dict:
        return me

    @router.post("/logout")
    def logout(me: dict = Depends(trainer), authorization: str = Header(...)) -> dict:
        desk.logout(authorization.removeprefix("Bearer ").strip())
        return {"status": "signed out"}

    @router.get("/overview", summary="Draft revision, live version, what is served here")
    def overview(me: dict = Depends(trainer)) -> dict:
        live = bench.publisher.live()
        published = next((v for v in bench.publisher.versions() if v["number"] == live), None)
        return {"draft_revision": bench.draft.revision(), "live_version": live, "served_here": versions.current,
                "load_error": versions.error, "live_published": published and published["created"],
                "entries": len(bench.draft.entries()), "test_cases": len(bench.tests.cases()),
                "ui_language": "en" if bench.config.language == "en" else "zh"}

    @router.get("/categories")
    def categories(me: dict = Depends(trainer)) -> List[dict]:
        return bench.draft.categories()

    @router.get("/entries", summary="Search the draft")
    def entries(q: str = Query("", max_length=200), category: str = Query("", max_length=255),
                status: str = Query("", max_length=16), limit: int = Query(50, ge=1, le=500),
                offset: int = Query(0, ge=0), me: dict = Depends(trainer)) -> dict:
        return bench.search(q, category, status, limit, offset, conversations.bot)

    @router.get("/entries/{entry_id}")
    def entry(entry_id: str, me: dict = Depends(trainer)) -> dict:
        return _public(bench.draft.entry(entry_id))

    @router.post("/entries", summary="Create an entry in the draft", status_code=201)
    def create(body: Dict, me: dict = Depends(trainer)) -> dict:
        return _public(bench.draft.save(body, me["username"]))

    @router.put("/entries/{entry_id}", summary="Edit an entry (with the revision it was loaded at)")
    def edit(entry_id: str, body: EntryUpdate, me: dict = Depends(trainer)) -> dict:
        if body.entry.get("id", entry_id) != entry_id:
            raise HTTPException(422, "an entry's id cannot change; create a new entry and retire this one")
        return _public(bench.draft.save(dict(body.entry, id=entry_id), me["username"], body.revision))

    @router.post("/entries/{entry_id}/retire", summary="Stop serving it from the next version on")
    def retire(entry_id: str, body: RevisionIn, me: dict = Depends(trainer)) -> dict:
        return _public(bench.draft.retire(entry_id, me["username"], body.revision))

    @router.post("/entries/{entry_id}/similar", summary="Add similar questions")
    def similar(entry_id: str, body: SimilarIn, me: dict = Depends(trainer)) -> dict:
        return _public(bench.draft.add_similar(entry_id, body.texts, me["username"]))

    @router.post("/try", summary="测试窗: what the draft and the live version would reply, through the production path")
    def try_question(body: TryIn, me: dict = Depends(trainer)) -> dict:
        """The draft's reply (``retraining`` true while it retrains: ask again) beside the live one."""
        return panel.ask(body.text, body.channel, conversations.bot, conversations.router)

    @router.get("/quality", summary="Near-duplicates, thin entries, expiring entries, empty answers")
    def quality(lang: str = Query("zh", pattern="^(zh|en)$"), me: dict = Depends(trainer)) -> List[dict]:
        return bench.quality(conversations.bot, lang)

    @router.get("/analytics", summary="Per entry: hits, helpful rate, clarify/fallback share, last asked, stale")
    def analytics(days: int = Query(30, ge=1, le=3650), me: dict = Depends(trainer)) -> List[dict]:
        return [row.to_dict() for row in bench.analytics(days)]

    @router.get("/analytics.csv", summary="The knowledge analytics as a CSV file")
    def analytics_csv(days: int = Query(30, ge=1, le=3650), me: dict = Depends(trainer)) -> Response:
        from training.analytics import to_csv

        return Response(to_csv(bench.analytics(days)).encode("utf-8"), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="kb-analytics-{days}d.csv"'})

    @router.get("/suggestions", summary="Open suggestions from traffic, most customers first")
    def suggestions(status: str = Query("open", pattern="^(open|accepted|rejected)$"),
                    lang: str = Query("zh", pattern="^(zh|en)$"), me: dict = Depends(trainer)) -> List[dict]:
        return bench.suggestions.list(status, lang)

    @router.post("/mine", summary="Mine unanswered questions and clicks into suggestions now")
    def mine(me: dict = Depends(trainer)) -> dict:
        return bench.mine(conversations.bot)

    @router.post("/suggestions/{suggestion_id}/accept")
    def accept(suggestion_id: int, body: AcceptIn, me: dict = Depends(trainer)) -> dict:
        return _public(bench.suggestions.accept(suggestion_id, me["username"], body.entry_id, body.questions,
                                                body.answer, body.new_id))

    @router.post("/suggestions/{suggestion_id}/reject")
    def reject(suggestion_id: int, me: dict = Depends(trainer)) -> dict:
        bench.suggestions.reject(suggestion_id, me["username"])
        return {"status": "rejected"}

    @router.get("/tests", summary="The publish gate's labelled test set")
    def tests(me: dict = Depends(trainer)) -> List[dict]:
        return bench.tests.cases()

    @router.post("/tests", status_code=201)
    def add_test(body: TestCaseIn, me: dict = Depends(trainer)) -> dict:
        return {"id": bench.tests.add(body.text, body.expected_id, me["username"], bench.answerable_ids())}

    @router.delete("/tests/{case_id}")
    def remove_test(case_id: int, me: dict = Depends(trainer)) -> dict:
        bench.tests.remove(case_id, me["username"])
        return {"status": "removed"}

    @router.get("/versions")
    def list_versions(me: dict = Depends(trainer)) -> List[dict]:
        return bench.publisher.versions()

    @router.post("/publish/preview", summary="Train the draft and compare it with the live version, publishing nothing")
    def preview(me: dict = Depends(trainer)) -> dict:
        return bench.publisher.preview()

    @router.post("/publish", summary="Train, evaluate against the live version, make live")
    def publish(body: PublishIn, me: dict = Depends(trainer)):
        try:
            version = bench.publisher.publish(me["username"], body.note, body.force)
        except PublishRefused as refused:
            return JSONResponse(status_code=409, content={"detail": str(refused), "reasons": refused.reasons,
                                                          "evaluation": refused.evaluation})
        return _switched(version)

    @router.post("/rollback", summary="Make another version live")
    def rollback(body: RollbackIn, me: dict = Depends(trainer)) -> dict:
        return _switched(bench.publisher.rollback(body.version, me["username"]))

    @router.post("/versions/{number}/restore", summary="Replace the draft with what a version holds")
    def restore(number: int, me: dict = Depends(trainer)) -> dict:
        return bench.publisher.restore_draft(number, me["username"])

    @router.get("/audit", summary="Who changed what, newest first")
    def audit(target: Optional[str] = Query(None, max_length=255), before: Optional[int] = Query(None, ge=1),
              limit: int = Query(100, ge=1, le=1000), me: dict = Depends(trainer)) -> List[dict]:
        return bench.audit(limit, target, before)

    @router.get("/export", summary="The draft as a file: yaml, jsonl, csv, xlsx or rasa")
    def export(format: str = Query("xlsx", pattern="^(" + "|".join(FORMATS) + ")$"),
               me: dict = Depends(trainer)) -> Response:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"kb{SUFFIX[format]}"
            write_kb(bench.draft.knowledge_base(), path, format)
            data = path.read_bytes()
        name = f"kb-draft-r{bench.draft.revision()}{'-rasa' if format == 'rasa' else ''}{SUFFIX[format]}"
        return Response(data, media_type="application/octet-stream",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @router.post("/import", summary="Replace (or merge into) the draft from an uploaded KB file (raw body)")
    async def import_file(request: Request, filename: str = Query(..., max_length=255), merge: bool = False,
                          me: dict = Depends(trainer)) -> dict:
        suffix = Path(filename).suffix.lower()
        if suffix not in IMPORT_SUFFIXES:
            raise HTTPException(422, f"{filename}: use one of {', '.join(IMPORT_SUFFIXES)}")
        limits = ImportLimits.from_config(bench.config.curation)
        body = await _bounded_body(request, limits.max_bytes)
        return await run_in_threadpool(_import, bench, Path(filename).name, body, merge, me["username"], limits)

    return router


def _import(bench: Workbench, filename: str, body: bytes, merge: bool, actor: str, limits: ImportLimits):
    """Validated as a whole before the draft changes: a bad file is reported and changes nothing.

    The upload lands in a folder of its own beside the draft's own dictionary files — all that its
    ``dictionary:`` / ``synonyms:`` header can name (the loader refuses any other path)."""
    with tempfile.TemporaryDirectory() as folder:
        bench.draft.write_resources(Path(folder))
        path = Path(folder) / filename
        path.write_bytes(body)
        try:
            kb = load_kb(path, limits)
        except KBValidationError as exc:
            return JSONResponse(status_code=422, content={"detail": str(exc).replace(str(path), filename),
                                                          "problems": [str(p).replace(str(path), filename)
                                                                       for p in exc.problems]})
        return bench.draft.import_kb(kb, actor, merge)


def _public(entry: dict) -> dict:
    """The entry with its revision (sent back on save) and who changed it last."""
    return dict({k: v for k, v in entry.items() if not k.startswith("_")}, revision=entry["_revision"],
                updated=entry["_updated"], updated_by=entry["_updated_by"])


async def _bounded_body(request: Request, limit: int) -> bytes:
    """The upload, refused (413) as soon as it is known to be larger than ``limit``."""
    refused = HTTPException(413, f"the file is larger than {limit // (1024 * 1024)} MB (curation.max_import_mb)")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise refused
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise refused
    return bytes(body)
