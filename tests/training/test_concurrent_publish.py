"""Two trainers on two workers pressing "publish" at the same moment, round after round, with an empty
model cache: both publishes succeed one after the other, every version folder is whole, the live
pointer names the newest, and a freshly started server loads it. A damaged version is refused at
rollback with its reason (409), never a 500. On SQLite and PostgreSQL."""
import json
import threading

import pytest
from fastapi.testclient import TestClient

from bot.artefact import read_manifest
from bot.engine import Bot
from bot.store import ConversationStore
from bot.store.locks import exclusive
from tests.conftest import DEMO, at_once, sign_in, started_workbench, workbench_app
from training.publisher import PUBLISH_LOCK
from training.workbench import Workbench

ROUNDS = 2


@pytest.fixture
def test_set(tmp_path):
    """A short gate test set (the KB's own entries only), so that a round takes seconds."""
    lines = [line for line in (DEMO / "queries.jsonl").read_text(encoding="utf-8").splitlines()
             if line.strip() and not (json.loads(line)["expected_id"] or "").startswith("chat_")][:20]
    path = tmp_path / "queries.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


@pytest.fixture
def two_workers(fresh_store_url, tmp_path, test_set, monkeypatch):
    """Two trainers' workbenches, each with its own store connection (as two processes have), sharing
    the database, the versions folder and an initially empty model cache."""
    monkeypatch.setenv("FAQBOT_CACHE", str(tmp_path / "cache"))
    first, _ = started_workbench(fresh_store_url, tmp_path, curation__test_set=test_set)
    second = Workbench(ConversationStore(fresh_store_url), first.config)
    return first, second, fresh_store_url


def test_simultaneous_publishes_take_turns_and_every_version_is_whole(two_workers):
    first, second, url = two_workers
    published = []
    for round_ in range(ROUNDS):
        first.draft.add_similar("shipping_time", [f"第{round_}批货几号能发出来"], "trainer")  # new content: trains
        results = at_once(lambda: first.publisher.publish("ann", f"round {round_}", force=True),
                           lambda: second.publisher.publish("bob", f"round {round_}", force=True))
        assert all(not isinstance(r, Exception) for r in results), results
        published += [r["number"] for r in results]
    assert sorted(published) == list(range(2, 2 + 2 * ROUNDS))  # every publish numbered once
    assert first.publisher.live() == second.publisher.live() == max(published)
    for number in [1, *published]:
        read_manifest(first.publisher.folder(number) / "model", verify=True)  # sha256 of every file
    leftovers = [p.name for p in first.publisher.root.iterdir() if not p.name.startswith("v")]
    assert leftovers == []
    fresh = Workbench(ConversationStore(url), first.config)
    assert isinstance(fresh.publisher.load(fresh.publisher.live()), Bot)  # a new `faqbot serve` starts


def test_a_publish_waits_while_another_worker_holds_the_publish_lock(two_workers):
    first, second, _ = two_workers
    with exclusive(first.store, PUBLISH_LOCK, 5, "a test publish"):  # the first worker is mid-publish
        waiting = threading.Thread(target=lambda: second.publisher.publish("bob", "waits", force=True))
        waiting.start()
        waiting.join(3)
        assert waiting.is_alive() and second.publisher.live() == 1  # nothing numbered, nothing moved
    waiting.join(300)
    assert second.publisher.live() == 2
    read_manifest(second.publisher.folder(2) / "model", verify=True)


def test_rolling_back_to_a_damaged_version_is_refused_with_the_reason(two_workers):
    bench, _, _ = two_workers
    bench.draft.add_similar("shipping_time", ["几号能发出来"], "trainer")
    damaged = bench.publisher.publish("ann", "to be damaged", force=True)["number"]
    bench.publisher.rollback(1, "ann")
    model = bench.publisher.folder(damaged) / "model"
    victim = next(p for p in sorted(model.rglob("*")) if p.is_file() and p.name != "manifest.json")
    victim.write_bytes(b"garbage")
    app = workbench_app(bench, bench.publisher.load(1), ("tr", "trainer"))
    client = TestClient(app)
    refused = client.post("/api/trainer/rollback", headers=sign_in(client, "tr"), json={"version": damaged})
    assert refused.status_code == 409, refused.text
    assert f"version {damaged} cannot be served" in refused.json()["detail"] and victim.name in refused.json()["detail"]
    assert bench.publisher.live() == 1


