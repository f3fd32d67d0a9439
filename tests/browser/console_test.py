#!/usr/bin/python3
"""Drives obol's two web consoles in a real browser: Debian's headless
Chromium through chromedriver (python3-selenium), as an operator would.

Run by tests/e2e/console_browser.sh, which starts the issuer, a vendor and a
wallet, and answers this script's "STEP name" lines on stdin (it stops and
restarts the issuer when asked). Prints "PASS case" or "FAIL case: why" per
case, as every e2e script does. With --screenshots DIR it also writes a PNG
of each page there (make screenshots).
"""
import argparse
import os
import re
import sys
import tempfile
import time

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--window-size=1280,900", "--lang=en-US"]

failures = 0


def result(name, ok, why=""):
    global failures
    if ok:
        print("PASS " + name, flush=True)
    else:
        failures += 1
        print("FAIL %s: %s" % (name, why), flush=True)


current = None  # the console being driven, for the diagnosis of a failure


def seen():
    try:
        body = " ".join(current.text().split())
        return "at %s: %s" % (current.path(), body[:900])
    except Exception:
        return "(no page)"


def check(name, fn):
    """Runs fn(); a falsy result or an exception fails the case."""
    try:
        got = fn()
        result(name, bool(got), "" if got else "the page did not show what it should, " + seen())
    except Exception as e:  # a case that throws fails alone
        result(name, False, "%s: %s" % (type(e).__name__, str(e).splitlines()[0] if str(e) else ""))


def step(name):
    """Asks the shell that runs this script to do something and waits."""
    print("STEP " + name, flush=True)
    line = sys.stdin.readline()
    if line.strip() != "go":
        raise SystemExit("the shell did not answer STEP " + name)


class Console:
    def __init__(self, driver, base, shots, prefix):
        global current
        self.d, self.base, self.shots, self.prefix = driver, base.rstrip("/"), shots, prefix
        current = self

    def get(self, path):
        self.d.get(self.base + path)
        return self

    def path(self):
        return re.sub(r"^https?://[^/]+", "", self.d.current_url)

    def click(self, el):
        """Clicks a form's button and waits until the answer has replaced the page."""
        page = self.d.find_element(By.TAG_NAME, "html")
        el.click()
        WebDriverWait(self.d, 15).until(expected_conditions.staleness_of(page))
        return self

    def element(self, tag):
        """The page's first tag element, waiting while a form's answer loads."""
        return WebDriverWait(self.d, 10).until(lambda d: d.find_element(By.TAG_NAME, tag))

    def text(self):
        return self.element("body").text

    def h1(self):
        return self.element("h1").text

    def shot(self, name, width=1280, height=900):
        if not self.shots:
            return
        self.d.set_window_size(width, height)
        full = self.d.execute_script("return document.documentElement.scrollHeight")
        self.d.set_window_size(width, min(max(full, 400), 1800))
        self.d.save_screenshot(os.path.join(self.shots, "%s-%s.png" % (self.prefix, name)))
        self.d.set_window_size(1280, 900)

    def login(self, user, password):
        self.get("/login")
        self.d.find_element(By.NAME, "name").send_keys(user)
        self.d.find_element(By.NAME, "password").send_keys(password)
        return self.click(self.d.find_element(By.CSS_SELECTOR, "form[action='/login'] button"))

    def submit(self, action, fields):
        """Fills the first form that posts to action and submits it."""
        form = self.d.find_element(By.CSS_SELECTOR, "form[action='%s']" % action)
        for k, v in fields.items():
            el = form.find_element(By.NAME, k)
            el.clear()
            el.send_keys(v)
        return self.click(form.find_element(By.CSS_SELECTOR, "button"))

    def confirm(self):
        return self.click(self.d.find_element(By.CSS_SELECTOR, "button.confirm"))


def no_alert(d):
    try:
        d.switch_to.alert
        return False
    except NoAlertPresentException:
        return True


def balance(c, account_id):
    c.get("/accounts/%s" % account_id)
    return c.d.find_element(By.CSS_SELECTOR, ".card .value").text


def issuer_cases(c, a):
    check("issuer_refused_without_session",
          lambda: c.get("/accounts").path() == "/login" and "Log in" in c.h1())
    c.login(a.user, "not the password")
    check("issuer_wrong_password_refused",
          lambda: "CONSOLE_LOGIN_FAILED" in c.text() and c.path() == "/login")
    c.shot("login")
    c.login(a.user, a.password)
    check("issuer_login_shows_the_books",
          lambda: c.path() == "/" and c.h1() == "Books" and "audit: OK" in c.text())
    c.shot("books")
    pages = {"/accounts": "Accounts", "/outstanding": "Outstanding", "/vendors": "Vendors and their certificates",
             "/keys": "Keys",
             "/frauds": "Frauds and evidence", "/charts": "Traffic", "/log": "Audit log"}
    for path, title in pages.items():
        check("issuer_page_" + path.strip("/"),
              lambda p=path, t=title: c.get(p).h1() == t and not c.d.find_elements(By.CSS_SELECTOR, "div.error"))
        c.shot(path.strip("/"))
    c.get("/outstanding")

    def section(scheme):
        return c.d.find_element(By.CSS_SELECTOR, "section.outstanding#" + scheme)

    def rows(scheme, table):
        return [" ".join(tr.text.split()) for tr in section(scheme).find_elements(By.CSS_SELECTOR,
                                                                                 "table.%s tbody tr" % table)]
    check("issuer_outstanding_every_scheme",
          lambda: sorted(s.get_attribute("id") for s in c.d.find_elements(By.CSS_SELECTOR, "section.outstanding"))
          == ["codex", "coupon", "ecash", "payword"])
    check("issuer_outstanding_coupon_coins_and_locks",
          lambda: "1 coins withdrawn; 1 seen at a lock; 1 locked now" in section("coupon").text
          and "coupon liability EUR:0.7" in " ".join(section("coupon").text.split())
          and re.fullmatch(r"[0-9a-f]{16}… 1 shop \(account \d+\) \d+ \S+ \S+ \(in (9|10) minutes\)",
                           " ".join(rows("coupon", "locks"))) is not None)
    check("issuer_outstanding_ecash_coins",
          lambda: "2 coins outstanding" in section("ecash").text
          and [re.match(r"[0-9a-f]{16}… alice \(account \d+\) EUR:1 ", r) is not None
               for r in rows("ecash", "ecash-coins")] == [True, True])
    check("issuer_outstanding_payword_chains",
          lambda: re.fullmatch(r"\d+ bob \(account \d+\) any vendor 10 EUR:0\.1 live .*\(in \d+ days\)",
                               " ".join(rows("payword", "chains"))) is not None)
    check("issuer_outstanding_codexes",
          lambda: re.fullmatch(r"bob \(id \d+\) EUR:3 EUR:1 \d+ open .*\(in \d+ (days|hours)\)",
                               " ".join(rows("codex", "codexes"))) is not None)
    c.shot("outstanding")
    check("issuer_vendor_with_its_certificate",
          lambda: "shop" in c.get("/vendors").text() and "valid" in c.text())
    check("issuer_keys_with_windows",
          lambda: "denomination 1" in c.get("/keys").text() and "withdraw" in c.text() and "spend" in c.text())
    c.get("/frauds")
    check("issuer_frauds_listed", lambda: re.search(r"payword:\s*1", c.text()) is not None
          and "double spend" in c.text() and "user 42" in c.text() and "ecash: 0" in c.text())
    c.d.find_element(By.CSS_SELECTOR, "table.frauds summary").click()
    check("issuer_fraud_evidence_shown_as_text",
          lambda: ("two payments of token 3: " + a.hostile) in c.d.find_element(By.CSS_SELECTOR, "pre.evidence").text
          and no_alert(c.d) and not c.d.execute_script("return window.obolPwned === 1"))
    c.shot("frauds")
    check("issuer_chart_drawn",
          lambda: c.get("/charts").d.execute_script(
              "return Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)"))
    # a hostile account name is shown as text, never run
    c.get("/accounts?q=%3Cscript")
    check("issuer_hostile_name_shown_as_text",
          lambda: a.hostile in c.text() and no_alert(c.d) and
          not c.d.execute_script("return window.obolPwned === 1"))
    check("issuer_search_finds_one",
          lambda: len(c.d.find_elements(By.CSS_SELECTOR, "table.accounts tbody tr")) == 1)
    c.get("/accounts?q=alice")
    c.click(c.d.find_element(By.LINK_TEXT, "alice"))
    alice = c.path().rsplit("/", 1)[1]
    before = balance(c, alice)
    c.shot("account")
    # fund: the form, the confirmation, the result in the account and the journal
    c.submit("/act/fund", {"amount": "5", "ref": "bank-tx-1"})
    check("issuer_fund_asks_to_confirm",
          lambda: c.h1().startswith("Confirm") and "fund EUR:5 to alice" in c.text())
    c.shot("confirm")
    c.confirm()
    check("issuer_fund_done",
          lambda: c.path().startswith("/accounts/" + alice) and "OK" in c.d.find_element(By.CSS_SELECTOR, "div.done").text)
    after = balance(c, alice)
    check("issuer_fund_moves_the_balance", lambda: (before, after) == (a.alice_before, a.alice_after))
    check("issuer_fund_in_the_journal", lambda: "bank-tx-1" in c.text() and "fund" in c.text())
    # a forged CSRF token: refused, nothing moves
    c.get("/accounts/" + alice)
    c.d.execute_script("document.querySelector(\"form[action='/act/fund'] input[name=csrf]\").value = 'forged'")
    c.submit("/act/fund", {"amount": "7"})
    check("issuer_forged_csrf_refused", lambda: "CONSOLE_CSRF" in c.text())
    check("issuer_forged_csrf_moves_nothing", lambda: balance(c, alice) == a.alice_after)
    check("issuer_audit_log_names_the_action",
          lambda: "fund" in c.get("/log").text() and "account %s (alice)" % alice in c.text()
          and "login" in c.text())
    check("issuer_books_still_balance", lambda: "audit: OK" in c.get("/books").text())
    # a phone's width: the navigation and tables still fit
    c.d.set_window_size(390, 844)
    check("issuer_readable_on_a_phone",
          lambda: c.get("/books").d.execute_script(
              "return document.documentElement.scrollWidth <= window.innerWidth + 1"))
    if c.shots:
        c.d.save_screenshot(os.path.join(c.shots, "issuer-phone.png"))
    c.d.set_window_size(1280, 900)
    c.click(c.d.find_element(By.CSS_SELECTOR, "form.logout button"))
    check("issuer_logout_ends_the_session", lambda: c.get("/books").path() == "/login")


def vendor_cases(c, a):
    check("vendor_refused_without_session", lambda: c.get("/outbox").path() == "/login")
    c.login(a.user, a.password)
    check("vendor_login_shows_status", lambda: c.h1() == "Status" and "shop" in c.text())
    check("vendor_certificate_and_expiry", lambda: "valid until" in c.text() and "in 364 days" in c.text())
    check("vendor_issuer_unreachable", lambda: "unreachable" in c.text())
    check("vendor_sales_today",
          lambda: re.search(r"coupon\s+1\s+300 tokens\s+EUR:0\.3", c.text()) is not None)
    c.get("/outbox")
    check("vendor_outbox_row_with_its_error", lambda: "deposit" in c.text() and "NETWORK" in c.text())
    c.shot("outbox")
    c.submit("/act/send-now", {})
    check("vendor_send_now_asks_to_confirm", lambda: "send the 1 waiting row" in c.text())
    c.confirm()
    # the row may have fallen due by itself meanwhile: then none is made due
    check("vendor_send_now_done", lambda: re.search(r"[01] rows? made due: OK", c.text()) is not None)
    step("issuer-up")
    c.get("/outbox")
    c.submit("/act/send-now", {}).confirm()
    deadline = time.time() + 10
    while time.time() < deadline and "Waiting" in c.get("/outbox").text() and \
            c.d.find_element(By.CSS_SELECTOR, ".card .value").text != "0":
        time.sleep(0.3)
    check("vendor_outbox_delivered_after_send_now",
          lambda: c.d.find_element(By.CSS_SELECTOR, ".card .value").text == "0")
    c.get("/status")
    check("vendor_issuer_reachable_again", lambda: "reachable" in c.text() and "unreachable" not in c.text())
    c.shot("status")
    c.get("/outbox")
    c.d.execute_script("document.querySelector(\"form.logout input[name=csrf]\").value = 'forged'")
    c.click(c.d.find_element(By.CSS_SELECTOR, "form.logout button"))
    check("vendor_forged_csrf_refused", lambda: "CONSOLE_CSRF" in c.text())
    check("vendor_session_still_alive_after_forgery", lambda: c.get("/log").h1() == "Audit log"
          and "send-now" in c.text())


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--issuer", required=True)
    p.add_argument("--vendor", required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--hostile", required=True)
    p.add_argument("--alice-before", required=True)
    p.add_argument("--alice-after", required=True)
    p.add_argument("--screenshots")
    a = p.parse_args()
    profile = tempfile.mkdtemp(prefix="obol-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for f in FLAGS + ["--user-data-dir=" + profile]:
        opts.add_argument(f)
    started = time.time()
    try:
        d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    except WebDriverException as e:
        result("browser_started", False, str(e).splitlines()[0])
        return 1
    d.set_page_load_timeout(20)
    try:
        if a.screenshots:
            os.makedirs(a.screenshots, exist_ok=True)
        issuer_cases(Console(d, a.issuer, a.screenshots, "issuer"), a)
        step("issuer-down")
        vendor_cases(Console(d, a.vendor, a.screenshots, "vendor"), a)
    finally:
        d.quit()
    print("browser: %.1f s" % (time.time() - started), flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
