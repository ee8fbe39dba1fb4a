"""Every page each role reaches, in real Chromium on the demo, loaded once and checked for
both things every page must be:

- the reader's digits (tests/browser/language.py): a Latin digit in text laid out right to
  left is a finding, on every page each logged-in role reaches from the home page by links
  (breadth first, up to :data:`PAGES_PER_ROLE`);
- accessible (issue 14): axe-core finds no serious or critical violation on the pages of
  :data:`AXE_PAGES` (the ranking's unit matrix could not be scrolled by keyboard before its
  wrapper became a focusable region). Those pages are visited too when the links do not
  reach them.

One walk per role: the page is loaded once for both checks. Every problem found is kept and
the test fails once at the end, each line naming the role, the page and the check.
"""

from __future__ import annotations

import pytest

from app.reports import finals, services
from tests.browser.axe import violations
from tests.browser.conftest import log_in
from tests.browser.language import latin_digits_in_persian
from tests.reports.conftest import evaluation_of

pytestmark = pytest.mark.browser

#: links not to follow: files, downloads, and what changes state or the language
NOT_PAGES = (".pdf", ".csv", ".xlsx", ".zip", ".yaml", "/photos/", "/sw.js", "/lang/",
             "/logout", "/export/", "manifest", "/assets/", "/static/")
PAGES_PER_ROLE = 60

#: the pages axe checks, by role (None: not logged in)
AXE_PAGES = {
    None: ["/login", "/verify", "/verify/{code}", "/no-such-page"],
    "inspector": ["/", "/evaluations/", "/evaluations/{draft}"],
    "reviewer": ["/evaluations/", "/evaluations/{submitted}", "/evaluations/{final}",
                 "/dashboard/", "/dashboard/ranking?pending=1",
                 "/dashboard/municipalities/{town}"],
    "author": ["/rubrics/", "/rubrics/draft"],
    "admin": ["/admin/", "/admin/users", "/admin/users/new", "/admin/municipalities",
              "/admin/cycles", "/admin/cycles/new", "/admin/audit"],
}
#: the roles whose walk starts from their home page by links; the visitor who is not logged
#: in gets axe's pages only (every page of every walk is checked for its digits)
WALKED = ("inspector", "reviewer", "author", "admin")


@pytest.fixture
def wide_page(browser):
    """A desktop-sized page (axe's view of the wide tables), the app's own policy in force."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fa-IR")
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def _axe_pages(app, role) -> list[str]:
    with app.app_context():
        dastjerd = evaluation_of("دستجرد", 1404)
        if role is None:
            # /verify/{code} shows the issued file's digest and pages: the final is rendered
            services.final_report(dastjerd)
        ids = {"final": dastjerd.id, "draft": evaluation_of("کهک", 1404).id,
               "submitted": evaluation_of("قنوات", 1404).id,
               "town": dastjerd.municipality_id, "code": finals.snapshot_of(dastjerd.id).code}
    return [path.format(**ids) for path in AXE_PAGES[role]]


def _links(page) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]",
                                      "links => links.map(a => a.getAttribute('href'))")
    return [href.split("#")[0] for href in hrefs
            if href.startswith("/") and not any(part in href for part in NOT_PAGES)]


def _walk(page, base: str, axe_pages: list[str], *, by_links: bool = True):
    """(path, reached by links, problems) of each page: those the links reach from the home
    page (breadth first, at most PAGES_PER_ROLE; each checked for its digits), then the axe
    pages not reached; each problem is (check, detail)."""
    seen, todo, checked = set(), ["/"] if by_links else [], 0
    while todo and checked < PAGES_PER_ROLE:
        path = todo.pop(0)
        if path not in seen:
            seen.add(path)
            checked += 1
            problems, links = _check(page, base, path, path in axe_pages, digits=True)
            todo.extend(link for link in links if link not in seen)
            yield path, True, problems
    for path in axe_pages:
        if path not in seen:
            seen.add(path)
            yield path, False, _check(page, base, path, True, digits=True)[0]


def _check(page, base: str, path: str, with_axe: bool, *, digits: bool):
    response = page.goto(base + path)
    if response is None or response.status >= 500:
        return [("status", response and response.status)], []
    problems = [("language", line) for line in latin_digits_in_persian(page)[:5]] \
        if digits else []
    if with_axe:
        problems += [("accessibility", f"{v['id']} ({v['impact']}): {v['help']} at "
                                       f"{v['nodes']}") for v in violations(page)]
    return problems, _links(page)


@pytest.mark.parametrize("role", [None, *WALKED], ids=lambda r: r or "anonymous")
def test_every_page_has_persian_digits_and_no_serious_accessibility_violation(
        role, live_server, demo_app, wide_page):
    axe_pages = _axe_pages(demo_app, role)
    if role is not None:
        log_in(wide_page, demo_app, live_server, role)
    walked = list(_walk(wide_page, live_server, axe_pages, by_links=role in WALKED))
    failures = [f"{role or 'anonymous'} {path} [{check}] {detail}"
                for path, _linked, problems in walked for check, detail in problems]
    assert not failures, f"{len(failures)} problem(s):\n" + "\n".join(failures)
    assert set(axe_pages) <= {path for path, _linked, _problems in walked}
    if role in WALKED:
        linked = [path for path, by_link, _problems in walked if by_link]
        assert len(linked) >= 3, linked


def test_both_checks_find_what_they_look_for_under_a_strict_policy(wide_page):
    """axe, evaluated into a page whose policy refuses every script, still runs and reports
    a critical violation; the digits check reports a Latin number in Persian text and not one
    in a left-to-right isolate."""
    wide_page.set_content(
        "<html lang='fa' dir='rtl'><head><meta http-equiv='Content-Security-Policy' "
        "content=\"default-src 'none'; img-src data:\"><title>آزمون</title></head><body>"
        "<script>window.inline = true</script><main><h1>صفحه</h1>"
        "<p>امتیاز 42 از ۱۰۰</p><p>کد <bdi dir='ltr'>A1B2</bdi></p>"
        "<img src='data:image/gif;base64,R0lGODlhAQABAAAAACw='></main></body></html>")
    assert wide_page.evaluate("() => window.inline === undefined")  # the policy holds
    assert [v["id"] for v in violations(wide_page)] == ["image-alt"]
    found = latin_digits_in_persian(wide_page)
    assert len(found) == 1 and found[0].startswith("امتیاز 42"), found
