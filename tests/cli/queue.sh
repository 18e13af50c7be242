#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# balpctl queue status: the counts per queue against the store and the
# Maildir, ages in working days (a public holiday is not one), the SLA and
# its per-queue override, the exit status a cron job alerts on, a release
# moving a message, a retriage taking it out until it is decided again,
# and --json.
. "$SRCDIR/tests/tools/tap.sh"
B="$SRCDIR/build/balpctl"
D="$SRCDIR/build/balpd"

demo_home; ok $? "a home with two partners and their annexes"
MD="$HOME_DIR/var/Maildir"
deliver_demo "$MD"
"$D" -c "$CONF" --once >/dev/null 2>&1; ok $? "the demo mails are triaged"
q() { sqlite3 "$HOME_DIR/var/balp.db" "$1"; }
status() { "$B" -c "$CONF" queue status "$@"; }
# field JSON QUEUE KEY: one queue's value in a --json output.
field() {
	printf '%s' "$1" | python3 -c 'import json, sys
d = json.load(sys.stdin)
v = [x for x in d["queues"] if x["queue"] == sys.argv[1]][0][sys.argv[2]]
print("null" if v is None else str(v).lower() if isinstance(v, bool) else v)' "$2" "$3"
}
# The count a queue's table row shows.
waiting() { printf '%s\n' "$1" | awk -v q="$2" '$1 == q { print $2 }'; }
files() { ls "$MD/.$(echo "$1" | tr / .)/new" "$MD/.$(echo "$1" | tr / .)/cur" | grep -c '^[0-9]'; }
QUEUES="BALP/RIB BALP/Suspension BALP/Blocage BALP/Rejets BALP/Quarantaine"

# ---- the counts -----------------------------------------------------------
out=$(status); is $? 0 "queue status: nothing overdue on the day of arrival"
for qn in $QUEUES; do
	is "$(waiting "$out" "$qn")" "$(q "select count(*) from decisions where queue = '$qn'")" \
	    "$qn: the count of its decisions"
	is "$(waiting "$out" "$qn")" "$(files "$qn")" "$qn: the count of its folder"
done
total=$(q "select count(*) from decisions")
like "$out" "as of [0-9-]+: $total waiting, 0 over their SLA" "the total"
like "$out" "QUEUE +WAITING +OLDEST SINCE +AGE \(WORKING DAYS\) +AGE \(DAYS\) +SLA \(WORKING DAYS\) +OVERDUE" \
    "the table's head"
unlike "$out" "185057800608491|1 85 05|DUPONT|Dupont|@|apeai" "no NIR, name, sender or partner"

json=$(status --json); is $? 0 "queue status --json"
printf '%s' "$json" | python3 -m json.tool >/dev/null; ok $? "is valid JSON"
is "$(field "$json" BALP/Rejets waiting)" "$(q "select count(*) from decisions where queue = 'BALP/Rejets'")" \
    "--json counts as the store does"
is "$(field "$json" BALP/RIB sla_working_days)" 10 "the default SLA: 10 working days"
is "$(field "$json" BALP/RIB in_rules)" true "a queue of the rules"
unlike "$json" "185057800608491|1 85 05|DUPONT|Dupont|@|apeai" "--json: no NIR, name, sender or partner"

# ---- the mailbox beside the store --------------------------------------------
for qn in $QUEUES; do
	is "$(field "$json" "$qn" in_mailbox)" "$(files "$qn")" "$qn: the mailbox holds what the folder holds"
done
like "$(status)" "OVERDUE +IN MAILBOX" "the table shows the mailbox's count"
rej=$(files BALP/Rejets)
gone=$(ls "$MD/.BALP.Rejets/new" | head -n 1)
mv "$MD/.BALP.Rejets/new/$gone" "$HOME_DIR/answered.eml"
json=$(status --json)
is "$(field "$json" BALP/Rejets waiting)/$(field "$json" BALP/Rejets in_mailbox)" \
    "$(q "select count(*) from decisions where queue = 'BALP/Rejets'")/$((rej - 1))" \
    "a message an agent took out: still waiting by the store, one less in the mailbox"
mv "$HOME_DIR/answered.eml" "$MD/.BALP.Rejets/new/$gone"

# ---- ages and the SLA -----------------------------------------------------
# The local day the demo mails were decided, and that day plus N days.
first=$(date -d "$(q "select min(decided_at) from decisions")" +%F)
plus() { date -d "$first + $1 days" +%F; }
out=$(status --now "$(plus 14)"); is $? 0 "two weeks later: at most 10 working days, none over"
like "$out" "0 over their SLA" "says so"
json=$(status --json --now "$(plus 21)"); is $? 1 "three weeks later: exit 1"
printf '%s' "$json" | python3 -m json.tool >/dev/null; ok $? "valid JSON when overdue"
is "$(field "$json" BALP/Rejets overdue)" "$(field "$json" BALP/Rejets waiting)" \
    "every message of the rejects is over the SLA"
is "$(field "$json" BALP/RIB oldest_days)" 21 "the oldest's age in calendar days"
wd=$(field "$json" BALP/RIB oldest_working_days)
ok "$([ "$wd" -gt 10 ] && [ "$wd" -le 15 ]; echo $?)" "and in working days ($wd)"
is "$(field "$json" BALP/RIB overdue_ids)" "[$(q "select id from decisions where queue = 'BALP/RIB'")]" \
    "the overdue decision's id"
out=$(status --now "$(plus 21)"); is $? 1 "the table too exits 1"
like "$out" "BALP/RIB: 1 over 10 working days: decision [0-9]+" "naming the overdue decisions"
like "$out" "as of $(plus 21): $total waiting, $total over their SLA" "with the totals"

# A message decided on Thursday 30 April 2026: on Friday 15 May it has
# waited 15 days but 8 working days (1 May, 8 May and Ascension are off).
rib=$(q "select id from decisions where queue = 'BALP/RIB'")
q "update decisions set decided_at = '2026-04-30T08:00:00Z' where id = $rib"
json=$(status --json --now 2026-05-15)
is "$(field "$json" BALP/RIB oldest_days)" 15 "30 April to 15 May: 15 days"
is "$(field "$json" BALP/RIB oldest_working_days)" 8 "but 8 working days"
is "$(field "$json" BALP/RIB overdue)" 0 "not over 10"
is "$(field "$json" BALP/RIB oldest_since)" 2026-04-30 "since 30 April"
json=$(status --json --now 2026-05-18)
is "$(field "$json" BALP/RIB oldest_working_days)" 9 "a weekend later, 9"
json=$(status --json --now 2026-05-20)
is "$(field "$json" BALP/RIB overdue)" 1 "11 on 20 May: overdue"
q "update decisions set decided_at = (select decided_at from decisions where id <> $rib limit 1) where id = $rib"

# ---- a queue's own SLA ------------------------------------------------------
cat >>"$CONF" <<'EOF'
sla = {
	per_queue = (
		{ queue = "BALP/RIB"; working_days = 20; },
		{ queue = "BALP/Rejets"; working_days = 0; }
	);
};
EOF
json=$(status --json --now "$(plus 21)"); is $? 1 "with per_queue: still overdue elsewhere"
is "$(field "$json" BALP/RIB sla_working_days)" 20 "BALP/RIB has its own SLA"
is "$(field "$json" BALP/RIB overdue)" 0 "under which it is not overdue"
is "$(field "$json" BALP/Rejets sla_working_days)" null "the rejects have no deadline"
is "$(field "$json" BALP/Rejets overdue)" 0 "so nothing of theirs is overdue"
is "$(field "$json" BALP/Suspension overdue)" 1 "the others keep the default"
like "$(status --now "$(plus 21)")" "BALP/Rejets +[0-9]+ .* none +0" "the table says none"
sed -i 's#queue = "BALP/RIB"; working_days = 20#queue = "BALP/RIBS"; working_days = 20#' "$CONF"
err=$(status 2>&1); is $? 2 "a per_queue naming no queue of the rules is refused"
like "$err" "balp.conf:[0-9]+: sla.per_queue: 'BALP/RIBS' is none of the rules' queues" \
    "at file:line"
sed -i 's#"BALP/RIBS"; working_days = 20#"BALP/Suspension"; working_days = 30#' "$CONF"
status --now "$(plus 21)" >/dev/null; is $? 1 "RIB, back on the default, is overdue again"

# ---- a release moves the count ---------------------------------------------
before_q=$(waiting "$(status)" BALP/Quarantaine)
before_r=$(waiting "$(status)" BALP/RIB)
spoof=$(q "select id from decisions where source_ref like '%demo10.usurpation'")
"$B" -c "$CONF" message release "$spoof" --to BALP/RIB --reason "vérifié" >/dev/null
ok $? "release a quarantined message to BALP/RIB"
out=$(status)
is "$(waiting "$out" BALP/Quarantaine)" "$((before_q - 1))" "one less in quarantine"
is "$(waiting "$out" BALP/RIB)" "$((before_r + 1))" "one more in BALP/RIB"
is "$(waiting "$out" BALP/RIB)" "$(files BALP/RIB)" "as in the folder"
json=$(status --json --now "$(plus 21)")
like "$(field "$json" BALP/RIB overdue_ids)" "$spoof" "its wait counts in its new queue"

# ---- a retriage takes it out until it is decided again ----------------------
rej=$(q "select id from decisions where source_ref like '%demo05.apeai-nir-faux'")
before=$(waiting "$(status)" BALP/Rejets)
"$B" -c "$CONF" message retriage "$rej" --reason "NIR corrigé" >/dev/null
ok $? "retriage a rejected message"
out=$(status)
is "$(waiting "$out" BALP/Rejets)" "$((before - 1))" "out of the rejects while in the inbox"
like "$out" "as of [0-9-]+: $((total - 1)) waiting" "and out of every queue"
"$D" -c "$CONF" --once >/dev/null 2>&1; ok $? "the next pass decides it again"
new=$(q "select id from decisions where supersedes = $rej")
is "$(q "select queue from decisions where id = $new")" BALP/Rejets "rejected again"
out=$(status)
is "$(waiting "$out" BALP/Rejets)" "$before" "counted once: the new decision, not the old"
is "$(waiting "$out" BALP/Rejets)" "$(files BALP/Rejets)" "as in the folder"
json=$(status --json)
for qn in $QUEUES; do
	is "$(field "$json" "$qn" waiting)" "$(q "select count(*) from decisions d where coalesce((select to_queue from releases r where r.decision_id = d.id order by r.id desc limit 1), d.queue) = '$qn' and not exists (select 1 from decisions s where s.supersedes = d.id)")" \
	    "$qn: as the current decisions and their releases say"
done

# ---- a queue the rules no longer name ---------------------------------------
q "update decisions set queue = 'BALP/Ancienne' where id = (select min(id) from decisions where queue = 'BALP/Blocage')"
out=$(status)
like "$out" "BALP/Ancienne \* +1 " "a queue renamed since is still shown"
like "$out" "not a queue of the rules" "with a note"
is "$(field "$(status --json)" BALP/Ancienne in_rules)" false "--json says so"

# ---- usage --------------------------------------------------------------------
"$B" -c "$CONF" queue >/dev/null 2>&1; is $? 2 "queue without status is a usage error"
"$B" -c "$CONF" queue status extra >/dev/null 2>&1; is $? 2 "so is an argument"
err=$("$B" -c "$CONF" queue status --now demain 2>&1); is $? 2 "and a bad --now"
like "$err" "--now: 'demain' is not a date" "saying so"
like "$("$B" help)" "queue status \[--json\] \[--now YYYY-MM-DD\]" "in the usage"

rm -rf "$HOME_DIR"
done_testing
