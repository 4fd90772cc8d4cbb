"""PostgreSQL and Redis restart under a running worker: it keeps serving without anyone touching it
(fresh connections after the database is back, the relay re-subscribes), and while the database is
away it answers 503 "retry" instead of failing — nothing it acknowledged is lost."""
import asyncio
import subprocess
import uuid

import httpx
import pytest

from bot.service.hub import EventHub
from bot.service.relay import RedisRelay
from bot.store import ConversationStore
from tests.conftest import Said, postgres_schema, redis_namespace, say, wait_until
from tests.processes import REDIS_URL, start_worker, stop, write_config


def _restart(command: list) -> None:
    subprocess.run(command, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def worker(tmp_path_factory):
    folder = tmp_path_factory.mktemp("restarts")
    with redis_namespace() as prefix, postgres_schema() as db:
        config = write_config(folder, server={"messages_per_minute_per_address": 100_000, "redis_prefix": prefix})
        process, base = start_worker(config, db, folder / "worker.log", "--redis", REDIS_URL)
        yield base, db
        stop(process)


def _ask(client: httpx.Client, n: int) -> Said:
    """The ``n``th customer message, each from a new customer."""
    return say(client, f"r-{uuid.uuid4().hex[:8]}", f"第{n}次：运费怎么算")


def _keep_asking(base: str, until, timeout: float, what: str) -> list:
    """Customer messages one after another until ``until(outcomes)``: the outcomes."""
    outcomes = []

    def asked() -> bool:
        outcomes.append(_ask(client, len(outcomes)))
        return until(outcomes)

    with httpx.Client(base_url=base, timeout=10) as client:
        wait_until(asked, timeout, what)
    return outcomes


def test_a_postgresql_restart_is_survived_and_nothing_acknowledged_is_lost(worker):
    base, db = worker
    assert httpx.post(base + "/api/messages", json={"session_id": "before", "text": "运费"}).status_code == 200
    restart = subprocess.Popen(["pg_ctlcluster", "15", "main", "restart"])
    outcomes = _keep_asking(base, lambda o: restart.poll() is not None and 503 in {s.status for s in o}, 60,
                            "a 503 while PostgreSQL restarts")
    assert restart.wait(60) == 0
    outcomes += _keep_asking(base, lambda o: o[-1].acknowledged, 30, "serving again after PostgreSQL is back")
    statuses = {s.status for s in outcomes}
    assert statuses <= {200, 503}, statuses  # never a 500: "retry" while the database is away
    store = ConversationStore(db)
    for said in outcomes:
        if said.acknowledged:
            assert said.text in {m["text"] for m in store.history(said.session)}


def test_a_redis_restart_is_survived_and_events_cross_workers_again(worker):
    base, _ = worker
    prefix = f"faqbot-test-restart-{uuid.uuid4().hex[:6]}:"
    hubs = [EventHub(), EventHub()]
    relays = [RedisRelay(REDIS_URL, hub.deliver, prefix=prefix) for hub in hubs]
    for hub, relay in zip(hubs, relays):
        hub.relay = relay
        relay.start()
    try:
        _restart(["service", "redis-server", "restart"])
        with httpx.Client(base_url=base, timeout=10) as client:
            outcomes = [_ask(client, n) for n in range(20)]
        assert {s.status for s in outcomes} == {200}  # the worker never needed Redis to answer
        wait_until(lambda: all(r.listening.is_set() for r in relays), 15, "both relays subscribed again")

        async def crossing():
            queue = hubs[1].subscribe("session:z")
            hubs[0].publish("session:z", {"type": "agent", "text": "又连上了"})
            return await asyncio.wait_for(queue.get(), 5)

        assert asyncio.run(crossing())["text"] == "又连上了"
    finally:
        for relay in relays:
            relay.stop()
