"""The 测试窗 answers with the draft through the production path (transfer rules included), says
"retraining" while the edited draft trains instead of showing an earlier draft's reply, and the
entry search ranks by the bot's own retrieval."""
import threading

import pytest
from fastapi.testclient import TestClient

from tests.conftest import sign_in, started_workbench, wait_until, workbench_app

QUESTION, TARGET = "东西坏了找谁", "repair_apply"  # version 1 does not answer it with the repair entry
TRAINING = 300  # s: training the edited demo draft on a shared 2-core machine
STEPS = ("encoding questions", "held-out questions", "fine-tuning the encoder", "fine-tuning the adapter")


@pytest.fixture(scope="module")
def client(store_url, tmp_path_factory):
    bench, bot = started_workbench(store_url, tmp_path_factory.mktemp("workbench"))
    app = workbench_app(bench, bot, ("trainer", "trainer", ["general"], "训练师"))
    with TestClient(app) as client:
        client.headers.update(sign_in(client, "trainer"))
        yield client


def _try(client, text):
    response = client.post("/api/trainer/try", json={"text": text})
    assert response.status_code == 200, response.text
    return response.json()


def test_the_edited_draft_says_retraining_until_it_answers_never_an_earlier_drafts_reply(client):
    edited = client.post(f"/api/trainer/entries/{TARGET}/similar", json={"texts": [QUESTION]})
    assert edited.status_code == 200
    revision = client.get("/api/trainer/overview").json()["draft_revision"]
    first = _try(client, QUESTION)
    assert first["retraining"] is True and "draft" not in first and first["draft_revision"] == revision
    assert first["live"]["entry_id"] != TARGET or first["live"]["decision"] != "answer"  # the live side at once
    seen = []
    wait_until(lambda: seen.append(_try(client, QUESTION)) or not seen[-1]["retraining"], TRAINING,
               "the draft retrained")
    assert all("draft" not in r for r in seen[:-1])  # while retraining, no reply is shown as the draft's
    for r in [first, *seen[:-1]]:  # and the step its training is at, once it has started one
        p = r["progress"]
        assert p is None or (p["step"] in STEPS and 0 <= p["done"] <= p["total"]), p
    ready = seen[-1]
    assert ready["draft_revision"] == revision
    assert (ready["draft"]["decision"], ready["draft"]["entry_id"]) == ("answer", TARGET)


def test_the_try_panel_applies_the_transfer_rules_as_customers_get_them(client):
    wait_until(lambda: not _try(client, "你好")["retraining"], TRAINING, "the draft trained")
    handed = _try(client, "你们这什么破服务，我要投诉，马上给我转人工")
    for side in ("draft", "live"):
        assert handed[side]["decision"] == "handoff" and handed[side]["handoff"]["rule"], handed[side]


@pytest.mark.parametrize("text, first", [("发票", "invoice_"), ("退货", "return_")])
def test_search_ranks_entries_by_the_bots_retrieval(client, text, first):
    found = [e["id"] for e in client.get("/api/trainer/entries", params={"q": text}).json()["entries"]]
    assert found[0].startswith(first) and found[1].startswith(first), found[:5]
    assert "order_place" not in found[:3]


def test_searching_an_id_finds_its_entry_first(client):
    found = client.get("/api/trainer/entries", params={"q": "shipping_fee"}).json()["entries"]
    assert found[0]["id"] == "shipping_fee"


def test_a_draft_that_does_not_train_says_why_and_never_shows_another_drafts_reply(client, monkeypatch):
    from training.workbench import Workbench

    def refuse(self, revision):
        raise ValueError("training needs at least two published entries")

    monkeypatch.setattr(Workbench, "_trained", refuse)
    assert client.post("/api/trainer/entries/shipping_fee/similar", json={"texts": ["邮费到底怎么收"]}).status_code == 200
    tries = []
    wait_until(lambda: tries.append(_try(client, "运费怎么算")) or tries[-1]["draft_error"], 60, "the failure reported")
    assert "two published entries" in tries[-1]["draft_error"]
    assert all("draft" not in r for r in tries) and tries[-1]["live"]["entry_id"] == "shipping_fee"
    monkeypatch.undo()  # the failure waits for an edit: the next one trains again, for the tests after this one
    assert client.post("/api/trainer/entries/shipping_fee/similar", json={"texts": ["邮费咋收"]}).status_code == 200
    wait_until(lambda: not _try(client, "运费怎么算")["retraining"], TRAINING, "the next edit trained")


def test_stopping_the_server_waits_for_the_draft_training_in_the_background(tmp_path):
    """A draft training left running after the server stopped read a database that was going away."""
    bench, bot = started_workbench(str(tmp_path / "faqbot.sqlite3"), tmp_path)
    with TestClient(workbench_app(bench, bot, ("trainer", "trainer", ["general"], "训练师"))) as client:
        client.headers.update(sign_in(client, "trainer"))
        client.post(f"/api/trainer/entries/{TARGET}/similar", json={"texts": ["坏掉的东西该找哪个部门修"]})
        assert _try(client, "坏掉的东西该找哪个部门修")["retraining"] is True
    assert not [t for t in threading.enumerate() if t.name == "draft-training" and t.is_alive()]
