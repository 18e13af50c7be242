#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# lmtp.sh - issue 19: what taking mail at delivery time costs, on the same
# private Postfix + Dovecot (tests/tools/mailstack.sh) and the same corpus,
# three ways:
#   direct  Postfix -> Dovecot's LMTP -> INBOX (the delivery without balp)
#   lmtp    Postfix -> balpd's LMTP -> decided, APPENDed into BALP/* over
#           STARTTLS (the shipped IMAP configuration, certificate checked)
#   drain   Postfix -> Dovecot's LMTP -> INBOX -> balpd in IDLE -> BALP/*
#
#   sh tests/bench/lmtp.sh [MESSAGES] [SENDERS] [RUNS] [STREAM] [RATE]
#                                         (defaults 1000 8 3 300 10)
#
# Each way, each run, measured twice on the 14 demo partner mails in turn:
#
# - Full speed (msg/s): MESSAGES mails are put in Postfix's queue while
#   its lmtp transport is held (defer_transports), by Postfix's own
#   smtp-source (SENDERS sessions); then the transport is released and
#   postqueue -f hands them all over at once.  msg/s = MESSAGES / (the
#   release to the last file in its folder).  Postfix's pace no longer
#   hides the delivery's: its lmtp client runs CONCURRENCY (8) deliveries
#   at once from the first one (lmtp_initial_destination_concurrency =
#   lmtp_destination_concurrency_limit), one recipient each, the same
#   for Dovecot and balpd.
# - Arrival to filed (p50, p99 ms): STREAM mails sent through Postfix at
#   RATE mails a second (4 perl processes, Net::SMTP, one session each,
#   each mail with its own Message-ID), below every way's full speed so
#   that the figure is the path's, not a queue's: from Postfix's 250 to
#   the end of DATA to the file in its folder.
#
# Files are seen by an inotify watcher (tests/bench/filed_watch.py), not
# by rescanning folders.  The table gives each figure's median over RUNS.
# A benchmark, not a test: quote the figures of one run side by side.
set -eu
SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck disable=SC1091
. "$SRCDIR/tests/tools/tap.sh" >/dev/null
N=${1:-1000}
SENDERS=${2:-8}
RUNS=${3:-3}
STREAM=${4:-300}
RATE=${5:-10}
CONCURRENCY=8
# balpd's filer processes (lmtp.filers): FILERS=8 sh tests/bench/lmtp.sh
FILERS=${FILERS:-6}
MS="$SRCDIR/tests/tools/mailstack.sh"
WATCH="$SRCDIR/tests/bench/filed_watch.py"
command -v smtp-source >/dev/null || {
	echo "smtp-source (package postfix) is needed" >&2
	exit 2
}
make -C "$SRCDIR" all >/dev/null

STACK=$(mktemp -d /tmp/ms.XXXXXX)
W=$(mktemp -d /tmp/lmtp-bench.XXXXXX)
BALPD_PID=
cleanup() {
	[ -z "$BALPD_PID" ] || kill -TERM "$BALPD_PID" 2>/dev/null || true
	sh "$MS" stop "$STACK" >/dev/null 2>&1 || true
	rm -rf "$STACK" "$W" "${HOME_DIR:-/nonexistent}"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
sh "$MS" start "$STACK" 2>/dev/null
. "$STACK/env"
MD=$MS_MAILDIR_ROOT/balp/Maildir
PF=$STACK/postfix
PORT=$(free_port)
postconf -c "$PF" -e "lmtp_destination_recipient_limit = 1" \
    "lmtp_destination_concurrency_limit = $CONCURRENCY" \
    "lmtp_initial_destination_concurrency = $CONCURRENCY"
postfix -c "$PF" reload >/dev/null 2>&1

demo_home >/dev/null
cp "$MS_BALP_PASS_FILE" "$HOME_DIR/var/imap.pass"
chmod 600 "$HOME_DIR/var/imap.pass"
sed -e "s#\"imap.caf.test\"#\"localhost\"#" \
    -e "s#port = 993#port = $MS_IMAP_PORT#" \
    -e "s#tls = \"imaps\"#tls = \"starttls\"#" \
    -e "s#/etc/ssl/certs/caf-ca.pem#$MS_CA#" \
    "$SRCDIR/conf/balp-imap.conf" >"$HOME_DIR/conf/drain.conf"
cp "$HOME_DIR/conf/drain.conf" "$HOME_DIR/conf/lmtp.conf"
echo "lmtp = { listen = \"127.0.0.1:$PORT\"; recipients = [ \"$MS_BALP_USER\" ]; max_sessions = 32; filers = $FILERS; };" \
    >>"$HOME_DIR/conf/lmtp.conf"
recent=$(date -d '7 days ago' +%d/%m/%Y)
mkdir -p "$W/demo"
for f in "$SRCDIR"/tests/data/demo/Maildir/new/*; do
	sed "s#{{RECENT}}#$recent#g" "$f" >"$W/demo/$(basename "$f")"
done
QUEUES="$MD/.BALP.RIB $MD/.BALP.Suspension $MD/.BALP.Blocage $MD/.BALP.Rejets $MD/.BALP.Quarantaine"

# watch OUT COUNT DIR...: the watcher in the background, once ready.
watch() {
	out=$1
	shift
	python3 "$WATCH" "$out" "$@" >"$out.ready" &
	WATCH_PID=$!
	wait_for "$out.ready" "^ready" 10
}
hold() {
	postconf -c "$PF" -e "defer_transports = $1"
	postfix -c "$PF" reload >/dev/null 2>&1
}
queued() { postqueue -c "$PF" -j 2>/dev/null | wc -l; }

# burst WAY FOLDERS: MESSAGES mails queued, then released; prints msg/s.
burst() {
	bway=$1
	bfolders=$2
	hold lmtp
	sleep 1
	i=0
	set -- "$W"/demo/*
	for f in "$@"; do
		m=$(((N + $# - 1 - i) / $#))	# MESSAGES spread over the 14
		i=$((i + 1))
		[ "$m" -gt 0 ] || continue
		from=$(sed -n 's/^From:.*<\(.*\)>.*/\1/p' "$f" | head -n 1)
		smtp-source -d -s "$SENDERS" -m "$m" -f "${from:-x@y.fr}" \
		    -t "$MS_BALP_USER" -F "$f" "127.0.0.1:$MS_SMTP_PORT"
	done
	while [ "$(queued)" -lt "$N" ]; do sleep 0.2; done
	watch "$W/$bway.burst" "$N" 30 $bfolders
	t0=$(date +%s.%N)
	hold ""
	postqueue -c "$PF" -f
	# postfix reload returns before its new qmgr runs: a flush the old
	# one took defers every mail again (minutes of backoff).  Flushed
	# again while nothing has left the queue.
	k=0
	while [ "$k" -lt 10 ] && [ "$(queued)" -ge "$N" ]; do
		sleep 0.5
		postqueue -c "$PF" -f
		k=$((k + 1))
	done
	wait "$WATCH_PID"
	awk -v t0="$t0" -v n="$N" '{ if ($1 > e) e = $1; c++ }
	    END { printf "%.0f %d\n", c / (e - t0), n - c }' "$W/$bway.burst"
}

# stream WAY FOLDERS: STREAM mails sent, tagged; "ms" per mail in WAY.ms.
stream() {
	watch "$W/$1.seen" "$STREAM" 30 $2
	perl -MNet::SMTP -MTime::HiRes=time,sleep -e '
		my ($way, $n, $k, $demo, $port, $to, $rate) = @ARGV;
		opendir(my $d, $demo) or die "$demo: $!";
		my @mail = map {
			open(my $fh, "<", "$demo/$_") or die "$!"; local $/; <$fh>
		} sort grep { !/^\./ } readdir $d;
		$| = 1;
		my @kids;
		my $t0 = time + 0.5;	# mail i leaves at t0 + i / rate
		for my $s (0 .. $k - 1) {
			my $pid = fork // die "fork: $!";
			if ($pid == 0) {
				my $c = Net::SMTP->new("127.0.0.1", Port => $port,
				    Timeout => 60) or die "SMTP: $@";
				for (my $i = $s; $i < $n; $i += $k) {
					my $wait = $t0 + $i / $rate - time;
					sleep($wait) if $wait > 0;
					my $m = $mail[$i % @mail];
					my $tok = "$way$i";
					$m =~ s/^Message-ID:\s*</Message-ID: <$tok./mi;
					my ($from) = $m =~ /^From:.*<([^>]+)>/mi;
					$c->mail($from // "") or die "MAIL: " . $c->message;
					$c->to($to) or die "RCPT: " . $c->message;
					$c->data($m) or die "DATA: " . $c->message;
					syswrite(STDOUT, sprintf("%s %.6f\n", $tok, time));
				}
				$c->quit;
				exit 0;
			}
			push @kids, $pid;
		}
		waitpid($_, 0) for @kids;' "$1" "$STREAM" 4 "$W/demo" \
	    "$MS_SMTP_PORT" "$MS_BALP_USER" "$RATE" >"$W/$1.sent"
	wait "$WATCH_PID"
	# Which mail each file is: the token in its Message-ID.
	perl -e '
		my ($way, $sent, $seen) = @ARGV;
		my (%at, %tok);
		open(my $s, "<", $sent) or die; while (<$s>) { my ($t, $x) = split; $at{$t} = $x }
		open(my $f, "<", $seen) or die;
		my ($first, $last, $n) = (0, 0, 0);
		while (<$f>) {
			my ($time, $dir, $base) = split;
			my ($path) = (glob("$dir/new/$base*"), glob("$dir/cur/$base*"));
			next unless defined $path && open(my $m, "<", $path);
			while (my $l = <$m>) {
				last if $l =~ /^\r?$/;
				if ($l =~ /^Message-ID:\s*<(\Q$way\E\d+)\./i) {
					next unless exists $at{$1};
					printf "%.1f\n", 1000 * ($time - $at{$1});
					$n++;
					$last = $time if $time > $last;
					last;
				}
			}
		}
		my ($s0) = sort { $a <=> $b } values %at;
		printf STDERR "%.0f %d\n", $n / ($last - $s0), scalar(keys %at) - $n
		    if $last > $s0;' "$1" "$W/$1.sent" "$W/$1.seen" \
	    2>"$W/$1.srate" | sort -n >"$W/$1.ms"
}

# pct FILE P: the P-th percentile of a sorted file (nearest rank)
pct() { awk -v p="$2" '{ v[NR] = $1 } END { i = int(NR * p / 100 + 0.999); if (i < 1) i = 1; print v[i] }' "$1"; }
start_balpd() {
	"$SRCDIR/build/balpd" -c "$1" 2>"$W/balpd.err" &
	BALPD_PID=$!
	wait_for "$W/balpd.err" "watching imap" 30 || {
		cat "$W/balpd.err" >&2
		exit 1
	}
}
stop_balpd() {
	kill -TERM "$BALPD_PID"
	wait "$BALPD_PID" || true
	BALPD_PID=
}
# Every way starts from empty folders: a Maildir folder costs more to
# append to as it fills (folders kept from run to run, five runs: (b)
# went 234, 214, 149, 147 msg/s while (a), whose INBOX was emptied, did
# not).  Emptied by moving the mail aside, not deleting it: ext4 without
# a journal (these VMs') skips, for each new file, every inode freed in
# the last minute, six when its table is not yet written
# (recently_deleted() in fs/ext4/ialloc.c): a way that followed the
# deletion of a run's 1,300 files paid for it in Dovecot's every file
# (perf: its imap process's CPU doubled from the first run to the
# sixth, mostly in recently_deleted).  Deleted with $W at the end.
ASIDE=0
empty_mailbox() {
	ASIDE=$((ASIDE + 1))
	for d in "$MD" $QUEUES; do
		for sub in new cur; do
			to="$W/aside/$ASIDE/${d##*/}/$sub"
			mkdir -p "$to"
			find "$d/$sub" -maxdepth 1 -type f -exec mv -t "$to" {} +
		done
	done
	doveadm -c "$STACK/dovecot/dovecot.conf" force-resync -u \
	    "$MS_BALP_USER" '*' 2>/dev/null || true
}
# one WAY: a run of it (burst, then stream) into WAY.r<run>.
one() {
	way=$1
	case $way in
	direct) folders=$MD ;;
	*) folders=$QUEUES ;;
	esac
	case $way in
	lmtp)
		sh "$MS" lmtp-route "$STACK" "$MS_BALP_USER" \
		    "lmtp:inet:127.0.0.1:$PORT"
		start_balpd "$HOME_DIR/conf/lmtp.conf"
		;;
	drain)	start_balpd "$HOME_DIR/conf/drain.conf" ;;
	esac
	b=$(burst "$way" "$folders")
	stream "$way" "$folders"
	# Mail not seen filed: say what balpd said, the figures are not
	# comparable.
	if [ "${b#* }" != 0 ] || [ "$(cut -d' ' -f2 "$W/$way.srate")" != 0 ]; then
		echo "# $way, run $r: mail not filed in time ($b)" >&2
		[ -z "$BALPD_PID" ] || grep -v ' decision ' "$W/balpd.err" |
		    tail -n 5 | sed 's/^/#   /' >&2
		grep -E 'status=(deferred|bounced)' "$MS_POSTFIX_LOG" |
		    sed 's/^.*status=/#   postfix: /' | sort | uniq -c | tail -n 5 >&2
	fi
	echo "$b $(cat "$W/$way.srate") $(pct "$W/$way.ms" 50) $(pct "$W/$way.ms" 99)" \
	    >>"$W/$way.runs"
	[ -z "$BALPD_PID" ] || stop_balpd
	if [ "$way" = lmtp ]; then
		: >"$PF/transport"
		postfix -c "$PF" reload >/dev/null 2>&1
		sleep 1
	fi
	empty_mailbox
}

# The same reason: files deleted just before (a previous benchmark's
# clean-up) would slow whichever way comes first.  Written out, an inode
# stops counting as recent after a minute.
sync
sleep 61
load0=$(cut -d' ' -f1 /proc/loadavg)
# Queue folders made once, by a first balpd, so no way pays for them.
start_balpd "$HOME_DIR/conf/drain.conf"; stop_balpd
r=1
while [ "$r" -le "$RUNS" ]; do
	for w in direct lmtp drain; do
		one "$w"
	done
	r=$((r + 1))
done

# med WAY FIELD: the median of a field over the runs.
med() { awk -v f="$2" '{ print $f }' "$W/$1.runs" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo "load average (1 min) at the start $load0, at the end $(cut -d' ' -f1 /proc/loadavg)"
echo "$(nproc) cores, Dovecot $(dovecot --version | cut -d' ' -f1), Postfix $(postconf -d -h mail_version); medians of $RUNS runs"
echo "full speed: $N mails queued by smtp-source ($SENDERS sessions), released at once, Postfix lmtp concurrency $CONCURRENCY, balpd lmtp.filers $FILERS"
echo "stream: $STREAM mails at $RATE a second; latency from Postfix's 250 to the file in its folder"
printf '  %-8s %12s %6s %12s %10s %10s %6s\n' way "full msg/s" lost "stream msg/s" "p50 ms" "p99 ms" lost
for w in direct lmtp drain; do
	printf '  %-8s %12s %6s %12s %10s %10s %6s\n' "$w" "$(med $w 1)" \
	    "$(med $w 2)" "$(med $w 3)" "$(med $w 5)" "$(med $w 6)" "$(med $w 4)"
done
printf '  lmtp / direct at full speed: %.2f\n' \
    "$(echo "$(med lmtp 1) / $(med direct 1)" | bc -l)"
for w in direct lmtp drain; do
	echo "  $w, each run: $(tr '\n' ';' <"$W/$w.runs")"
done
