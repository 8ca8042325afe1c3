"""The web page in headless Chromium against real gunicorn instances (tests/cluster.py).

Two browser contexts are two devices of one user; each talks to a different instance, so a
change reaching the other proves delivery across instances through Redis.
"""

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import jwt
import pytest
import requests
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

from tests.cluster import JWT_SECRET_KEY, Instance, cluster, logs_on_failure, reset_data

pytestmark = pytest.mark.e2e

BASE_PORT = 18111
DATABASE = "taskstack_browser_test"
REDIS_DB = 12
ENV_NAME = "browser"
# Put there by app/web/vendor.sh (the test bed runs it).
VENDORED_CLIENT = (
    Path(__file__).resolve().parents[2] / "app/taskstack/static/vendor/socket.io.min.js"
)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
EMAIL = "ada@example.com"
PASSWORD = "correct horse battery staple"
# A reconnection waits for Socket.IO's back-off (up to 5 s, randomised) after the restart.
RECONNECT_TIMEOUT_MS = 20_000
XSS_TITLES = [
    '<img src=x onerror="window.__xss=1">',
    "<script>window.__xss=2</script>",
]
# Records CSP violations before any of the page's own scripts run.
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


@dataclass
class Tab:
    """One browser context (a device) with its page and what its console reported."""

    page: Page
    console_errors: list[str] = field(default_factory=list)

    def csp_violations(self) -> list[str]:
        return self.page.evaluate("window.__cspViolations")


@pytest.fixture(scope="module")
def instances() -> Iterator[list[Instance]]:
    assert VENDORED_CLIENT.exists(), "the Socket.IO client is missing: run app/web/vendor.sh"
    extra_env = {"RATELIMIT_AUTH": "1000 per minute", "RATELIMIT_DEFAULT": "10000 per minute"}
    with cluster(
        2,
        base_port=BASE_PORT,
        database=DATABASE,
        redis_db=REDIS_DB,
        env_name=ENV_NAME,
        extra_env=extra_env,
    ) as started:
        yield started


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def fresh_data(request: pytest.FixtureRequest, instances: list[Instance]) -> Iterator[None]:
    reset_data(DATABASE, REDIS_DB)
    with logs_on_failure(request, instances):
        yield


@pytest.fixture
def open_tab(browser: Browser) -> Iterator[Callable[[Instance], Tab]]:
    """Opens the page of an instance in a new browser context."""
    contexts = []

    def open_tab(instance: Instance) -> Tab:
        context = browser.new_context()
        contexts.append(context)
        context.add_init_script(RECORD_CSP_VIOLATIONS)
        page = context.new_page()
        tab = Tab(page)

        def record(message: ConsoleMessage) -> None:
            if message.type == "error":
                tab.console_errors.append(message.text)

        page.on("console", record)
        page.on("pageerror", lambda error: tab.console_errors.append(str(error)))
        page.goto(instance.url)
        return tab

    yield open_tab
    for context in contexts:
        context.close()


def register_user(instance: Instance) -> dict:
    response = requests.post(
        f"{instance.url}/api/auth/register",
        json={"email": EMAIL, "password": PASSWORD},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return response.json()


def api(instance: Instance, token: str, method: str, path: str, **kwargs) -> requests.Response:
    return requests.request(
        method,
        f"{instance.url}{path}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
        **kwargs,
    )


def create_task(instance: Instance, token: str, title: str, **fields: str) -> dict:
    response = api(instance, token, "POST", "/api/tasks", json={"title": title, **fields})
    assert response.status_code == 201, response.text
    return response.json()


def sign_in(page: Page, email: str = EMAIL, password: str = PASSWORD, button: str = "Log in"):
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name=button).click()


def signed_in_tab(open_tab: Callable[[Instance], Tab], instance: Instance) -> Tab:
    tab = open_tab(instance)
    sign_in(tab.page)
    expect(tab.page.locator("#connection")).to_have_text("live")
    return tab


def add_task(page: Page, title: str) -> None:
    form = page.locator("#new-task")
    form.get_by_label("Title").fill(title)
    form.get_by_role("button", name="Add task").click()


def row(page: Page, title: str):
    """The list item whose title is exactly title."""
    return page.locator("#task-list li").filter(
        has=page.locator(".task-title").get_by_text(title, exact=True)
    )


def session_tokens(page: Page) -> dict[str, str]:
    return page.evaluate(
        """({
          access: sessionStorage.getItem("taskstack.access_token"),
          refresh: sessionStorage.getItem("taskstack.refresh_token"),
        })"""
    )


def test_register_log_out_and_log_in_again(open_tab, instances):
    tab = open_tab(instances[0])
    page = tab.page

    sign_in(page, button="Register")

    expect(page.locator("#account-email")).to_have_text(EMAIL)
    expect(page.locator("#connection")).to_have_text("live")
    expect(page.locator("#empty")).to_have_text("No tasks.")
    page.reload()  # the session lives in sessionStorage: still signed in
    expect(page.locator("#account-email")).to_have_text(EMAIL)

    page.get_by_role("button", name="Log out").click()

    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.locator("#connection")).to_have_text("offline")
    assert session_tokens(page) == {"access": None, "refresh": None}

    sign_in(page, password="wrong password")
    expect(page.locator("#auth-error")).to_have_text("Invalid email or password.")
    expect(page.locator("#tasks")).to_be_hidden()

    sign_in(page)
    expect(page.locator("#account-email")).to_have_text(EMAIL)
    expect(page.locator("#auth-error")).to_be_hidden()


def test_registering_a_taken_email_shows_the_error(open_tab, instances):
    register_user(instances[0])
    page = open_tab(instances[0]).page

    sign_in(page, button="Register")

    expect(page.locator("#auth-error")).to_have_text("An account with this email already exists.")


def test_changes_in_one_session_show_in_the_other_across_instances(open_tab, instances):
    register_user(instances[0])
    first = signed_in_tab(open_tab, instances[0]).page
    second = signed_in_tab(open_tab, instances[1]).page

    add_task(first, "Buy milk")
    expect(row(second, "Buy milk")).to_be_visible()

    row(first, "Buy milk").get_by_role("button", name="Edit").click()
    first.locator("#task-list").get_by_label("Title").fill("Buy oat milk")
    first.locator("#task-list").get_by_label("Description").fill("Two litres")
    first.locator("#task-list").get_by_role("button", name="Save").click()
    expect(row(second, "Buy oat milk")).to_contain_text("Two litres")
    expect(row(second, "Buy milk")).to_have_count(0)

    row(first, "Buy oat milk").get_by_label("Done").check()
    expect(row(second, "Buy oat milk").get_by_label("Done")).to_be_checked()

    add_task(second, "Call Bob")
    expect(row(first, "Call Bob")).to_be_visible()

    row(second, "Buy oat milk").get_by_role("button", name="Delete").click()
    expect(row(first, "Buy oat milk")).to_have_count(0)
    expect(first.locator("#task-list li")).to_have_count(1)


def test_filters_search_and_sort(open_tab, instances):
    token = register_user(instances[0])["access_token"]
    create_task(instances[0], token, "Write report")
    create_task(instances[0], token, "Answer mail", status="done")
    create_task(instances[0], token, "Water plants")
    page = signed_in_tab(open_tab, instances[0]).page
    titles = page.locator("#task-list .task-title")
    expect(titles).to_have_text(["Water plants", "Answer mail", "Write report"])

    page.get_by_label("Status").select_option("done")
    expect(titles).to_have_text(["Answer mail"])

    page.get_by_label("Status").select_option("open")
    page.get_by_label("Search").fill("WATER")
    expect(titles).to_have_text(["Water plants"])

    page.get_by_label("Search").fill("")
    page.get_by_label("Status").select_option("")
    page.get_by_label("Sort").select_option("title")
    expect(titles).to_have_text(["Answer mail", "Water plants", "Write report"])


def test_markup_in_titles_stays_text_on_load_and_live(open_tab, instances):
    token = register_user(instances[0])["access_token"]
    create_task(instances[0], token, XSS_TITLES[0])
    tab = signed_in_tab(open_tab, instances[0])
    page = tab.page
    expect(row(page, XSS_TITLES[0])).to_be_visible()

    # This one arrives live, through the other instance.
    create_task(instances[1], token, XSS_TITLES[1], description=XSS_TITLES[0])
    expect(row(page, XSS_TITLES[1])).to_contain_text(XSS_TITLES[0])

    expect(row(page, XSS_TITLES[0])).to_be_visible()
    assert page.evaluate("window.__xss") is None
    assert page.locator("#task-list img, #task-list script").count() == 0
    assert tab.csp_violations() == []


def expired_copy(access_token: str) -> str:
    """The same access token (user, session), signed with the app's key but expired."""
    claims = jwt.decode(access_token, options={"verify_signature": False})
    hour_ago = int(time.time()) - 3600
    expired = claims | {"iat": hour_ago, "nbf": hour_ago, "exp": hour_ago + 60}
    return jwt.encode(expired, JWT_SECRET_KEY, algorithm="HS256")


def set_access_token(page: Page, token: str) -> None:
    page.evaluate("token => sessionStorage.setItem('taskstack.access_token', token)", token)


def test_page_reconnects_and_catches_up_after_a_backend_restart(open_tab, instances):
    token = register_user(instances[1])["access_token"]
    page = signed_in_tab(open_tab, instances[0]).page
    status = page.locator("#connection")
    before = session_tokens(page)

    instances[0].stop()
    try:
        expect(status).to_have_text("reconnecting…")
        # Made elsewhere while this page cannot hear about it.
        create_task(instances[1], token, "Missed me")
        # The access token also expired meanwhile: the reconnection has to refresh it.
        set_access_token(page, expired_copy(before["access"]))
    finally:
        instances[0].start()

    expect(status).to_have_text("live", timeout=RECONNECT_TIMEOUT_MS)
    expect(row(page, "Missed me")).to_be_visible()
    assert session_tokens(page)["refresh"] != before["refresh"]
    # Live again: later changes arrive as events.
    create_task(instances[1], token, "After restart")
    expect(row(page, "After restart")).to_be_visible()


def test_an_expired_access_token_is_refreshed(open_tab, instances):
    register_user(instances[0])
    page = signed_in_tab(open_tab, instances[0]).page
    before = session_tokens(page)
    expired = expired_copy(before["access"])
    set_access_token(page, expired)

    add_task(page, "Still signed in")

    expect(row(page, "Still signed in")).to_be_visible()
    after = session_tokens(page)
    assert after["access"] not in (before["access"], expired)
    assert after["refresh"] != before["refresh"]
    # The refresh rotated: the old refresh token no longer works.
    assert api(instances[0], before["refresh"], "POST", "/api/auth/refresh").status_code == 401


def test_a_revoked_session_returns_to_the_sign_in_form(open_tab, instances):
    other = register_user(instances[1])["access_token"]
    page = signed_in_tab(open_tab, instances[0]).page
    sid = jwt.decode(session_tokens(page)["access"], options={"verify_signature": False})["sid"]

    assert api(instances[1], other, "DELETE", f"/api/auth/sessions/{sid}").status_code == 204
    # A change elsewhere makes the page reload its list, with its revoked token.
    create_task(instances[1], other, "Not for you")

    expect(page.locator("#auth-error")).to_have_text(
        "Your session has ended; please sign in again."
    )
    expect(page.locator("#tasks")).to_be_hidden()
    assert session_tokens(page) == {"access": None, "refresh": None}


def test_the_page_runs_without_csp_violations_or_console_errors(open_tab, instances):
    response = requests.get(instances[0].url, timeout=10)
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    tab = open_tab(instances[0])
    page = tab.page

    sign_in(page, button="Register")
    expect(page.locator("#connection")).to_have_text("live")
    form = page.locator("#new-task")
    form.get_by_label("Title").fill("Pay rent")
    form.get_by_label("Due date").fill("2030-01-31")
    form.get_by_label("Description").fill("Before the 1st\nby transfer")
    form.get_by_role("button", name="Add task").click()
    expect(row(page, "Pay rent")).to_contain_text("due 2030-01-31")
    row(page, "Pay rent").get_by_label("Done").check()
    expect(row(page, "Pay rent")).to_have_class("task done")
    page.get_by_label("Status").select_option("open")
    expect(page.locator("#empty")).to_be_visible()
    page.get_by_label("Status").select_option("")
    row(page, "Pay rent").get_by_role("button", name="Delete").click()
    expect(page.locator("#empty")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    assert tab.console_errors == []
    assert tab.csp_violations() == []
