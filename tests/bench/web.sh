#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# web.sh - issue 20's benchmark: the console (balpweb) over a store of
# DECISIONS decisions (six months of a large Caf), through its HTTP
# contract, measured by ApacheBench (ab, Debian's apache2-utils: `sh
# tests/tools/deps.sh bench`):
#
#   sh tests/bench/web.sh [DECISIONS] [RUNS] [REQUESTS]
#                                   (defaults 1000000, 5, 200)
#   FRESH=1 sh tests/bench/web.sh   the store made again
#   CLIENTS=4 sh tests/bench/web.sh ab's concurrency (default 1)
#   PAGES='NIR|sender' sh tests/bench/web.sh   only those pages (a regex)
#
# The store: tests/bench/bench_web_fill (the store layer's functions:
# partners, decisions in balpd's batches with their audit rows, notices
# queued and sent, releases; see its head comment) in a home under
# /dev/shm, where an fdatasync costs nothing, then moved to
# build/bench/web/ on disk and kept there for the next runs of the same
# DECISIONS on the same day with the same src/store/store.c (1.2 GB for a
# million; FRESH=1 makes it again).  `balpctl audit verify` checks its
# chain once made.
#
# Then balpweb on loopback, an admin and a dpo signed in through the
# login form (the forced change of password done), and per run, each
# page in turn, REQUESTS requests one after the other (CLIENTS at a time)
# with the session's cookie and CSRF token:
#
#   dashboard         GET /  (admin)
#   partner+month+outcome
#                     POST /messages: a partner of middle size, one
#                     month three months ago, rejected (admin)
#   partner+month     the same on the largest partner, last month,
#                     accepted (many rows: the 200 newest shown)
#   month+outcome     POST /messages: one month five months ago,
#                     rejected, any partner (admin)
#   week+quarantined  POST /messages: the last seven days, quarantined,
#                     any partner (admin)
#   oldest-week+reason
#                     POST /messages: the first week of the six months,
#                     quarantined as malformed (the worst case: no index
#                     answers a period alone, the whole table is read)
#   sender            POST /messages: one agent's address, six months
#   NIR               POST /messages/search: the demo NIR (dpo)
#
# Every request must answer 200 (ab's "Non-2xx" is checked); each page
# is fetched once with curl first and the decisions it lists counted.
# Prints per page the median over the runs of requests per second, of
# the median and of the 95th percentile latency (ab's, in ms).  Every
# search is a trace.query audit row (one commit, one fdatasync), as in
# production.  A benchmark, not a test: the machine is shared and noisy;
# compare figures of one run.
set -eu
SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
. "$SRCDIR/tests/tools/tap.sh" >/dev/null
N=${1:-1000000}
RUNS=${2:-5}
REQ=${3:-200}
CLIENTS=${CLIENTS:-1}
command -v ab >/dev/null || {
	echo "web.sh: ab is missing: sh tests/tools/deps.sh bench" >&2
	exit 1
}
make -C "$SRCDIR" all build/bench/bench_web_fill >/dev/null
B="$SRCDIR/build/balpctl"
out="$SRCDIR/build/bench/web"
# Kept for the same DECISIONS, day and schema (store.c's migrations).
store="$out/home-$N-$(date -u +%Y%m%d)-$(cksum <"$SRCDIR/src/store/store.c" |
    cut -d' ' -f1)"
mkdir -p "$out"

WEB_PID=
tmp=$(mktemp -d "${TMPDIR:-/tmp}/balp-web-bench.XXXXXX")
cleanup() {
	[ -z "$WEB_PID" ] || kill "$WEB_PID" 2>/dev/null || true
	rm -rf "$tmp"
	[ -z "${HOME_DIR:-}" ] || [ "$HOME_DIR" = "$store" ] ||
	    rm -rf "$HOME_DIR"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

if [ -n "${FRESH:-}" ] || [ ! -f "$store/ready" ]; then
	rm -rf "$out"/home-*
	shm=/dev/shm
	[ -d "$shm" ] && [ -w "$shm" ] || shm=${TMPDIR:-/tmp}
	TMPDIR=$shm demo_home
	start=$(date +%s)
	"$SRCDIR/build/bench/bench_web_fill" "$CONF" "$N"
	fill=$(( $(date +%s) - start ))
	start=$(date +%s)
	"$B" -c "$CONF" audit verify | head -1
	verify=$(( $(date +%s) - start ))
	for u in adm:admin dpo:dpo; do
		printf 'Bench-Console-Pass-0\n' |
		    "$B" -c "$CONF" user add "${u%%:*}" --role "${u#*:}" \
		    >/dev/null
	done
	mv "$HOME_DIR" "$store.part"
	mv "$store.part" "$store"
	HOME_DIR=
	echo "filled in $fill s, audit verify $verify s, $(du -sh "$store/var/balp.db" | cut -f1)" >"$store/ready"
fi
cat "$store/ready"
HOME_DIR=$store
CONF="$store/conf/bench-web.conf"

PORT=$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cp "$store/conf/balp.conf" "$CONF"
printf 'web = { listen = "127.0.0.1:%s"; };\n' "$PORT" >>"$CONF"
URL="http://127.0.0.1:$PORT"
start=$(date +%s.%N)
"$SRCDIR/build/balpweb" -c "$CONF" >"$tmp/web.log" 2>&1 &
WEB_PID=$!
wait_for "$tmp/web.log" "listening" 600
echo "balpweb listening after $(echo "$(date +%s.%N) - $start" | bc | cut -c1-5) s (the audit chain checked first)"

# sign_in LOGIN: a session through the login form, the forced change
# done; prints "COOKIE CSRF".  The password is set afresh each run
# (user passwd: must change at the next login).
sign_in() {
	jar="$tmp/jar-$1"
	printf 'Bench-Console-Pass-1\n' | "$B" -c "$CONF" user passwd "$1" \
	    >/dev/null
	tok=$(curl -s -c "$jar" "$URL/login" |
	    sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' | head -1)
	loc=$(curl -s -b "$jar" -c "$jar" -o /dev/null -w '%{redirect_url}' \
	    --data-urlencode "login=$1" \
	    --data-urlencode "password=Bench-Console-Pass-1" \
	    --data-urlencode "csrf=$tok" "$URL/login")
	case "$loc" in
	*/password) ;;
	*) echo "web.sh: $1 not signed in ($loc)" >&2; exit 1 ;;
	esac
	tok=$(curl -s -b "$jar" "$URL/password" |
	    sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' | head -1)
	loc=$(curl -s -b "$jar" -c "$jar" -o /dev/null -w '%{redirect_url}' \
	    --data-urlencode "current=Bench-Console-Pass-1" \
	    --data-urlencode "new=Bench-Console-Pass-2" \
	    --data-urlencode "confirm=Bench-Console-Pass-2" \
	    --data-urlencode "csrf=$tok" "$URL/password")
	case "$loc" in
	*/) ;;
	*) echo "web.sh: $1's password not changed ($loc)" >&2; exit 1 ;;
	esac
	tok=$(curl -s -b "$jar" "$URL/messages" |
	    sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' | head -1)
	printf '%s %s\n' "$(awk '$6 == "balp_session" { print $6 "=" $7 }' \
	    "$jar")" "$tok"
}
s=$(sign_in adm)
ADM_COOKIE=${s% *} ADM_CSRF=${s#* }
s=$(sign_in dpo)
DPO_COOKIE=${s% *} DPO_CSRF=${s#* }
[ -n "$ADM_CSRF" ] && [ -n "$DPO_CSRF" ] || exit 1

day() { date -u -d "$1" +%Y-%m-%d; }
# The pages: name, role, path, body (empty for a GET).
cat >"$tmp/pages" <<EOF
dashboard|adm|/|
partner+month+outcome|adm|/messages|partner=apeai-ouest-herault&since=$(day '100 days ago')&until=$(day '70 days ago')&outcome=rejected
month+outcome|adm|/messages|since=$(day '150 days ago')&until=$(day '120 days ago')&outcome=rejected
partner+month|adm|/messages|partner=ccas-000&since=$(day '30 days ago')&until=$(day today)&outcome=accepted
week+quarantined|adm|/messages|since=$(day '7 days ago')&until=$(day today)&outcome=quarantined
oldest-week+reason|adm|/messages|since=$(day '181 days ago')&until=$(day '175 days ago')&outcome=quarantined&reason=malformed
sender|adm|/messages|sender=agent3%40bailleur-002.test
NIR|dpo|/messages/search|nir=1+85+05+78+006+084+91
EOF
if [ -n "${PAGES:-}" ]; then
	grep -E "^($PAGES)\|" "$tmp/pages" >"$tmp/p" || true
	mv "$tmp/p" "$tmp/pages"
fi

# Each page once with curl: 200, and how many decisions it lists.
echo "pages (decisions listed):"
while IFS='|' read -r name who path body; do
	if [ "$who" = dpo ]; then c=$DPO_COOKIE t=$DPO_CSRF; else
		c=$ADM_COOKIE t=$ADM_CSRF; fi
	if [ -n "$body" ]; then
		set -- --data "csrf=$t&$body"
	else
		set --
	fi
	code=$(curl -s -o "$tmp/page" -w '%{http_code}' -b "$c" "$@" \
	    "$URL$path")
	[ "$code" = 200 ] || { echo "web.sh: $name: $code" >&2; exit 1; }
	printf '  %-24s %s\n' "$name" \
	    "$(grep -o 'href="/messages/[0-9]*"' "$tmp/page" | wc -l)"
done <"$tmp/pages"

load0=$(cut -d' ' -f1 /proc/loadavg)
: >"$tmp/results"
r=0
while [ $r -lt "$RUNS" ]; do
	while IFS='|' read -r name who path body; do
		if [ "$who" = dpo ]; then c=$DPO_COOKIE t=$DPO_CSRF; else
			c=$ADM_COOKIE t=$ADM_CSRF; fi
		if [ -n "$body" ]; then
			printf 'csrf=%s&%s' "$t" "$body" >"$tmp/body"
			set -- -p "$tmp/body" -T application/x-www-form-urlencoded
		else
			set --
		fi
		ab -q -l -n "$REQ" -c "$CLIENTS" -C "$c" "$@" "$URL$path" \
		    >"$tmp/ab" 2>&1 || { cat "$tmp/ab" >&2; exit 1; }
		if grep -q 'Non-2xx' "$tmp/ab" ||
		    ! grep -q '^Failed requests: *0$' "$tmp/ab"; then
			echo "web.sh: $name: failed requests" >&2
			cat "$tmp/ab" >&2
			exit 1
		fi
		printf '%s %s %s %s\n' "$name" \
		    "$(awk '/^Requests per second/ { print $4 }' "$tmp/ab")" \
		    "$(awk '$1 == "50%" { print $2 }' "$tmp/ab")" \
		    "$(awk '$1 == "95%" { print $2 }' "$tmp/ab")" \
		    >>"$tmp/results"
	done <"$tmp/pages"
	r=$((r + 1))
done
kill "$WEB_PID"
wait "$WEB_PID" 2>/dev/null || true
WEB_PID=

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo "balpweb over $N decisions, $REQ requests per page and run, $CLIENTS at a time, median of $RUNS runs"
echo "$(nproc) cores,$(sed -n 's/^model name[^:]*://p' /proc/cpuinfo | head -1), load average $load0 at the start, $(cut -d' ' -f1 /proc/loadavg) at the end"
printf '  %-24s %9s %10s %8s\n' page req/s 'median ms' 'p95 ms'
while IFS='|' read -r name who path body; do
	printf '  %-24s %9.1f %10s %8s\n' "$name" \
	    "$(awk -v n="$name" '$1 == n { print $2 }' "$tmp/results" | median)" \
	    "$(awk -v n="$name" '$1 == n { print $3 }' "$tmp/results" | median)" \
	    "$(awk -v n="$name" '$1 == n { print $4 }' "$tmp/results" | median)"
done <"$tmp/pages"
