"""The dashboard page in headless Chromium against a real uvicorn: sign in, numbers, periods."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from playwright.sync_api import expect

from api.main import create_app
from tests.api.conftest import TOKEN, api_settings
from tests.utils.fixtures import WAREHOUSE_DAYS, BuiltWarehouse
from tests.utils.servers import serve_in_thread

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
REPO = Path(__file__).resolve().parents[2]


def artifacts_dir() -> Path:
    """Where screenshots go (git-ignored): $FOOTFALL_ARTIFACTS or ./test-artifacts."""
    root = Path(os.environ.get("FOOTFALL_ARTIFACTS") or REPO / "test-artifacts")
    target = root / "api"
    target.mkdir(parents=True, exist_ok=True)
    return target


@pytest.fixture(scope="module")
def base_url(warehouse: BuiltWarehouse) -> Iterator[str]:
    app = create_app(api_settings(warehouse.paths.root))
    with serve_in_thread(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make setup-browser` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, request: pytest.FixtureRequest) -> Iterator[object]:  # noqa: ANN001
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-US", timezone_id="UTC"
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.errors = errors
    yield page
    context.close()


def _sign_in(page, base_url: str, token: str = TOKEN) -> None:  # noqa: ANN001
    page.goto(base_url + "/")
    page.fill("#token-input", token)
    page.click("#login-form button[type=submit]")


def _show_range(page, start: str, end: str) -> None:  # noqa: ANN001
    page.click("[data-period=custom]")
    page.fill("#custom-start", start)
    page.fill("#custom-end", end)
    page.click("#custom-range button[type=submit]")


def _tile(page, key: str) -> str:  # noqa: ANN001
    return page.text_content(f"[data-testid=tile-value-{key}]")


def test_dashboard_rejects_wrong_token(page, base_url: str) -> None:  # noqa: ANN001
    _sign_in(page, base_url, token="not-the-token")
    page.wait_for_selector("#login-error:not([hidden])")
    assert "not accepted" in page.text_content("#login-error")
    assert page.is_hidden("#app")


def test_dashboard_shows_tiles_and_switches_period(
    page,  # noqa: ANN001
    base_url: str,
    warehouse: BuiltWarehouse,
    snapshot_db: duckdb.DuckDBPyConnection,
) -> None:
    end = warehouse.end_date
    start = end - timedelta(days=WAREHOUSE_DAYS - 1)
    visits, sales, orders = snapshot_db.execute(
        "select sum(total_visits), sum(total_sales), sum(total_orders) from daily_metrics "
        "where metric_date between ? and ?",
        [start, end],
    ).fetchone()
    persons = snapshot_db.execute(
        "select count(distinct person_id) from sessions where visit_date between ? and ?",
        [start, end],
    ).fetchone()[0]

    _sign_in(page, base_url)
    page.wait_for_selector("[data-testid=tile-value-totalVisits]")
    # The default period (last 7 days up to today) has no data: the page says so and offers
    # the newest data instead.
    page.wait_for_selector("#banner:not([hidden]) button")
    page.click("#banner button")
    expect(page.locator("#period-title")).to_contain_text("Mar 14, 2026")
    expect(page.locator("[data-testid=tile-value-totalVisits]")).to_have_attribute(
        "data-raw", str(visits)
    )
    assert _tile(page, "totalVisits") == f"{visits:,}"
    assert _tile(page, "uniqueVisits") == f"{persons:,}"
    assert _tile(page, "totalOrders") == f"{orders:,}"
    money = f"€{sales:,.0f}" if sales >= 10000 else f"€{sales:,.2f}"  # as the page rounds
    assert _tile(page, "totalSales") == money
    page.wait_for_selector("[data-testid=funnel-purchase]")
    page.wait_for_selector("[data-testid=bd-channel-row]")
    page.wait_for_selector("[data-testid=product-row]")
    page.wait_for_selector(".heatmap td.cell")
    assert "Data as of" in page.text_content("[data-testid=freshness]")
    page.wait_for_timeout(400)  # let the chart finish its short animation
    page.screenshot(path=str(artifacts_dir() / "dashboard-week.png"), full_page=True)

    # One day, through the custom range picker.
    day = end - timedelta(days=2)
    day_visits = snapshot_db.execute(
        "select total_visits from daily_metrics where metric_date = ?", [day]
    ).fetchone()[0]
    _show_range(page, day.isoformat(), day.isoformat())
    expect(page.locator("[data-testid=tile-value-totalVisits]")).to_have_attribute(
        "data-raw", str(day_visits)
    )
    assert page.text_content("#period-title").startswith(day.strftime("%a, %b %-d"))

    # The token is remembered: a reload goes straight to the dashboard, same period.
    page.reload()
    expect(page.locator("[data-testid=tile-value-totalVisits]")).to_have_attribute(
        "data-raw", str(day_visits)
    )
    assert page.is_hidden("#login")
    assert page.errors == []


def test_dashboard_fits_a_phone(browser, base_url: str) -> None:  # noqa: ANN001
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="en-US", timezone_id="UTC",
        device_scale_factor=2, is_mobile=True, has_touch=True,
    )  # fmt: skip
    page = context.new_page()
    _sign_in(page, base_url)
    page.wait_for_selector("#banner:not([hidden]) button")
    page.click("#banner button")
    page.wait_for_selector("[data-testid=bd-channel-row]")
    page.wait_for_timeout(400)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, "the page scrolls sideways on a phone"
    page.screenshot(path=str(artifacts_dir() / "dashboard-phone.png"), full_page=True)
    context.close()
