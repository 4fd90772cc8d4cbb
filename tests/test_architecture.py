"""The house stays as docs/architecture.md draws it: one-way layers, small modules, a light core."""
import ast
import inspect
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import ROOT

PACKAGES = ("bot", "knowledge_base", "intents", "handoff", "training", "evals", "integrations")
MAX_MODULE_LINES = 600


def test_every_import_contract_holds():
    """`lint-imports` with the contracts in pyproject.toml: layers, forbidden imports, independence, no cycles."""
    out = subprocess.run([str(Path(sys.executable).with_name("lint-imports")), "--no-cache"], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "0 broken" in out.stdout


def test_every_module_of_the_bot_core_is_placed_in_a_layer():
    """A new module directly under bot/ must be put in the layers contract, or no contract would cover it."""
    import tomllib

    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]
    layers = " ".join(next(c for c in contracts if c["type"] == "layers")["layers"])
    placed = {name.strip() for name in layers.replace("|", ":").replace(" ", ":").split(":") if name.strip()}
    core = {f"bot.{p.stem}" for p in (ROOT / "bot").glob("*.py") if p.stem != "__init__"}
    assert core - placed == set()


def test_no_module_is_longer_than_a_newcomer_reads_at_once():
    long = [f"{p.relative_to(ROOT)}: {n}" for package in PACKAGES for p in (ROOT / package).rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES]
    assert long == []


def test_create_app_only_composes():
    from bot.http.app import create_app

    assert len(inspect.getsource(create_app).splitlines()) < 60


@pytest.mark.parametrize("heavy", ["torch", "fastapi", "sqlalchemy", "typer"])
def test_importing_the_bot_core_loads_no_framework(heavy):
    code = "import sys, bot; from bot import Bot, Reply, load_config; import bot.engine; print(sorted(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    loaded = {m.split(".")[0] for m in ast.literal_eval(out.stdout.strip())}
    assert heavy not in loaded
