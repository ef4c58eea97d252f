"""Error responses: one JSON shape, the parameter named, never a stack trace or echoed input."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.schemas import ErrorBody, ParameterProblem
from api.snapshots import NoSnapshotError

log = logging.getLogger(__name__)

NO_SNAPSHOT_MESSAGE = (
    "no snapshot published yet: run `footfall run` (or wait for the scheduled pipeline)"
)


class ParameterError(Exception):
    """A query or path parameter has a value the endpoint cannot use (→ 422)."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message


def _error(status: int, error: str, message: str, **extra: object) -> JSONResponse:
    body = ErrorBody(error=error, message=message, **extra)
    return JSONResponse(body.model_dump(by_alias=True, exclude_none=True), status_code=status)


def _parameter_name(loc: tuple | list) -> str:
    # ("query", "start") → "start"; ("path", "dimension") → "dimension"
    parts = [str(part) for part in loc if part not in ("query", "path", "header", "body")]
    return ".".join(parts) or "request"


async def _on_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    problems = [
        ParameterProblem(parameter=_parameter_name(item.get("loc", ())), message=item["msg"])
        for item in exc.errors()
    ]
    names = ", ".join(dict.fromkeys(problem.parameter for problem in problems))
    return _error(422, "invalid_parameter", f"invalid parameter: {names}", problems=problems)


async def _on_parameter_error(request: Request, exc: ParameterError) -> JSONResponse:
    problem = ParameterProblem(parameter=exc.parameter, message=exc.message)
    return _error(
        422, "invalid_parameter", f"invalid parameter: {exc.parameter}", problems=[problem]
    )


async def _on_http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    codes = {401: "unauthorized", 404: "not_found", 405: "method_not_allowed", 503: "unavailable"}
    response = _error(exc.status_code, codes.get(exc.status_code, "error"), str(exc.detail))
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _on_no_snapshot(request: Request, exc: NoSnapshotError) -> JSONResponse:
    return _error(503, "no_snapshot", NO_SNAPSHOT_MESSAGE)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return _error(500, "internal_error", "internal server error")


def install_error_handlers(app: FastAPI) -> None:
    """Route every error through the JSON shape of `ErrorBody`."""
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(ParameterError, _on_parameter_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(NoSnapshotError, _on_no_snapshot)
    app.add_exception_handler(Exception, _on_unexpected)
