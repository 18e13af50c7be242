#!/bin/sh
# triage.sh - how fast balpd triages a Maildir, the MIME parser isolated
# in a child process as it always is.
#
#   sh tests/bench/triage.sh [MESSAGES] [RUNS]     (defaults 2000, 5)
#
# Each run: a fresh home with the demo partners, MESSAGES copies of the 14
# demo mails in the inbox, one `balpd --once`.  Prints the median wall time,
# messages per second and balpd's peak RSS (GNU time, if installed).
# Machines are shared and noisy: compare runs made on one machine at once.
set -eu
SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
. "$SRCDIR/tests/tools/tap.sh" >/dev/null
N=${1:-2000}
RUNS=${2:-5}
[ -x "$SRCDIR/build/balpd" ] || make -C "$SRCDIR" all >/dev/null

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

run() {
	: >"$SRCDIR/build/bench.times"
	: >"$SRCDIR/build/bench.rss"
	r=0
	while [ $r -lt "$RUNS" ]; do
		demo_home
		MD="$HOME_DIR/var/Maildir"
		i=0
		for f in "$SRCDIR"/tests/data/demo/Maildir/new/*; do
			sed "s#{{RECENT}}#01/11/2026#g" "$f" >"$HOME_DIR/m.$i"
			i=$((i + 1))
		done
		k=0
		while [ $k -lt "$N" ]; do
			cp "$HOME_DIR/m.$((k % 14))" "$MD/new/bench.$k.x"
			k=$((k + 1))
		done
		start=$(date +%s.%N)
		if command -v /usr/bin/time >/dev/null; then
			/usr/bin/time -f %M -o "$HOME_DIR/rss" \
			    "$SRCDIR/build/balpd" -c "$CONF" --once >/dev/null
			cat "$HOME_DIR/rss" >>"$SRCDIR/build/bench.rss"
		else
			"$SRCDIR/build/balpd" -c "$CONF" --once >/dev/null
		fi
		end=$(date +%s.%N)
		left=$(ls "$MD/new" | wc -l)
		[ "$left" -eq 0 ] || { echo "bench: $left messages left" >&2; exit 1; }
		echo "$end - $start" | bc >>"$SRCDIR/build/bench.times"
		rm -rf "$HOME_DIR"
		r=$((r + 1))
	done
	t=$(median <"$SRCDIR/build/bench.times")
	rss=$(median <"$SRCDIR/build/bench.rss")
	printf 'median %6.2f s  %6.0f msg/s  peak RSS %s KiB\n' \
	    "$t" "$(echo "$N / $t" | bc -l)" "${rss:-?}"
}

echo "balpd --once over $N messages, $RUNS runs ($(nproc) cores)"
run
