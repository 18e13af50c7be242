#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# triage.sh - how fast balpd triages a Maildir with the shipped
# configuration (parser isolated in its sandboxed workers, group commits,
# every decision durable before its move), where the time goes, and how
# fast decide() alone is.
#
#   sh tests/bench/triage.sh [MESSAGES] [RUNS]     (defaults 10000, 5)
#
# Each run: a fresh home with the demo partners; MESSAGES mails in the
# inbox, the 14 demo mails in turn, one in ten carrying a 2 MB PDF; one
# `balpd --once --stats`.  Prints the median of the runs for messages per
# second, balpd's peak RSS, its workers' peak RSS, and microseconds per
# message of each stage; then the peak RSS over 20 mails of 40 MB; then
# tests/bench/bench_decide over the case corpus.  A benchmark, not a test: the machines are shared and noisy, so
# quote medians and compare figures of one run.
set -eu
SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
. "$SRCDIR/tests/tools/tap.sh" >/dev/null
N=${1:-10000}
RUNS=${2:-5}
make -C "$SRCDIR" all build/bench/bench_decide >/dev/null

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# fill DIR N [BYTES] [EVERY]: the demo mix, one in EVERY (10) with an
# attachment of BYTES (2 MB) once encoded.
fill() {
	# A scanned RIB as a scanner writes it: one page, one JPEG image
	# stream (random bytes stand for the image), base64 as a mail client
	# writes it.
	n=$(( ${3:-2097152} * 3 / 4 - 400 ))
	{
		printf '%%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n'
		printf '2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n'
		printf '3 0 obj\n<< /Type /Page /Parent 2 0 R /Resources << /XObject << /Im1 4 0 R >> >> /MediaBox [0 0 595 842] >>\nendobj\n'
		printf '4 0 obj\n<< /Type /XObject /Subtype /Image /Width 2480 /Height 3508 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n' "$n"
		head -c "$n" /dev/urandom
		printf '\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%%%EOF\n'
	} | base64 -w 76 >"$HOME_DIR/scan.b64"
	perl -e '
		my ($dir, $n, $every, $scan, @src) = @ARGV;
		my @m;
		for my $f (@src) {
			open(my $fh, "<", $f) or die "$f: $!";
			local $/;
			my $t = <$fh>;
			$t =~ s/\{\{RECENT\}\}/01\/09\/2026/g;
			push @m, $t;
		}
		open(my $fh, "<", $scan) or die "$scan: $!";
		my $enc = do { local $/; <$fh> };
		# demo01 (a RIB with its PDF) with the big scan besides.
		my $big = $m[0];
		my ($b) = $big =~ /boundary="([^"]+)"/;
		my $part = "--$b\nContent-Type: application/pdf; name=\"scan.pdf\"\n" .
		    "Content-Disposition: attachment; filename=\"scan.pdf\"\n" .
		    "Content-Transfer-Encoding: base64\n\n$enc\n";
		$big =~ s/--\Q$b\E--/$part--$b--/;
		for my $i (0 .. $n - 1) {
			my $name = sprintf("bench.%06d.x", $i);
			open(my $out, ">", "$dir/tmp/$name") or die "$name: $!";
			print $out ($i % $every == $every - 1 ? $big : $m[$i % @m]);
			close($out);
			rename("$dir/tmp/$name", "$dir/new/$name") or die "$!";
		}' "$1" "$2" "${4:-10}" "$HOME_DIR/scan.b64" \
	    "$SRCDIR"/tests/data/demo/Maildir/new/*
}

out="$SRCDIR/build/bench"
mkdir -p "$out"
: >"$out/rate"
: >"$out/rss"
: >"$out/wrss"
: >"$out/stages"
r=0
while [ $r -lt "$RUNS" ]; do
	demo_home
	MD="$HOME_DIR/var/Maildir"
	fill "$MD" "$N"
	sync
	start=$(date +%s.%N)
	"$SRCDIR/build/balpd" -c "$CONF" --once --stats >/dev/null \
	    2>"$HOME_DIR/stats"
	end=$(date +%s.%N)
	left=$(find "$MD/new" -type f | wc -l)
	[ "$left" -eq 0 ] || { echo "bench: $left messages left" >&2; exit 1; }
	echo "$N / ($end - $start)" | bc -l >>"$out/rate"
	sed -n 's/^rss balpd \([0-9]*\) KiB.*/\1/p' "$HOME_DIR/stats" >>"$out/rss"
	sed -n 's/^rss workers \([0-9]*\) KiB.*/\1/p' "$HOME_DIR/stats" >>"$out/wrss"
	sed -n 's/^stage \([a-z_]*\) *\([0-9.]*\) us\/msg/\1 \2/p' \
	    "$HOME_DIR/stats" >>"$out/stages"
	rm -rf "$HOME_DIR"
	r=$((r + 1))
done

echo "balpd --once, $N messages (1 in 10 with a 2 MB attachment), median of $RUNS runs, $(nproc) cores"
printf '  throughput      %8.0f msg/s\n' "$(median <"$out/rate")"
printf '  peak RSS        %8s KiB (balpd)   %s KiB (a parser worker)\n' \
    "$(median <"$out/rss")" "$(median <"$out/wrss")"
for s in list lookup read parse_wait parse_rtt annex decide record commit \
    move sync; do
	printf '  %-14s %8.1f us/msg\n' "$s" \
	    "$(awk -v s="$s" '$1 == s { print $2 }' "$out/stages" | median)"
done

# Memory whatever the attachments weigh: 20 mails with 40 MB each.
demo_home
fill "$HOME_DIR/var/Maildir" 20 41943040 1
"$SRCDIR/build/balpd" -c "$CONF" --once --stats >/dev/null 2>"$HOME_DIR/stats"
printf '20 mails of 40 MB each: peak RSS %s KiB (balpd)   %s KiB (a parser worker)\n' \
    "$(sed -n 's/^rss balpd \([0-9]*\) KiB.*/\1/p' "$HOME_DIR/stats")" \
    "$(sed -n 's/^rss workers \([0-9]*\) KiB.*/\1/p' "$HOME_DIR/stats")"
rm -rf "$HOME_DIR"

echo
"$SRCDIR/build/bench/bench_decide" "$SRCDIR/conf/balp.conf" \
    "$SRCDIR"/tests/data/cases/*.eml
