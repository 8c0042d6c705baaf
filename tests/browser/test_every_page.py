"""Every page each demo user can reach, and the error states a person meets, checked as issue 18
asks: axe-core finds no violation of WCAG 2.1 A/AA or best practice, and at 390 px wide (a phone)
nothing scrolls sideways. Each page is also saved at desktop and phone width to
test-results/screens/ for a person to look at.

The crawl starts at Home and follows every link of the portal, one address of each shape
(`/reviews/3/7/` and `/reviews/3/8/` are one shape), so a page is reached the way a person reaches
it. Downloads and sign-out are left out. Every problem on every page is gathered before the test
fails, so one run shows them all.
"""

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.browser.conftest import AXE_OPTIONS, SCREENS

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# Not pages: files, and what signs out or acts. Django's admin pages of one model are one shape.
SKIP = re.compile(r"/download/|/export/|\.csv$|\.pdf$|/logout/|/static/|/media/|/healthz|/reports/\d+/file")
MAX_PAGES = 90

_axe = Axe()

# Every id an attribute names exists, and no id is written twice.
REFERENCES = """() => {
  const problems = [], seen = new Map();
  for (const e of document.querySelectorAll('[id]')) seen.set(e.id, (seen.get(e.id) || 0) + 1);
  for (const [id, n] of seen) if (n > 1) problems.push(`id "${id}" is written ${n} times`);
  for (const attr of ['aria-describedby', 'aria-labelledby', 'aria-controls', 'for']) {
    for (const e of document.querySelectorAll(`[${attr}]`)) {
      for (const id of e.getAttribute(attr).split(/\\s+/).filter(Boolean)) {
        if (!document.getElementById(id)) problems.push(`${attr}="${id}" names no element`);
      }
    }
  }
  return problems;
}"""


@dataclass
class Findings:
    problems: list[str] = field(default_factory=list)
    pages: int = 0

    def check(self, page, label: str) -> None:
        """axe at desktop width, then the width of a phone; both screenshots."""
        self.pages += 1
        SCREENS.mkdir(parents=True, exist_ok=True)
        page.set_viewport_size(DESKTOP)
        results = _axe.run(page, options=AXE_OPTIONS)
        for violation in results.response["violations"]:
            targets = "; ".join(" ".join(n["target"]) for n in violation["nodes"][:3])
            self.problems.append(f"{label}: axe {violation['id']} ({violation['impact']}) at {targets}")
        # axe only "needs review" an aria-describedby naming a missing id; the issue counts it.
        for problem in page.evaluate(REFERENCES):
            self.problems.append(f"{label}: {problem}")
        slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")[:90]
        page.screenshot(path=SCREENS / f"every-page-{slug}-desktop.png", full_page=True)
        page.set_viewport_size(PHONE)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        if overflow > 0:
            wide = page.evaluate(
                """() => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
                .slice(-3).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                    + (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : ''))"""
            )
            self.problems.append(f"{label}: scrolls sideways by {overflow}px at 390px ({', '.join(wide)})")
        page.screenshot(path=SCREENS / f"every-page-{slug}-phone.png", full_page=False)
        page.set_viewport_size(DESKTOP)

    def assert_none(self) -> None:
        assert not self.problems, f"{len(self.problems)} problems on {self.pages} pages:\n" + "\n".join(self.problems)


def shape(url: str) -> str:
    parts = urlsplit(url)
    keys = ",".join(sorted({k for k, _ in parse_qsl(parts.query)} - {"next"}))
    return re.sub(r"\d+", "N", parts.path) + (f"?{keys}" if keys else "")


def crawl(page, base: str, who: str, findings: Findings) -> set[str]:
    """Every page reachable by links from Home, one address of each shape; returns the shapes seen."""
    queue, shapes = [f"{base}/"], set()
    while queue and len(shapes) < MAX_PAGES:
        url = queue.pop(0)
        if shape(url) in shapes:
            continue
        shapes.add(shape(url))
        try:
            response = page.goto(url)
        except PlaywrightError as error:  # a link to a file starts a download: not a page
            if "Download is starting" in str(error):
                continue
            raise
        if response is None or "text/html" not in response.headers.get("content-type", ""):
            continue
        assert response.status < 500, f"{who}: {url} answered {response.status}"
        assert "/accounts/login/" not in page.url, f"{who} was signed out at {url}"
        findings.check(page, f"{who} {urlsplit(url).path}{'?' + urlsplit(url).query if urlsplit(url).query else ''}")
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            href = href.split("#", 1)[0]
            if href.startswith(base) and not SKIP.search(href) and shape(href) not in shapes:
                queue.append(href)
    return shapes


# Who the demo has (README), each with what they can reach.
DEMO_USERS = ["mhughes", "rpatel", "jdoe11", "bsb.biller", "eddy.compliance", "agency.admin", "eldercare.primary"]


@pytest.mark.parametrize("who", DEMO_USERS)
def test_every_page_a_demo_user_reaches_passes_axe_and_fits_a_phone(page, sign_in, demo, who):
    sign_in(who)
    findings = Findings()

    shapes = crawl(page, demo.url, who, findings)

    assert len(shapes) > 3, shapes  # the crawl reached the user's pages, not only Home
    print(f"{who}: {findings.pages} pages checked")  # noqa: T201 - shown with -s
    findings.assert_none()


def submit_empty(page, url: str, button: str) -> None:
    page.goto(url)
    page.get_by_role("button", name=button, exact=True).click()
    page.wait_for_load_state()


def test_error_states_pass_axe_and_fit_a_phone(page, sign_in, demo):
    """The pages a person sees when something is wrong: a failed sign-in, forms sent empty or with
    bad values, a refusal, a page that does not exist."""
    findings = Findings()
    base = demo.url

    page.goto(f"{base}/accounts/login/")
    page.get_by_label("User ID").fill("mhughes")
    page.get_by_label("Password").fill("not her password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert").first).to_be_visible()
    findings.check(page, "anonymous failed sign-in")
    page.goto(f"{base}/no/such/page/")
    findings.check(page, "anonymous page not found")
    for link in page.goto(f"{base}/accounts/login/") and page.eval_on_selector_all(
        "main a[href]", "links => links.map(a => a.href)"
    ):
        if link.startswith(base) and not SKIP.search(link):
            page.goto(link)
            findings.check(page, f"anonymous {urlsplit(link).path}")
            buttons = page.locator("main form[method=post] button[type=submit]")
            if buttons.count():
                buttons.last.click()
                page.wait_for_load_state()
                findings.check(page, f"anonymous {urlsplit(link).path} sent empty")

    sign_in("mhughes")
    for path, button in [
        ("/administer/110000001A/subordinates/add/", "Submit"),
        ("/accounts/password/", "Change Password"),
    ]:
        page.goto(f"{base}{path}")
        if page.get_by_role("button", name=button, exact=True).count():
            submit_empty(page, f"{base}{path}", button)
            findings.check(page, f"mhughes {path} sent empty")
    page.goto(f"{base}/accounts/password/")
    page.locator("#id_old_password").fill("demo-posc-2026-portal")
    page.locator("#id_new_password1").fill("short")
    page.locator("#id_new_password2").fill("other")
    page.get_by_role("button", name="Change Password").click()
    page.wait_for_load_state()
    findings.check(page, "mhughes change password too short and not matching")
    page.goto(f"{base}/agency/")
    findings.check(page, "mhughes refused the agency's pages")
    page.goto(f"{base}/no/such/page/")
    findings.check(page, "mhughes page not found")

    findings.assert_none()
