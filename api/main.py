"""The read API and dashboard: `create_app()` wires snapshots, cache, auth and routes.

Read-only by construction: the app opens published snapshots read-only and the raw lake
for realtime counts, never the build database.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import Depends, FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles

from api.cache import SnapshotCache
from api.deps import require_token
from api.errors import install_error_handlers
from api.realtime import RealtimeCache
from api.routes import (
    breakdown,
    dashboard,
    funnel,
    health,
    metrics,
    orders,
    page,
    products,
    realtime,
    retention,
    runs,
)
from api.schemas import ErrorBody
from api.snapshots import DEFAULT_CHECK_INTERVAL, DEFAULT_GRACE_SECONDS, SnapshotReader
from warehouse.paths import DataPaths
from warehouse.settings import Settings, get_settings

STATIC_DIR = Path(__file__).resolve().parent / "static"
API_PREFIX = "/api/v1"

# Same-origin only: the page loads nothing from elsewhere (the chart library is vendored).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)

# Swagger UI sets inline styles; nothing else is relaxed.
DOCS_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)

DATA_ERRORS = {
    401: {"model": ErrorBody, "description": "Missing or wrong bearer token."},
    422: {"model": ErrorBody, "description": "A parameter is invalid (it is named)."},
    503: {"model": ErrorBody, "description": "No snapshot has been published yet."},
}


def create_app(
    settings: Settings | None = None,
    *,
    check_interval: float = DEFAULT_CHECK_INTERVAL,
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
) -> FastAPI:
    """The read API and dashboard for the configured data directory."""
    settings = settings or get_settings()
    paths = DataPaths(settings.data_dir.resolve())

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.reader.close()

    app = FastAPI(
        title="footfall read API",
        summary="Visitor and shop analytics from the latest published snapshot.",
        version="1",
        description=(
            "Read-only API over the latest published snapshot of footfall's marts. "
            "Every /api/v1 endpoint needs `Authorization: Bearer <token>` "
            "(FOOTFALL_API_TOKEN). JSON is camelCase; rates are percentages 0..100."
        ),
        lifespan=lifespan,
        docs_url=None,  # served by api.routes.page from vendored Swagger UI (no CDN)
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.paths = paths
    app.state.reader = SnapshotReader(
        paths, check_interval=check_interval, grace_seconds=grace_seconds
    )
    app.state.cache = SnapshotCache()
    app.state.realtime = RealtimeCache(paths)

    install_error_handlers(app)
    secured = [Depends(require_token)]
    for module in (dashboard, metrics, funnel, retention, breakdown, products, orders, runs):
        app.include_router(
            module.router, prefix=API_PREFIX, dependencies=secured, responses=DATA_ERRORS
        )
    app.include_router(
        realtime.router,
        prefix=API_PREFIX,
        dependencies=secured,
        responses={401: DATA_ERRORS[401]},
    )
    app.include_router(health.router)
    app.include_router(page.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.middleware("http")
    async def security_headers(request: Request, call_next) -> Response:  # noqa: ANN001
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if request.url.path == "/docs":
            response.headers.setdefault("Content-Security-Policy", DOCS_SECURITY_POLICY)
        elif not request.url.path.startswith(API_PREFIX):
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response

    return app
