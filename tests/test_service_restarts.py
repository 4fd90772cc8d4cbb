"""PostgreSQL and Redis restart under a running worker: it keeps serving without anyone touching it
(fresh connections after the database is back, the relay re-subscribes), and while the database is
away it answers 503 "retry" instead of failing — nothing it acknowledged is lost."""
import asyncio
import subprocess
import time
import uuid

import httpx
import pytest

from bot.service.hub import EventHub
from bot.service.relay import RedisRelay
from bot.store import ConversationStore
from tests.conftest import postgres_schema
from tests.processes import REDIS_URL, start_worker, stop, write_config



def _restart(command: list) -> None:
    subprocess.run(command, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def worker(tmp_path_factory):
    folder = tmp_path_factory.mktemp("restarts")
    config = write_config(folder, server={"messages_per_minute_per_address": 100_000})
    with postgres_schema() as db:
        process, base = start_worker(config, db, folder / "worker.log", "--redis", REDIS_URL)
        yield base, db
        stop(process)


def _keep_asking(base: str, seconds: float) -> list:
    """Messages for ``seconds``: (status, session, text) of each."""
    outcomes, deadline, n = [], time.time() + seconds, 0
    while time.time() < deadline:
        session, text = f"r-{uuid.uuid4().hex[:8]}", f"第{n}次：运费怎么算"
        try:
            status = httpx.post(base + "/api/messages", json={"session_id": session, "text": text}, timeout=10).status_code
        except httpx.HTTPError:
            status = 0
        outcomes.append((status, session, text))
        n += 1
        time.sleep(0.05)
    return outcomes


def test_a_postgresql_restart_is_survived_and_nothing_acknowledged_is_lost(worker):
    base, db = worker
    assert httpx.post(base + "/api/messages", json={"session_id": "before", "text": "运费"}).status_code == 200
    restart = subprocess.Popen(["pg_ctlcluster", "15", "main", "restart"])
    outcomes = _keep_asking(base, 12)
    assert restart.wait(60) == 0
    statuses = {s for s, _, _ in outcomes}
    assert statuses <= {200, 503}, statuses  # never a 500: "retry" while the database is away
    assert outcomes[-1][0] == 200  # and serving again, without a restart of the worker
    store = ConversationStore(db)
    for status, session, text in outcomes:
        if status == 200:
            assert text in {m["text"] for m in store.history(session)}


def test_a_redis_restart_is_survived_and_events_cross_workers_again(worker):
    base, _ = worker
    prefix = f"faqbot-restart-{uuid.uuid4().hex[:6]}:"
    hubs = [EventHub(), EventHub()]
    relays = [RedisRelay(REDIS_URL, hub.deliver, prefix=prefix) for hub in hubs]
    for hub, relay in zip(hubs, relays):
        hub.relay = relay
        relay.start()
    try:
        _restart(["service", "redis-server", "restart"])
        outcomes = _keep_asking(base, 3)
        assert {s for s, _, _ in outcomes} == {200}  # the worker never needed Redis to answer
        deadline = time.time() + 15
        while not all(r.listening.is_set() for r in relays) and time.time() < deadline:
            time.sleep(0.1)

        async def crossing():
            queue = hubs[1].subscribe("session:z")
            hubs[0].publish("session:z", {"type": "agent", "text": "又连上了"})
            return await asyncio.wait_for(queue.get(), 5)

        assert asyncio.run(crossing())["text"] == "又连上了"
    finally:
        for relay in relays:
            relay.stop()
