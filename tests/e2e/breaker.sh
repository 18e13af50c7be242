#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The parser's breaker (docs/sandbox.md, "The breaker"): a parser that
# fails on every message stops triage instead of quarantining the inbox;
# the cause fixed, every message is decided once.  And a worker whose
# warm-up fails (libmagic's database unreadable) is a failed worker.
. "$SRCDIR/tests/tools/tap.sh"
D="$SRCDIR/build/balpd"
C="$SRCDIR/build/balpctl"

count() { ls "$1" 2>/dev/null | wc -l | tr -d ' '; }
decisions() {
	sqlite3 "$HOME_DIR/var/balp.db" "select count(*) from decisions"
}

demo_home; ok $? "a home with two partners and their annexes"
MD="$HOME_DIR/var/Maildir"
deliver_demo "$MD"

# libmagic's database gone: balpd --once refuses, naming it.
MAGIC=/nonexistent "$D" -c "$CONF" --once >"$HOME_DIR/out" 2>"$HOME_DIR/err"
status=$?
is "$status" 1 "MAGIC=/nonexistent balpd --once exits 1"
like "$(cat "$HOME_DIR/err")" "security: critical: .*libmagic's database \(/nonexistent\)" \
    "one critical line names libmagic's database"
is "$(count "$MD/new")" 14 "nothing moved: the 14 mails are in the inbox"
is "$(decisions)" 0 "nothing decided"
MAGIC=/nonexistent "$C" -c "$CONF" test "$MD"/new/*demo01* \
    >"$HOME_DIR/out" 2>"$HOME_DIR/err"
is "$?" 1 "balpctl test fails too (exit 1)"
like "$(cat "$HOME_DIR/err")" "libmagic's database" "and says why"

# A worker made to crash on every message (the sandbox's test hook).
hook="$HOME_DIR/crash"
: >"$hook"
BALP_TEST_PARSER_CRASH="$hook" "$D" -c "$CONF" --once \
    >"$HOME_DIR/out" 2>"$HOME_DIR/err"
is "$?" 1 "every parse crashing: balpd --once exits 1"
like "$(cat "$HOME_DIR/err")" "security: critical: the parser is failing: the parser fails on a known-good message too" \
    "the critical line says the parser itself fails"
is "$(grep -c 'critical' "$HOME_DIR/err")" 1 "said once"
is "$(count "$MD/new")" 14 "0 moved: every message still in the inbox"
is "$(count "$MD/.BALP.Quarantaine/new")" 0 "0 quarantined"
is "$(decisions)" 0 "0 decided"

# The daemon: the breaker opens, systemd's status says it, the cause goes,
# the retry (5 s) closes it, and every message is decided once.
sock="$HOME_DIR/notify.sock"
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
out = open(sys.argv[2], "a")
while True:
    d = s.recv(4096).decode()
    out.write(d.replace("\n", " ") + "\n")
    out.flush()
' "$sock" "$HOME_DIR/notify.log" &
listener=$!
sleep 0.3
NOTIFY_SOCKET="$sock" BALP_TEST_PARSER_CRASH="$hook" "$D" -c "$CONF" \
    2>"$HOME_DIR/daemon.err" &
pid=$!
wait_for "$HOME_DIR/daemon.err" "security: critical" 20
ok $? "the watcher opens the breaker"
# The zygote is the program balp-parser, executed: a fresh image, not a
# copy of balpd's memory; its workers are its children.
zy=""
for c in $(pgrep -P $pid); do
	case "$(readlink "/proc/$c/exe")" in
	*/balp-parser) zy=$c ;;
	esac
done
ok "$([ -n "$zy" ]; echo $?)" "balpd's child is the program balp-parser"
ok "$([ "$(pgrep -P "$zy" | wc -l)" -ge 1 ]; echo $?)" \
    "with workers ready ahead of need, its children"
"$SRCDIR/build/balp-parser" >/dev/null 2>&1
is "$?" 2 "balp-parser run by hand refuses"
wait_for "$HOME_DIR/notify.log" "STATUS=Triage paused: " 5
ok $? "systemd's status says triage is paused"
is "$(decisions)" 0 "nothing decided while open"
is "$(count "$MD/new")" 14 "the mails wait in the inbox"
rm -f "$hook"
wait_for "$HOME_DIR/daemon.err" "the parser works again" 30
ok $? "the cause gone, a retry closes the breaker"
i=0
while [ $i -lt 100 ] && [ "$(count "$MD/new")" -ne 0 ]; do
	sleep 0.1
	i=$((i + 1))
done
is "$(count "$MD/new")" 0 "every mail is filed"
is "$(decisions)" 14 "each decided once"
is "$(count "$MD/.BALP.Quarantaine/new")" 3 \
    "quarantined as without the failure (3), none for the parser's sake"
like "$(cat "$HOME_DIR/notify.log")" "STATUS=Triaging" "the status says so"
kill -TERM $pid
wait $pid
is "$?" 0 "balpd stops cleanly"
kill $listener 2>/dev/null
wait $listener 2>/dev/null
rm -rf "$HOME_DIR"
done_testing
