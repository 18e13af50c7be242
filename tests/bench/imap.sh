#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# imap.sh - issue 10: how fast balpd drains a backlog from a real IMAP
# server, next to imapfilter and to a reference client that does only what
# deciding needs from the server (tests/bench/imap_ref.c), all in the same
# run, on the same Dovecot, with the same messages; then how long a mail
# takes from Postfix's acceptance to its queue folder with balpd in IDLE.
#
#   sh tests/tools/deps.sh bench                 (once: imapfilter, time)
#   sh tests/bench/imap.sh [MESSAGES] [RUNS]     (defaults 10000, 3)
#   sh tests/bench/imap.sh 1000 1                (a quick look)
#   IDLE_MESSAGES=200 (default) mails sent for the latency; 0: none.
#   IDLE_GAP_MS=50 (default): milliseconds between two of them.
#   RUNS=0: the latency alone, e.g. one mail at a time in a quiet inbox:
#   IDLE_MESSAGES=20 IDLE_GAP_MS=2000 sh tests/bench/imap.sh 0 0
#   BIG_EVERY=4 (default): one mail in BIG_EVERY carries the 5 MB scan;
#   0: none (the small demo mails only, 0.5-3 KB, as the issue's first
#   measurements).
#
# One private Dovecot + Postfix on loopback (tests/tools/mailstack.sh) for
# the whole benchmark.  MESSAGES mails are written once, named as Dovecot's
# LMTP names them (S= and W= sizes), one in four the demo RIB with a 5 MB
# scanned PDF besides (5 MB once encoded, as triage.sh counts), the others
# the 14 demo partner mails in turn, each with its own Message-ID.  Per run
# and per client, in turn: the BALP's Maildir is emptied and made again with
# the same MESSAGES files (hard links: Dovecot never writes into a message
# file), its queue folders empty, Dovecot's indexes gone; the client runs
# until the inbox is empty; wall time, peak RSS, and the bytes Dovecot sent
# on the client's sessions (the out= of its logout lines) per message.
# Clients:
#   balpd1000    the same with parser.max_jobs = 1000 (not in the default
#                CLIENTS: CLIENTS="balpd-plain:none balpd1000-plain:none
#                whole-plain:none" compares one message per process)
#   balpd        `balpd --once --stats`, fresh home with the demo partners,
#                shipped configuration (conf/balp-imap.conf), over plain
#                IMAP (tls = "none") and over STARTTLS with the certificate
#                checked; peak RSS is balpd's and its largest worker's
#                (--stats)
#   imapfilter   tests/bench/imapfilter.lua, subject-only sort into two
#                folders, plain IMAP
#   reference    build/bench/imap_ref, plain and STARTTLS
#   whole        the same with IMAP_REF_WHOLE=1: it fetches each message
#                whole (BODY.PEEK[]), the least a client that judges every
#                attachment by its content must read
#   CLIENTS="balpd-plain:none ref-plain:none" (say) runs only those.
# Peak RSS of imapfilter and of the reference client: GNU time's %M.
# Then the latency: balpd watching (STARTTLS, rescan_seconds = 3600, so
# only IDLE wakes it), IDLE_MESSAGES mails of the same mix sent through
# Postfix's SMTP port one every IDLE_GAP_MS by one perl process (Net::SMTP:
# a swaks process per mail would cost a core at that rate); per mail, from
# Postfix's 250 to the end of DATA to its file in a BALP/* folder on disk
# (polled every 2 ms; matched by a token in its Message-ID).
#
# A benchmark, not a test: quote medians and compare figures of one run.
set -eu
SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck disable=SC1091
. "$SRCDIR/tests/tools/tap.sh" >/dev/null
N=${1:-10000}
RUNS=${2:-3}
IDLE_N=${IDLE_MESSAGES:-200}
IDLE_GAP=${IDLE_GAP_MS:-50}
BIG=${BIG_EVERY:-4}
MS="$SRCDIR/tests/tools/mailstack.sh"
for c in imapfilter dovecot postfix /usr/bin/time; do
	command -v "$c" >/dev/null 2>&1 || {
		echo "imap.sh: $c missing: run sh tests/tools/deps.sh bench" >&2
		exit 1
	}
done
make -C "$SRCDIR" all build/bench/imap_ref >/dev/null

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

STACK=$(mktemp -d /tmp/ms.XXXXXX)
BALPD_PID=""
cleanup() {
	[ -z "$BALPD_PID" ] || kill -TERM "$BALPD_PID" 2>/dev/null || true
	sh "$MS" stop "$STACK" >/dev/null 2>&1 || true
	rm -rf "$STACK" "${HOME_DIR:-/nonexistent}"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
sh "$MS" start "$STACK" 2>"$STACK.start" || {
	cat "$STACK.start" >&2
	rm -f "$STACK.start"
	exit 1
}
rm -f "$STACK.start"
# shellcheck disable=SC1091
. "$STACK/env"
MD=$MS_MAILDIR_ROOT/balp/Maildir
POOL=$MS_MAILDIR_ROOT/bench-pool	# same file system: hard links
IDLEPOOL=$MS_MAILDIR_ROOT/bench-idle
W=$STACK/bench			# figures of each run
mkdir -p "$W" "$POOL" "$IDLEPOOL"
QUEUES="RIB Suspension Blocage Rejets Quarantaine"

# ---- the messages, written once -------------------------------------------
# A scanned RIB as a scanner writes it (as in triage.sh): one page, one
# JPEG image stream (random bytes stand for the image), base64 at 76.
scan_bytes=$((5242880 * 3 / 4 - 400))
{
	printf '%%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n'
	printf '2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n'
	printf '3 0 obj\n<< /Type /Page /Parent 2 0 R /Resources << /XObject << /Im1 4 0 R >> >> /MediaBox [0 0 595 842] >>\nendobj\n'
	printf '4 0 obj\n<< /Type /XObject /Subtype /Image /Width 2480 /Height 3508 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n' "$scan_bytes"
	head -c "$scan_bytes" /dev/urandom
	printf '\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%%%EOF\n'
} | base64 -w 76 >"$W/scan.b64"
# gen DIR COUNT TOKEN: COUNT mails in DIR/new, one in $BIG the big RIB,
# the others the demo mails in turn; TOKEN.I. starts each Message-ID.
gen() {
	mkdir -p "$1/new"
	perl -e '
		my ($dir, $n, $tok, $every, $scan, @src) = @ARGV;
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
		# demo01 (a RIB with its small PDF) with the big scan besides.
		my $big = $m[0];
		my ($b) = $big =~ /boundary="([^"]+)"/;
		my $part = "--$b\nContent-Type: application/pdf; name=\"scan.pdf\"\n" .
		    "Content-Disposition: attachment; filename=\"scan.pdf\"\n" .
		    "Content-Transfer-Encoding: base64\n\n$enc\n";
		$big =~ s/--\Q$b\E--/$part--$b--/;
		my $small = 0;
		for my $i (0 .. $n - 1) {
			my $t = $every && $i % $every == $every - 1 ? $big :
			    $m[$small++ % @m];
			$t =~ s/^(Message-ID:\s*<)/$1$tok$i./mi;
			# Named as Dovecot LMTP names a delivery: the sizes in the
			# name spare Dovecot reading the file for RFC822.SIZE.
			my $vsize = length($t) + ($t =~ tr/\n//);
			my $name = sprintf("%d.M%06dP%d.bench,S=%d,W=%d",
			    1795900000 + int($i / 1000), $i, $$, length($t), $vsize);
			open(my $out, ">", "$dir/new/$name") or die "$name: $!";
			print $out $t;
			close($out) or die "$name: $!";
		}' "$1" "$2" "$3" "$BIG" "$W/scan.b64" \
	    "$SRCDIR"/tests/data/demo/Maildir/new/*
}
t0=$(date +%s)
gen "$POOL" "$N" bench
[ "$IDLE_N" -eq 0 ] || gen "$IDLEPOOL" "$IDLE_N" idle
chown -R mail:mail "$POOL" "$IDLEPOOL"
pool_mb=$(du -sm "$POOL" | cut -f1)
echo "imap.sh: $N messages ($pool_mb MB) written in $(($(date +%s) - t0)) s" >&2

# refill [COUNT]: the BALP's Maildir afresh, its inbox holding the pool's
# messages (hard links), its queue folders empty, no index.
refill() {
	rm -rf "$MD"
	mkdir -p "$MD/new" "$MD/cur" "$MD/tmp"
	for q in $QUEUES; do
		mkdir -p "$MD/.BALP.$q/new" "$MD/.BALP.$q/cur" "$MD/.BALP.$q/tmp"
		: >"$MD/.BALP.$q/maildirfolder"
	done
	# shellcheck disable=SC2086
	printf 'BALP/%s\n' $QUEUES >"$MD/subscriptions"
	if [ "${1:-1}" != 0 ]; then
		perl -e '
			my ($pool, $md) = @ARGV;
			opendir(my $d, "$pool/new") or die "$pool: $!";
			for my $f (readdir $d) {
				next if $f =~ /^\./;
				link("$pool/new/$f", "$md/new/$f") or die "$f: $!";
			}' "$POOL" "$MD"
	fi
	chown -R mail:mail "$MD"
	sync
}
count() { find "$1/new" "$1/cur" -type f 2>/dev/null | wc -l; }

# Bytes Dovecot sent on the sessions that logged out after byte offset
# $1 of its log: the sum of their out= (waits for one at least).
dovecot_out() {
	i=0
	while [ "$i" -lt 50 ]; do
		n=$(tail -c +"$(($1 + 1))" "$MS_DOVECOT_LOG" |
		    grep -c "imap($MS_BALP_USER).* out=" || true)
		[ "$n" -gt 0 ] && break
		sleep 0.1
		i=$((i + 1))
	done
	sleep 0.2
	tail -c +"$(($1 + 1))" "$MS_DOVECOT_LOG" |
	    grep "imap($MS_BALP_USER).* out=" |
	    sed 's/.* out=\([0-9]*\).*/\1/' |
	    awk '{ s += $1 } END { printf "%.0f\n", s }'
}

# balp_home none|starttls [RESCAN]: a fresh home with the demo partners
# and an IMAP configuration ($ICONF) for the stack.
balp_home() {
	demo_home
	cp "$MS_BALP_PASS_FILE" "$HOME_DIR/var/imap.pass"
	chmod 600 "$HOME_DIR/var/imap.pass"
	ICONF=$HOME_DIR/conf/imap.conf
	sed -e 's#"imap.caf.test"#"127.0.0.1"#' \
	    -e "s#tls = \"imaps\"#tls = \"$1\"#" \
	    -e "s#port = 993#port = $MS_IMAP_PORT#" \
	    -e "s#/etc/ssl/certs/caf-ca.pem#$MS_CA#" \
	    -e "s#rescan_seconds = 60#rescan_seconds = ${2:-60}#" \
	    "$SRCDIR/conf/balp-imap.conf" >"$ICONF"
}

# run_client NAME MODE: one drain of a full inbox; appends to $W/NAME.*
run_client() {
	name=$1 mode=$2
	refill
	off=$(wc -c <"$MS_DOVECOT_LOG")
	case $name in
	balpd-*|balpd1000-*)
		balp_home "$mode"
		# The old trade: a worker parses 1000 messages (docs/sandbox.md).
		[ "${name%%-*}" = balpd ] ||
		    echo 'parser = { max_jobs = 1000; };' >>"$ICONF"
		start=$(date +%s.%N)
		"$SRCDIR/build/balpd" -c "$ICONF" --once --stats \
		    >"$W/out" 2>"$W/stats" || {
			echo "imap.sh: balpd failed:" >&2
			tail -n 20 "$W/stats" >&2
			exit 1
		}
		end=$(date +%s.%N)
		sed -n 's/^rss balpd \([0-9]*\) KiB.*/\1/p' "$W/stats" >>"$W/$name.rss"
		sed -n 's/^rss workers \([0-9]*\) KiB.*/\1/p' "$W/stats" \
		    >>"$W/$name.wrss"
		sed -n 's/^stage \([a-z_]*\) *\([0-9.]*\) us\/msg/\1 \2/p' \
		    "$W/stats" >>"$W/$name.stages"
		rm -rf "$HOME_DIR"
		;;
	imapfilter)
		mkdir -p "$W/ifhome"
		start=$(date +%s.%N)
		HOME=$W/ifhome BENCH_IMAP_HOST=127.0.0.1 \
		    BENCH_IMAP_PORT=$MS_IMAP_PORT BENCH_IMAP_USER=$MS_BALP_USER \
		    BENCH_IMAP_PASS_FILE=$MS_BALP_PASS_FILE \
		    /usr/bin/time -f %M -o "$W/time" \
		    imapfilter -c "$SRCDIR/tests/bench/imapfilter.lua" \
		    >"$W/out" 2>&1 || {
			echo "imap.sh: imapfilter failed:" >&2
			tail -n 20 "$W/out" >&2
			exit 1
		}
		end=$(date +%s.%N)
		tail -n 1 "$W/time" >>"$W/$name.rss"
		;;
	ref-*|whole-*)
		start=$(date +%s.%N)
		IMAP_REF_WHOLE=$([ "${name%%-*}" = whole ] && echo 1 || echo 0) \
		    /usr/bin/time -f %M -o "$W/time" "$SRCDIR/build/bench/imap_ref" \
		    127.0.0.1 "$MS_IMAP_PORT" "$MS_BALP_USER" "$MS_BALP_PASS_FILE" \
		    "$mode" "$MS_CA" >"$W/out" 2>&1 || {
			echo "imap.sh: imap_ref failed:" >&2
			tail -n 20 "$W/out" >&2
			exit 1
		}
		end=$(date +%s.%N)
		tail -n 1 "$W/time" >>"$W/$name.rss"
		# MESSAGES BYTES FETCH_MS MOVE_MS
		awk '{ print $3 }' "$W/out" >>"$W/$name.fetch"
		awk '{ print $4 }' "$W/out" >>"$W/$name.move"
		;;
	esac
	left=$(count "$MD")
	[ "$left" -eq 0 ] || { echo "imap.sh: $name: $left messages left" >&2; exit 1; }
	filed=0
	for q in $QUEUES; do
		filed=$((filed + $(count "$MD/.BALP.$q")))
	done
	[ "$filed" -eq "$N" ] || {
		echo "imap.sh: $name: $filed messages filed, not $N" >&2
		exit 1
	}
	echo "$N / ($end - $start)" | bc -l >>"$W/$name.rate"
	echo "$(dovecot_out "$off") / $N" | bc >>"$W/$name.bytes"
	printf 'imap.sh: run %d %-16s %6.0f msg/s\n' "$((r + 1))" "$name" \
	    "$(tail -n 1 "$W/$name.rate")" >&2
}

load0=$(cut -d' ' -f1 /proc/loadavg)
CLIENTS=${CLIENTS:-"balpd-plain:none balpd-tls:starttls imapfilter:none ref-plain:none ref-tls:starttls whole-plain:none whole-tls:starttls"}
r=0
while [ "$r" -lt "$RUNS" ]; do
	for c in $CLIENTS; do
		run_client "${c%%:*}" "${c#*:}"
	done
	r=$((r + 1))
done

# ---- IDLE: from Postfix's acceptance to the queue folder -------------------
if [ "$IDLE_N" -gt 0 ]; then
	refill 0
	balp_home starttls 3600
	"$SRCDIR/build/balpd" -c "$ICONF" 2>"$W/watch.err" &
	BALPD_PID=$!
	wait_for "$W/watch.err" "watching imap" 30 || {
		echo "imap.sh: balpd does not watch:" >&2
		cat "$W/watch.err" >&2
		exit 1
	}
	sleep 0.5
	perl -MNet::SMTP -MTime::HiRes=time,sleep -e '
		my ($pool, $md, $port, $to, $gap, $queues) = @ARGV;
		opendir(my $d, "$pool/new") or die "$pool: $!";
		my @files = sort grep { !/^\./ } readdir $d;
		pipe(my $rd, my $wr) or die "pipe: $!";
		my $pid = fork // die "fork: $!";
		if ($pid == 0) {	# the sender
			close $rd;
			my $t0 = time;
			for my $i (0 .. $#files) {
				my $at = $t0 + $i * $gap;
				sleep($at - time) if $at > time;
				open(my $fh, "<", "$pool/new/$files[$i]") or die "$!";
				my $m = do { local $/; <$fh> };
				my ($tok) = $m =~ /^Message-ID:\s*<(idle\d+)\./mi;
				my ($from) = $m =~ /^From:.*<([^>]+)>/mi;
				my $s = Net::SMTP->new("127.0.0.1", Port => $port,
				    Timeout => 30) or die "SMTP: $@";
				$s->mail($from // "") or die "MAIL: " . $s->message;
				$s->to($to) or die "RCPT: " . $s->message;
				$s->data($m) or die "DATA: " . $s->message;
				my $t = time;	# the 250 to the end of DATA
				$s->quit;
				syswrite($wr, sprintf("%s %.6f\n", $tok, $t));
			}
			exit 0;
		}
		close $wr;
		my (%sent, %seen, %inbox, %name);
		# [dir, where]: the inbox (Dovecot delivered it) and the queues.
		my @dirs = (["$md/new", \%inbox], ["$md/cur", \%inbox],
		    map { (["$md/.BALP.$_/new", \%seen], ["$md/.BALP.$_/cur", \%seen]) }
		    split / /, $queues);
		my $rin = "";
		vec($rin, fileno($rd), 1) = 1;
		my $open = 1;
		my $deadline;
		while (1) {
			if ($open) {
				my $r = $rin;
				while (select($r = $rin, undef, undef, 0) > 0) {
					my $l = <$rd>;
					if (!defined $l) { $open = 0; $deadline = time + 60; last }
					my ($k, $t) = split " ", $l;
					$sent{$k} = $t;
				}
			}
			my $now = time;
			for my $e (@dirs) {
				my ($dir, $where) = @$e;
				opendir(my $dh, $dir) or next;
				for my $f (readdir $dh) {
					next if $f =~ /^\./;
					my $key = "$where:" . (split /:/, $f)[0];
					next if exists $name{$key};
					open(my $fh, "<", "$dir/$f") or next;
					my $tok;
					while (my $l = <$fh>) {
						last if $l =~ /^\r?$/;
						$tok = $1, last if $l =~ /^Message-ID:\s*<(idle\d+)\./i;
					}
					$name{$key} = 1;
					$where->{$tok} //= $now if defined $tok;
				}
			}
			last if !$open && keys(%seen) >= keys(%sent);
			last if !$open && time > $deadline;
			sleep 0.002;
		}
		waitpid($pid, 0);
		die "the sender failed\n" if $?;
		# TOKEN  250->inbox  250->queue folder  (ms)
		for my $k (sort keys %sent) {
			printf "%s %s %s\n", $k,
			    exists $inbox{$k} ? sprintf("%.1f", 1000 * ($inbox{$k} - $sent{$k})) : "-",
			    exists $seen{$k} ? sprintf("%.1f", 1000 * ($seen{$k} - $sent{$k})) : "lost";
		}' "$IDLEPOOL" "$MD" "$MS_SMTP_PORT" "$MS_BALP_USER" \
	    "$(echo "$IDLE_GAP / 1000" | bc -l)" "$QUEUES" \
	    >"$W/latency"
	inbox_left=$(count "$MD")
	kill -TERM "$BALPD_PID"
	wait "$BALPD_PID" || true
	BALPD_PID=""
	if awk '$3 == "lost" { exit 1 }' "$W/latency"; then :; else
		echo "imap.sh: not filed within 60 s (token, ms to the inbox):" \
		    "$(awk '$3 == "lost" { printf "%s %s; ", $1, $2 }' "$W/latency")" \
		    "$inbox_left left in the inbox; balpd's log:" >&2
		tail -n 20 "$W/watch.err" >&2
	fi
	rm -rf "$HOME_DIR"
fi

# ---- summary ---------------------------------------------------------------
mix="1 in $BIG with a 5 MB attachment"
[ "$BIG" -ne 0 ] || mix="the small demo mails only"
echo "load average (1 min) at the start $load0, at the end $(cut -d' ' -f1 /proc/loadavg) (other work on the machine skews the figures)"
if [ "$RUNS" -gt 0 ]; then
	echo "IMAP drain, $N messages ($mix), median of $RUNS runs, $(nproc) cores, Dovecot $(dovecot --version | cut -d' ' -f1) on loopback"
	printf '  %-22s %8s %10s %12s %12s\n' client msg/s "RSS KiB" "worker KiB" bytes/msg
	for c in $CLIENTS; do
		n=${c%%:*}
		wrss=-
		[ ! -s "$W/$n.wrss" ] || wrss=$(median <"$W/$n.wrss")
		printf '  %-22s %8.0f %10s %12s %12s\n' "$n" "$(median <"$W/$n.rate")" \
		    "$(median <"$W/$n.rss")" "$wrss" "$(median <"$W/$n.bytes")"
	done
	# ratio A B: A's median rate in percent of B's, "-" if one is missing
	ratio() {
		if [ -s "$W/$1.rate" ] && [ -s "$W/$2.rate" ]; then
			printf '%5.0f %%' "$(echo "100 * $(median <"$W/$1.rate") / $(median <"$W/$2.rate")" | bc -l)"
		else
			printf '    -'
		fi
	}
	for m in plain tls; do
		printf '  balpd / reference, %-5s %s   (/ whole-message reference: %s)\n' \
		    "$m" "$(ratio "balpd-$m" "ref-$m")" "$(ratio "balpd-$m" "whole-$m")"
		[ ! -s "$W/balpd1000-$m.rate" ] ||
		    printf '  balpd (max_jobs 1) / balpd (max_jobs 1000), %-5s %s\n' \
		    "$m" "$(ratio "balpd-$m" "balpd1000-$m")"
	done
	for c in ref-plain ref-tls whole-plain whole-tls; do
		[ -s "$W/$c.fetch" ] || continue
		printf '  %-22s UID FETCH %s ms, UID MOVE %s ms in all\n' \
		    "$c" "$(median <"$W/$c.fetch")" "$(median <"$W/$c.move")"
	done
	printf '  balpd stages, us/msg    %8s %8s\n' plain tls
	for s in list lookup read parse_wait parse_rtt annex decide record commit \
	    move sync; do
		printf '    %-20s %8.1f %8.1f\n' "$s" \
		    "$(awk -v s="$s" '$1 == s { print $2 }' "$W/balpd-plain.stages" 2>/dev/null | median)" \
		    "$(awk -v s="$s" '$1 == s { print $2 }' "$W/balpd-tls.stages" 2>/dev/null | median)"
	done
fi
if [ "$IDLE_N" -gt 0 ]; then
	lost=$(awk '$3 == "lost"' "$W/latency" | wc -l)
	awk '$3 != "lost" { print $3 }' "$W/latency" | sort -n >"$W/lat.filed"
	awk '$2 != "-" { print $2 }' "$W/latency" | sort -n >"$W/lat.inbox"
	awk '$2 != "-" && $3 != "lost" { print $3 - $2 }' "$W/latency" |
	    sort -n >"$W/lat.balpd"
	# pct FILE P: the P-th percentile of a sorted file (nearest rank)
	pct() { awk -v p="$2" '{ v[NR] = $1 } END { i = int(NR * p / 100 + 0.999); if (i < 1) i = 1; print v[i] }' "$1"; }
	echo "IDLE, balpd over STARTTLS: $IDLE_N mails through Postfix, one every $IDLE_GAP ms ($mix)"
	printf '  %-34s %8s %8s %8s %8s\n' "ms" min p50 p99 max
	for l in "Postfix 250 -> queue folder:filed" \
	    "Postfix 250 -> in the inbox:inbox" \
	    "in the inbox -> queue folder:balpd"; do
		f=$W/lat.${l#*:}
		printf '  %-34s %8s %8s %8s %8s\n' "${l%:*}" "$(head -n 1 "$f")" \
		    "$(pct "$f" 50)" "$(pct "$f" 99)" "$(tail -n 1 "$f")"
	done
	printf '  %d filed, %d not within 60 s\n' "$(wc -l <"$W/lat.filed")" "$lost"
fi
