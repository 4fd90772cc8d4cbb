"""The pages and their scripts: the sample shop with the widget, the agent workspace, the workbench, the dashboard."""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

STATIC = Path(__file__).with_name("static")
JAVASCRIPT = "application/javascript"


def pages_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/")
    def shop_page() -> FileResponse:
        """A sample shop page with the widget embedded, as a customer sees it."""
        return FileResponse(STATIC / "shop.html")

    @router.get("/widget.js")
    def widget() -> FileResponse:
        return FileResponse(STATIC / "widget.js", media_type=JAVASCRIPT)

    @router.get("/signin.js")
    def signin_script() -> FileResponse:
        """The sign-in form of the workspace and the dashboard."""
        return FileResponse(STATIC / "signin.js", media_type=JAVASCRIPT)

    @router.get("/trainer.js")
    def trainer_script() -> FileResponse:
        return FileResponse(STATIC / "trainer.js", media_type=JAVASCRIPT)

    @router.get("/agent.js")
    def agent_script() -> FileResponse:
        return FileResponse(STATIC / "agent.js", media_type=JAVASCRIPT)

    @router.get("/dashboard.js")
    def dashboard_script() -> FileResponse:
        return FileResponse(STATIC / "dashboard.js", media_type=JAVASCRIPT)

    @router.get("/trainer-i18n.js")
    def trainer_i18n_script() -> FileResponse:
        return FileResponse(STATIC / "trainer-i18n.js", media_type=JAVASCRIPT)

    @router.get("/trainer-try.js")
    def trainer_try_script() -> FileResponse:
        return FileResponse(STATIC / "trainer-try.js", media_type=JAVASCRIPT)

    @router.get("/trainer-analytics.js")
    def trainer_analytics_script() -> FileResponse:
        return FileResponse(STATIC / "trainer-analytics.js", media_type=JAVASCRIPT)

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

    return router
