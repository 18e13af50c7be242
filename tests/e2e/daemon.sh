#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# balpd as an operator runs it: one daemon per store, SIGTERM that does not
# wait for the backlog, SIGHUP that reloads (or keeps the old config), and
# exactly-once triage through kill -9 at random moments of group commits.
. "$SRCDIR/tests/tools/tap.sh"
B="$SRCDIR/build/balpctl"
D="$SRCDIR/build/balpd"



# Files in the queue folders, by name; the inbox.
in_queues() { find "$MD"/.BALP.* -type f -path '*/new/*' | wc -l; }
in_inbox() { find "$MD/new" "$MD/cur" -type f | wc -l; }
q() { sqlite3 "$HOME_DIR/var/balp.db" "$1"; }

# ---- one balpd per store ----------------------------------------------
demo_home; ok $? "a home with two partners and their annexes"
MD="$HOME_DIR/var/Maildir"
"$D" -c "$CONF" 2>"$HOME_DIR/first.err" &
first=$!
wait_for "$HOME_DIR/first.err" "watching" 10; ok $? "a first balpd is watching"
err=$("$D" -c "$CONF" --once 2>&1 >/dev/null); st=$?
is "$st" 1 "a second balpd on the same store exits 1"
is "$(printf '%s\n' "$err" | wc -l)" 1 "with one line"
like "$err" "another balpd \(pid $first\) is running on .*balp\.db" \
    "naming the pid that holds the store"

# ---- SIGHUP -------------------------------------------------------------
cp "$CONF" "$HOME_DIR/good.conf"
printf 'daemon = { rescan_seconds = "soon"; };\n' >>"$CONF"
kill -HUP "$first"
wait_for "$HOME_DIR/first.err" "reload refused: .*balp\.conf:[0-9]+" 10
ok $? "a bad configuration on SIGHUP is refused with file:line"
fill "$MD" 1 hup-bad
wait_for "$HOME_DIR/first.err" "queue=BALP/RIB ms=[0-9]+ file=[^ ]*hup-bad" 10
ok $? "the daemon goes on with the old configuration"
sed 's/"mx.caf.test"/"mx.other.test"/' "$HOME_DIR/good.conf" >"$CONF"
kill -HUP "$first"
wait_for "$HOME_DIR/first.err" "configuration reloaded" 10
ok $? "a good one is taken"
fill "$MD" 1 hup-good
wait_for "$HOME_DIR/first.err" "reasons=auth_failed[^ ]* queue=BALP/Quarantaine ms=[0-9]+ file=[^ ]*hup-good" 10
ok $? "and acts on the next message (its MX is no longer trusted)"
# An admin removed a queue folder: the next move creates it again.
rm -rf "$MD/.BALP.Quarantaine"
fill "$MD" 1 gone-folder
wait_for "$HOME_DIR/first.err" "queue=BALP/Quarantaine ms=[0-9]+ file=[^ ]*gone-folder" 10
ok "$(ls "$MD"/.BALP.Quarantaine/new/gone-folder.* >/dev/null 2>&1; echo $?)" \
    "a queue folder removed while balpd runs is created again"
cp "$HOME_DIR/good.conf" "$CONF"
kill -TERM "$first"
wait "$first"; is "$?" 0 "SIGTERM: the watcher exits 0"

# ---- SIGTERM with a backlog ---------------------------------------------
fill "$MD" 5000 backlog
"$D" -c "$CONF" 2>"$HOME_DIR/term.err" &
pid=$!
wait_for "$HOME_DIR/term.err" "backlog" 20
sleep 0.2
kill -TERM "$pid"
t0=$(date +%s%N)
wait "$pid"; st=$?
ms=$((($(date +%s%N) - t0) / 1000000))
is "$st" 0 "SIGTERM with thousands waiting: exit 0"
ok "$([ "$ms" -lt 2000 ]; echo $?)" "within 2 s (took $ms ms)"
left=$(in_inbox)
ok "$([ "$left" -gt 0 ]; echo $?)" "the backlog was not drained first ($left left)"
is "$(q "select count(*) from decisions where source_ref like 'backlog.%'")" \
    "$((5000 - left))" "every message moved has its decision, the rest none"
"$D" -c "$CONF" --once >/dev/null; ok $? "the next run"
is "$(in_inbox)" 0 "triages the rest"
is "$(q "select count(*) from decisions where source_ref like 'backlog.%'")" \
    5000 "one decision each"

# ---- kill -9 during group commits ---------------------------------------
# Twenty times: 2,000 more messages, balpd killed at a random moment of
# its pass (whatever it left is in the inbox for the next one).
rm -rf "$HOME_DIR"
demo_home
MD="$HOME_DIR/var/Maildir"
kills=0
i=0
while [ $i -lt 20 ]; do
	fill "$MD" 2000 "crash$i"
	"$D" -c "$CONF" --once >/dev/null 2>&1 &
	pid=$!
	ms=$(($(od -An -N2 -tu2 /dev/urandom) % 250 + 5))
	sleep "0.$(printf '%03d' "$ms")"
	kill -9 "$pid" 2>/dev/null && kills=$((kills + 1))
	wait "$pid" 2>/dev/null
	i=$((i + 1))
done
ok "$([ "$kills" -ge 10 ]; echo $?)" "balpd killed mid-pass ($kills of 20 runs)"
before=$(q "select count(*) from decisions")
ok "$([ "$before" -gt 0 ] && [ "$before" -lt 40000 ]; echo $?)" \
    "the killed runs committed part of the work ($before decisions)"
"$D" -c "$CONF" --once >/dev/null; ok $? "balpd after the kills"
is "$(in_inbox)" 0 "nothing left in the inbox"
is "$(in_queues)" 40000 "40,000 messages in the queues: none lost"
is "$(find "$MD"/.BALP.* -type f -path '*/new/*' -name '*.x.*' | wc -l)" 0 \
    "none moved twice (no name-clash copy)"
is "$(q "select count(*) || ' ' || count(distinct source_ref) from decisions")" \
    "40000 40000" "one decision row each"
misplaced=0
for row in $(q "select replace(queue, '/', '.') || '/new/' || source_ref from decisions"); do
	[ -f "$MD/.$row" ] || misplaced=$((misplaced + 1))
done
is "$misplaced" 0 "each message in the folder of its decision"
is "$(q "select count(*) from audit where action = 'decision.record'")" 40000 \
    "one audit row per decision"
out=$("$B" -c "$CONF" audit verify); ok $? "the audit chain is intact"

rm -rf "$HOME_DIR"
done_testing
