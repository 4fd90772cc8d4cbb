"""Every exception the library raises on purpose, mapped to its HTTP answer in one place."""
from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, OperationalError

from bot.http.gatekeeper import TOO_MANY, TooManyMessages
from handoff.desk import DeskError
from knowledge_base.problems import KBValidationError
from training.draft import EditConflict

UNAVAILABLE = "暂时无法处理，请稍后重试。/ Temporarily unavailable, please retry."


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(TooManyMessages, _status(429, lambda exc: TOO_MANY))
    app.add_exception_handler(KeyError, _status(404, lambda exc: exc.args[0] if exc.args else "not found"))
    app.add_exception_handler(DeskError, _status(409, str))
    app.add_exception_handler(EditConflict, _status(409, str))
    app.add_exception_handler(KBValidationError, _invalid_kb)
    app.add_exception_handler(ValueError, _status(422, str))
    # An id or number no database column can hold: nothing by that number exists.
    app.add_exception_handler(OverflowError, _status(422, lambda exc: "a number in the request is out of range"))
    app.add_exception_handler(DataError, _status(422, lambda exc: "a number in the request is out of range"))
    app.add_exception_handler(OperationalError, _database_away)
    app.add_exception_handler(PermissionError, _status(403, str))


def _status(code: int, detail):
    async def handle(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(status_code=code, content={"detail": detail(exc)})

    return handle


async def _invalid_kb(request: Request, exc: KBValidationError) -> JSONResponse:
    return JSONResponse(status_code=422, content={"detail": str(exc), "problems": [str(p) for p in exc.problems]})


async def _database_away(request: Request, exc: OperationalError) -> JSONResponse:
    """The database restarting or unreachable: nothing was accepted, the client may retry."""
    return JSONResponse(status_code=503, headers={"Retry-After": "2"}, content={"detail": UNAVAILABLE})
