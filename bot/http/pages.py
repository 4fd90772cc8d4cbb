"""The pages and their scripts: the sample shop with the widget, the agent workspace, the workbench, the dashboard."""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

STATIC = Path(__file__).with_name("static")
JAVASCRIPT = "application/javascript"
# The pages' scripts, each served by name (a fixed list: no path from the request reaches the disk):
# the widget, the sign-in form of the workspace and the dashboard, and the pages' own.
SCRIPTS = ("widget.js", "signin.js", "agent.js", "agent-desk.js", "agent-lookups.js", "dashboard.js", "trainer.js",
           "trainer-i18n.js", "trainer-try.js", "trainer-analytics.js", "trainer-canned.js", "charts.js", "supervisor.js",
           "qa.js", "whisper.js")


def pages_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/")
    def shop_page() -> FileResponse:
        """A sample shop page with the widget embedded, as a customer sees it."""
        return FileResponse(STATIC / "shop.html")

    for name in SCRIPTS:
        router.add_api_route(f"/{name}", _script(name), methods=["GET"])

    @router.get("/favicon.svg")
    @router.get("/favicon.ico")
    def favicon() -> FileResponse:
        """The pages' icon (browsers ask for /favicon.ico on their own: never a 404)."""
        return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml")

    @router.get("/agent")
    def agent_page() -> FileResponse:
        """The agent workspace."""
        return FileResponse(STATIC / "agent.html")

    @router.get("/trainer")
    def trainer_page() -> FileResponse:
        """The trainers' workbench: curate, test, mine, publish."""
        return FileResponse(STATIC / "trainer.html")

    @router.get("/dashboard")
    def dashboard_page() -> FileResponse:
        """Outcome metrics for supervisors."""
        return FileResponse(STATIC / "dashboard.html")

    @router.get("/supervisor")
    def supervisor_page() -> FileResponse:
        """The live console: every conversation, alerts, whisper, take over, reassign."""
        return FileResponse(STATIC / "supervisor.html")

    @router.get("/qa")
    def quality_page() -> FileResponse:
        """Quality inspection: the sample, the scorecard; agents see their scores and appeal."""
        return FileResponse(STATIC / "qa.html")

    return router


def _script(name: str):
    def script() -> FileResponse:
        return FileResponse(STATIC / name, media_type=JAVASCRIPT)
    return script
