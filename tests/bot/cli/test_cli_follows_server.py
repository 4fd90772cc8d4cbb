"""`faqbot ask` / `faqbot chat` answer with the version the server publishes, or the version named."""
import json

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from tests.conftest import started_workbench

runner = CliRunner()


@pytest.fixture(scope="module")
def published(store_url, tmp_path_factory):
    """A database whose live version 1 is the small KB (ids refund, fee …, unlike the demo's), and a config
    naming its versions folder."""
    from tests.conftest import MINI_KB

    folder = tmp_path_factory.mktemp("published")
    kb = folder / "mini.yml"
    kb.write_text(MINI_KB, encoding="utf-8")
    started_workbench(store_url, folder, kb, config=None)
    config = folder / "config.yml"
    config.write_text(f"curation:\n  versions_dir: {folder / 'versions'}\n", encoding="utf-8")
    return store_url, config, folder / "versions"


def test_ask_uses_the_live_version_in_the_database(published):
    db, config, _ = published
    result = runner.invoke(app, ["ask", "退款多久能到", "--db", db, "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["entry_id"] == "refund"  # the published KB, not the demo's refund_progress
    assert "published version 1" in result.stderr


def test_a_published_version_folder_works_as_model(published):
    _, _, versions = published
    result = runner.invoke(app, ["ask", "运费多少", "--model", str(versions / "v0001")])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["entry_id"] == "fee"


def test_chat_talks_with_the_live_version(published):
    db, config, _ = published
    result = runner.invoke(app, ["chat", "--db", db, "--config", str(config)], input="退款多久能到\n/quit\n")
    assert result.exit_code == 0, result.output
    assert "1-7个工作日原路退回" in result.stdout


def test_without_a_database_the_demo_bot_answers_and_no_file_is_made(tmp_path):
    missing = tmp_path / "none.sqlite3"
    result = runner.invoke(app, ["ask", "退款多久能到", "--db", str(missing)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["entry_id"] == "refund_progress" and not missing.exists()
