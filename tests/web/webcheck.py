# SPDX-License-Identifier: Apache-2.0
"""What the browser tests (tests/web/browser.py) stand on: the run's
settings from browser.sh's environment, TAP lines, reads of the store for
what a page cannot show, and Browser, the one headless Chromium of the
run with the checks every page must pass (no CSP violation, no script,
axe-core with no serious or critical violation, the NIR in no URL, a
screenshot)."""
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile

from selenium import webdriver
from selenium.common.exceptions import (NoAlertPresentException,
                                        WebDriverException)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

URL = os.environ["BALP_URL"]
CONF = os.environ["BALP_CONF"]
HOME = os.environ["BALP_HOME"]
SRCDIR = os.environ["SRCDIR"]
SHOTS = os.environ["SHOTS"]
PW = os.environ["BALP_PASSWORD"]
NEW_PW = "Browser-Pass-2026-ok"
DB = os.path.join(HOME, "var", "balp.db")
BALPCTL = os.path.join(SRCDIR, "build", "balpctl")
BALPD = os.path.join(SRCDIR, "build", "balpd")
AXE = os.path.join(SRCDIR, "build", "npm", "node_modules", "axe-core",
                   "axe.min.js")
# The NIR of demo mails 01 and 10 (and others), as a person types it.
NIR = "1 85 05 78 006 084 91"
# Any way it could show in a URL: digits together, spaced (raw or
# encoded), the first part alone.
NIR_FORMS = [re.sub(r"\D", "", NIR), NIR, NIR.replace(" ", "+"),
             NIR.replace(" ", "%20"), "1850578"]


# ---- TAP ------------------------------------------------------------------------
class Tap:
    def __init__(self, start):
        self.n = start
        self.failed = 0

    def ok(self, cond, desc, diag=None):
        self.n += 1
        if cond:
            print("ok %d - %s" % (self.n, desc))
        else:
            self.failed += 1
            print("not ok %d - %s" % (self.n, desc))
            for line in (diag or "").splitlines():
                print("#   " + line)
        sys.stdout.flush()
        return cond

    def note(self, text):
        for line in text.splitlines():
            print("# " + line)
        sys.stdout.flush()


tap = Tap(int(os.environ.get("TAP_START", "0")))


def save_state():
    with open(os.environ["TAP_STATE"], "w") as f:
        f.write("%d %d\n" % (tap.n, tap.failed))


# ---- the store and the programs, for what the page cannot show ------------------
def q(sql, *args):
    """One value (or None) from the store, read as balpctl would see it."""
    con = sqlite3.connect(DB, timeout=10)
    try:
        row = con.execute(sql, args).fetchone()
        return None if row is None else row[0]
    finally:
        con.close()


def q_all(sql, *args):
    con = sqlite3.connect(DB, timeout=10)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def q_write(sql, *args):
    con = sqlite3.connect(DB, timeout=10)
    try:
        con.execute(sql, args)
        con.commit()
    finally:
        con.close()


def balpctl(*args, stdin=None):
    return subprocess.run([BALPCTL, "-c", CONF] + list(args), input=stdin,
                          capture_output=True, text=True)


# ---- the browser -------------------------------------------------------------------
class Browser:
    def __init__(self):
        opts = webdriver.ChromeOptions()
        opts.binary_location = "/usr/bin/chromium"
        self.profile = tempfile.mkdtemp(prefix="balp-chromium.")
        args = ["--headless=new", "--disable-gpu", "--window-size=1280,900",
                "--lang=fr-FR", "--user-data-dir=" + self.profile,
                # Nothing but the console: no call home, no updates, no
                # first-run pages (the machine's network is closed, and
                # their refused connections only make noise).
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--disable-extensions", "--disable-quic",
                "--disable-default-apps"]
        if os.geteuid() == 0:
            # Chromium refuses to start as root with its sandbox on, and
            # the tests run as root (make check, CI).  The browser only
            # ever loads the console on loopback.
            args.append("--no-sandbox")
        for a in args:
            opts.add_argument(a)
        # The console log (CSP violations) and the network events (every
        # URL asked for, every document's status, redirects included).
        opts.set_capability("goog:loggingPrefs",
                            {"browser": "ALL", "performance": "ALL"})
        # A French reader's Accept-Language (the browser's own screens
        # stay in English without Debian's chromium-l10n: not needed).
        opts.add_experimental_option("prefs",
                                     {"intl.accept_languages": "fr-FR,fr"})
        self.d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"),
                                  options=opts)
        self.d.set_script_timeout(120)
        self.d.set_page_load_timeout(60)
        self.urls = []          # every URL requested, in order
        self.visited = []       # the address bar after each step
        self.docs = []          # (url, status) of each main document
        self.console = []       # console lines not yet judged
        self.all_console = []
        self.axe_src = open(AXE, encoding="utf-8").read()
        self.shots = []

    def quit(self):
        try:
            self.d.quit()
        finally:
            subprocess.run(["rm", "-rf", self.profile])

    # -- logs --
    def drain(self):
        for e in self.d.get_log("browser"):
            self.console.append(e["message"])
            self.all_console.append(e["message"])
        for e in self.d.get_log("performance"):
            m = json.loads(e["message"])["message"]
            p = m.get("params", {})
            if m["method"] == "Network.requestWillBeSent":
                self.urls.append(p["request"]["url"])
                r = p.get("redirectResponse")
                if r is not None and p.get("type") == "Document":
                    self.docs.append((r["url"], r["status"]))
            elif (m["method"] == "Network.responseReceived" and
                  p.get("type") == "Document"):
                self.docs.append((p["response"]["url"],
                                  p["response"]["status"]))

    def status(self):
        """The status of the last main document (after any redirect)."""
        self.drain()
        return self.docs[-1][1] if self.docs else None

    def statuses_since(self, mark):
        self.drain()
        return [s for (_, s) in self.docs[mark:]]

    def mark(self):
        self.drain()
        return len(self.docs)

    # -- navigation --
    def path(self):
        u = self.d.current_url
        return u[len(URL):] if u.startswith(URL) else u

    def get(self, path):
        self.d.get(URL + path)
        self.visited.append(self.d.current_url)

    def find(self, css):
        return self.d.find_element(By.CSS_SELECTOR, css)

    def finds(self, css):
        return self.d.find_elements(By.CSS_SELECTOR, css)

    def text(self):
        return self.find("body").text

    def form(self, action):
        return self.find('main form[action="%s"], form[action="%s"]'
                         % (action, action))

    def submit(self, form, fields=None, files=None, selects=None,
               button=None):
        """Fills a form's fields by name and clicks its submit button
        (the first, or the one with formaction button), then waits for
        the next page."""
        for name, value in (fields or {}).items():
            el = form.find_element(By.NAME, name)
            el.clear()
            el.send_keys(value)
        for name, value in (selects or {}).items():
            Select(form.find_element(By.NAME, name)).select_by_value(value)
        for name, path in (files or {}).items():
            form.find_element(By.NAME, name).send_keys(path)
        # A field the browser finds invalid (required, pattern) stops the
        # submission: say so now rather than wait for a page never sent.
        invalid = self.d.execute_script(
            "return Array.prototype.filter.call(arguments[0].elements,"
            " function (e) { return e.willValidate && !e.checkValidity(); })"
            ".map(function (e) { return e.name; });", form)
        if invalid:
            raise AssertionError("the browser would not send the form %s:"
                                 " invalid %s" % (form.get_attribute(
                                     "action"), invalid))
        self.before_navigation()
        form.find_element(By.CSS_SELECTOR,
                          'button[formaction="%s"]' % button if button else
                          'button[type="submit"], input[type="submit"]'
                          ).click()
        self.after_navigation()

    def before_navigation(self):
        """Marks the page, for after_navigation to see it replaced."""
        self.d.execute_script("window.balpTestOldPage = true;")

    def after_navigation(self):
        """Waits for a new document (the mark gone), loaded."""
        def loaded(d):
            try:
                return d.execute_script(
                    "return window.balpTestOldPage === undefined &&"
                    " document.readyState === 'complete';")
            except WebDriverException:
                return False    # between two documents
        WebDriverWait(self.d, 60).until(loaded)
        self.visited.append(self.d.current_url)

    def need_form(self, action, desc):
        """The form posting to action, or None after a failed TAP line
        and the page's checks (a page not built yet fails here)."""
        forms = self.finds('form[action="%s"]' % action)
        if tap.ok(len(forms) >= 1, desc, "no form action=%s on %s"
                  % (action, self.path())):
            return forms[0]
        return None

    def no_alert(self):
        try:
            self.d.switch_to.alert
            return False
        except NoAlertPresentException:
            return True

    # -- what every page must pass --
    def check_page(self, name):
        """CSP, axe-core, the NIR in no URL, a screenshot: one TAP line
        each for the page named name."""
        self.drain()
        where = self.path()
        csp = [c for c in self.console if "Content Security Policy" in c]
        self.console = []
        # No script at all: the pages work without JavaScript.
        scripts = self.d.execute_script("return document.scripts.length")
        tap.ok(not csp and scripts == 0,
               "%s (%s): no CSP violation in the console, no script"
               % (name, where),
               "\n".join(csp + ["%d script elements" % scripts]))
        self.check_urls(name)
        self.axe(name, where)
        self.screenshot(name)

    def check_urls(self, name):
        self.drain()
        seen = [u for u in self.urls + self.visited + [self.d.current_url]
                if any(f in u for f in NIR_FORMS)]
        tap.ok(not seen, "%s: the NIR in no URL asked for nor in the address"
               " bar so far (%d URLs)" % (name, len(self.urls)),
               "\n".join(seen))

    def axe(self, name, where):
        self.d.execute_script(self.axe_src)
        res = self.d.execute_async_script(
            "var done = arguments[arguments.length - 1];"
            "axe.run(document, {resultTypes: ['violations']})"
            ".then(function (r) { done(r.violations); },"
            " function (e) { done('axe failed: ' + e); });")
        if isinstance(res, str):
            tap.ok(False, "%s (%s): axe-core ran" % (name, where), res)
            return
        bad, other = [], []
        for v in res:
            lines = ["%s (%s): %s" % (v["id"], v["impact"], v["help"])]
            for n in v["nodes"]:
                lines.append("  %s  %s" % (" ".join(map(str, n["target"])),
                                           n["html"][:160]))
            (bad if v["impact"] in ("serious", "critical")
             else other).append("\n".join(lines))
        if other:
            tap.note("%s: axe-core, minor or moderate:\n%s"
                     % (name, "\n".join(other)))
        tap.ok(not bad, "%s (%s): axe-core, no serious or critical violation"
               % (name, where), "\n".join(bad))
        self.drain()

    def screenshot(self, name):
        # The whole page, not only the window.
        h = self.d.execute_script(
            "return Math.max(document.documentElement.scrollHeight,"
            " document.body ? document.body.scrollHeight : 0);")
        self.d.set_window_size(1280, max(900, min(int(h) + 120, 8000)))
        path = os.path.join(SHOTS, name + ".png")
        ok = self.d.save_screenshot(path)
        self.d.set_window_size(1280, 900)
        self.shots.append(name)
        if not ok:
            tap.ok(False, "%s: screenshot %s" % (name, path))

    # -- sessions --
    def login(self, login, password, expect):
        """The login form filled and sent; expect the path it lands on."""
        self.get("/login")
        self.submit(self.form("/login"),
                    {"login": login, "password": password})
        return self.path() == expect

    def logout(self):
        forms = self.finds('form[action="/logout"]')
        if forms:
            self.submit(forms[0])
        self.d.delete_all_cookies()

