#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# isolation.sh - what one message per process costs balpd on a Maildir,
# against the right floors (docs/sandbox.md, README "Performance").
#
#   sh tests/bench/isolation.sh [MESSAGES] [RUNS]     (defaults 5000, 5)
#
# Each run, on the same MESSAGES demo mails (the 14 of tests/data/demo in
# turn, each Message-ID its own), in this order:
#   floor fork    tests/bench/bench_floor fork: a process forked per
#                 message (two at a time) maps it, parses it with libetpan
#                 and exits with a folder number; recorded in sqlite by
#                 batches of 100, moved after each commit: no decision
#   floor inproc  the same with the parse in-process
#   balpd         balpd --once as shipped: parser.max_jobs = 1, a worker per
#                 message, from the zygote
#   balpd 1000    balpd --once with parser.max_jobs = 1000 (the old trade)
# Prints messages per second, median of the runs, and the ratios of one
# run's medians.  A benchmark, not a test: the machine is shared and noisy.
set -eu
SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
. "$SRCDIR/tests/tools/tap.sh" >/dev/null
N=${1:-5000}
RUNS=${2:-5}
make -C "$SRCDIR" all build/bench/bench_floor >/dev/null

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
now() { date +%s.%N; }

out="$SRCDIR/build/bench/isolation"
rm -rf "$out"
mkdir -p "$out"
for k in fork inproc balpd balpd1000; do : >"$out/$k"; done

# rate NAME START END: N / seconds into its file.
rate() { echo "$N / ($3 - $2)" | bc -l >>"$out/$1"; }

r=0
while [ $r -lt "$RUNS" ]; do
	for mode in fork inproc; do
		md=$(mktemp -d "${TMPDIR:-/tmp}/balp-floor.XXXXXX")
		mkdir -p "$md/new" "$md/cur" "$md/tmp"
		fill "$md" "$N" floor
		sync
		t0=$(now)
		"$SRCDIR/build/bench/bench_floor" "$mode" "$md" "$md/floor.db" \
		    >/dev/null
		t1=$(now)
		rate "$mode" "$t0" "$t1"
		rm -rf "$md"
	done
	for jobs in 1 1000; do
		demo_home
		sed -i "s/^\(\s*max_jobs = \).*;/\1$jobs;/" "$CONF"
		MD="$HOME_DIR/var/Maildir"
		fill "$MD" "$N" bench
		sync
		t0=$(now)
		"$SRCDIR/build/balpd" -c "$CONF" --once >/dev/null 2>&1
		t1=$(now)
		left=$(find "$MD/new" -type f | wc -l)
		[ "$left" -eq 0 ] || { echo "bench: $left messages left" >&2; exit 1; }
		if [ "$jobs" = 1 ]; then rate balpd "$t0" "$t1"
		else rate balpd1000 "$t0" "$t1"; fi
		rm -rf "$HOME_DIR"
	done
	r=$((r + 1))
done

fork=$(median <"$out/fork")
inproc=$(median <"$out/inproc")
one=$(median <"$out/balpd")
many=$(median <"$out/balpd1000")
echo "Maildir, $N demo mails, median of $RUNS runs, $(nproc) cores"
printf '  floor, a process per message   %8.0f msg/s\n' "$fork"
printf '  floor, parse in-process        %8.0f msg/s\n' "$inproc"
printf '  balpd, max_jobs = 1 (default)  %8.0f msg/s   %.2f of the per-process floor\n' \
    "$one" "$(echo "$one / $fork" | bc -l)"
printf '  balpd, max_jobs = 1000         %8.0f msg/s   %.2f of the in-process floor\n' \
    "$many" "$(echo "$many / $inproc" | bc -l)"
printf '  one message per process costs %.0f%% of the throughput of max_jobs = 1000\n' \
    "$(echo "(1 - $one / $many) * 100" | bc -l)"
