#!/bin/sh
# balpctl message show | retriage | release, end to end on the Maildir:
# the record, the file's place and the audit trail after each.
. "$SRCDIR/tests/tools/tap.sh"
B="$SRCDIR/build/balpctl"
D="$SRCDIR/build/balpd"

demo_home; ok $? "a home with two partners and their annexes"
MD="$HOME_DIR/var/Maildir"
deliver_demo "$MD"
"$D" -c "$CONF" --once >/dev/null 2>&1; ok $? "the demo mails are triaged"
q() { sqlite3 "$HOME_DIR/var/balp.db" "$1"; }
verify() { "$B" -c "$CONF" audit verify >/dev/null; ok $? "$1"; }

# ---- show ---------------------------------------------------------------
# Top-level values of a JSON object as "a|b" (null as ''), for sqlite3;
# "decision.KEY" for the nested decision.
field() {
	python3 -c '
import json, sys
doc = json.load(sys.stdin)
def get(k):
    o = doc
    for part in k.split("."):
        o = o[part]
    return "" if o is None else ",".join(o) if isinstance(o, list) else str(o)
print("|".join(get(k) for k in sys.argv[1:]))
' "$@"
}
spoof=$(q "select id from decisions where source_ref like '%demo10.usurpation'")
out=$("$B" -c "$CONF" message show "$spoof"); ok $? "message show ID"
like "$out" "outcome +quarantined, type rib, reasons auth_failed" "shows the outcome and reasons"
like "$out" "now +in BALP/Quarantaine" "where the message is"
like "$out" "audit .*balpd decision.record" "and its audit rows"
unlike "$out" "185057800608491|1 85 05|DUPONT" "never the NIR nor the name"
mid=$(q "select message_id from decisions where id = $spoof")
out=$("$B" -c "$CONF" message show "<$mid>"); ok $? "message show <MESSAGE-ID>"
like "$out" "^decision +$spoof " "finds the same decision"
log=$("$B" -c "$CONF" log --limit 100)
like "$log" "$spoof +[0-9T:-]+Z +quarantined .*1763370010.demo10.usurpation" \
    "log shows the id and the message"
err=$("$B" -c "$CONF" message show 99999 2>&1); is $? 1 "an unknown id is refused"
like "$err" "no decision 99999" "saying so"

# ---- release --------------------------------------------------------------
err=$("$B" -c "$CONF" message release "$spoof" --to BALP/Nowhere --reason x 2>&1)
is $? 1 "a release to an unknown queue is refused"
like "$err" "BALP/Nowhere is none of the rules' queues" "naming it"
"$B" -c "$CONF" message release "$spoof" --to BALP/RIB 2>/dev/null
is $? 2 "a release without a reason is a usage error"
out=$("$B" -c "$CONF" message release "$spoof" --to BALP/RIB \
    --reason "vérifié par téléphone"); ok $? "release a quarantined message"
ok "$(test -f "$MD/.BALP.RIB/new/1763370010.demo10.usurpation"; echo $?)" \
    "it is in BALP/RIB"
ok "$(test ! -e "$MD/.BALP.Quarantaine/new/1763370010.demo10.usurpation"; echo $?)" \
    "and no longer in quarantine"
out=$("$B" -c "$CONF" message show "$spoof")
like "$out" "now +in BALP/RIB" "show follows it"
like "$out" "released .* by admin:.*: BALP/Quarantaine -> BALP/RIB: vérifié par téléphone" \
    "with the admin and the reason"
is "$(q "select count(*) from audit where action = 'message.release' and object = 'decision/$spoof'")" 1 \
    "one audit row for the release"
is "$(q "select count(*) from outbox o join decisions d on d.id = o.decision_id where d.id = $spoof")" 0 \
    "no notice"
verify "the audit chain is intact after a release"
err=$("$B" -c "$CONF" message release "$spoof" --to BALP/RIB --reason x 2>&1)
is $? 1 "releasing where it already is is refused"

# A release to the rejects, with the notice the admin asks for.
exe=$(q "select id from decisions where source_ref like '%demo11.apeai-executable'")
err=$("$B" -c "$CONF" message release "$exe" --to BALP/RIB --reason x --notify 2>&1)
is $? 1 "--notify is refused for a queue that is no rejection"
like "$err" "--notify goes with --to BALP/Rejets" "saying where it goes"
out=$("$B" -c "$CONF" message release "$exe" --to BALP/Rejets \
    --reason "pièce jointe refusée, l'expéditeur doit la renvoyer" --notify)
ok $? "release to the rejects with --notify"
like "$out" "notice queued" "says a notice is queued"
is "$(q "select count(*) from outbox where decision_id = $exe")" 1 "one notice for it"
unlike "$(q "select body from outbox where decision_id = $exe")" "185057800608491|1 85 05|DUPONT" \
    "the notice holds no NIR nor name"
body=$(q "select body from outbox where decision_id = $exe")
unlike "$body" "motif : |attachment_forbidden" "the notice gives no raw reason code"
like "$body" "type non autorisé" "but the French text of attachment_forbidden"
is "$(q "select count(*) from audit where action = 'notice.queue' and detail like 'decision=$exe;%'")" 1 \
    "and its audit row"
verify "the audit chain is intact after a release with a notice"

# ---- retriage -------------------------------------------------------------
rej=$(q "select id from decisions where source_ref like '%demo05.apeai-nir-faux'")
out=$("$B" -c "$CONF" message retriage "$rej" --reason "NIR corrigé par la Caf")
ok $? "retriage a rejected message"
ok "$(test -f "$MD/new/1763370005.demo05.apeai-nir-faux.r$rej"; echo $?)" \
    "it is back in the inbox under a new name"
ok "$(test ! -e "$MD/.BALP.Rejets/new/1763370005.demo05.apeai-nir-faux"; echo $?)" \
    "and no longer in the rejects"
like "$("$B" -c "$CONF" message show "$rej")" "back in the inbox as .*\.r$rej" \
    "show says it waits for the next pass"
out=$("$B" -c "$CONF" message show "$rej" --json)
printf '%s' "$out" | python3 -m json.tool >/dev/null; ok $? "show --json of a pending retriage is valid JSON"
is "$(printf '%s' "$out" | field queue_now retriage_ref)" \
    "|$(q "select new_ref from retriages where decision_id = $rej")" \
    "show --json: no queue, and the name in the inbox of the store"
err=$("$B" -c "$CONF" message release "$rej" --to BALP/RIB --reason x 2>&1)
is $? 1 "no release while a retriage is pending"
verify "the audit chain is intact after a retriage"
out=$("$D" -c "$CONF" --once); ok $? "the next pass"
like "$out" "1 message\(s\): 0 accepted, 1 rejected" "decides it afresh"
new=$(q "select id from decisions where supersedes = $rej")
ok "$([ -n "$new" ] && [ "$new" -gt "$rej" ]; echo $?)" "a new decision row ($new)"
like "$(q "select detail from audit where object = 'decision/$new' and action = 'decision.record'")" \
    "supersedes=decision/$rej" "its audit row names the one it supersedes"
out=$("$B" -c "$CONF" message show "$rej")
like "$out" "superseded by decision $new" "the old one says it is superseded"
like "$("$B" -c "$CONF" message show "$new")" "supersedes +decision $rej" \
    "the new one names it"
err=$("$B" -c "$CONF" message retriage "$rej" 2>&1); is $? 1 "a superseded decision is not retriaged"
like "$err" "superseded by decision $new" "saying which decision to act on"
verify "the audit chain is intact after the new decision"

# ---- a message an agent moved away --------------------------------------
acc=$(q "select id from decisions where source_ref like '%demo02.apeai-suspension'")
mv "$MD/.BALP.Suspension/new/1763370002.demo02.apeai-suspension" "$HOME_DIR/"
err=$("$B" -c "$CONF" message retriage "$acc" 2>&1); is $? 1 "retriage of a message no longer in its queue fails"
like "$err" "not in BALP/Suspension .*nothing done" "saying where it was looked for"
is "$(q "select count(*) from retriages where decision_id = $acc")" 0 "and leaves no pending retriage"
is "$(q "select count(*) from audit where object = 'decision/$acc' and action like 'message.retriage%'")" 2 \
    "the attempt and its undoing are in the trail"
# show asks the mailbox, not the store: the store still says BALP/Suspension.
out=$("$B" -c "$CONF" message show "$acc")
like "$out" "now +not in BALP/Suspension any more \(moved or deleted\)" \
    "show says the message is no longer where the store put it"
unlike "$out" "now +in BALP/Suspension" "and does not say it is there"
out=$("$B" -c "$CONF" message show "$acc" --json)
is "$(printf '%s' "$out" | field queue_now in_mailbox mailbox_error)" \
    "BALP/Suspension|False|" "--json: the store's queue, and in_mailbox false"
# A mail client marks it read: it goes to cur/ with flags, still there.
mv "$HOME_DIR/1763370002.demo02.apeai-suspension" \
    "$MD/.BALP.Suspension/cur/1763370002.demo02.apeai-suspension:2,S"
like "$("$B" -c "$CONF" message show "$acc")" "now +in BALP/Suspension" \
    "read by an agent (cur/, flags): still in BALP/Suspension"
is "$(printf '%s' "$("$B" -c "$CONF" message show "$acc" --json)" | field in_mailbox)" \
    "True" "--json: in_mailbox true"
# The mailbox cannot be reached: said, and the store's view labelled so.
mv "$MD" "$MD.away"
out=$("$B" -c "$CONF" message show "$acc")
like "$out" "now +the mailbox cannot tell \(.*\); the store says: in BALP/Suspension" \
    "an unreachable mailbox is said, the store's view labelled as such"
out=$("$B" -c "$CONF" message show "$acc" --json)
is "$(printf '%s' "$out" | field queue_now in_mailbox)" "BALP/Suspension|" \
    "--json: in_mailbox null"
like "$(printf '%s' "$out" | field mailbox_error)" "." "and mailbox_error says why"
mv "$MD.away" "$MD"
verify "the audit chain is intact at the end"

# ---- show --json ----------------------------------------------------------
out=$("$B" -c "$CONF" message show "$spoof" --json); ok $? "message show ID --json"
printf '%s' "$out" | python3 -m json.tool >/dev/null; ok $? "it is valid JSON"
is "$(printf '%s' "$out" | field decision.id decision.decided_at decision.source decision.source_ref decision.message_id decision.sender decision.partner decision.type decision.outcome decision.reasons decision.queue)" \
    "$(q "select id, decided_at, source, source_ref, message_id, sender, partner_id, type, outcome, reasons, queue from decisions where id = $spoof")" \
    "the decision of the store, with the keys of log --json"
is "$(printf '%s' "$out" | field queue_now superseded_by retriage_ref)" "BALP/RIB||" \
    "where it is now"
is "$(printf '%s' "$out" | python3 -c '
import json, sys
for r in json.load(sys.stdin)["releases"]:
    print("|".join(str(r[k]) for k in ("id", "at", "actor", "from_queue", "to_queue", "reason")))')" \
    "$(q "select id, at, actor, from_queue, to_queue, reason from releases where decision_id = $spoof order by id")" \
    "its releases, from the store"
is "$(printf '%s' "$out" | python3 -c '
import json, sys
for r in json.load(sys.stdin)["audit"]:
    print("|".join(str(r[k]) for k in ("id", "at", "actor", "action")))')" \
    "$(q "select id, at, actor, action from audit where object = 'decision/$spoof' order by id")" \
    "its audit rows, from the store"
out=$("$B" -c "$CONF" message show "<$mid>" --json)
is "$(printf '%s' "$out" | field decision.id)" "$spoof" "--json with a Message-ID"
is "$(printf '%s' "$("$B" -c "$CONF" message show --json "$rej")" | field superseded_by queue_now)" \
    "$new|" "a superseded decision: superseded_by, no queue"
is "$(printf '%s' "$("$B" -c "$CONF" message show "$new" --json)" | field decision.supersedes)" \
    "$(q "select supersedes from decisions where id = $new")" "the new one: supersedes"
pid=$(q "select id from decisions where nir_pseudonym is not null limit 1")
pseudo=$(q "select nir_pseudonym from decisions where id = $pid")
ok "$([ -n "$pseudo" ]; echo $?)" "a decision with a pseudonym (the check below can fail)"
out=$("$B" -c "$CONF" message show "$pid" --json)
printf '%s' "$out" | python3 -m json.tool >/dev/null; ok $? "its show --json is valid JSON"
unlike "$out" "$pseudo|nir_pseudonym|185057800608491|1 85 05|DUPONT" "and holds no pseudonym, NIR nor name"
"$B" -c "$CONF" message show --json >/dev/null 2>&1; is $? 2 "show --json without an id is a usage error"

rm -rf "$HOME_DIR"
done_testing
