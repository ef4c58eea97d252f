"""The dashboard page and the API docs page: static HTML, vendored scripts, no CDN."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
INDEX_HTML = STATIC_DIR / "index.html"
DOCS_HTML = STATIC_DIR / "docs.html"

router = APIRouter(tags=["dashboard page"])


@router.get("/", include_in_schema=False)
def read_dashboard_page() -> FileResponse:
    """The dashboard (it asks for a read token once and keeps it in the browser)."""
    return FileResponse(INDEX_HTML, media_type="text/html", headers={"Cache-Control": "no-cache"})


@router.get("/docs", include_in_schema=False)
def read_docs_page() -> FileResponse:
    """Interactive API docs (Swagger UI, vendored) over /openapi.json."""
    return FileResponse(DOCS_HTML, media_type="text/html", headers={"Cache-Control": "no-cache"})
