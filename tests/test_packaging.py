import subprocess
import sys


def test_import_bot_stays_light():
    code = "import sys, bot; from bot import Bot; import bot.engine; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_faqbot_console_command_is_installed():
    import shutil
    from pathlib import Path

    exe = shutil.which("faqbot") or str(Path(sys.executable).with_name("faqbot"))
    out = subprocess.run([exe, "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "eval" in out.stdout and "chat" in out.stdout
