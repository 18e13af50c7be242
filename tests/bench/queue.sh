#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# queue.sh - `balpctl queue status` over a store of DECISIONS decisions
# (six months of a large Caf), the table and --json, timed per run:
#
#   sh tests/bench/queue.sh [DECISIONS] [RUNS]    (defaults 1000000, 5)
#   OLD=/path/to/balpctl sh tests/bench/queue.sh  that balpctl too (an
#                       older build), run by turns with this one on the
#                       same store: the ratio old / new per run
#   STORE=DIR sh tests/bench/queue.sh             a home already filled by
#                       bench_web_fill (its conf/balp.conf), kept as is
#
# The store is web.sh's (tests/bench/bench_web_fill; the same folder
# build/bench/web/home-..., kept for the same DECISIONS, day and
# src/store/store.c, made here if missing): run one after the other, the
# two benchmarks fill it once.  The table lists 20 overdue ids per queue
# and balpd's daily digest 50, from the same report (sla.c's sla_report);
# --json lists every overdue id (nearly all of a million decisions, the
# store not knowing what an agent filed).  Prints each run's seconds,
# wall and CPU (user + system), and the medians.  A benchmark, not a test: the machine is shared and noisy;
# compare figures of one run.
set -eu
SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
. "$SRCDIR/tests/tools/tap.sh" >/dev/null
N=${1:-1000000}
RUNS=${2:-5}
OLD=${OLD:-}
make -C "$SRCDIR" all build/bench/bench_web_fill >/dev/null
B="$SRCDIR/build/balpctl"

if [ -n "${STORE:-}" ]; then
	store=$STORE
else
	out="$SRCDIR/build/bench/web"
	store="$out/home-$N-$(date -u +%Y%m%d)-$(cksum \
	    <"$SRCDIR/src/store/store.c" | cut -d' ' -f1)"
	if [ ! -f "$store/ready" ]; then
		# As web.sh makes it (its users included), for it to reuse.
		mkdir -p "$out"
		rm -rf "$out"/home-*
		shm=/dev/shm
		[ -d "$shm" ] && [ -w "$shm" ] || shm=${TMPDIR:-/tmp}
		TMPDIR=$shm demo_home
		trap 'rm -rf "$HOME_DIR"' EXIT
		start=$(date +%s)
		"$SRCDIR/build/bench/bench_web_fill" "$CONF" "$N"
		fill=$(( $(date +%s) - start ))
		start=$(date +%s)
		"$B" -c "$CONF" audit verify | head -1
		verify=$(( $(date +%s) - start ))
		for u in adm:admin dpo:dpo; do
			printf 'Bench-Console-Pass-0\n' |
			    "$B" -c "$CONF" user add "${u%%:*}" --role \
			    "${u#*:}" >/dev/null
		done
		mv "$HOME_DIR" "$store.part"
		mv "$store.part" "$store"
		trap - EXIT
		echo "filled in $fill s, audit verify $verify s, $(du -sh "$store/var/balp.db" | cut -f1)" >"$store/ready"
	fi
	cat "$store/ready"
fi
CONF="$store/conf/balp.conf"

# seconds BALPCTL ARGS...: "WALL CPU" of one queue status, in s (CPU:
# user + system, what the machine's other work does not stretch).
seconds() {
	python3 -c 'import resource, subprocess, sys, time
t = time.monotonic()
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL,
    stderr=subprocess.DEVNULL)
w = time.monotonic() - t
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.3f %.3f" % (w, r.ru_utime + r.ru_stime))' \
	    "$1" -c "$CONF" queue status ${2:+"$2"}
}
# median COLUMN <FILE
median() { awk -v c="$1" '{ print $c }' | sort -n |
    awk '{ v[NR] = $1 } END { printf "%.3f", v[int((NR + 1) / 2)] }'; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/balp-queue-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$B" -c "$CONF" queue status --json | python3 -c 'import json, sys
d = json.load(sys.stdin)
print("%d waiting, %d overdue, %d queues" % (d["waiting"], d["overdue"],
    len(d["queues"])))'
for way in table json; do
	: >"$tmp/$way.new"
	: >"$tmp/$way.old"
done
# ratio OLD NEW: old / new, 1 decimal.
ratio() { awk -v o="$1" -v n="$2" 'BEGIN { printf "%.1f", (n > 0 ? o / n : 0) }'; }
for r in $(seq 1 "$RUNS"); do
	for way in table json; do
		arg=
		[ "$way" = table ] || arg=--json
		new=$(seconds "$B" $arg)
		echo "$new" >>"$tmp/$way.new"
		line="run $r, $way: wall/cpu ${new% *}/${new#* } s"
		if [ -n "$OLD" ]; then
			old=$(seconds "$OLD" $arg)
			echo "$old" >>"$tmp/$way.old"
			line="$line, old ${old% *}/${old#* } s, old/new $(ratio \
			    "${old% *}" "${new% *}")/$(ratio "${old#* }" \
			    "${new#* }")"
		fi
		echo "$line"
	done
done
for way in table json; do
	line="median of $RUNS, $way: wall $(median 1 <"$tmp/$way.new") s, cpu $(median 2 <"$tmp/$way.new") s"
	[ -z "$OLD" ] ||
	    line="$line; old: wall $(median 1 <"$tmp/$way.old") s, cpu $(median 2 <"$tmp/$way.old") s"
	echo "$line"
done
