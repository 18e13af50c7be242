#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
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

# ---- the rows of retriages and releases agree with their audit rows ----------
# (issue 18 point 2): each edit by hand is named by audit verify.
tamper() {	# SQL UNDO PATTERN DESCRIPTION
	q "$1"
	out=$("$B" -c "$CONF" audit verify 2>/dev/null)
	is $? 1 "$4: verify fails"
	like "$out" "$3" "$4: named"
	q "$2"
}
rel=$(q "select min(id) from releases where decision_id = $spoof")
tamper "update releases set to_queue = 'BALP/Blocage' where id = $rel" \
    "update releases set to_queue = 'BALP/RIB' where id = $rel" \
    "BROKEN: release $rel does not agree with audit row [0-9]+ that recorded it: to is 'BALP/Blocage' in the table, 'BALP/RIB' in the audit row" \
    "a release's queue edited"
tamper "update releases set reason = 'autre' where id = $rel" \
    "update releases set reason = 'vérifié par téléphone' where id = $rel" \
    "BROKEN: release $rel .*: its reason differs" "a release's reason edited (not quoted)"
tamper "update decisions set supersedes = NULL where id = $new" \
    "update decisions set supersedes = $rej where id = $new" \
    "BROKEN: decision $new .*: supersedes is '\\(none\\)' in the table, 'decision/$rej' in the audit row" \
    "the link of a retriaged decision cut"
tamper "insert into retriages (decision_id, source, new_ref, at, actor, reason) select id, source, 'forged', decided_at, 'x', 'y' from decisions where id = $acc" \
    "delete from retriages where decision_id = $acc" \
    "BROKEN: retriage [0-9]+ does not agree with audit row [0-9]+ that recorded it" \
    "a retriage inserted by hand"
verify "and intact again once put back"

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

# ---- what each reason found (decision_findings) ---------------------------
# Mails of the case corpus, a 20 MB scan past the scan budget (too big to
# commit) and malformed mails whose header could still be read.
put() {	# FILE NAME
	cp "$1" "$MD/tmp/$2" && mv "$MD/tmp/$2" "$MD/new/$2"
}
CASES="$SRCDIR/tests/data/cases"
put "$CASES/121-tr-exe-dans-message-rfc822-base64.eml" 1763370101.f1.fwd-exe
put "$CASES/106-docx-avec-macros.eml" 1763370102.f2.docm
put "$CASES/130-docx-chiffre.eml" 1763370103.f3.encrypted
put "$CASES/134-pdf-restrictions-javascript.eml" 1763370107.f7.owner-js
put "$CASES/133-pdf-restrictions-proprietaire.eml" 1763370108.f8.owner
hdr() {	# MESSAGE-ID
	printf 'Authentication-Results: mx.caf.test; dkim=pass header.d=apeai34.fr; spf=pass smtp.mailfrom=apeai34.fr; dmarc=pass header.from=apeai34.fr\n'
	printf 'From: Anne Martin <a.martin@apeai34.fr>\nTo: balp@caf.test\n'
	printf 'Subject: RIB - MERCIER Hugo - 1 85 05 78 006 084 91\n'
	printf 'Message-ID: <%s>\nMIME-Version: 1.0\n' "$1"
}
{
	hdr big-scan@apeai34.fr
	printf 'Content-Type: multipart/mixed; boundary="b"\n\n--b\n'
	printf 'Content-Type: text/plain\n\nLe RIB de M. Mercier.\n--b\n'
	printf 'Content-Type: application/pdf; name="RIB_MERCIER_Hugo.pdf"\n'
	printf 'Content-Transfer-Encoding: base64\n\n'
	{ printf '%%PDF-1.7\n'; head -c 20971520 /dev/zero; } | base64 -w 76
	printf -- '--b--\n'
} >"$MD/tmp/1763370104.f4.big" && mv "$MD/tmp/1763370104.f4.big" "$MD/new/"
{
	hdr long-header@apeai34.fr
	printf 'X-Junk: '; head -c 10485760 /dev/zero | tr '\0' a; printf '\n\nx\n'
} >"$MD/tmp/1763370105.f5.long" && mv "$MD/tmp/1763370105.f5.long" "$MD/new/"
{
	hdr too-wide@apeai34.fr
	printf 'Content-Type: multipart/mixed; boundary="w"\n\n'
	i=0
	while [ $i -lt 2100 ]; do
		printf -- '--w\nContent-Type: multipart/mixed; boundary="i%d"\n\n--i%d--\n' $i $i
		i=$((i + 1))
	done
	printf -- '--w--\n'
} >"$MD/tmp/1763370106.f6.wide" && mv "$MD/tmp/1763370106.f6.wide" "$MD/new/"
"$D" -c "$CONF" --once >/dev/null 2>&1; ok $? "the new mails are triaged"
show() { "$B" -c "$CONF" message show "$1"; }
out=$(show "<wrapped-121@apeai34.fr>")
like "$out" "reasons attachment_forbidden" "the forwarded executable is forbidden"
like "$out" "findings +part 5 application/pdf \(content [a-z./-]*executable\) \.pdf in a forwarded mail: executable, content contradicts its type or name" \
    "  and show says which part, where it was and what it is"
unlike "$out" "Guessan|GUESSAN|\.eml|RIB_" "  never a file name (a beneficiary's name)"
like "$(show "<content-79@apeai34.fr>")" "findings +part 3 application/vnd.openxmlformats-officedocument.wordprocessingml.document \.docx: macro" \
    "a macro document: macro"
out=$(show "<wrapped-130@apeai34.fr>")
like "$out" "outcome +rejected, type rib, reasons attachment_encrypted" "an encrypted document is rejected"
like "$out" "findings +part 3 .* \.docx: encrypted" "  show says which part is encrypted"
like "$("$B" -c "$CONF" log --reason attachment_encrypted)" "1763370103.f3.encrypted" \
    "log --reason attachment_encrypted finds it"
# Decrypted in the sandboxed worker: an owner password only, AES-256.
like "$(show "<wrapped-134@apeai34.fr>")" "findings +part 2 application/pdf \.pdf: JavaScript, actions or embedded files \(PDF\)" \
    "a PDF with printing restricted is decrypted and its JavaScript found"
like "$(show "<wrapped-133@apeai34.fr>")" "outcome +accepted, type rib, reasons -" \
    "  and a clean one is accepted"
out=$(show "<big-scan@apeai34.fr>")
like "$out" "outcome +rejected, type rib, reasons too_large" "a 20 MB clean scan is too large, not forbidden"
like "$out" "findings +part 2 application/pdf \.pdf: not inspected: too large \(20971529 bytes\)" \
    "  show says which part was not inspected and why"
unlike "$out" "MERCIER|Mercier|1 85 05" "  no name, no NIR"
is "$(q "select count(*) from decision_findings f join decisions d on d.id = f.decision_id where d.outcome = 'accepted'")" 0 \
    "no findings recorded for an accepted mail"
for m in long-header too-wide; do
	out=$(show "<$m@apeai34.fr>"); ok $? "message show <$m@...>: a malformed mail is found by its Message-ID"
	like "$out" "sender +a.martin@apeai34.fr \(partner apeai-ouest-herault\)" "  with its sender and partner"
	like "$out" "reasons malformed" "  quarantined as malformed"
done
like "$(show "<long-header@apeai34.fr>")" "findings +message malformed: header field too long" \
    "  and show says why"
like "$(show "<too-wide@apeai34.fr>")" "findings +message malformed: too many multiparts" \
    "  (each its own why)"
log=$("$B" -c "$CONF" log --partner apeai-ouest-herault --reason malformed)
like "$log" "1763370105.f5.long" "log --partner finds the 10 MB header"
like "$log" "1763370106.f6.wide" "  and the too wide mail"
out=$("$B" -c "$CONF" message show "<big-scan@apeai34.fr>" --json)
is "$(printf '%s' "$out" | field findings)" "part 2 application/pdf .pdf: not inspected: too large (20971529 bytes)" \
    "show --json has the findings"

rm -rf "$HOME_DIR"
done_testing
