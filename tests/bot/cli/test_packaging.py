import subprocess
import sys
from tests.conftest import ROOT


def test_faqbot_console_command_is_installed():
    import shutil
    from pathlib import Path

    exe = shutil.which("faqbot") or str(Path(sys.executable).with_name("faqbot"))
    out = subprocess.run([exe, "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "eval" in out.stdout and "chat" in out.stdout


def test_a_command_whose_extra_is_missing_names_the_install_command():
    code = "import sys; sys.modules['uvicorn'] = None; from bot.cli.main import main; main(['serve'])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 1
    assert "pip install 'faqbot[serve]'" in out.stderr and "Traceback" not in out.stderr


def test_rasa_extra_stays_out_of_faqbot_itself():
    """Only integrations/rasa imports Rasa; the core installs beside Rasa 3.6's pins (docs/rasa.md)."""
    import re

    root = ROOT
    importing = [p.relative_to(root).as_posix() for package in ("bot", "knowledge_base", "intents", "handoff",
                                                                  "training", "evals")
                 for p in (root / package).rglob("*.py")
                 if re.search(r"^\s*(from|import) rasa(_sdk)?\b", p.read_text(encoding="utf-8"), re.M)]
    assert importing == ["evals/rasa_bench.py"]  # the Rasa benchmark, run with .venv-rasa's python
