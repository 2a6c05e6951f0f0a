"""The pages a person sees, in a real browser: Debian's headless Chromium driven by Selenium
through the provider's real login and consent pages to Gatehouse's pages, and through the app's
own sign-in (a real OpenID Provider) when user verification goes through OIDC. Each test saves a
screenshot of the page it reached (a phone-sized window) in the test's work directory, or in
docs/screenshots/ with GATEHOUSE_SCREENSHOTS=1 (how the pictures in docs/ were made)."""
import json
import os
import shutil
import sqlite3
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import (HERE, ConfiguredGatehouse, OAuthServer, consent, free_port, provider_and_gatehouse,
                      provider_redirect, stop)

DOCS_SHOTS = HERE.parents[1] / "docs" / "screenshots"


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=412,780"):
        options.add_argument(argument)
    # Debian's driver, given explicitly: Selenium's own driver manager cannot download here.
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
    yield driver
    driver.quit()


def sign_in_and_answer(browser, url, username, allow, back_at="/v1/oauth/dot/callback"):
    browser.get(url)
    if "/accounts/login/" in browser.current_url:
        browser.find_element(By.NAME, "username").send_keys(username)
        browser.find_element(By.NAME, "password").send_keys(f"{username}-password")
        browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        # The login page's own address names /o/authorize/ (its `next`): wait to leave it.
        WebDriverWait(browser, 15).until(lambda b: "/accounts/login/" not in b.current_url, message=browser.current_url)
    assert "/o/authorize/" in browser.current_url, browser.current_url
    # The consent form, once its page has loaded.
    answer = "input[name=allow]" if allow else "input[type=submit]:not([name=allow])"
    WebDriverWait(browser, 15).until(
        lambda b: b.find_elements(By.CSS_SELECTOR, answer), message=f"no consent form at {browser.current_url}")
    browser.find_element(By.CSS_SELECTOR, answer).click()
    # The provider redirects the browser back to Gatehouse (and, with OIDC user verification,
    # on through the app's sign-in).
    WebDriverWait(browser, 15).until(lambda b: back_at in b.current_url, message=browser.page_source[:500])


def heading(browser):
    return browser.find_element(By.TAG_NAME, "h1").text


@pytest.fixture(scope="module")
def shots(workdir):
    folder = DOCS_SHOTS if os.environ.get("GATEHOUSE_SCREENSHOTS") == "1" else workdir / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def shot(browser, folder, name):
    assert browser.save_screenshot(str(folder / f"{name}.png"))


def test_a_consent_in_a_real_browser_ends_on_the_success_page_and_a_reload_says_so_again(
        browser, shots, gatehouse, dot, user_id):
    client = gatehouse.client()
    r = client.auth.start(user_id=user_id, provider="dot", scopes=["read"])
    sign_in_and_answer(browser, r.url, "alice", allow=True)
    assert heading(browser) == "Connected"
    assert "You connected dot" in browser.page_source
    shot(browser, shots, "success")
    assert client.auth.wait_for_completion(r).status == "completed"

    grants = dot.stats()["authorization_code_grants"]
    browser.get(browser.current_url)  # the same callback link again: nothing is done twice
    assert heading(browser) == "Connected"
    assert dot.stats()["authorization_code_grants"] == grants

    browser.get(gatehouse.redirect_uri("dot") + "?code=x&state=not-a-state-we-made")
    assert heading(browser) == "This link has expired"
    assert "quote this reference" in browser.page_source
    shot(browser, shots, "expired")


def test_a_reload_while_the_provider_is_slow_says_still_connecting_and_turns_to_connected_by_itself(
        browser, shots, workdir, user_id):
    """The person opens the callback link again (a reload, a second tab) while the provider is
    still answering the first arrival's code exchange: the page says "Still connecting" and loads
    itself again (a meta refresh: the pages run no script) until it says "Connected". The code is
    exchanged once, and the first arrival's own page says Connected too."""
    delay = workdir / "slow-code-delay"
    delay.write_text("4")  # the exchange's answer waits at the provider
    server, gatehouse = provider_and_gatehouse(workdir, "slowcode", 3600, code_answer_delay_file=delay)
    try:
        client = gatehouse.client()
        client.admin.auth_providers.create(**server.provider_definition("slowcode"))
        r = client.auth.start(user_id=user_id, provider="slowcode", scopes=["read"])
        _, callback = provider_redirect(r.url, "alice")
        with ThreadPoolExecutor(1) as pool:
            first = pool.submit(requests.get, callback, timeout=30, allow_redirects=False)
            deadline = time.monotonic() + 20
            while server.stats()["authorization_code_grants"] == 0 and time.monotonic() < deadline:
                time.sleep(0.05)
            browser.get(callback)
            assert heading(browser) == "Still connecting", browser.page_source[:500]
            shot(browser, shots, "still-connecting")
            # The page is replaced under the wait at each reload: a heading read across one is stale.
            WebDriverWait(browser, 30, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)).until(
                lambda b: heading(b) == "Connected", message="the page did not turn to Connected")
            page = first.result(timeout=30)
        assert page.status_code == 200 and "You connected slowcode" in page.text, page.text[:300]
        assert server.stats()["authorization_code_grants"] == 1
        assert client.auth.status(id=r.id).status == "completed"
    finally:
        gatehouse.stop()
        stop(server.process)


def test_a_denial_in_a_real_browser_says_so_with_a_reference(browser, shots, gatehouse, dot, user_id):
    r = gatehouse.client().auth.start(user_id=user_id, provider="dot", scopes=["read"])
    sign_in_and_answer(browser, r.url, "alice", allow=False)
    assert heading(browser) == "Access not granted"
    reference = browser.find_element(By.CSS_SELECTOR, ".ref code").text
    assert len(reference) >= 16
    assert "access_denied" not in browser.page_source
    shot(browser, shots, "denied")
    assert gatehouse.client().auth.status(id=r.id).status == "failed"


def test_a_refused_code_exchange_says_the_sign_in_did_not_go_through(browser, shots, gatehouse, dot, user_id):
    # The provider itself works; for this test Gatehouse holds a wrong client secret for it, so
    # the provider refuses the code exchange.
    client = gatehouse.client()

    def secret(value):
        answer = requests.patch(
            f"{gatehouse.base}/v1/admin/auth_providers/dot", json={"oauth2": {"client_secret": value}},
            headers={"Authorization": gatehouse.api_key}, timeout=5)
        assert answer.status_code == 200, answer.text

    secret("not-the-secret")
    try:
        r = client.auth.start(user_id=user_id, provider="dot", scopes=["read"])
        sign_in_and_answer(browser, r.url, "alice", allow=True)
        assert heading(browser) == "The sign-in didn't go through"
        assert "invalid_client" not in browser.page_source and "HTTPClientError" not in browser.page_source
        shot(browser, shots, "provider-error")
        assert client.auth.status(id=r.id).status == "failed"
    finally:
        secret(dot.client_secret)


def test_an_internal_error_says_so_in_words_for_the_person(browser, shots, gatehouse, dot, user_id):
    # A stored flow whose sealed PKCE verifier no longer opens (a damaged row) cannot finish.
    r = gatehouse.client().auth.start(user_id=user_id, provider="dot", scopes=["read"])
    with sqlite3.connect(gatehouse.data / "gatehouse.sqlite", timeout=10) as db:
        assert db.execute("UPDATE flows SET sealed_verifier = X'01' WHERE id = ?", (r.id,)).rowcount == 1
    sign_in_and_answer(browser, r.url, "alice", allow=True)
    assert heading(browser) == "Something went wrong on our side"
    assert "quote this reference" in browser.page_source
    shot(browser, shots, "internal-error")


# User verification through the app's own sign-in: a second django-oauth-toolkit, with OIDC on,
# plays the app's OpenID Provider; a third is the service the person connects.


@pytest.fixture(scope="module")
def oidc(workdir):
    """A gatehouse whose config sends user verification through the app's OpenID Provider
    (`idp`, ID tokens naming the user by email), with one provider, `svc`."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    idp = OAuthServer(workdir, "idp", 3600, f"{base}/v1/oauth/user_verification", openid=True)
    svc = OAuthServer(workdir, "svc", 3600, f"{base}/v1/oauth/svc/callback")
    config = f"""
auth:
  user_verification:
    oidc:
      issuer: "{idp.issuer}"
      client_id: {idp.client_id}
      client_secret: "${{env:IDP_CLIENT_SECRET}}"
      user_claim: email
      scopes: [email]
security:
  allowed_provider_networks: [127.0.0.1/32]
"""
    server = ConfiguredGatehouse(workdir, "oidc", config, env={"IDP_CLIENT_SECRET": idp.client_secret}, port=port)
    server.client().admin.auth_providers.create(**svc.provider_definition("svc"))
    yield server, idp
    server.stop()
    for provider in (idp, svc):
        stop(provider.process)


def sign_in_to_the_app(browser, idp, username):
    """The person signs in to the app (at its OpenID Provider), as someone who uses the app does
    before it asks them to connect a service."""
    browser.delete_cookie("idp_session")
    browser.get(f"{idp.base}/accounts/login/?next=/test/stats")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys(f"{username}-password")
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(browser, 15).until(lambda b: "/test/stats" in b.current_url)


def test_oidc_the_signed_in_user_completes_without_an_extra_page(browser, oidc):
    server, idp = oidc
    sign_in_to_the_app(browser, idp, "alice")
    client = server.client()
    r = client.auth.start(user_id="alice@example.com", provider="svc", scopes=["read"])
    # Consent at the service (as any account there); the app's sign-in then answers for alice
    # without a page of its own: the browser lands on Gatehouse's success page.
    sign_in_and_answer(browser, r.url, "bob", allow=True, back_at="/v1/oauth/user_verification")
    assert heading(browser) == "Connected", browser.page_source[:500]
    assert client.auth.wait_for_completion(r).status == "completed"
    token = client.auth.start(user_id="alice@example.com", provider="svc", scopes=["read"])
    assert token.status == "completed" and token.context.token


def logged(server, text, seconds=15):
    """Whether the server's log has a line with `text` within `seconds` (the start-up check of
    the OpenID Provider runs beside the server, not before it answers)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if any(text in line for line in server.log.read_text().splitlines()):
            return True
        time.sleep(0.1)
    return False


def test_oidc_the_start_says_the_app_sign_in_can_be_used(oidc):
    server, idp = oidc
    assert logged(server, "discovery and keys read"), server.log.read_text()[-2000:]
    assert f"issuer={idp.issuer}" in server.log.read_text()


def test_oidc_a_wrong_issuer_is_in_the_log_at_start_and_the_server_still_serves(workdir, oidc):
    _, idp = oidc
    wrong = f"{idp.base}/wrong"
    config = f"""
auth:
  user_verification:
    oidc:
      issuer: "{wrong}"
      client_id: {idp.client_id}
      client_secret: "${{env:IDP_CLIENT_SECRET}}"
security:
  allowed_provider_networks: [127.0.0.1/32]
"""
    server = ConfiguredGatehouse(workdir, "oidc-wrong", config, env={"IDP_CLIENT_SECRET": idp.client_secret})
    try:
        assert logged(server, "cannot be used yet"), server.log.read_text()[-2000:]
        line = next(line for line in server.log.read_text().splitlines() if "cannot be used yet" in line)
        assert "level=error" in line and f"{wrong}/.well-known/openid-configuration answered 404" in line, line
        assert idp.client_secret not in server.log.read_text()
        assert requests.get(f"{server.base}/v1/health", timeout=5).json() == {"healthy": True}
    finally:
        server.stop()


def test_oidc_another_signed_in_user_is_refused_and_nothing_is_stored(browser, shots, oidc):
    server, idp = oidc
    sign_in_to_the_app(browser, idp, "bob")
    client = server.client()
    r = client.auth.start(user_id="carol@example.com", provider="svc", scopes=["read"])
    sign_in_and_answer(browser, r.url, "alice", allow=True, back_at="/v1/oauth/user_verification")
    assert heading(browser) == "Signed in as someone else"
    assert "quote this reference" in browser.page_source
    shot(browser, shots, "wrong-user")
    assert client.auth.status(id=r.id).status == "failed"
    for user in ("carol@example.com", "bob@example.com"):
        assert client.admin.user_connections.list(user={"id": user}).total_count == 0
    # The next request for carol starts over: nothing of bob's grant was kept.
    assert client.auth.start(user_id="carol@example.com", provider="svc", scopes=["read"]).status == "pending"


# The admin dashboard, signed in with the admin key.


def shows(browser, text):
    """Waits for the page a click led to: until it shows `text`."""
    WebDriverWait(browser, 10).until(lambda b: text in b.page_source, message=f"waiting for {text!r}")


def test_the_dashboard_adds_a_provider_finds_a_connection_and_deletes_it(browser, shots, gatehouse, dot, user_id):
    client = gatehouse.client()
    r = client.auth.start(user_id=user_id, provider="dot", scopes=["read"])
    consent(r.url, "alice")
    assert client.auth.wait_for_completion(r).status == "completed"

    browser.get(f"{gatehouse.base}/dashboard")
    assert heading(browser) == "Sign in"
    browser.find_element(By.NAME, "key").send_keys(gatehouse.api_key)
    browser.find_element(By.CSS_SELECTOR, "main button").click()
    shows(browser, "<h1>Providers</h1>")
    cookie = browser.get_cookie("gatehouse_dashboard")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/dashboard"

    # A built-in provider, with the redirect URI to register shown.
    Select(browser.find_element(By.NAME, "template")).select_by_value("github")
    browser.find_element(By.NAME, "id").send_keys("gh-dash")
    browser.find_element(By.NAME, "client_id").send_keys("dash-client")
    browser.find_element(By.NAME, "client_secret").send_keys("dash-secret")
    browser.find_element(By.XPATH, "//button[text()='Add']").click()
    shows(browser, "Provider added: register its redirect URI")
    # The redirect URI to register is shown whole (it wraps; an input cut it off).
    assert f"<code>{gatehouse.redirect_uri('gh-dash')}</code>" in browser.page_source
    shot(browser, shots, "dashboard-providers")
    assert client.admin.auth_providers.get("gh-dash").provider_id == "github"

    # Find the user's connection and delete it: the next authorization asks for consent again.
    browser.find_element(By.LINK_TEXT, "Connections").click()
    shows(browser, "<h1>Connections</h1>")
    browser.find_element(By.NAME, "user").send_keys(user_id)
    browser.find_element(By.XPATH, "//button[text()='Search']").click()
    shows(browser, "1 connection.")
    assert user_id in browser.page_source
    shot(browser, shots, "dashboard-connections")
    # Delete asks first, naming the user and the provider; Cancel keeps it.
    browser.find_element(By.XPATH, "//button[text()='Delete']").click()
    shows(browser, "connection with dot?")
    assert user_id in browser.find_element(By.TAG_NAME, "h1").text
    browser.find_element(By.LINK_TEXT, "Cancel").click()
    shows(browser, "1 connection.")
    browser.find_element(By.XPATH, "//button[text()='Delete']").click()
    shows(browser, "Delete the connection")
    browser.find_element(By.XPATH, "//button[text()='Delete the connection']").click()
    shows(browser, "Connection deleted")
    assert client.auth.start(user_id=user_id, provider="dot", scopes=["read"]).status == "pending"

    # A form posted from elsewhere (the session cookie, no CSRF token) changes nothing.
    forged = requests.post(
        f"{gatehouse.base}/dashboard/providers/gh-dash/delete", data={"csrf": "guess"},
        cookies={"gatehouse_dashboard": cookie["value"]}, allow_redirects=False, timeout=5)
    assert forged.status_code == 403
    assert client.admin.auth_providers.get("gh-dash").id == "gh-dash"

    # Remove asks first, saying what goes with the provider.
    browser.get(f"{gatehouse.base}/dashboard/providers")
    browser.find_element(By.XPATH, "//form[@action='/dashboard/providers/gh-dash/delete']/button").click()
    shows(browser, "Remove provider gh-dash?")
    assert client.admin.auth_providers.get("gh-dash").id == "gh-dash"
    browser.find_element(By.XPATH, "//button[text()='Remove gh-dash']").click()
    shows(browser, "Provider removed")

    browser.find_element(By.XPATH, "//button[text()='Sign out']").click()
    shows(browser, "You are signed out.")
    browser.get(f"{gatehouse.base}/dashboard/providers")
    assert heading(browser) == "Sign in"
    # A copy of the cookie taken before signing out signs nobody in either; the page it asked
    # for says the session ended, and a sign-in would return to it.
    copied = requests.get(f"{gatehouse.base}/dashboard/providers", cookies={"gatehouse_dashboard": cookie["value"]},
                          allow_redirects=False, timeout=5)
    assert copied.status_code == 303, copied.status_code
    assert copied.headers["location"] == "/dashboard/sign-in?next=%2Fdashboard%2Fproviders&reason=ended"


def test_the_dashboard_adds_a_custom_provider_that_completes_a_real_consent_and_edits_its_template(
        browser, shots, gatehouse, workdir, user_id):
    """A template of the operator's own, pasted into the dashboard, runs a real flow at a real
    OAuth server; then its template is edited whole on its page."""
    server = OAuthServer(workdir, "dash-custom", 3600, gatehouse.redirect_uri("dot-dash"))
    try:
        browser.get(f"{gatehouse.base}/dashboard/providers")
        if heading(browser) == "Sign in":
            browser.find_element(By.NAME, "key").send_keys(gatehouse.api_key)
            browser.find_element(By.CSS_SELECTOR, "main button").click()
            shows(browser, "<h1>Providers</h1>")
        custom = browser.find_element(By.XPATH, "//form[input[@name='kind' and @value='custom']]")
        template = server.provider_definition("dot-dash")["oauth2"]
        secret = template.pop("client_secret")
        client_id = template.pop("client_id")
        custom.find_element(By.NAME, "id").send_keys("dot-dash")
        custom.find_element(By.NAME, "client_id").send_keys(client_id)
        custom.find_element(By.NAME, "client_secret").send_keys(secret)
        area = custom.find_element(By.NAME, "oauth2")
        assert "provider.example/oauth/authorize" in area.get_attribute("value")  # the example to edit
        browser.execute_script("arguments[0].value = arguments[1]", area, json.dumps(template, indent=2))
        custom.find_element(By.XPATH, ".//button[text()='Add']").click()
        shows(browser, "Provider added: register its redirect URI")

        client = gatehouse.client()
        r = client.auth.start(user_id=user_id, provider="dot-dash", scopes=["read"])
        sign_in_and_answer(browser, r.url, "alice", allow=True, back_at="/v1/oauth/dot-dash/callback")
        assert heading(browser) == "Connected"
        done = client.auth.wait_for_completion(r)
        assert done.status == "completed" and done.context.token

        # Edited whole: what the text leaves out is gone, the rest (and the secret) stays.
        browser.get(f"{gatehouse.base}/dashboard/providers/dot-dash")
        area = browser.find_element(By.NAME, "oauth2")
        shown = json.loads(area.get_attribute("value"))
        assert shown["token_request"]["endpoint"] == template["token_request"]["endpoint"]
        assert "client_secret" not in shown and secret not in browser.page_source
        del shown["user_info_request"]
        browser.execute_script("arguments[0].value = arguments[1]", area, json.dumps(shown, indent=2))
        shot(browser, shots, "dashboard-provider-template")
        browser.find_element(By.XPATH, "//button[text()='Save']").click()
        shows(browser, "Saved.")
        stored = requests.get(
            f"{gatehouse.base}/v1/admin/auth_providers/dot-dash",
            headers={"Authorization": f"Bearer {gatehouse.api_key}"}, timeout=5).json()["oauth2"]
        assert "user_info_request" not in stored and stored["client_secret"]["exists"] is True
        assert stored["refresh_request"]["endpoint"] == template["refresh_request"]["endpoint"]
        # The flow still works with the edited template.
        again = client.auth.start(user_id=f"other-{user_id}", provider="dot-dash", scopes=["read"])
        sign_in_and_answer(browser, again.url, "alice", allow=True, back_at="/v1/oauth/dot-dash/callback")
        assert client.auth.wait_for_completion(again).status == "completed"
    finally:
        gatehouse.client().admin.auth_providers.delete("dot-dash")
        stop(server.process)


def test_a_sign_in_form_posted_from_another_site_is_refused(browser, gatehouse):
    # Login CSRF: a page elsewhere posts its own admin key to the sign-in form, which carries no
    # token (there is no session yet). Chromium says the post is cross-site, and it is refused.
    browser.get(f"{gatehouse.base}/dashboard/sign-in")
    browser.delete_all_cookies()
    page = (
        f"<form method='post' action='{gatehouse.base}/dashboard/sign-in'>"
        f"<input name='key' value='{gatehouse.api_key}'></form><script>document.forms[0].submit()</script>"
    )
    browser.get("data:text/html," + urllib.parse.quote(page))
    shows(browser, "This sign-in was sent from another site")
    assert browser.current_url == f"{gatehouse.base}/dashboard/sign-in"
    assert browser.get_cookie("gatehouse_dashboard") is None
    # The dashboard's own form still signs in.
    browser.find_element(By.NAME, "key").send_keys(gatehouse.api_key)
    browser.find_element(By.CSS_SELECTOR, "main button").click()
    shows(browser, "<h1>Providers</h1>")
