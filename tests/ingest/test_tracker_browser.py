"""tracker.js in headless Chromium against the real collector, cross-origin.

The shop page is served from its own 127.0.0.1 port, the collector (real uvicorn,
real spool and lander) from another, so every event crosses origins and the CORS
allow-list is exercised. Results are read back from the lake.
"""

from __future__ import annotations

import functools
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from ingest.app import TRACKER_JS, create_app
from ingest.collector import Collector
from ingest.lander import land_sealed_segments
from tests.ingest.conftest import read_raw
from tests.utils.servers import free_port, serve_in_thread
from warehouse.paths import DataPaths, data_paths
from warehouse.settings import reset_settings

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

PAGE = """<!doctype html>
<html><head><title>shop</title>
<script defer src="{collector}/tracker.js" {attrs}></script>
</head><body><h1>{title}</h1><a id="next" href="/other.html?utm_source=mail">next</a></body></html>
"""


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@pytest.fixture
def shop_site(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A static 'shop' on its own origin; yields (base URL, its directory)."""
    root = tmp_path / "site"
    root.mkdir()
    server = ThreadingHTTPServer(
        ("127.0.0.1", free_port()), functools.partial(QuietHandler, directory=str(root))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", root
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def collector_url(
    data_dir: DataPaths, shop_site: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    monkeypatch.setenv("FOOTFALL_CORS_ORIGINS", shop_site[0])
    monkeypatch.setenv("FOOTFALL_SPOOL_SEGMENT_SECONDS", "0.3")
    reset_settings()
    with serve_in_thread(create_app(Collector())) as url:
        yield url


@pytest.fixture
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def write_pages(root: Path, collector: str, attrs: str = "") -> None:
    for name, title in (("index.html", "home"), ("other.html", "other")):
        (root / name).write_text(PAGE.format(collector=collector, attrs=attrs, title=title))


def lake_events(paths: DataPaths, until: Callable[[list[dict[str, Any]]], bool]) -> list[Any]:
    """Land and read the lake until `until(rows)` holds (the tracker batches for ~1 s)."""
    deadline = time.monotonic() + 20
    rows: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        land_sealed_segments(paths)
        rows = read_raw(paths, "events")
        if until(rows):
            return rows
        time.sleep(0.2)
    return rows


def test_tracker_sends_cookieless_events_without_consent(
    browser: Any, shop_site: tuple[str, Path], collector_url: str
) -> None:
    site, root = shop_site
    write_pages(root, collector_url)
    context = browser.new_context()
    page = context.new_page()
    page.goto(site + "/index.html?utm_source=news&utm_campaign=spring")
    page.wait_for_function("window.footfall && window.footfall._loaded")
    page.evaluate("footfall.track('product_view', {productId: 'sku-1', price: 19.5})")
    page.evaluate("footfall.track('add_to_cart', {productId: 'sku-1', quantity: 2})")
    page.evaluate("footfall.flush()")
    paths = data_paths()
    rows = lake_events(paths, lambda rows: len(rows) >= 3)
    assert sorted(r["event_type"] for r in rows) == ["add_to_cart", "page_view", "product_view"]
    assert all(r["is_cookieless"] and r["visitor_id"].startswith("cl-") for r in rows)
    assert len({r["visitor_id"] for r in rows}) == 1
    view = next(r for r in rows if r["event_type"] == "page_view")
    assert (view["utm_source"], view["utm_campaign"]) == ("news", "spring")
    assert view["page"] == "/index.html?utm_source=news&utm_campaign=spring"
    cart = next(r for r in rows if r["event_type"] == "add_to_cart")
    assert cart["product_id"] == "sku-1" and '"quantity":2' in cart["metadata"]
    assert all(r["sent_at"] is not None and r["client_ts"] is not None for r in rows)
    assert context.cookies() == []  # no consent, no cookie
    context.close()


def test_tracker_sets_cookie_after_consent_and_beacons_on_leave(
    browser: Any, shop_site: tuple[str, Path], collector_url: str
) -> None:
    site, root = shop_site
    write_pages(root, collector_url, 'data-consent-banner="true"')
    context = browser.new_context()
    page = context.new_page()
    page.goto(site + "/index.html")
    page.click("#footfall-consent-accept")
    [cookie] = context.cookies()
    assert cookie["name"] == "visitor_session_id" and cookie["sameSite"] == "Lax"
    assert 29 * 86400 < cookie["expires"] - time.time() <= 30 * 86400
    page.evaluate("footfall.track('checkout_started')")
    page.click("#next")  # leaves before the batch timer: sendBeacon must deliver it
    page.wait_for_url("**/other.html*")
    page.wait_for_function("window.footfall && window.footfall._loaded")
    page.evaluate("footfall.flush()")
    paths = data_paths()
    rows = lake_events(paths, lambda rows: len(rows) >= 3)
    by_type = {r["event_type"]: r for r in rows}
    assert by_type["checkout_started"]["visitor_id"] == cookie["value"]
    assert not by_type["checkout_started"]["is_cookieless"]
    second = [r for r in rows if r["page"] == "/other.html?utm_source=mail"]
    assert second and second[0]["visitor_id"] == cookie["value"]
    assert second[0]["referrer"] == site + "/index.html"
    context.close()


def test_tracker_retries_failed_batch_with_same_event_ids(
    browser: Any, shop_site: tuple[str, Path], data_dir: DataPaths, monkeypatch: Any
) -> None:
    """The collector is down at first (connection refused), then comes up: the tracker's
    retry delivers the very event it created, with its original eventId, once."""
    site, root = shop_site
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}/api/v1/analytics/track"
    shutil.copy(TRACKER_JS, root / "tracker.js")  # the collector cannot serve it yet
    write_pages(root, site, f'data-endpoint="{endpoint}" data-auto-pageview="false"')
    page = browser.new_page()
    page.goto(site + "/index.html")
    page.wait_for_function("window.footfall && window.footfall._loaded")
    event_id = page.evaluate("footfall.track('product_view', {productId: 'sku-9'})")
    page.evaluate("footfall.flush()")
    page.wait_for_function(
        f"(localStorage.getItem('footfall_pending') || '').includes('{event_id}')"
    )
    monkeypatch.setenv("FOOTFALL_CORS_ORIGINS", site)
    monkeypatch.setenv("FOOTFALL_SPOOL_SEGMENT_SECONDS", "0.3")
    reset_settings()
    with serve_in_thread(create_app(Collector()), port=port):
        rows = lake_events(data_dir, lambda rows: len(rows) >= 1)
        page.wait_for_function("!localStorage.getItem('footfall_pending')")
    assert [(r["event_id"], r["product_id"]) for r in rows] == [(event_id, "sku-9")]


def test_tracker_is_refused_from_origin_not_allowed(
    browser: Any, shop_site: tuple[str, Path], data_dir: DataPaths, monkeypatch: Any
) -> None:
    monkeypatch.setenv("FOOTFALL_CORS_ORIGINS", "https://only.example")
    reset_settings()
    site, root = shop_site
    with serve_in_thread(create_app(Collector())) as url:
        write_pages(root, url)
        page = browser.new_page()
        page.goto(site + "/index.html")
        page.wait_for_function("window.footfall && window.footfall._loaded")
        page.evaluate("footfall.flush()")
        time.sleep(1.5)
    land_sealed_segments(data_dir)
    assert read_raw(data_dir, "events") == []
