"""The ``faqbot`` command: the command groups composed, each command parsing options and calling the library.

Commands of packages outside the runtime (the evaluators' ``faqbot eval``) plug in through the
``faqbot.commands`` entry point group, so the runtime never imports them.
"""
from __future__ import annotations

import sys
from importlib.metadata import entry_points
from typing import List, Optional

import typer

from bot.cli import curation, desk, kb, serve, understanding

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="faqbot: a Chinese-first customer-service FAQ bot.")
kb_app = typer.Typer(no_args_is_help=True, help="Check and convert knowledge bases.")
app.add_typer(kb_app, name="kb")
handoff_app = typer.Typer(no_args_is_help=True, help="Transfer rules: replay conversations and see why.")
app.add_typer(handoff_app, name="handoff")
agent_app = typer.Typer(no_args_is_help=True, help="Agent accounts for the workspace at /agent.")
app.add_typer(agent_app, name="agent")

understanding.register(app)  # train, ask, chat, tune
serve.register(app)
desk.register(app, handoff_app, agent_app)  # agent add/list, handoff explain, report, forget
kb.register(app, kb_app)  # kb check/export, mine
curation.register(app, kb_app)  # kb import/add/edit/retire/show, publish, rollback, versions, audit, testset

PLUGINS = "faqbot.commands"


def register_plugins(target: typer.Typer) -> None:
    """Each installed plugin's ``register(app)``; a plugin whose module is not in this installation is left out."""
    for plugin in entry_points(group=PLUGINS):
        module = plugin.value.split(":")[0]
        try:
            register = plugin.load()
        except ModuleNotFoundError as exc:
            if exc.name and module.startswith(exc.name):
                continue
            raise
        register(target)


register_plugins(app)


def main(argv: Optional[List[str]] = None) -> None:
    """The console command: ``app``, with a missing optional extra named instead of a traceback."""
    from bot.cli.extras import install_hint

    try:
        app(args=argv if argv is not None else sys.argv[1:])
    except ModuleNotFoundError as exc:
        hint = install_hint(exc)
        if hint is None:
            raise
        typer.echo(hint, err=True)
        raise SystemExit(1) from None
