"""Playwright in Debian's Chromium against pytest-django's live server, on the demo data.

`playwright install` cannot download browsers here, so the launch points at
/usr/bin/chromium (ENVIRONMENT.md). Screenshots go to test-results/screens/.
"""

import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENS = Path(__file__).resolve().parent.parent.parent / "test-results" / "screens"
DEMO_PASSWORD = "demo-posc-2026-portal"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("POSC_CHROMIUM", "/usr/bin/chromium"),
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def demo(transactional_db, live_server):
    call_command("seed_demo")
    return live_server


@pytest.fixture
def shot(page, request):
    """shot("name") saves a full-page screenshot for a person to look at."""
    SCREENS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> None:
        page.screenshot(path=SCREENS / f"{request.node.name}-{name}.png", full_page=True)

    return take


# WCAG 2.1 A and AA, and axe's best practices (issue 18). aria-valid-attr-value and
# duplicate-id-aria, which the issue names, are WCAG A rules, so these tags hold them.
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
    "resultTypes": ["violations"],
}


def no_axe_violations(page):
    results = Axe().run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, results.generate_snapshot()


@pytest.fixture
def sign_in(page, demo):
    def go(username: str, password: str = DEMO_PASSWORD, *, go_on: bool = True):
        page.goto(f"{demo.url}/accounts/login/")
        page.get_by_label("User ID").fill(username)
        page.get_by_label("Password").fill(password)
        with page.expect_navigation():
            page.get_by_role("button", name="Sign in").click()
        # AR-07: Eddy's review is overdue in the demo, so its Primary Users and backups land on it
        # first (test_review_first.py walks that); the other walks go on from it as a person would.
        notice = page.get_by_test_id("review-first")
        if go_on and notice.count():
            with page.expect_navigation():
                notice.get_by_role("button").click()

    return go
