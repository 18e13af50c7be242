#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The console's scenarios in a real browser (issue 20), run by
tests/web/browser.sh against a real balpweb and balpd home.

One headless Chromium for the whole run, driven by Selenium through
Debian's chromedriver.  Every page a scenario checks is:
  - free of Content Security Policy violations (Chromium's console, read
    through the driver's "browser" log),
  - run through axe-core, injected into the page: no violation of impact
    serious or critical (each printed with its rule and nodes),
  - kept as a screenshot, SHOTS/NAME.png;
and no URL the browser asked for, nor the address bar after any step,
holds the NIR the dpo searches.

Scenarios, by name (argv): login (the forced password change), markup (a
partner name holding <script> shown as text), csrf (a POST without its
token refused), annex (an upload with an error, its line shown; a good
one, preview, confirm), suspend (a person suspended, her next mail
rejected by balpd), release (a quarantined message released, another
retriaged and decided afresh by balpd), nir (the dpo's NIR search and
its links; the supervisor has no form and is refused), search (a
supervisor's search by outcome), roles (a supervisor's menu, the admin's
pages refused, a 404), expiry (an idle session ends, and one past its
absolute limit; a sign-in with the keyboard alone), lockout (five
failures lock the account), dpo (the yearly review and its CSV link;
the audit page, a purge simulated, the chain checked against an anchor).

It prints TAP lines numbered from TAP_START + 1 and writes "COUNT FAILED"
to TAP_STATE, for browser.sh to go on counting.
"""
import json
import os
import re
import subprocess
import sys
import time
import traceback

from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from webcheck import (BALPD, CONF, HOME, NEW_PW, NIR, NIR_FORMS, PW, SHOTS,
                      SRCDIR, URL, Browser, balpctl, q, q_all, q_write,
                      save_state, tap)


# ---- scenarios ----------------------------------------------------------------------
def first_login(b, login, shots=False):
    """The first login of an account: /password, the change, then /."""
    b.d.delete_all_cookies()
    mark = b.mark()
    landed = b.login(login, PW, "/password")
    st = b.statuses_since(mark)
    tap.ok(landed and 303 in st,
           "%s: the first login is a 303 to /password" % login,
           "at %s, statuses %s" % (b.path(), st))
    if shots:
        b.check_page("password")
    b.submit(b.form("/password"),
             {"current": PW, "new": NEW_PW, "confirm": NEW_PW})
    tap.ok(b.path() == "/", "%s: the password changed, at /" % login,
           "at %s: %s" % (b.path(), b.text()[:300]))
    tap.ok(q("select must_change from users where login = ?", login) == 0,
           "%s: must_change cleared in the store" % login)


def sign_in(b, login):
    b.d.delete_all_cookies()
    tap.ok(b.login(login, NEW_PW, "/"), "%s: signed in, at /" % login,
           "at %s" % b.path())


def signed_in_as(b):
    """The login the page's header names, after a fresh look at /."""
    b.get("/")
    if not b.finds('form[action="/logout"]'):
        return None
    m = re.search(r"Connecté : (\S+) \(", b.text())
    return m.group(1) if m else None


def as_user(b, login):
    """Signed in as login, through the forms (the first login's change
    included when the account still has to)."""
    if signed_in_as(b) == login:
        return
    b.logout()
    if q("select must_change from users where login = ?", login) == 1:
        first_login(b, login)
    else:
        sign_in(b, login)


def focus_visible(b, name):
    """The keyboard's way through the page: each element the Tab key
    reaches, up to the end of the page, shows where the focus is (RGAA
    10.7: an outline)."""
    b.get(b.path())     # the Tab key starts from the top of the page
    seen, ids, bad = [], [], []
    for _ in range(80):
        ActionChains(b.d).send_keys(Keys.TAB).perform()
        el = b.d.execute_script(
            "var e = document.activeElement, s = getComputedStyle(e);"
            "return [e, e.tagName + ' ' + (e.textContent || e.name"
            " || '').trim().slice(0, 40), s.outlineStyle, s.outlineWidth];")
        if el[1].startswith("BODY") or (ids and el[0].id == ids[0]):
            break       # past the last element: the browser's own UI
        if ids and el[0].id == ids[-1]:
            continue    # a date field's day, month, year: one element
        ids.append(el[0].id)
        seen.append(el[1])
        if el[2] == "none" or el[3] in ("0px", ""):
            bad.append("%s: outline %s %s" % tuple(el[1:]))
    tap.ok(len(seen) >= 3 and not bad,
           "%s: each of the %d stops of the Tab key shows its focus"
           % (name, len(seen)),
           "\n".join(bad + ["reached: %s" % seen]))


def sc_roles(b):
    """A supervisor: the menu offers only the pages of the role, and the
    others, typed in the address bar, are refused."""
    as_user(b, "sup")
    menu = [a.get_attribute("href")[len(URL):]
            for a in b.finds("nav a")]
    tap.ok(not any(m.startswith(p) for m in menu
                   for p in ("/partners", "/users", "/audit", "/review")),
           "supervisor: no admin or dpo page in the menu", repr(menu))
    for path in ("/partners", "/users", "/partners/ccas-lespignan"):
        b.get(path)
        tap.ok(b.status() == 403 and b.find("h1").text == "Accès refusé",
               "supervisor: %s is a 403" % path,
               "status %s at %s" % (b.status(), b.path()))
    b.check_page("forbidden-role")
    b.get("/nowhere")
    tap.ok(b.status() == 404, "an unknown page: 404")
    b.check_page("not-found")


def sc_login(b):
    b.d.delete_all_cookies()
    b.get("/users")
    tap.ok(b.path() == "/login", "signed out, /users leads to /login",
           "at %s" % b.path())
    b.check_page("login")
    focus_visible(b, "login")
    b.submit(b.form("/login"), {"login": "adm", "password": "not-the-one-1"})
    tap.ok(b.path() == "/login" and "incorrect" in b.text(),
           "a wrong password: the form again, with the error")
    b.check_page("login-refused")
    first_login(b, "adm", shots=True)
    h1 = b.find("h1").text
    tap.ok(h1 == "Tableau de bord", "the dashboard's heading", h1)
    b.check_page("dashboard")
    focus_visible(b, "dashboard")
    # Back to the forced change: none now, a second login goes to /.
    b.logout()
    tap.ok(b.path() == "/login", "logout: at /login", b.path())
    b.get("/")
    tap.ok(b.path() == "/login", "signed out after logout")
    sign_in(b, "adm")


def sc_markup(b):
    as_user(b, "adm")
    name = '<script>alert("p")</script>'
    b.get("/partners")
    tap.ok(b.status() == 200 and b.path() == "/partners", "admin: /partners")
    link = b.finds('a[href="/partners/xss"]')
    tap.ok(len(link) == 1 and link[0].text == name,
           "the partner's name holding <script> shown as text",
           link[0].text if link else "no link")
    nscripts = b.d.execute_script("return document.scripts.length")
    tap.ok(nscripts == 0 and b.no_alert(), "no script element, no alert",
           "%d script elements" % nscripts)
    b.check_page("partners")
    link[0].click()
    WebDriverWait(b.d, 30).until(lambda d: b.path() == "/partners/xss")
    tap.ok(name in b.text() and b.no_alert() and
           b.d.execute_script("return document.scripts.length") == 0,
           "its page shows the name as text too")
    b.check_page("partner-xss")
    b.get("/partners/apeai-ouest-herault")
    tap.ok("a.martin@apeai34.fr" in b.text(), "a partner's page: its persons")
    b.check_page("partner")


def sc_csrf(b):
    as_user(b, "adm")
    b.get("/users")
    tap.ok(b.path() == "/users" and b.status() == 200, "admin: /users")
    b.check_page("users")
    f = b.form("/users")
    removed = b.d.execute_script(
        "var f = arguments[0], t = f.querySelector('input[name=csrf]');"
        "if (!t) return false; t.remove(); return true;", f)
    tap.ok(removed, "the add-account form carries a csrf field (removed)")
    b.submit(f, {"login": "zed", "password": PW},
             selects={"role": "supervisor"})
    tap.ok(b.status() == 403 and b.find("h1").text == "Accès refusé",
           "a POST without its token: 403, Accès refusé",
           "status %s, h1 %s" % (b.status(), b.find("h1").text))
    tap.ok(q("select count(*) from users where login = 'zed'") == 0,
           "and no account added")
    b.check_page("forbidden")
    # The same form with its token does add: the 403 was the token's.
    b.get("/users")
    b.submit(b.form("/users"), {"login": "zoe", "password": PW},
             selects={"role": "supervisor"})
    tap.ok(q("select count(*) from users where login = 'zoe'") == 1 and
           q("select actor from audit where action = 'user.add' and"
             " object = 'zoe'") == "web:adm",
           "with its token the same form adds the account (audited web:adm)")
    b.check_page("users-added")


def nir_ids():
    r = balpctl("log", "--nir", "-", "--json", stdin=NIR + "\n")
    try:
        return sorted(set(d["id"] for d in json.loads(r.stdout)))
    except ValueError:
        return []


def sc_nir(b):
    want = nir_ids()
    tap.ok(len(want) > 0, "balpctl log --nir finds decisions (%d)" % len(want))
    as_user(b, "dpo")
    b.get("/messages")
    b.check_page("messages-dpo")
    focus_visible(b, "messages-dpo")
    before = q("select count(*) from audit where action = 'trace.query'")
    b.submit(b.form("/messages/search"), {"nir": NIR})
    tap.ok(b.status() == 200 and b.path() == "/messages/search",
           "dpo: the NIR search, by POST", "%s %s" % (b.status(), b.path()))
    links = [a.get_attribute("href") for a in
             b.finds('a[href^="/messages/"]')]
    got = sorted(set(int(m.group(1)) for m in
                     (re.search(r"/messages/(\d+)$", h) for h in links) if m))
    tap.ok(got == want, "the decisions balpctl log --nir finds, each a link"
           " /messages/ID", "got %s, want %s" % (got, want))
    src = b.d.page_source
    tap.ok(not any(f in src for f in NIR_FORMS[:2]),
           "the NIR is not echoed in the page")
    tap.ok(re.match(r"^web:dpo nir_pseudonym=[0-9a-f]{64}; rows=%d$"
                    % len(want),
                    q("select actor || ' ' || detail from audit where"
                      " action = 'trace.query' order by id desc limit 1")
                    or "") is not None and
           q("select count(*) from audit where action = 'trace.query'")
           == before + 1,
           "one trace.query audit row, with the pseudonym")
    b.check_page("messages-nir")
    if got:
        b.find('a[href="/messages/%d"]' % got[0]).click()
        WebDriverWait(b.d, 30).until(
            lambda d: b.path() == "/messages/%d" % got[0])
        tap.ok(b.status() == 200, "the link leads to /messages/%d" % got[0])
        b.check_page("message")
    # The supervisor: no form, and the POST refused.
    as_user(b, "sup")
    b.get("/messages")
    tap.ok(not b.finds('input[name="nir"]') and
           not b.finds('form[action="/messages/search"]'),
           "supervisor: no NIR search on /messages")
    b.check_page("messages-supervisor")
    token = b.find('main input[name="csrf"], input[name="csrf"]'
                   ).get_attribute("value")
    before = q("select count(*) from audit where action = 'trace.query'")
    # A form the page does not offer, made in the page (the session's
    # own token): the server must refuse the role, not only hide a form.
    b.before_navigation()
    b.d.execute_script(
        "var f = document.createElement('form');"
        "f.method = 'post'; f.action = '/messages/search';"
        "[['csrf', arguments[0]], ['nir', arguments[1]]].forEach("
        "function (kv) { var i = document.createElement('input');"
        " i.type = 'hidden'; i.name = kv[0]; i.value = kv[1];"
        " f.appendChild(i); });"
        "document.body.appendChild(f); f.submit();", token, NIR)
    b.after_navigation()
    tap.ok(b.status() == 403, "supervisor: POST /messages/search is a 403",
           "status %s" % b.status())
    tap.ok(q("select count(*) from audit where action = 'trace.query'")
           == before, "and no search was made")
    tap.ok(not any(f in b.d.page_source for f in NIR_FORMS[:2]),
           "the refusal does not echo the NIR")
    b.check_page("forbidden-supervisor")


def sc_search(b):
    as_user(b, "sup")
    b.get("/messages")
    b.submit(b.form("/messages"), selects={"outcome": "quarantined"})
    n = q("select count(*) from decisions where outcome = 'quarantined'")
    links = b.finds('a[href^="/messages/"]')
    tap.ok(b.status() == 200 and len(links) == n,
           "supervisor: the search by outcome lists the %d quarantined" % n,
           "%d links" % len(links))
    b.check_page("messages-results")


def sc_expiry(b):
    as_user(b, "sup")
    uid_login = "sup"
    uid = q("select id from users where login = ?", uid_login)
    # The idle limit is 2 minutes (browser.sh).  One minute idle: the
    # session goes on.  Three: it is over.  The session's clock is aged in
    # the store rather than waited for.
    q_write("update sessions set seen_at = seen_at - 60 where user_id = ?",
            uid)
    b.get("/")
    tap.ok(b.path() == "/", "%s: one minute idle, the session goes on"
           % uid_login, "at %s" % b.path())
    q_write("update sessions set seen_at = seen_at - 180 where user_id = ?",
            uid)
    b.get("/messages")
    tap.ok(b.path() == "/login", "three minutes idle: back at /login",
           "at %s" % b.path())
    tap.ok(q("select count(*) from audit where action = 'user.logout' and"
             " object = ? and detail = 'expired'", uid_login) == 1,
           "the expiry audited")
    b.check_page("login-expired")
    # The absolute limit, 1 hour (browser.sh), however busy the session:
    # signed in again (with the keyboard alone), 59 minutes old it goes
    # on, 61 it is over.
    keyboard_login(b, uid_login, NEW_PW)
    q_write("update sessions set created_at = created_at - 59 * 60 where"
            " user_id = ?", uid)
    b.get("/messages")
    tap.ok(b.path() == "/messages", "signed in for 59 minutes: goes on",
           "at %s" % b.path())
    q_write("update sessions set created_at = created_at - 2 * 60 where"
            " user_id = ?", uid)
    b.get("/")
    tap.ok(b.path() == "/login", "signed in for 61 minutes, busy all along:"
           " back at /login", "at %s" % b.path())
    tap.ok(q("select count(*) from audit where action = 'user.logout' and"
             " object = ? and detail = 'expired'", uid_login) == 2,
           "that expiry audited too")


def keyboard_login(b, login, password):
    """The login form with the keyboard alone: Tab to the login field,
    type, Tab, type, Enter (RGAA 7.3: usable without a mouse)."""
    b.d.delete_all_cookies()
    b.get("/login")
    name = None
    for _ in range(10):
        ActionChains(b.d).send_keys(Keys.TAB).perform()
        name = b.d.execute_script("return document.activeElement.name")
        if name == "login":
            break
    tap.ok(name == "login", "the Tab key reaches the login field")
    b.before_navigation()
    ActionChains(b.d).send_keys(login).send_keys(Keys.TAB).send_keys(
        password).send_keys(Keys.ENTER).perform()
    b.after_navigation()
    tap.ok(b.path() == "/", "%s: signed in with the keyboard alone" % login,
           "at %s" % b.path())


def sc_lockout(b):
    b.d.delete_all_cookies()
    for i in range(5):
        landed = b.login("loc", "wrong-password-%d" % i, "/login")
        if not landed:
            break
    tap.ok(landed and "incorrect" in b.text(),
           "five wrong passwords: the form each time, with the error")
    tap.ok(q("select locked_until is not null from users where"
             " login = 'loc'") == 1, "the account is locked")
    landed = b.login("loc", PW, "/login")
    tap.ok(landed and "incorrect" in b.text(),
           "locked: the right password is refused too", "at %s" % b.path())
    tap.ok(q("select count(*) from audit where action = 'user.login_failed'"
             " and object = 'loc' and detail = 'password'") == 5 and
           q("select count(*) from audit where action = 'user.lock' and"
             " object = 'loc'") == 1 and
           q("select count(*) from audit where action = 'user.login_failed'"
             " and object = 'loc' and detail = 'locked'") == 1,
           "five failures, the lock and the refused right password audited")
    b.check_page("login-locked")


# -- waiting for their pages --------------------------------------------------------
def persons_of(partner):
    return q_all("select email from persons where partner_id = ?"
                 " order by email", partner)


def sc_annex(b):
    as_user(b, "adm")
    partner = "ccas-lespignan"
    base = open(os.path.join(SRCDIR, "tests", "data", "demo",
                             "annexe-ccas-lespignan.csv"),
                encoding="utf-8").read()
    # The demo annex as it is, plus one person (its own separator and
    # line ends); the same person with no address, alone on line 2.
    lines = base.splitlines()
    sep = ";" if lines[0].count(";") > lines[0].count(",") else ","
    eol = "\r\n" if "\r\n" in base else "\n"
    leroy = sep.join(["LEROY", "Paul", "%s", "Agent d'accueil",
                      "2025-01-01", ""])
    bad = os.path.join(HOME, "annexe-erreur.csv")
    with open(bad, "w", encoding="utf-8", newline="") as f:
        f.write(lines[0] + eol + leroy % "pas-une-adresse" + eol)
    good = os.path.join(HOME, "annexe-bonne.csv")
    with open(good, "w", encoding="utf-8", newline="") as f:
        f.write(eol.join(lines + [leroy % "p.leroy@mairie-lespignan.fr"])
                + eol)
    before = persons_of(partner)
    b.get("/partners/" + partner)
    f = b.need_form("/partners/%s/annex" % partner,
                    "the partner's page: an annex upload form")
    if f is None:
        b.check_page("partner-annex")
        return
    tap.ok(f.get_attribute("enctype") == "multipart/form-data" and
           f.find_elements(By.CSS_SELECTOR, 'input[type="file"][name="annex"]'),
           "multipart, its file field named annex")
    b.submit(f, files={"annex": bad})
    text = b.text()
    tap.ok(re.search(r"(ligne|line)\s*2\b", text) is not None and
           "pas-une-adresse" in text,
           "an annex with an error: the error and its line shown",
           text[:600])
    tap.ok(persons_of(partner) == before, "and nothing changed")
    b.check_page("annex-error")
    b.get("/partners/" + partner)
    b.submit(b.form("/partners/%s/annex" % partner), files={"annex": good})
    text = b.text()
    rows = [r.text for r in b.finds("tr")
            if "p.leroy@mairie-lespignan.fr" in r.text]
    tap.ok(len(rows) == 1 and "ajout" in rows[0],
           "a good annex: its preview shows the person added (ajout)",
           text[:600])
    tap.ok(persons_of(partner) == before, "the preview changes nothing")
    b.check_page("annex-preview")
    f = b.need_form("/partners/%s/annex/confirm" % partner,
                    "the preview's confirm form")
    if f is None:
        return
    tap.ok(f.find_elements(By.CSS_SELECTOR, 'input[name="token"]'),
           "it carries the preview's token")
    b.submit(f)
    tap.ok(("p.leroy@mairie-lespignan.fr",) in persons_of(partner),
           "confirmed: the person is in the store")
    tap.ok(q("select actor from audit where action like 'annex.%' and"
             " object = ? order by id desc limit 1", partner) == "web:adm",
           "the import audited, actor web:adm")
    b.check_page("annex-confirmed")


def deliver_again(name, prefix):
    """Demo mail NAME delivered again, with its own Message-ID."""
    src = os.path.join(SRCDIR, "tests", "data", "demo", "Maildir", "new",
                       name)
    text = open(src, encoding="utf-8", errors="surrogateescape").read()
    recent = time.strftime("%d/%m/%Y", time.localtime(time.time()
                                                      - 7 * 86400))
    text = text.replace("{{RECENT}}", recent)
    text = re.sub(r"(?mi)^(Message-ID:\s*<)", r"\g<1>" + prefix + ".", text,
                  count=1)
    md = os.path.join(HOME, "var", "Maildir")
    fname = "%s.%s" % (prefix, name)
    with open(os.path.join(md, "tmp", fname), "w", encoding="utf-8",
              errors="surrogateescape") as f:
        f.write(text)
    os.rename(os.path.join(md, "tmp", fname), os.path.join(md, "new", fname))
    return prefix


def balpd_pass():
    r = subprocess.run([BALPD, "-c", CONF, "--once"], capture_output=True,
                       text=True)
    tap.ok(r.returncode == 0, "a balpd pass", r.stderr)


def sc_suspend(b):
    as_user(b, "adm")
    email = "a.martin@apeai34.fr"
    partner = "apeai-ouest-herault"
    # Before: the same mail of hers is accepted (what follows is the
    # suspension's doing).
    before = deliver_again("1763370001.demo01.apeai-rib", "avant")
    balpd_pass()
    row = q_all("select outcome from decisions where message_id like ?",
                before + ".%")
    tap.ok(row == [("accepted",)], "before: her mail is accepted", repr(row))
    b.get("/partners/" + partner)
    action = "/partners/%s/persons/suspend" % partner
    f = b.need_form(action, "the partner's page: the persons' actions form")
    if f is None:
        b.check_page("partner-suspend")
        return
    tap.ok(f.find_elements(By.CSS_SELECTOR, 'button[formaction="%s"]'
                           % action), "with its button to suspend")
    b.submit(f, {"reason": "Départ de la structure"},
             selects={"email": email}, button=action)
    tap.ok(b.path() == "/partners/" + partner and b.status() == 200,
           "back on the partner's page", "at %s" % b.path())
    row = [r.text for r in b.finds("tr") if email in r.text]
    tap.ok(row and "suspendu" in row[0],
           "her row says she is suspended", repr(row))
    pid = q("select id from persons where email = ?", email)
    tap.ok(q("select count(*) from suspensions where person_id = ? and"
             " resumed_at is null", pid) == 1,
           "the suspension is in the store")
    tap.ok(q("select actor from audit where action = 'person.suspend'"
             " order by id desc limit 1") == "web:adm",
           "audited, actor web:adm")
    b.check_page("person-suspended")
    mid = deliver_again("1763370001.demo01.apeai-rib", "suspendue")
    balpd_pass()
    row = q_all("select outcome, reasons from decisions where message_id"
                " like ? order by id desc", mid + ".%")
    tap.ok(len(row) == 1 and row[0][0] == "rejected" and
           "sender_habilitation_ended" in row[0][1],
           "her next mail is rejected: sender_habilitation_ended",
           repr(row))


def sc_release(b):
    as_user(b, "adm")
    did = q("select id from decisions where outcome = 'quarantined' and"
            " reasons = 'attachment_forbidden' order by id limit 1")
    b.get("/messages/%d" % did)
    f = b.finds('form[action="/messages/%d/release"]' % did)
    tap.ok(len(f) == 1, "a quarantined message's page: a release form")
    if not f:
        b.check_page("message-release")
        return
    b.check_page("message-quarantined")
    selects = {}
    to = f[0].find_elements(By.NAME, "to")
    if to and to[0].tag_name == "select":
        opts = [o.get_attribute("value") for o in
                to[0].find_elements(By.TAG_NAME, "option")]
        pick = [o for o in opts if o and "Quarantaine" not in o]
        if pick:
            selects["to"] = pick[0]
    b.submit(f[0], {"reason": "Pièce jointe vérifiée avec le partenaire"},
             selects=selects)
    tap.ok(q("select count(*) from releases where decision_id = ?", did) == 1
           and q("select actor from releases where decision_id = ?", did)
           == "web:adm", "the release is in the store, actor web:adm")
    r = balpctl("message", "show", str(did), "--json")
    try:
        shown = json.loads(r.stdout)
    except ValueError:
        shown = {}
    tap.ok(shown.get("queue_now") not in (None, "BALP/Quarantaine") and
           shown.get("in_mailbox") is True,
           "the message is out of quarantine, in the mailbox (%s)"
           % shown.get("queue_now"), r.stdout[:600] + r.stderr)
    rows = dict((r.find_element(By.TAG_NAME, "th").text, r.text)
                for r in b.finds("tr") if r.find_elements(By.TAG_NAME, "th")
                and r.find_elements(By.TAG_NAME, "td"))
    tap.ok(b.path() == "/messages/%d" % did and
           selects.get("to", "?") in rows.get("Où est le message", ""),
           "back on its page, which says where it is now",
           "at %s: %r" % (b.path(), rows.get("Où est le message")))
    tap.ok("Pièce jointe vérifiée avec le partenaire" in b.text(),
           "the release and its reason shown")
    b.check_page("message-released")
    # Retriage: back to the inbox, decided afresh by the next pass.
    did = q("select id from decisions where outcome = 'quarantined' and"
            " reasons = 'auth_failed' order by id limit 1")
    b.get("/messages/%d" % did)
    f = b.need_form("/messages/%d/retriage" % did,
                    "a quarantined message's page: a retriage form")
    if f is None:
        return
    b.submit(f, {"reason": "Expéditeur joint par téléphone"})
    tap.ok(q("select count(*) from retriages where decision_id = ?", did)
           == 1 and q("select actor from audit where action ="
                      " 'message.retriage' order by id desc limit 1")
           == "web:adm", "the retriage recorded and audited, web:adm")
    b.check_page("message-retriaged")
    balpd_pass()
    tap.ok(q("select count(*) from decisions where supersedes = ?", did)
           == 1, "the next balpd pass decides it afresh, naming the one"
           " it supersedes")


def sc_dpo(b):
    """The dpo's own pages: the yearly review, the audit trail."""
    as_user(b, "dpo")
    b.get("/review")
    tap.ok(b.status() == 200 and b.path() == "/review",
           "dpo: /review", "status %s at %s" % (b.status(), b.path()))
    tap.ok(len(b.finds('a[href="/review.csv"]')) == 1,
           "the review's CSV export linked")
    b.check_page("review")
    b.get("/audit")
    tap.ok(b.status() == 200 and b.path() == "/audit" and
           "intacte" in b.text(), "dpo: /audit, the chain intact",
           "status %s at %s" % (b.status(), b.path()))
    anchor = [c.text for c in b.finds("code.anchor")]
    tap.ok(len(anchor) == 1 and re.match(r"^[0-9a-f]{64}$", anchor[0]),
           "its anchor shown", repr(anchor))
    b.check_page("audit")
    f = b.need_form("/audit/verify", "the audit page: a verify form")
    if f is None or not anchor:
        return
    rows = q("select count(*) from audit")
    p = b.need_form("/audit/purge", "the audit page: a purge form")
    if p is not None:
        decisions = q("select count(*) from decisions")
        b.submit(p)     # its first button: Simuler
        tap.ok(b.status() == 200 and "Simulation de purge" in b.text() and
               q("select count(*) from decisions") == decisions,
               "the purge's first button simulates: nothing destroyed",
               b.text()[:400])
        b.check_page("audit-purge-simulated")
    # The anchor kept, rows written after it (a search is a trace.query
    # row), then the chain checked against it.
    b.get("/messages")
    b.submit(b.form("/messages"), selects={"outcome": "rejected"})
    tap.ok(q("select count(*) from audit") > rows,
           "rows written after the anchor")
    b.get("/audit")
    b.submit(b.form("/audit/verify"), {"anchor": anchor[0]})
    tap.ok(b.status() == 200 and "l'ancre donnée y est" in b.text(),
           "the chain verified against the kept anchor", b.text()[:400])
    b.check_page("audit-verified")


SCENARIOS = {
    "login": sc_login, "markup": sc_markup, "csrf": sc_csrf, "nir": sc_nir,
    "search": sc_search, "roles": sc_roles, "expiry": sc_expiry,
    "lockout": sc_lockout, "dpo": sc_dpo,
    "annex": sc_annex, "suspend": sc_suspend, "release": sc_release,
}


def main():
    names = sys.argv[1:] or ["login"]
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        tap.ok(False, "scenarios known", "unknown: %s" % " ".join(unknown))
        save_state()
        return 1
    t0 = time.time()
    try:
        b = Browser()
    except WebDriverException as e:
        tap.ok(False, "headless Chromium starts through chromedriver", str(e))
        save_state()
        return 1
    tap.ok(True, "headless Chromium started through chromedriver (%.1f s)"
           % (time.time() - t0))
    try:
        for n in names:
            t = time.time()
            try:
                SCENARIOS[n](b)
            except Exception:
                b.drain()
                tap.ok(False, "scenario %s ran to its end" % n,
                       "at %s\n%s" % (b.d.current_url,
                                      traceback.format_exc()))
                try:
                    b.screenshot("failed-" + n)
                except WebDriverException:
                    pass
            tap.note("scenario %s: %.1f s" % (n, time.time() - t))
        b.drain()
        csp = [c for c in b.all_console if "Content Security Policy" in c]
        tap.ok(not csp, "no CSP violation in the console during the whole"
               " run (%d console lines)" % len(b.all_console),
               "\n".join(csp))
        b.check_urls("the whole run")
        tap.ok(len(b.shots) == len(set(b.shots)) and all(
            os.path.getsize(os.path.join(SHOTS, s + ".png")) > 0
            for s in b.shots),
            "a screenshot of each page checked (%d)" % len(b.shots))
    finally:
        b.quit()
    tap.note("browser run: %.1f s" % (time.time() - t0))
    save_state()
    return 0 if tap.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
