#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Secrets held only while used (issue 17, point 2; docs/sandbox.md,
# "Secrets"): while balpd works through a backlog, in Maildir and in IMAP
# mode (a real Dovecot and Postfix, tests/tools/mailstack.sh), the memory
# of every process below balpd (parser workers, and the lead's zygote and
# its workers when they come; the notifier) is read through /proc/PID/mem
# and searched for the audit key, the pseudonym key, the IMAP and the
# SMTP passwords, as raw bytes and as hex (tests/tools/memscan.py), and
# for the SMTP password as AUTH PLAIN sends it (base64).
#
# What is asserted, precisely:
# - a worker (any descendant but the notifier), read during and after the
#   backlog, holds none of the four;
# - the notifier, read while it waits between two rounds (stopped inside
#   its ppoll), holds none: it reads the audit key per transaction and the
#   SMTP password per session;
# - balpd, read while it waits for mail (stopped inside its poll) after
#   the backlog, holds none: the keys are read per batch and the IMAP
#   password per login, each wiped after;
# - balpd and its notifier are not dumpable: run as another user, their
#   /proc/PID/mem belongs to root and that user cannot read it.
# A secret in use during a transaction or a login is not looked for: the
# scans of balpd and the notifier are made while they wait.
. "$SRCDIR/tests/tools/tap.sh"
D="$SRCDIR/build/balpd"
MS="$SRCDIR/tests/tools/mailstack.sh"
SCAN="$SRCDIR/tests/tools/memscan.py"
N=300

[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root (/proc/PID/mem)"; exit 0; }
STACK=$(mktemp -d /tmp/ms.XXXXXX)
BPID=
cleanup() {
	[ -n "$BPID" ] && kill -CONT "$BPID" 2>/dev/null
	[ -n "$BPID" ] && kill -TERM "$BPID" 2>/dev/null && wait "$BPID"
	sh "$MS" stop "$STACK" >/dev/null 2>&1
	rm -rf "$STACK" "${HOME_DIR:-/nonexistent}"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
stack_start "$STACK"

hex() { od -An -tx1 | tr -d ' \n'; }

demo_home; ok $? "a home with two partners and their annexes"
cp "$MS_NOTICES_PASS_FILE" "$HOME_DIR/conf/notices.pass"
cp "$MS_BALP_PASS_FILE" "$HOME_DIR/var/imap.pass"
chmod 600 "$HOME_DIR/conf/notices.pass" "$HOME_DIR/var/imap.pass"
# Every rejection's notice goes (no hourly cap in the way): the notifier
# authenticates in each run.
sed -i 's/max_per_sender_hour = 10;/max_per_sender_hour = 10000;/' "$CONF"
cat >>"$CONF" <<EOC
smtp = {
	host = "localhost";
	port = $MS_SUBMIT_PORT;
	tls = "starttls";
	user = "$MS_NOTICES_USER";
	password_file = "notices.pass";
	ca_file = "$MS_CA";
};
EOC
SECRETS="audit-key=$(tr -d '\n' <"$HOME_DIR/var/audit.key")
pseudonym-key=$(tr -d '\n' <"$HOME_DIR/var/pseudonym.key")
imap-password=$(hex <"$HOME_DIR/var/imap.pass")
smtp-password=$(hex <"$HOME_DIR/conf/notices.pass")
smtp-auth-plain=$({ printf '\0%s\0' "$MS_NOTICES_USER"; cat "$HOME_DIR/conf/notices.pass"; } |
    base64 -w 0 | hex)"

# frozen_scan PID "SYSCALLS" [memscan options...]: stops PID once it waits
# in one of those system calls (its idle wait; 219, restart_syscall, is a
# poll resumed after an earlier stop), scans, lets it go.  Sets out, st.
frozen_scan() {
	fpid=$1 nr=$2
	shift 2
	i=0
	while :; do
		kill -STOP "$fpid"
		case " $nr " in
		*" $(cut -d' ' -f1 "/proc/$fpid/syscall" 2>/dev/null) "*)
			break ;;
		esac
		kill -CONT "$fpid"
		i=$((i + 1))
		[ "$i" -lt 100 ] || {
			out="never idle: $(cat "/proc/$fpid/syscall" 2>&1)"
			st=2
			return
		}
		sleep 0.1
	done
	# shellcheck disable=SC2086
	out=$(python3 "$SCAN" "$@" $SECRETS); st=$?
	kill -CONT "$fpid"
}

# sent: notices the notifier has sent so far.
sent() {
	sqlite3 "$HOME_DIR/var/balp.db" \
	    "select count(*) from outbox where status = 'sent'"
}

# wait_decided N SECONDS: until the store holds N decisions (0) or not (1).
wait_decided() {
	t=0
	while [ "$(sqlite3 "$HOME_DIR/var/balp.db" \
	    "select count(*) from decisions")" -lt "$1" ]; do
		t=$((t + 1))
		[ "$t" -lt $(($2 * 10)) ] || return 1
		sleep 0.1
	done
}

# run_backlog NAME CONF REMAINING_CMD DECISIONS: balpd in watch mode through a
# backlog, its workers scanned meanwhile and after; then the idle checks.
run_backlog() {
	name=$1 conf=$2 remaining=$3 want=$4
	sent0=$(sent)
	"$D" -c "$conf" 2>"$HOME_DIR/$name.err" &
	BPID=$!
	wait_for "$HOME_DIR/$name.err" "notifier started \(pid [0-9]+\)" 20
	ok $? "$name: balpd started its notifier"
	NPID=$(sed -n 's/.*notifier started (pid \([0-9]*\)).*/\1/p' \
	    "$HOME_DIR/$name.err" | head -n 1)
	# shellcheck disable=SC2086
	o=$(python3 "$SCAN" --except "${NPID:-0}" --while \
	    "[ \$($remaining) -gt 0 ]" "$BPID" $SECRETS)
	found=$(printf '%s\n' "$o" | grep '^found')
	workers=$(printf '%s\n' "$o" | sed -n 's/^scanned \([0-9]*\).*/\1/p')
	scans=$(printf '%s\n' "$o" | sed -n 's/^rounds //p')
	wait_decided "$want" 60
	# After the backlog: the workers once more, then balpd and the
	# notifier each while it waits.
	sqlite3 "$HOME_DIR/var/balp.db" "select count(*) from decisions" \
	    >"$HOME_DIR/$name.count"
	# shellcheck disable=SC2086
	o=$(python3 "$SCAN" --except "${NPID:-0}" "$BPID" $SECRETS)
	found="$found$(printf '%s\n' "$o" | grep '^found' | sed 's/^/\n/')"
	workers="$workers $(printf '%s\n' "$o" | sed -n 's/^scanned \([0-9]*\).*/\1/p')"
	# shellcheck disable=SC2086
	nw=$(printf '%s\n' $workers | sort -u | grep -c .)
	ok "$([ "$nw" -ge 1 ]; echo $?)" "$name: $nw worker(s) read, $scans scans during the backlog"
	is "$found" "" "$name: no worker holds a key or a password, raw or hex"
	frozen_scan "$BPID" "7 219" --self --only "$BPID" "$BPID"
	is "$st" 0 "$name: balpd waiting for mail holds no key nor password"
	[ "$st" -eq 0 ] || printf '%s\n' "$out" | grep -v '^scanned' | sed 's/^/# /'
	# The notifier has used the SMTP password (AUTH) for this backlog.
	t=0
	while [ "$(sent)" -le "$sent0" ] && [ "$t" -lt 300 ]; do
		sleep 0.1
		t=$((t + 1))
	done
	ok "$([ "$(sent)" -gt "$sent0" ]; echo $?)" \
	    "$name: the notifier sent notices through the relay (AUTH)"
	# What the notifier inherits: none of balpd's descriptors (its lock,
	# its inbox watch, the IMAP session's eventfd and timerfd) but stdin,
	# stdout, stderr and the pipe that wakes it; the store, the relay's
	# socket and a signalfd it opens itself (balpd's main).
	fds=$(ls -l "/proc/$NPID/fd" | sed -n 's/.* -> //p' | tr '\n' ' ')
	unlike "$fds" "\.lock|inotify|eventfd|timerfd" \
	    "$name: the notifier holds none of balpd's descriptors ($fds)"
	frozen_scan "$NPID" "271 219" --self --only "$NPID" "$NPID"
	is "$st" 0 "$name: the notifier between rounds holds no key nor password"
	[ "$st" -eq 0 ] || printf '%s\n' "$out" | grep -v '^scanned' | sed 's/^/# /'
	kill -TERM "$BPID"
	wait "$BPID"
	ok $? "$name: balpd stops on SIGTERM"
	BPID=
}

# ---- Maildir --------------------------------------------------------------
MD="$HOME_DIR/var/Maildir"
export MD
fill "$MD" "$N" bk
run_backlog maildir "$CONF" 'ls "$MD/new" | wc -l' "$N"
is "$(cat "$HOME_DIR/maildir.count")" "$N" "maildir: every mail of the backlog decided"

# ---- IMAP -----------------------------------------------------------------
sed -e "s#\"imap.caf.test\"#\"localhost\"#" \
    -e "s#port = 993#port = $MS_IMAPS_PORT#" \
    -e "s#/etc/ssl/certs/caf-ca.pem#$MS_CA#" \
    -e 's/^notices = {/notices = {\n\tmax_per_sender_hour = 10000;/' \
    "$SRCDIR/conf/balp-imap.conf" >"$HOME_DIR/conf/imap.conf"
cat >>"$HOME_DIR/conf/imap.conf" <<EOC
smtp = {
	host = "localhost";
	port = $MS_SUBMIT_PORT;
	tls = "starttls";
	user = "$MS_NOTICES_USER";
	password_file = "notices.pass";
	ca_file = "$MS_CA";
};
EOC
BOX="$MS_MAILDIR_ROOT/balp/Maildir"
export BOX
mkdir -p "$HOME_DIR/spool/tmp" "$HOME_DIR/spool/new"
fill "$HOME_DIR/spool" "$N" imapbk
# Delivered straight into Dovecot's Maildir (of its mail user): faster
# than through Postfix, and the same to the IMAP client.
mkdir -p "$BOX/new" "$BOX/cur" "$BOX/tmp"
chown -R mail:mail "$MS_MAILDIR_ROOT/balp"
chown -R mail:mail "$HOME_DIR/spool"
mv "$HOME_DIR/spool/new/"* "$BOX/new/"
run_backlog imap "$HOME_DIR/conf/imap.conf" \
    'find "$BOX/new" "$BOX/cur" -type f | wc -l' $((2 * N))
is "$(cat "$HOME_DIR/imap.count")" $((2 * N)) \
    "imap: every mail of the backlog decided"

# ---- not dumpable ---------------------------------------------------------
chown -R nobody "$HOME_DIR"
chmod 755 "$HOME_DIR"
setpriv --reuid=nobody --regid=nogroup --clear-groups \
    "$D" -c "$CONF" 2>"$HOME_DIR/nobody.err" &
BPID=$!
wait_for "$HOME_DIR/nobody.err" "notifier started \(pid [0-9]+\)" 20
NPID=$(sed -n 's/.*notifier started (pid \([0-9]*\)).*/\1/p' \
    "$HOME_DIR/nobody.err" | head -n 1)
for p in "$BPID:balpd" "$NPID:the notifier"; do
	is "$(stat -c %U "/proc/${p%%:*}/mem")" root \
	    "${p#*:} run as nobody: its /proc/PID/mem belongs to root"
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    head -c 1 "/proc/${p%%:*}/environ" >/dev/null 2>&1
	ok "$([ $? -ne 0 ]; echo $?)" "${p#*:}: nobody cannot read its memory nor environment"
done
kill -TERM "$BPID"
wait "$BPID"
BPID=

done_testing
