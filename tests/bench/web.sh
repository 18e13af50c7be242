#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# web.sh - issue 20's benchmark: the console (balpweb) over a store of
# DECISIONS decisions (six months of a large Caf), through its HTTP
# contract, one client at a time (balpweb serves from one thread):
#
#   sh tests/bench/web.sh [DECISIONS] [REQUESTS]   (defaults 1000000, 200)
#
# The store is filled by tests/bench/bench_web_fill (the store's own
# batches, audit rows and all), a dpo signs in (the forced change done),
# then, each REQUESTS times: the dashboard (GET /), a search by partner
# over one week (POST /messages), by sender over the six months, by
# outcome and reason over one day, and the NIR search (POST
# /messages/search: hashed, pseudonym index); the dashboard's audit check
# is counted once, apart (its first load; it is cached five minutes).
# Prints, per request kind, requests per second and the median and 95th
# percentile latency in milliseconds.  A benchmark, not a test: the
# machine is shared and noisy.
set -eu
SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
. "$SRCDIR/tests/tools/tap.sh" >/dev/null
N=${1:-1000000}
REQ=${2:-200}
make -C "$SRCDIR" all build/bench/bench_web_fill >/dev/null
B="$SRCDIR/build/balpctl"

demo_home
WEB_PID=
trap '[ -n "$WEB_PID" ] && kill "$WEB_PID" 2>/dev/null; rm -rf "$HOME_DIR"' EXIT
start=$(date +%s)
"$SRCDIR/build/bench/bench_web_fill" "$CONF" "$N"
echo "# filled in $(( $(date +%s) - start )) s, $(du -h "$HOME_DIR/var/balp.db" | cut -f1)"
PW='Bench-Console-Pass-1'
NEW='Bench-Console-Pass-2'
printf '%s\n' "$PW" | "$B" -c "$CONF" user add dpo --role dpo >/dev/null
PORT=$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'web = { listen = "127.0.0.1:%s"; };\n' "$PORT" >>"$CONF"
"$SRCDIR/build/balpweb" -c "$CONF" >"$HOME_DIR/web.log" 2>&1 &
WEB_PID=$!
wait_for "$HOME_DIR/web.log" "listening" 10

python3 - "$PORT" "$PW" "$NEW" "$REQ" <<'PY'
import http.client, re, sys, time, urllib.parse
port, pw, new, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
cookies = {}
def req(method, path, fields=None):
    c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=120)
    h = {"Cookie": "; ".join("%s=%s" % kv for kv in cookies.items())}
    body = None
    if fields is not None:
        body = urllib.parse.urlencode(fields)
        h["Content-Type"] = "application/x-www-form-urlencoded"
    t = time.perf_counter()
    c.request(method, path, body, h)
    r = c.getresponse()
    data = r.read().decode()
    dt = time.perf_counter() - t
    for v in r.headers.get_all("Set-Cookie") or []:
        k, _, rest = v.partition("=")
        cookies[k] = rest.split(";")[0]
    c.close()
    return r.status, data, dt
def csrf(page):
    return re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)
s, page, _ = req("GET", "/login")
s, _, _ = req("POST", "/login", {"login": "dpo", "password": pw, "csrf": csrf(page)})
s, page, _ = req("GET", "/password")
s, _, _ = req("POST", "/password", {"current": pw, "new": new, "confirm": new, "csrf": csrf(page)})
assert s == 303, s
s, page, first = req("GET", "/")
assert s == 200, s
print("# dashboard, first load (with the audit chain's check): %.0f ms" % (first * 1000))
tok = csrf(page)
day = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 30 * 86400))
week = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 37 * 86400))
kinds = [
    ("dashboard", "GET", "/", None),
    ("search partner+week", "POST", "/messages",
     {"csrf": tok, "partner": "ccas-lespignan", "since": week, "until": day}),
    ("search sender", "POST", "/messages",
     {"csrf": tok, "sender": "agent7@ccas-lespignan.test"}),
    ("search outcome+reason+day", "POST", "/messages",
     {"csrf": tok, "outcome": "rejected", "reason": "nir_invalid",
      "since": day, "until": day}),
    ("search NIR", "POST", "/messages/search",
     {"csrf": tok, "nir": "1 85 05 78 006 084 91"}),
]
for name, method, path, fields in kinds:
    times = []
    rows = None
    t0 = time.perf_counter()
    for i in range(n):
        s, page, dt = req(method, path, fields)
        assert s == 200, (name, s, page[:300])
        times.append(dt)
        if rows is None:
            rows = len(re.findall(r'href="/messages/[0-9]+"', page))
    total = time.perf_counter() - t0
    times.sort()
    print("%-26s %6.1f req/s  median %6.1f ms  p95 %6.1f ms  (%d rows shown)" % (
        name, n / total, times[len(times) // 2] * 1000,
        times[int(len(times) * 0.95) - 1] * 1000, rows))
PY
kill "$WEB_PID"; wait "$WEB_PID" 2>/dev/null || true; WEB_PID=
