"""schemathesis over the OpenAPI spec: generated requests to every operation — customer, agent and
trainer routes, signed in as an admin — never get a 5xx, an undocumented status code, or a response
that breaks its schema."""
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_headers_conformance,
                                               response_schema_conformance, status_code_conformance)

from tests.conftest import sign_in, started_workbench, workbench_app

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]
# Training-sized operations (each valid example retrains the draft): fuzzed too, with fewer examples.
SLOW = ("/api/trainer/publish", "/api/trainer/mine", "/api/trainer/try", "/api/trainer/rollback",
        "/api/trainer/versions/{number}/restore", "/api/trainer/import", "/api/trainer/quality")
HEADERS = {}


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    bench, bot = started_workbench(str(folder / "f.sqlite3"), folder)
    app = workbench_app(bench, bot, ("root", "admin"))
    HEADERS.update(sign_in(TestClient(app), "root"))
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def test_no_server_errors_and_no_schema_violations(api_schema):
    failures, fuzzed = [], set()
    for result in api_schema.get_all_operations():
        operation = result.ok()
        fuzzed.add(operation.path)

        @settings(max_examples=4 if operation.path in SLOW else 20, deadline=None,
                  suppress_health_check=list(HealthCheck), database=None)
        @given(operation.as_strategy())
        def exercise(case):
            case.call_and_validate(headers=HEADERS, checks=CHECKS)

        try:
            exercise()
        except BaseException as exc:  # schemathesis reports a group of failures per operation
            failures.append(f"{operation.label}: {_summary(exc)}")
    assert not failures, "\n".join(failures)
    assert set(SLOW) <= fuzzed  # every documented operation, the training-sized ones included


def _summary(exc: BaseException) -> str:
    lines = [line for line in str(exc).splitlines() if line.startswith(("- ", "Received", "[", "    curl"))]
    return " | ".join(lines)[:800] or repr(exc)[:800]
