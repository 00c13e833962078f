"""The live page (#16) in a real browser, and its rules through the API.

`doublex serve` runs as production runs it (a subprocess on the service DSN only); Chromium
(headless, from the distribution: chromium, chromium-driver; `make deps`) drives the page
through Selenium: load → Post → posted, a journal id and balances 10.00/10.00 → Replay →
duplicate, the same journal id, balances unchanged → amount 600 → the ledger's DX047 shown
→ Rotate → a new tenant, zero balances and a new key. A screenshot of each state goes to
.test-artifacts/demo-page/ (git-ignored; DOUBLEX_TEST_ARTIFACTS moves it).

Through the API, with curl's eyes (urllib): the demo key reaches no account outside its
tenant, the limit refuses the same request the page sends, one address gets a bounded number
of demo tenants an hour (429 with Retry-After), and DOUBLEX_DEMO=off removes every route of
the page.
"""

from __future__ import annotations

import json
import os
import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service as DriverService
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from support.http import create_key, legs
from support.serving import doublex_serve

ROOT = Path(__file__).resolve().parents[1]
# Where the suite keeps what a person may want to look at (as test_recon_cli does).
ARTIFACTS = Path(os.environ.get("DOUBLEX_TEST_ARTIFACTS") or ROOT / ".test-artifacts") / "demo-page"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def parsed(raw: bytes) -> Any:
    try:
        return json.loads(raw or b"null")
    except ValueError:
        return {"text": raw.decode()}


def call(
    base: str, method: str, path: str, token: str | None = None, body: Any = None
) -> tuple[int, Any, dict[str, str]]:
    """One request as curl would send it: (status, JSON body or {text}, headers)."""
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, parsed(response.read()), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, parsed(error.read()), dict(error.headers)


def transfer(key: str, amount: str, debit: str = "DEMO-CASH", credit: str = "DEMO-REV") -> Any:
    return {"idempotency_key": key, "legs": legs(debit, credit, amount)}


@pytest.fixture
def served(service_dsn: str, admin_dsn: str, tmp_path: Path) -> Iterator[str]:
    with doublex_serve(service_dsn, tmp_path / "serve.log") as base:
        yield base


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    options = Options()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,1400"):  # fmt: skip
        options.add_argument(argument)
    driver = webdriver.Chrome(service=DriverService(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def text_of(driver: WebDriver, element_id: str) -> str:
    return str(driver.find_element(By.ID, element_id).text)


def wait_text(driver: WebDriver, element_id: str, expected: str) -> None:
    WebDriverWait(driver, 15).until(
        ec.text_to_be_present_in_element((By.ID, element_id), expected),
        f"#{element_id} never showed {expected!r}",
    )


def wait_idle(driver: WebDriver) -> None:
    """Until the page's last call finished (its buttons are no longer busy)."""
    WebDriverWait(driver, 15).until(
        lambda d: d.find_element(By.ID, "rotate").get_attribute("aria-busy") == "false"
    )


def shot(driver: WebDriver, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def test_post_replay_limit_rotate_in_chromium(served: str, browser: WebDriver) -> None:
    browser.get(served + "/")
    wait_text(browser, "tenant", "demo-")
    wait_idle(browser)
    first_tenant = text_of(browser, "tenant")
    first_key = browser.find_element(By.ID, "idem-key").get_attribute("value")
    assert first_key and first_key.startswith("demo-")
    assert text_of(browser, "balance-cash") == "0.00"
    assert text_of(browser, "balance-rev") == "0.00"
    assert browser.find_element(By.ID, "amount").get_attribute("value") == "10.00"
    shot(browser, "1-loaded")

    browser.find_element(By.ID, "post").click()
    wait_text(browser, "status", "posted")
    wait_idle(browser)
    journal_id = text_of(browser, "journal-id")
    assert len(journal_id) == 36, journal_id
    wait_text(browser, "balance-cash", "10.00")
    assert text_of(browser, "balance-rev") == "10.00"
    assert text_of(browser, "rtt").endswith(" ms")
    assert (
        json.loads(browser.find_element(By.ID, "raw").get_attribute("textContent") or "")[
            "journal_id"
        ]
        == journal_id
    )
    shot(browser, "2-posted")

    browser.find_element(By.ID, "replay").click()
    wait_text(browser, "status", "duplicate")
    wait_idle(browser)
    assert text_of(browser, "journal-id") == journal_id
    assert text_of(browser, "balance-cash") == "10.00"
    assert text_of(browser, "balance-rev") == "10.00"
    assert text_of(browser, "cash-change") == "(unchanged)"
    assert text_of(browser, "rev-change") == "(unchanged)"
    shot(browser, "3-replayed")

    amount = browser.find_element(By.ID, "amount")
    amount.clear()
    amount.send_keys("600")
    assert browser.find_element(By.ID, "idem-key").get_attribute("value") != first_key
    browser.find_element(By.ID, "post").click()
    wait_text(browser, "error", "DX047")
    wait_idle(browser)
    assert "over the posting limit of account DEMO-CASH" in text_of(browser, "error")
    assert text_of(browser, "balance-cash") == "10.00"
    shot(browser, "4-limit")

    browser.find_element(By.ID, "rotate").click()
    WebDriverWait(browser, 15).until(lambda d: text_of(d, "tenant") not in ("", first_tenant))
    wait_idle(browser)
    assert text_of(browser, "tenant").startswith("demo-")
    assert text_of(browser, "balance-cash") == "0.00"
    assert text_of(browser, "balance-rev") == "0.00"
    assert browser.find_element(By.ID, "idem-key").get_attribute("value") not in (first_key, "")
    assert browser.find_element(By.ID, "error").get_attribute("hidden") is not None
    shot(browser, "5-rotated")


def test_the_page_is_self_contained_and_keyboard_usable(served: str, browser: WebDriver) -> None:
    browser.get(served + "/")
    wait_text(browser, "tenant", "demo-")
    wait_idle(browser)
    # Nothing from another origin, no inline script (the CSP forbids both).
    sources = [
        element.get_attribute("src") or element.get_attribute("href") or ""
        for element in browser.find_elements(By.CSS_SELECTOR, "script, link[rel=stylesheet]")
    ]
    assert sources and all(s.startswith(served + "/demo/") for s in sources), sources
    # Every input has its label.
    for element in browser.find_elements(By.TAG_NAME, "input"):
        assert browser.find_elements(By.CSS_SELECTOR, f"label[for='{element.get_attribute('id')}']")
    # Keyboard: Enter in the amount field posts the journal.
    amount = browser.find_element(By.ID, "amount")
    amount.send_keys("\n")
    wait_text(browser, "status", "posted")
    # The six promises, each with its figure.
    assert len(browser.find_elements(By.CSS_SELECTOR, ".promises li")) == 6
    wait_idle(browser)
    assert text_of(browser, "fig-duplicates").isdigit()
    assert text_of(browser, "fig-net") == "0.00 EUR"
    # Readable on a phone: nothing wider than the viewport.
    browser.set_window_size(390, 844)
    width = browser.execute_script("return document.documentElement.scrollWidth")
    inner = browser.execute_script("return window.innerWidth")
    assert width <= inner, (width, inner)
    shot(browser, "6-phone")


def test_demo_key_limit_and_bound_through_the_api(served: str, admin_dsn: str) -> None:
    status, demo, _ = call(served, "POST", "/api/demo/tenants")
    assert status == 201, demo
    token = demo["token"]
    assert demo["tenant"].startswith("demo-") and demo["posting_limit"] == "500"
    # The page's request, sent by curl with the demo key: the ledger's limit refuses it.
    status, problem, _ = call(served, "POST", "/api/transfers", token, transfer("c-600", "600.00"))
    assert (status, problem["code"]) == (422, "DX047"), problem
    assert problem["errors"][0]["field"] == "legs[0].amount"
    status, posted, _ = call(served, "POST", "/api/transfers", token, transfer("c-10", "10.00"))
    assert (status, posted["status"]) == (201, "posted")
    # Another tenant's accounts: the demo key reaches none of them.
    other = create_key(admin_dsn)["token"]
    with psycopg.connect(admin_dsn) as conn:
        conn.isolation_level = psycopg.IsolationLevel.SERIALIZABLE
        conn.execute("SELECT ledger.create_account('1001-CASH', 'Cash', 'EUR')")
        conn.execute("SELECT ledger.create_account('4001-SALES', 'Sales', 'EUR', 'income')")
    assert call(served, "GET", "/api/accounts/1001-CASH", token)[0] == 404
    assert call(served, "GET", "/api/accounts/1001-CASH/balance", token)[0] == 404
    status, problem, _ = call(
        served, "POST", "/api/transfers", token, transfer("c-x", "1.00", "1001-CASH", "4001-SALES")
    )
    assert (status, problem["code"]) == (422, "DX006"), problem
    status, page, _ = call(served, "GET", "/api/accounts", token)
    assert [a["code"] for a in page["items"]] == ["DEMO-CASH", "DEMO-REV"]
    default_accounts = call(served, "GET", "/api/accounts?limit=10", other)[1]["items"]
    assert default_accounts[0]["code"] == "1001-CASH"
    opened = call(served, "POST", "/api/accounts", token, {"code": "X", "name": "X", "ccy": "EUR"})
    assert opened[0] == 403
    assert call(served, "GET", "/api/keys", token)[0] == 403
    # The default tenant's books did not move.
    status, balance, _ = call(served, "GET", "/api/accounts/1001-CASH/balance", other)
    assert (status, balance["balance"]) == (200, "0.00")
    # The bound per address and hour: this address made 1 (and the page test none here).
    for _ in range(9):
        assert call(served, "POST", "/api/demo/tenants")[0] == 201
    status, problem, headers = call(served, "POST", "/api/demo/tenants")
    assert (status, problem["code"]) == (429, "DX048"), problem
    assert 1 <= int(headers["Retry-After"]) <= 3600
    # The live figures, from the process's registry.
    status, figures, _ = call(served, "GET", "/api/demo/figures")
    assert status == 200
    assert figures["postings"]["posted"] >= 1 and figures["postings"]["rejected"] >= 2
    assert figures["posting_p95_ms"] is not None and figures["retry_rate"] >= 0


def test_pruned_demo_tenants_lose_their_keys(served: str, admin_dsn: str) -> None:
    status, demo, _ = call(served, "POST", "/api/demo/tenants")
    assert status == 201
    assert call(served, "GET", "/api/tenant", demo["token"])[0] == 200
    with psycopg.connect(admin_dsn) as conn:
        conn.isolation_level = psycopg.IsolationLevel.SERIALIZABLE
        archived = conn.execute("SELECT ledger.prune_demo_tenants(interval '0')").fetchone()
    assert archived == (1,)
    status, problem, headers = call(served, "GET", "/api/tenant", demo["token"])
    assert (status, problem["code"]) == (401, "DX040")
    assert headers["WWW-Authenticate"].startswith("Bearer")


def test_demo_off_removes_the_page_and_its_routes(
    service_dsn: str, tmp_path: Path, api_key: str
) -> None:
    with doublex_serve(service_dsn, tmp_path / "serve.log", DOUBLEX_DEMO="off") as base:
        for method, path in [
            ("GET", "/"),
            ("GET", "/demo/app.js"),
            ("POST", "/api/demo/tenants"),
            ("GET", "/api/demo/figures"),
        ]:
            status, _, _ = call(base, method, path)
            assert status in (404, 405), (method, path, status)
        assert call(base, "GET", "/api/tenant", api_key)[0] == 200


def test_assets_are_served_from_the_package_only(served: str) -> None:
    status, _, headers = call(served, "GET", "/demo/app.js")
    assert status == 200 and headers["Content-Type"].startswith("text/javascript")
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert call(served, "GET", "/demo/index.html")[0] == 404
    assert call(served, "GET", "/demo/..%2fdemo.py")[0] == 404
