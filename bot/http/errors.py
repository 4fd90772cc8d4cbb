"""Every exception the library raises on purpose, mapped to its HTTP answer in one place."""
from __future__ import annotations

import json

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, OperationalError

from bot.http.gatekeeper import TOO_MANY, TooManyMessages
from knowledge_base.errors import Conflict, FaqbotError, Forbidden, InvalidInput, NotFound, Unavailable
from knowledge_base.problems import KBValidationError

UNAVAILABLE = "暂时无法处理，请稍后重试。/ Temporarily unavailable, please retry."


# The kind of a deliberate error → its status; a more specific kind wins (most specific first).
STATUS_OF = ((TooManyMessages, 429), (InvalidInput, 422), (NotFound, 404), (Conflict, 409), (Forbidden, 403),
             (Unavailable, 503))
OUT_OF_RANGE = "a number in the request is out of range"


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(FaqbotError, _deliberate)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    # An id or number no database column can hold: nothing by that number exists.
    app.add_exception_handler(OverflowError, _out_of_range)
    app.add_exception_handler(DataError, _out_of_range)
    app.add_exception_handler(OperationalError, _database_away)


def status_of(exc: FaqbotError) -> int:
    return next((status for kind, status in STATUS_OF if isinstance(exc, kind)), 500)


async def _deliberate(request: Request, exc: FaqbotError) -> JSONResponse:
    content = {"detail": TOO_MANY if isinstance(exc, TooManyMessages) else str(exc), "code": exc.code}
    if isinstance(exc, KBValidationError):
        content["problems"] = [str(p) for p in exc.problems]
    return JSONResponse(status_code=status_of(exc), content=content)


async def _invalid_request(request: Request, exc: RequestValidationError) -> Response:
    """FastAPI's 422, written ASCII-escaped: the offending input may hold half a surrogate pair, which
    UTF-8 cannot encode."""
    content = {"detail": jsonable_encoder(exc.errors()), "code": "invalid"}
    return Response(json.dumps(content, ensure_ascii=True), status_code=422, media_type="application/json")


async def _out_of_range(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(status_code=422, content={"detail": OUT_OF_RANGE, "code": "invalid"})


async def _database_away(request: Request, exc: OperationalError) -> JSONResponse:
    """The database restarting or unreachable: nothing was accepted, the client may retry."""
    return JSONResponse(status_code=503, headers={"Retry-After": "2"}, content={"detail": UNAVAILABLE, "code": "unavailable"})
