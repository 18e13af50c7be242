#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# balpd under systemd's Type=notify (issue 12): READY=1 once it watches,
# WATCHDOG=1 at half of WATCHDOG_USEC, RELOADING=1 then READY=1 around a
# SIGHUP, STOPPING=1 on SIGTERM.  systemd's side is a python3 AF_UNIX
# datagram socket that writes each message it gets, one per line.
. "$SRCDIR/tests/tools/tap.sh"
D="$SRCDIR/build/balpd"

if ! command -v python3 >/dev/null 2>&1; then
	echo "1..0 # SKIP python3 is missing (the NOTIFY_SOCKET listener)"
	exit 0
fi

# listen SOCK OUT SECONDS: systemd's side, each message a line of OUT,
# until STOPPING=1 or SECONDS without a message.
listen() {
	python3 - "$1" "$2" "$3" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(float(sys.argv[3]))
with open(sys.argv[2], "a") as out:
    try:
        while True:
            m = s.recv(4096).decode()
            out.write(m.replace("\n", " ").strip() + "\n")
            out.flush()
            if "STOPPING=1" in m:
                break
    except socket.timeout:
        pass
EOF
}
# wait_sock SOCK: until the listener is bound.
wait_sock() {
	t=0
	while [ ! -S "$1" ] && [ $t -lt 50 ]; do sleep 0.1; t=$((t + 1)); done
	[ -S "$1" ]
}

demo_home; ok $? "a home with two partners and their annexes"
SOCK="$HOME_DIR/notify.sock"
OUT="$HOME_DIR/notify.out"
: >"$OUT"
listen "$SOCK" "$OUT" 30 &
LISTENER=$!
wait_sock "$SOCK"; ok $? "the notify socket listens"

deliver_demo "$HOME_DIR/var/Maildir"
NOTIFY_SOCKET="$SOCK" WATCHDOG_USEC=2000000 "$D" -c "$CONF" \
    2>"$HOME_DIR/balpd.err" &
PID=$!
wait_for "$OUT" "^READY=1" 10; ok $? "READY=1 arrives"
wait_for "$HOME_DIR/balpd.err" "watching maildir" 5
ok $? "after balpd opened its store and source and started watching"
# Half of 2 s: one WATCHDOG=1 within about a second, two within ~2 s.
wait_for "$OUT" "^WATCHDOG=1" 3; ok $? "WATCHDOG=1 arrives with WATCHDOG_USEC set"
sleep 2
w=$(grep -c '^WATCHDOG=1' "$OUT")
ok "$([ "$w" -ge 2 ]; echo $?)" "and again at half the period ($w in ~2 s)"
kill -HUP $PID
wait_for "$OUT" "^RELOADING=1" 5; ok $? "SIGHUP: RELOADING=1"
wait_for "$HOME_DIR/balpd.err" "configuration reloaded" 5
like "$(sed -n '/^RELOADING=1/,$p' "$OUT" | tail -n +2)" "READY=1" \
    "then READY=1 once reloaded"
unlike "$(cat "$OUT")" "STOPPING=1" "no STOPPING=1 while it runs"
kill -TERM $PID
wait $PID; ok $? "SIGTERM: balpd exits 0"
wait_for "$OUT" "^STOPPING=1" 5; ok $? "STOPPING=1 arrives"
wait $LISTENER
is "$(ls "$HOME_DIR/var/Maildir/new" | wc -l)" 0 "the demo mails were triaged meanwhile"

# Without WATCHDOG_USEC: no watchdog message.
: >"$OUT"
listen "$SOCK.2" "$OUT" 30 &
LISTENER=$!
wait_sock "$SOCK.2"
NOTIFY_SOCKET="$SOCK.2" "$D" -c "$CONF" 2>/dev/null &
PID=$!
wait_for "$OUT" "^READY=1" 10; ok $? "without the watchdog: READY=1"
sleep 1.5
kill -TERM $PID
wait $PID
wait_for "$OUT" "^STOPPING=1" 5; ok $? "STOPPING=1"
unlike "$(cat "$OUT")" "WATCHDOG=1" "and no WATCHDOG=1"
wait $LISTENER

# --once is no service: nothing is said to systemd.
: >"$OUT"
listen "$SOCK.3" "$OUT" 2 &
LISTENER=$!
wait_sock "$SOCK.3"
deliver_demo "$HOME_DIR/var/Maildir"
NOTIFY_SOCKET="$SOCK.3" WATCHDOG_USEC=2000000 "$D" -c "$CONF" --once \
    >/dev/null 2>&1
ok $? "balpd --once with NOTIFY_SOCKET set"
wait $LISTENER
is "$(cat "$OUT")" "" "says nothing to systemd"

# A long first pass (a backlog of 4,000 mails, a fresh worker each) under
# a short watchdog: fed after each message when due, never silent for
# WatchdogSec (1 s) while the pass runs.  The listener stamps each message.
OUT="$HOME_DIR/wd.out"
: >"$OUT"
python3 - "$SOCK.4" "$OUT" <<'EOF2' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(60)
with open(sys.argv[2], "a") as out:
    try:
        while True:
            m = s.recv(4096).decode()
            out.write("%.3f %s\n" % (time.time(), m.replace("\n", " ").strip()))
            out.flush()
            if "STOPPING=1" in m:
                break
    except socket.timeout:
        pass
EOF2
LISTENER=$!
wait_sock "$SOCK.4"
fill "$HOME_DIR/var/Maildir" 4000 wd
# WatchdogSec 1 s: the pass of 4,000 mails takes some 2 s on a quiet
# machine (1.9 s seen), so it outlasts it by a margin however fast.
WD_USEC=1000000
NOTIFY_SOCKET="$SOCK.4" WATCHDOG_USEC=$WD_USEC "$D" -c "$CONF" 2>/dev/null &
PID=$!
wait_for "$OUT" " READY=1" 10; ok $? "a backlog of 4000: READY=1 before the pass"
t=0
while [ "$(ls "$HOME_DIR/var/Maildir/new" | wc -l)" -gt 0 ] && [ $t -lt 1200 ]; do
	sleep 0.1
	t=$((t + 1))
done
end=$(date +%s.%N)
kill -TERM $PID
wait $PID
wait $LISTENER
is "$(ls "$HOME_DIR/var/Maildir/new" | wc -l)" 0 "the backlog is triaged"
# From READY=1 to the end of the pass: the longest silence, and the pass.
gaps=$(awk -v end="$end" '
	/ READY=1/ && !start { start = $1; last = $1 }
	start && / WATCHDOG=1/ && $1 <= end { if ($1 - last > max) max = $1 - last; last = $1 }
	END { if (end - last > max) max = end - last; printf "%.3f %.3f\n", max, end - start }' "$OUT")
pass=${gaps#* }
gap=${gaps% *}
[ "$(echo "$pass > $WD_USEC / 1000000" | bc)" = 1 ]
ok $? "the pass outlasts WatchdogSec (${pass} s)"
[ "$(echo "$gap < $WD_USEC / 1000000" | bc)" = 1 ]
ok $? "the watchdog is fed all along: longest silence ${gap} s < WatchdogSec"

rm -rf "$HOME_DIR"
done_testing
