"""Browser fixtures: Debian's Chromium driven by Playwright against a live server.

Never `playwright install`: the browser is Debian's headless shell of Chromium (the package
chromium-headless-shell from apt, scripts/setup.sh): the same Blink, V8 and network stack as
/usr/bin/chromium, without the desktop browser's user interface. It is what Playwright itself
runs for headless Chromium, and costs the browser tests about 40 % less CPU than the full
browser's headless mode (bench/RESULTS.md, issue 17 part 5, seventh round).
"""

from __future__ import annotations

import os
import threading
import time

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from app.demo import DEMO_PASSWORD
from tests.conftest import _app_from
from tests.helpers import session_cookies

CHROMIUM = "/usr/lib/chromium/chromium-headless-shell"  # the binary (/usr/bin has a wrapper)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
TABLET = {"viewport": {"width": 820, "height": 1180}, "has_touch": True, "is_mobile": False,
          "device_scale_factor": 1, "locale": "fa-IR"}


class InFlight:
    """How many requests a live server is answering: from the moment Werkzeug has read one
    until its response is written and closed. Between two tests the count must reach zero
    before the database is reset (a request may outlast the test that caused it)."""

    def __init__(self):
        self.count = 0
        self.condition = threading.Condition()

    def __enter__(self):
        with self.condition:
            self.count += 1

    def __exit__(self, *exc):
        with self.condition:
            self.count -= 1
            self.condition.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """True once no request is being answered; False if some still is after `timeout`."""
        deadline = time.monotonic() + timeout
        with self.condition:
            while self.count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.condition.wait(left)
        return True


class _Handler(WSGIRequestHandler):
    """Werkzeug's request handler, closing the response when the browser drops the connection
    midway: Werkzeug's own clean-up then fails before it closes the response, the static file
    being sent stays open, and its ResourceWarning (an error under ``-W error``) failed
    whichever test was running when it was collected. Each request is counted in its server's
    :class:`InFlight` while it runs."""

    def run_wsgi(self):
        with self.server.in_flight:
            super().run_wsgi()

    def connection_dropped(self, error, environ=None):
        response = (environ or {}).get("tests.response")
        if response is not None:
            response.close()
        super().connection_dropped(error, environ)


class _Response:
    """A WSGI response closed at most once, by whichever of Werkzeug and :class:`_Handler`
    comes first."""

    def __init__(self, inner):
        self.inner, self.closed = inner, False

    def __iter__(self):
        return iter(self.inner)

    def close(self):
        if not self.closed:
            self.closed = True
            if hasattr(self.inner, "close"):
                self.inner.close()


def _remembering_response(app):
    """The WSGI app, leaving its response in the environ for :class:`_Handler`."""
    def serve(environ, start_response):
        response = environ["tests.response"] = _Response(app(environ, start_response))
        return response
    return serve


def _serve(app, port: int, in_flight: InFlight | None = None):
    server = make_server("127.0.0.1", port, _remembering_response(app), threaded=True,
                         request_handler=_Handler)
    server.in_flight = in_flight or InFlight()
    return server


#: how long a request may go on after its test before the next test's set-up gives up
QUIESCE_TIMEOUT = 120


class LiveServer:
    """The app served by Werkzeug in a thread; can be stopped and started again (on the same
    port). One per worker (`_live_server`), serving the worker's reused demo app; each test
    gets the app on a fresh database (tests/conftest.py `_app_from`) and fresh browser
    contexts, and `quiesce` between tests makes sure no request of one test meets the next
    test's database."""

    def __init__(self, app):
        self.app = app
        self.in_flight = InFlight()
        self.server = _serve(app, 0, self.in_flight)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = None

    def start(self):
        if self.thread is None:
            self.server = _serve(self.app, self.port, self.in_flight)
            self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
            self.thread.start()

    def stop(self):
        if self.thread is not None:
            self.server.shutdown()
            self.server.server_close()
            self.thread.join(timeout=10)
            self.thread = None

    def quiesce(self, timeout: float = QUIESCE_TIMEOUT) -> None:
        """Wait until no request is being answered (the browser contexts that sent them are
        closed first, by `live_app`); fails if one is still running after `timeout`."""
        if not self.in_flight.wait_idle(timeout):
            pytest.fail(f"the live server still answers {self.in_flight.count} request(s) "
                        f"{timeout} s after the test ended", pytrace=False)


@pytest.fixture
def demo_app(databases, _apps, tmp_path):
    """The worker's reused demo app on a fresh copy of the demo database, as in the other
    tests (tests/conftest.py); its live server is `live_app`, which quiesces it before the
    database is put back."""
    yield from _app_from(databases, _apps, "demo", tmp_path)


@pytest.fixture(scope="session")
def _live_server(_apps):
    """The worker's one live server, for the reused demo app (made by the first test's
    `demo_app`); started once, stopped at the end of the session."""
    servers = []

    def get(app):
        if not servers:
            servers.append(LiveServer(app))
            servers[0].server.server_close()  # start() makes a fresh one on the same port
        assert servers[0].app is app, "the reused demo app was replaced"
        return servers[0]

    yield get
    for server in servers:
        server.stop()


@pytest.fixture
def live_app(demo_app, _live_server, browser):
    """The running live server of the demo app (a fresh database for each test). After the
    test, every browser context still open is closed (its pages and service workers would
    otherwise go on sending requests to the same port) and the requests still being answered
    are waited for, before `demo_app` closes the database and the next test resets it."""
    server = _live_server(demo_app)
    server.start()
    yield server
    for context in list(browser.contexts):
        context.close()
    server.start()  # a test that stopped it (offline) left it stopped: serve again
    server.quiesce()


@pytest.fixture
def live_server(live_app):
    """The base URL of the running demo app."""
    return live_app.url


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: scripts/setup.sh --test installs it "
                    "(Debian's chromium-headless-shell)", pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def context(browser):
    context = browser.new_context(**TABLET)
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def page(context):
    return context.new_page()


def log_in(page, app, base_url: str, username: str) -> None:
    """Open the home page of `base_url` logged in as `username`, without the login form: the
    browser gets the cookies of tests.helpers.session_cookies (the one place test logins are
    made), made for its own user agent."""
    agent = page.evaluate("navigator.userAgent")
    cookies = session_cookies(app, username, {"REMOTE_ADDR": "127.0.0.1",
                                              "HTTP_USER_AGENT": agent})
    page.context.add_cookies([{"name": name, "value": value, "url": base_url}
                              for name, value in cookies.items()])
    page.goto(f"{base_url}/")
    assert "/login" not in page.url, page.url
    # as after a real login, whose login page registered the service worker: it controls the
    # page before the test goes on (a navigation racing its first activation may go uncontrolled)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", polling=100)


def log_in_with_password(page, base_url: str, username: str,
                         password: str = DEMO_PASSWORD) -> None:
    """Log in through the login form, as a person does (the browser test of the login)."""
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def wait_saved(page, timeout: float = 30_000) -> None:
    """Wait until the form's bar says everything is saved: nothing waits in the pause before
    sending or in the queue, and the server's answer to the last batch has been handled
    (refusals marked on their cards). It says so before the first change too: wait for a
    save's reply first where the test needs one to have happened."""
    page.wait_for_selector("#save-state[data-state=saved]", timeout=timeout)


def scrolled_to(locator):
    """`locator` scrolled into view and left to settle for two frames, then returned to be
    tapped, as a person taps what they have scrolled to. Below a form's cards this matters:
    the cards a jump brings into view are laid out only then (app.css: ``content-visibility:
    auto``), so what is below them moves once, a frame after the jump; a click aimed in that
    frame lands where the element was."""
    locator.scroll_into_view_if_needed()
    locator.page.evaluate(
        "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    return locator


def card_error(card) -> str:
    """The error a criterion card shows ("" for none), read as the inspector reads it: the
    card scrolled to first. A card off screen is not laid out (app.css: ``content-visibility:
    auto``), and what is not laid out has no rendered text, so reading it unscrolled would
    give "" whatever the card says."""
    card.scroll_into_view_if_needed()
    return card.locator(".field-error").inner_text()


def fill_criterion(card, numbers: dict[str, str], note: str) -> None:
    """Answer one criterion card by touch, as its widget asks: the top scale level or «yes»,
    the number given for its type (`numbers` maps "percent"/"number" to what the inspector
    types; "input" for a computed criterion's inputs), every checklist item, two sites at the
    top level — plus a note."""
    widget = card.get_attribute("data-widget")
    kind = card.get_attribute("data-type")
    if widget == "choice":
        labels = card.locator("label.choice")
        (labels.first if kind == "yesno" else labels.last).tap()
    elif widget == "inputs":
        for box in card.locator("input[data-input]").all():
            box.fill(numbers.get("input", "۱۲۰"))
    elif widget == "ticks":
        for item in card.locator("label.check-item:not(.none)").all():
            item.tap()
    elif widget == "samples":
        rows = card.locator("[data-row]")
        for index, site in enumerate(("بوستان مرکزی", "میدان شهر")):
            if index >= rows.count():
                card.locator("[data-add-row]").tap()
            row = rows.nth(index)
            row.locator("[data-part=site]").fill(site)
            value = row.locator("[data-part=value]")
            if value.evaluate("el => el.tagName") == "SELECT":
                value.select_option(index=value.locator("option").count() - 1)
            else:
                value.fill(numbers.get(kind, "۹۵"))
    else:
        card.locator("input.num").fill(numbers[kind])
    card.locator("textarea[name$=_note]").fill(note)
