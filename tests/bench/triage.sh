#!/bin/sh
# triage.sh - how fast balpd triages a Maildir, and what isolating the MIME
# parser in a child process costs.
#
#   sh tests/bench/triage.sh [MESSAGES] [RUNS]     (defaults 2000, 5)
#
# Each run: a fresh home with the demo partners, MESSAGES copies of the 14
# demo mails in the inbox, one `balpd --once`.  Prints the median wall time
# and messages per second for parse_in_child = true (the shipped default)
# and false, their ratio, and balpd's peak RSS (GNU time, if installed).
# Machines are shared and noisy: compare the two modes within one run.
set -eu
SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
. "$SRCDIR/tests/tools/tap.sh" >/dev/null
N=${1:-2000}
RUNS=${2:-5}
[ -x "$SRCDIR/build/balpd" ] || make -C "$SRCDIR" all >/dev/null

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

run_mode() {
	child=$1
	: >"$SRCDIR/build/bench-$child.times"
	: >"$SRCDIR/build/bench-$child.rss"
	r=0
	while [ $r -lt "$RUNS" ]; do
		demo_home
		sed -i "s/parse_in_child = true/parse_in_child = $child/" "$CONF"
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
			cat "$HOME_DIR/rss" >>"$SRCDIR/build/bench-$child.rss"
		else
			"$SRCDIR/build/balpd" -c "$CONF" --once >/dev/null
		fi
		end=$(date +%s.%N)
		left=$(ls "$MD/new" | wc -l)
		[ "$left" -eq 0 ] || { echo "bench: $left messages left" >&2; exit 1; }
		echo "$end - $start" | bc >>"$SRCDIR/build/bench-$child.times"
		rm -rf "$HOME_DIR"
		r=$((r + 1))
	done
	t=$(median <"$SRCDIR/build/bench-$child.times")
	rss=$(median <"$SRCDIR/build/bench-$child.rss")
	printf 'parse_in_child=%-5s  median %6.2f s  %6.0f msg/s  peak RSS %s KiB\n' \
	    "$child" "$t" "$(echo "$N / $t" | bc -l)" "${rss:-?}"
	eval "t_$child=$t"
}

echo "balpd --once over $N messages, $RUNS runs per mode ($(nproc) cores)"
run_mode true
run_mode false
printf 'isolation costs x%.2f in wall time\n' "$(echo "$t_true / $t_false" | bc -l)"
