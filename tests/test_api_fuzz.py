"""schemathesis over the OpenAPI spec: generated requests to every operation — customer, agent and
trainer routes, signed in as an admin — never get a 5xx, an undocumented status code, or a response
that breaks its schema."""
import dataclasses

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_headers_conformance,
                                               response_schema_conformance, status_code_conformance)

from bot.http.app import create_app
from bot.store import ConversationStore
from knowledge_base import load_kb
from tests.conftest import DEMO
from training.workbench import Workbench

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]
# Training-sized operations: each example would retrain the draft (covered by their own tests).
SLOW = ("/api/trainer/publish", "/api/trainer/mine", "/api/trainer/try", "/api/trainer/rollback",
        "/api/trainer/versions/{number}/restore", "/api/trainer/import", "/api/trainer/quality")
HEADERS = {}


@pytest.fixture(scope="module")
def api_schema(demo_config, tmp_path_factory):
    curation = dataclasses.replace(demo_config.curation, versions_dir=str(tmp_path_factory.mktemp("versions")))
    config = dataclasses.replace(demo_config, curation=curation)
    store = ConversationStore(str(tmp_path_factory.mktemp("fuzz") / "f.sqlite3"))
    bench = Workbench(store, config)
    bot = bench.start(load_kb(DEMO / "kb.yml"))
    app = create_app(bot, store, config.server, config.handoff, bench, bench.publisher.live())
    app.state.conversations.desk.add_agent("root", "root-password", "管理员", "admin", ["general"])
    login = TestClient(app).post("/api/agent/login", json={"username": "root", "password": "root-password"})
    HEADERS["Authorization"] = "Bearer " + login.json()["token"]
    return schemathesis.openapi.from_asgi("/openapi.json", app).exclude(path=list(SLOW))


def test_no_server_errors_and_no_schema_violations(api_schema):
    failures = []
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(operation.as_strategy())
        def exercise(case):
            case.call_and_validate(headers=HEADERS, checks=CHECKS)

        try:
            exercise()
        except BaseException as exc:  # schemathesis reports a group of failures per operation
            failures.append(f"{operation.label}: {_summary(exc)}")
    assert not failures, "\n".join(failures)


def _summary(exc: BaseException) -> str:
    lines = [line for line in str(exc).splitlines() if line.startswith(("- ", "Received", "[", "    curl"))]
    return " | ".join(lines)[:800] or repr(exc)[:800]
