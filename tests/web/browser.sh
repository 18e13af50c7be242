#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The console (issue 20) in a real browser: a real balpd home with the demo
# partners and mails, the real balpweb on a free loopback port, and
# tests/web/browser.py driving Debian's headless Chromium through
# chromedriver (Selenium).  Every page visited is checked for CSP
# violations (Chromium's console), run through axe-core (no serious or
# critical violation), and kept as a screenshot in build/web-screenshots/.
# The scenarios are browser.py's (its harness: webcheck.py); this script
# makes the home, the accounts and the server, and fails (never skips)
# when the browser, its driver, Selenium or axe-core is missing.
#
#   SRCDIR=$PWD sh tests/web/browser.sh
#   BROWSER_SCENARIOS="annex release" SRCDIR=$PWD sh tests/web/browser.sh
. "$SRCDIR/tests/tools/tap.sh"
export SRCDIR
B="$SRCDIR/build/balpctl"
D="$SRCDIR/build/balpd"
W="$SRCDIR/build/balpweb"
# Debian's python3: the one with python3-selenium (a PATH's python3 may be
# another, without it).
PY=/usr/bin/python3
OUT="$SRCDIR/build/web-screenshots"

# The scenarios, in order (browser.py says what each does); a few by name
# with BROWSER_SCENARIOS (one signs in as it needs).  A scenario written
# before its page exists stays out of this list until it passes.
SCENARIOS=${BROWSER_SCENARIOS:-"login markup csrf annex suspend release nir dpo search roles expiry lockout"}

# ---- what the tests need: missing is a failure, with its reason --------------
need=0
for f in /usr/bin/chromium /usr/bin/chromedriver "$PY" "$W" "$D" "$B"; do
	[ -x "$f" ] || { echo "# missing: $f (sh tests/tools/deps.sh check; make all)"; need=1; }
done
"$PY" -c 'import selenium' 2>/dev/null ||
    { echo "# missing: python3-selenium for $PY"; need=1; }
sh "$SRCDIR/tests/tools/axe.sh" >/dev/null ||
    { echo "# axe-core could not be installed (tests/tools/axe.sh)"; need=1; }
[ -f "$SRCDIR/build/npm/node_modules/axe-core/axe.min.js" ] || need=1
ok "$need" "chromium, chromedriver, python3-selenium and axe-core are there"
if [ "$need" -ne 0 ]; then
	done_testing
	exit 1
fi

# ---- a home, its accounts, the server -------------------------------------------
demo_home; ok $? "a home with two partners and their annexes"
WEB_PID=
trap '[ -n "$WEB_PID" ] && kill "$WEB_PID" 2>/dev/null; rm -rf "$HOME_DIR"' EXIT
deliver_demo "$HOME_DIR/var/Maildir"
"$D" -c "$CONF" --once >/dev/null 2>&1; ok $? "the demo mails are triaged"
"$B" -c "$CONF" partner add --id xss --name '<script>alert("p")</script>' \
    --start 2025-01-01 >/dev/null
ok $? "a partner whose name holds <script>"
PW='Correct-Horse-Battery-42'
bad=0
for u in adm:admin sup:supervisor dpo:dpo loc:supervisor; do
	printf '%s\n' "$PW" | "$B" -c "$CONF" user add "${u%%:*}" \
	    --role "${u#*:}" >/dev/null || bad=1
done
ok "$bad" "accounts adm (admin), sup (supervisor), dpo (dpo), loc (supervisor)"

PORT=$("$PY" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# Small limits: the expiry scenario ages its session past each in the
# store (no waiting in a test), and a minute short of each must not end it.
printf 'web = { listen = "127.0.0.1:%s"; session_idle_minutes = 2;
    session_max_hours = 1; };\n' "$PORT" >>"$CONF"
"$W" -c "$CONF" >"$HOME_DIR/web.log" 2>&1 &
WEB_PID=$!
wait_for "$HOME_DIR/web.log" "listening" 10; ok $? "balpweb listens"

# ---- the browser ---------------------------------------------------------------------
rm -rf "$OUT"
mkdir -p "$OUT"
# shellcheck disable=SC2086 # one scenario a word
BALP_URL="http://127.0.0.1:$PORT" BALP_CONF="$CONF" BALP_HOME="$HOME_DIR" \
    BALP_PASSWORD="$PW" SHOTS="$OUT" TAP_START=$tap_n \
    TAP_STATE="$HOME_DIR/tap.state" PYTHONDONTWRITEBYTECODE=1 \
    "$PY" "$SRCDIR/tests/web/browser.py" $SCENARIOS
rc=$?
if [ -f "$HOME_DIR/tap.state" ]; then
	read -r tap_n tap_failed <"$HOME_DIR/tap.state"
else
	echo "# browser.py ended without its count (exit $rc)"
fi
[ "$rc" -eq 0 ] || [ "$tap_failed" -gt 0 ] || ok 1 "browser.py exited $rc"

# ---- after the browser ----------------------------------------------------------------
nir_seen=0
for n in 185057800608491 '1 85 05 78 006 084'; do
	grep -q "$n" "$HOME_DIR/web.log" && nir_seen=1
done
is "$nir_seen" 0 "no NIR in balpweb's log"
grep -q -- "$PW\|Browser-Pass-" "$HOME_DIR/web.log"; is $? 1 "no password in balpweb's log"
"$B" -c "$CONF" audit verify >/dev/null 2>&1; ok $? "audit verify passes after the browser's changes"
kill "$WEB_PID"; wait "$WEB_PID" 2>/dev/null; WEB_PID=
echo "# screenshots: $OUT"
done_testing
