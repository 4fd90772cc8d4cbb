"""Hostile sizes are refused cleanly, with the limit named, and change nothing: oversized or deeply
nested request bodies, huge KB files, workbooks that unpack to gigabytes, too many rows."""
import dataclasses
import zipfile

import pytest
from fastapi.testclient import TestClient

from bot.config import ServerConfig
from bot.http.app import create_app
from bot.store import ConversationStore
from knowledge_base import load_kb
from knowledge_base.limits import ImportLimits
from knowledge_base.loader import KBValidationError


@pytest.fixture(scope="module")
def client(demo_bot):
    settings = dataclasses.replace(ServerConfig(), max_request_bytes=20_000, max_json_depth=16)
    return TestClient(create_app(demo_bot, ConversationStore(), settings))


def test_an_oversized_body_is_refused_before_it_is_parsed(client):
    big = client.post("/api/messages", content=b'{"session_id": "x", "text": "' + b"a" * 30_000 + b'"}',
                      headers={"content-type": "application/json"})
    assert big.status_code == 413 and "20000 bytes" in big.json()["detail"]
    assert client.post("/api/messages", json={"session_id": "x1", "text": "运费多少"}).status_code == 200


def test_deeply_nested_json_is_refused_without_a_server_error(client):
    deep = client.post("/api/messages", content=b'{"session_id": "x", "text": "hi", "attributes": '
                       + b"[" * 5000 + b"]" * 5000 + b"}", headers={"content-type": "application/json"})
    assert deep.status_code == 422 and "nested deeper than 16" in deep.json()["detail"]
    brackets_in_text = client.post("/api/messages", json={"session_id": "x2", "text": "[" * 100})
    assert brackets_in_text.status_code == 200  # brackets inside a string are text, not nesting


def test_a_kb_file_over_the_size_limit_is_refused_unread(tmp_path):
    path = tmp_path / "kb.csv"
    path.write_text("id,question,answer\n" + "a,b,c\n" * 200_000, encoding="utf-8")  # 1.2 MB
    with pytest.raises(KBValidationError, match=r"the file is 1\.1 MB; the limit is 1 MB \(curation\.max_import_mb\)"):
        load_kb(path, ImportLimits(max_bytes=1024 * 1024))


def test_a_workbook_that_unpacks_to_far_more_than_its_size_is_refused(tmp_path):
    bomb = tmp_path / "kb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (30 * 1024 * 1024))
    assert bomb.stat().st_size < 100_000
    with pytest.raises(KBValidationError, match=r"unpacks to 30 MB; the limit is 10 MB \(curation.max_unzipped_mb\)"):
        load_kb(bomb, ImportLimits(max_unzipped_bytes=10 * 1024 * 1024))


def test_too_many_rows_are_refused(tmp_path):
    path = tmp_path / "kb.csv"
    path.write_text("id,question,answer\n" + "".join(f"e{i},问题{i},答{i}\n" for i in range(50)), encoding="utf-8")
    with pytest.raises(KBValidationError, match="50 entries; the limit is 10"):
        load_kb(path, ImportLimits(max_rows=10))
    assert len(load_kb(path, ImportLimits())) == 50
