#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# lmtp.sh - issue 19: what taking mail at delivery time costs, in one run,
# on the same private Postfix + Dovecot (tests/tools/mailstack.sh) and the
# same corpus, three ways:
#   direct  Postfix -> Dovecot's LMTP -> INBOX (the delivery without balp)
#   lmtp    Postfix -> balpd's LMTP -> decided, APPENDed into BALP/* over
#           STARTTLS (the shipped IMAP configuration, certificate checked)
#   drain   Postfix -> Dovecot's LMTP -> INBOX -> balpd in IDLE -> BALP/*
#
#   sh tests/bench/lmtp.sh [MESSAGES] [SENDERS]     (defaults 500, 4)
#
# Per way, MESSAGES mails (the 14 demo partner mails in turn, each with its
# own Message-ID) are sent through Postfix's SMTP port by SENDERS perl
# processes at once (Net::SMTP, one session each, as fast as Postfix takes
# them); one more process polls the folders on disk every 2 ms and notes
# when each mail's file appears (matched by a token in its Message-ID).
# Reported: messages per second (from the first 250 to the last file
# seen) and the arrival-to-filed latency (Postfix's 250 to the end of
# DATA, to the file in its folder), p50 and p99.
#
# A benchmark, not a test: quote the figures of one run side by side.
set -eu
SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck disable=SC1091
. "$SRCDIR/tests/tools/tap.sh" >/dev/null
N=${1:-500}
SENDERS=${2:-4}
MS="$SRCDIR/tests/tools/mailstack.sh"
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
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

demo_home >/dev/null
cp "$MS_BALP_PASS_FILE" "$HOME_DIR/var/imap.pass"
chmod 600 "$HOME_DIR/var/imap.pass"
sed -e "s#\"imap.caf.test\"#\"localhost\"#" \
    -e "s#port = 993#port = $MS_IMAP_PORT#" \
    -e "s#tls = \"imaps\"#tls = \"starttls\"#" \
    -e "s#/etc/ssl/certs/caf-ca.pem#$MS_CA#" \
    "$SRCDIR/conf/balp-imap.conf" >"$HOME_DIR/conf/drain.conf"
cp "$HOME_DIR/conf/drain.conf" "$HOME_DIR/conf/lmtp.conf"
echo "lmtp = { listen = \"127.0.0.1:$PORT\"; recipients = [ \"$MS_BALP_USER\" ]; max_sessions = 32; };" \
    >>"$HOME_DIR/conf/lmtp.conf"
recent=$(date -d '7 days ago' +%d/%m/%Y)
mkdir -p "$W/demo"
for f in "$SRCDIR"/tests/data/demo/Maildir/new/*; do
	sed "s#{{RECENT}}#$recent#g" "$f" >"$W/demo/$(basename "$f")"
done

# run WAY FOLDERS: sends the corpus, prints "token sent seen" per mail.
run() {
	perl -MNet::SMTP -MTime::HiRes=time,sleep -e '
		my ($way, $n, $k, $demo, $md, $port, $to, $folders) = @ARGV;
		opendir(my $d, $demo) or die "$demo: $!";
		my @src = sort grep { !/^\./ } readdir $d;
		my @mail = map {
			open(my $fh, "<", "$demo/$_") or die "$!"; local $/; <$fh>
		} @src;
		pipe(my $rd, my $wr) or die "pipe: $!";
		my @kids;
		for my $s (0 .. $k - 1) {
			my $pid = fork // die "fork: $!";
			if ($pid == 0) {
				close $rd;
				my $c = Net::SMTP->new("127.0.0.1", Port => $port,
				    Timeout => 60) or die "SMTP: $@";
				for (my $i = $s; $i < $n; $i += $k) {
					my $m = $mail[$i % @mail];
					my $tok = "$way$i";
					$m =~ s/^Message-ID:\s*</Message-ID: <$tok./mi;
					my ($from) = $m =~ /^From:.*<([^>]+)>/mi;
					$c->mail($from // "") or die "MAIL: " . $c->message;
					$c->to($to) or die "RCPT: " . $c->message;
					$c->data($m) or die "DATA: " . $c->message;
					syswrite($wr, sprintf("%s %.6f\n", $tok, time));
				}
				$c->quit;
				exit 0;
			}
			push @kids, $pid;
		}
		close $wr;
		my (%sent, %seen, %name);
		my @dirs = map { ("$md/$_/new", "$md/$_/cur") } split / /, $folders;
		my $rin = "";
		vec($rin, fileno($rd), 1) = 1;
		my ($open, $deadline) = (1, 0);
		while (1) {
			while ($open && select(my $r = $rin, undef, undef, 0) > 0) {
				my $l = <$rd>;
				if (!defined $l) { $open = 0; $deadline = time + 120; last }
				my ($t, $at) = split " ", $l;
				$sent{$t} = $at;
			}
			my $now = time;
			for my $dir (@dirs) {
				opendir(my $dh, $dir) or next;
				for my $f (readdir $dh) {
					next if $f =~ /^\./;
					my $key = "$dir/" . (split /:/, $f)[0];
					next if exists $name{$key};
					open(my $fh, "<", "$dir/$f") or next;
					my $tok;
					while (my $l = <$fh>) {
						last if $l =~ /^\r?$/;
						$tok = $1, last if $l =~ /^Message-ID:\s*<(\Q$way\E\d+)\./i;
					}
					$name{$key} = 1;
					$seen{$tok} //= $now if defined $tok;
				}
			}
			last if !$open && keys(%seen) >= $n;
			last if !$open && time > $deadline;
			sleep 0.002;
		}
		waitpid($_, 0) for @kids;
		for my $t (sort keys %sent) {
			printf "%s %.6f %s\n", $t, $sent{$t},
			    exists $seen{$t} ? sprintf("%.6f", $seen{$t}) : "lost";
		}' "$1" "$N" "$SENDERS" "$W/demo" "$MD" "$MS_SMTP_PORT" \
	    "$MS_BALP_USER" "$2" >"$W/$1.lat"
}
QUEUES=".BALP.RIB .BALP.Suspension .BALP.Blocage .BALP.Rejets .BALP.Quarantaine"
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

load0=$(cut -d' ' -f1 /proc/loadavg)
# Queue folders made once, by a first balpd, so no way pays for them.
start_balpd "$HOME_DIR/conf/drain.conf"; stop_balpd

run direct "."

sh "$MS" lmtp-route "$STACK" "$MS_BALP_USER" "lmtp:inet:127.0.0.1:$PORT"
start_balpd "$HOME_DIR/conf/lmtp.conf"
run lmtp "$QUEUES"
stop_balpd
: >"$PF/transport"
postfix -c "$PF" reload >/dev/null 2>&1
sleep 1

start_balpd "$HOME_DIR/conf/drain.conf"
run drain "$QUEUES"
stop_balpd

# pct FILE P: the P-th percentile of a sorted file (nearest rank)
pct() { awk -v p="$2" '{ v[NR] = $1 } END { i = int(NR * p / 100 + 0.999); if (i < 1) i = 1; print v[i] }' "$1"; }
echo "load average (1 min) at the start $load0, at the end $(cut -d' ' -f1 /proc/loadavg)"
echo "$N mails (the 14 demo mails in turn), $SENDERS SMTP senders at once, $(nproc) cores, Dovecot $(dovecot --version | cut -d' ' -f1), Postfix $(postconf -d -h mail_version)"
printf '  %-8s %8s %10s %10s %8s\n' way msg/s "p50 ms" "p99 ms" lost
for w in direct lmtp drain; do
	f=$W/$w.lat
	awk '$3 != "lost" { printf "%.1f\n", 1000 * ($3 - $2) }' "$f" | sort -n >"$W/$w.ms"
	rate=$(awk '$3 != "lost" { if (!s || $2 < s) s = $2; if ($3 > e) e = $3; n++ }
	    END { if (e > s) printf "%.0f", n / (e - s); else print "-" }' "$f")
	printf '  %-8s %8s %10s %10s %8s\n' "$w" "$rate" "$(pct "$W/$w.ms" 50)" \
	    "$(pct "$W/$w.ms" 99)" "$(awk '$3 == "lost"' "$f" | wc -l)"
	echo "$rate" >"$W/$w.rate"
done
if [ "$(cat "$W/direct.rate")" != - ] && [ "$(cat "$W/lmtp.rate")" != - ]; then
	printf '  lmtp / direct: %.2f\n' "$(echo "$(cat "$W/lmtp.rate") / $(cat "$W/direct.rate")" | bc -l)"
fi
