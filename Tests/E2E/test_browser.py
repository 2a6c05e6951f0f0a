"""The pages a person sees, in a real browser: Debian's headless Chromium driven by Selenium
through the provider's real login and consent pages to Gatehouse's pages. Each test saves a
screenshot of the page it reached (a phone-sized window) in the test's work directory, or in
docs/screenshots/ with GATEHOUSE_SCREENSHOTS=1 (how the pictures in docs/ were made)."""
import os
import shutil

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import HERE

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


def sign_in_and_answer(browser, url, username, allow):
    browser.get(url)
    if "/accounts/login/" in browser.current_url:
        browser.find_element(By.NAME, "username").send_keys(username)
        browser.find_element(By.NAME, "password").send_keys(f"{username}-password")
        browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    assert "/o/authorize/" in browser.current_url, browser.current_url
    if allow:
        browser.find_element(By.CSS_SELECTOR, "input[name=allow]").click()
    else:
        browser.find_element(By.CSS_SELECTOR, "input[type=submit]:not([name=allow])").click()
    # The provider redirects the browser back to Gatehouse's callback.
    WebDriverWait(browser, 15).until(lambda b: "/v1/oauth/dot/callback" in b.current_url, message=browser.page_source[:500])


def heading(browser):
    return browser.find_element(By.TAG_NAME, "h1").text


@pytest.fixture(scope="module")
def shots(workdir):
    folder = DOCS_SHOTS if os.environ.get("GATEHOUSE_SCREENSHOTS") == "1" else workdir / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def shot(browser, folder, name):
    assert browser.save_screenshot(str(folder / f"{name}.png"))


def test_a_consent_in_a_real_browser_ends_on_the_success_page_and_the_link_works_once(
        browser, shots, gatehouse, dot, user_id):
    client = gatehouse.client()
    r = client.auth.start(user_id=user_id, provider="dot", scopes=["read"])
    sign_in_and_answer(browser, r.url, "alice", allow=True)
    assert heading(browser) == "Connected"
    assert "You connected dot" in browser.page_source
    shot(browser, shots, "success")
    assert client.auth.wait_for_completion(r).status == "completed"

    browser.get(browser.current_url)  # the same callback link again
    assert heading(browser) == "This link has expired"
    assert "quote this reference" in browser.page_source
    shot(browser, shots, "expired")


def test_a_denial_in_a_real_browser_says_so_with_a_reference(browser, shots, gatehouse, dot, user_id):
    r = gatehouse.client().auth.start(user_id=user_id, provider="dot", scopes=["read"])
    sign_in_and_answer(browser, r.url, "alice", allow=False)
    assert heading(browser) == "Access not granted"
    reference = browser.find_element(By.CSS_SELECTOR, ".ref code").text
    assert len(reference) >= 16
    assert "access_denied" not in browser.page_source
    shot(browser, shots, "denied")
    assert gatehouse.client().auth.status(id=r.id).status == "failed"
