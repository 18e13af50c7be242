#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The annex mailed by a partner's referent (issue 21, docs/annex-mail.md):
# balpctl test explains it, balpd stages it with its decision (CSV, .xlsx,
# .ods: each with the right diff), balpctl annex pending|show|approve|
# reject; the same mail from a habilitated non-referent is
# annex_sender_not_referent; a file with three bad lines is rejected and
# its notice lists the three lines; approval after a conflicting import is
# refused with its reason; a zip bomb and a malformed .xlsx named as the
# annex are quarantined, nothing staged; nothing is applied without
# approve.
. "$SRCDIR/tests/tools/tap.sh"
. "$SRCDIR/tests/tools/annex_mail.sh"
B="$SRCDIR/build/balpctl"
D="$SRCDIR/build/balpd"
DATA="$SRCDIR/tests/data/annex"
P=apeai-ouest-herault
REF=referente@apeai34.fr
XLSX=application/vnd.openxmlformats-officedocument.spreadsheetml.sheet
ODS=application/vnd.oasis.opendocument.spreadsheet
SUBJ="Mise à jour de l'annexe BALP"

demo_home; ok $? "a home with two partners and their annexes"
"$B" -c "$CONF" partner update "$P" --referent "$REF" >/dev/null
ok $? "partner update --referent"
out=$("$B" -c "$CONF" partner show "$P")
like "$out" "referents +$REF" "partner show names the referent"
MD="$HOME_DIR/var/Maildir"
mkdir -p "$MD/new" "$MD/cur" "$MD/tmp"
db="$HOME_DIR/var/balp.db"
sql() { sqlite3 "$db" "$1"; }
n=0
deliver() {	# deliver NAME < mail
	n=$((n + 1))
	cat >"$MD/tmp/$n.$1"
	mv "$MD/tmp/$n.$1" "$MD/new/17700000$n.$1"
}

# ---- balpctl test -----------------------------------------------------------
annex_mail "$REF" "$SUBJ" "$DATA/good_semicolon_fr.csv" annexe.csv text/csv \
    >"$HOME_DIR/csv.eml"
out=$("$B" -c "$CONF" test --json "$HOME_DIR/csv.eml")
like "$out" '"outcome":"accepted","type":"annexe","queue":"BALP/Annexes","partner":"apeai-ouest-herault"' \
    "test: a referent's CSV is accepted into BALP/Annexes"
# demo annex: MARTIN (since 05/01/2025), ROUX (ended), BENALI; the file:
# MARTIN (since 05/01/2026), DURAND, PETIT.
like "$out" '"annex":\{"rows":3,"added":2,"ended":1,"changed":1,' \
    "test: its diff's counts (DURAND, PETIT added; BENALI ended; MARTIN changed)"
annex_mail a.martin@apeai34.fr "$SUBJ" "$DATA/good_semicolon_fr.csv" \
    annexe.csv text/csv >"$HOME_DIR/notref.eml"
out=$("$B" -c "$CONF" test --json "$HOME_DIR/notref.eml")
like "$out" '"outcome":"rejected","type":"annexe".*"reasons":\["annex_sender_not_referent"\]' \
    "test: the same mail from a habilitated non-referent: annex_sender_not_referent"
unlike "$out" '"annex":' "test: and its file is not read"
annex_mail "$REF" "$SUBJ" >"$HOME_DIR/nofile.eml"
like "$("$B" -c "$CONF" test --json "$HOME_DIR/nofile.eml")" \
    '"reasons":\["annex_file_missing"\]' "test: no file: annex_file_missing"
annex_mail "$REF" "$SUBJ" "$DATA/good_semicolon_fr.csv" a.csv text/csv \
    "$DATA/good_semicolon_fr.xlsx" b.xlsx "$XLSX" >"$HOME_DIR/two.eml"
like "$("$B" -c "$CONF" test --json "$HOME_DIR/two.eml")" \
    '"reasons":\["annex_file_several"\]' "test: two files: annex_file_several"
out=$("$B" -c "$CONF" test "$HOME_DIR/csv.eml")
like "$out" "accepted +annexe +BALP/Annexes" "test: the table names the type"
is "$(sql "select count(*) from staged_annexes")" 0 "test stages nothing"

# ---- balpd on the Maildir: staged, rejected, quarantined ---------------------
deliver csv <"$HOME_DIR/csv.eml"
annex_mail "$REF" "$SUBJ" "$DATA/good_semicolon_fr.xlsx" annexe.xlsx "$XLSX" |
    deliver xlsx
annex_mail "$REF" "$SUBJ" "$DATA/good_semicolon_fr.ods" annexe.ods "$ODS" |
    deliver ods
deliver notref <"$HOME_DIR/notref.eml"
# Three bad lines: an address, a date, an end before its start.
bad="$HOME_DIR/trois-erreurs.csv"
printf '%s\n' 'nom;prenom;email;fonction;date_habilitation;date_fin' \
    'MARTIN;Anne;a.martin@apeai34.fr;AS;05/01/2025;' \
    'DURAND;Paul;pas-une-adresse;ES;15/03/2025;' \
    'PETIT;Claire;c.petit@apeai34.fr;;31/02/2026;' \
    'ROUX;Léa;l.roux@apeai34.fr;;01/06/2026;01/01/2026' >"$bad"
annex_mail "$REF" "$SUBJ" "$bad" annexe.csv text/csv | deliver bad
annex_mail "$REF" "$SUBJ" "$DATA/hostile_bomb.xlsx" annexe.xlsx "$XLSX" |
    deliver bomb
annex_mail "$REF" "$SUBJ" "$DATA/hostile_malformed.xlsx" annexe.xlsx "$XLSX" |
    deliver malformed
annex_mail "$REF" "$SUBJ" "$DATA/hostile_truncated.xlsx" annexe.xlsx "$XLSX" |
    deliver truncated
out=$("$D" -c "$CONF" --once 2>"$HOME_DIR/balpd.err"); ok $? "balpd --once"
like "$out" "8 message\(s\): 3 accepted, 2 rejected, 3 quarantined" \
    "three staged, two refused, three quarantined"
for f in csv xlsx ods; do
	ok "$(ls "$MD/.BALP.Annexes/new/" | grep -q "\.$f\$"; echo $?)" \
	    "the $f mail is in BALP/Annexes"
done
for f in bomb malformed truncated; do
	ok "$(ls "$MD/.BALP.Quarantaine/new/" | grep -q "\.$f\$"; echo $?)" \
	    "the $f .xlsx named as the annex is quarantined"
done
id=$(sql "select id from decisions where source_ref like '%.bomb'")
like "$("$B" -c "$CONF" message show "$id")" \
    "part 2: annex file refused whole by its reader: .*zip bomb" \
    "message show says why the bomb was quarantined"
is "$(sql "select count(*) from staged_annexes")" 3 \
    "three staged, the refused and the quarantined ones not"
is "$(sql "select encoding from staged_annexes order by encoding" | paste -sd'|')" \
    "Office Open XML spreadsheet (.xlsx)|OpenDocument spreadsheet (.ods)|UTF-8" \
    "a CSV, an .xlsx and an .ods"
is "$(sql "select added || '/' || ended || '/' || updated from staged_annexes order by id" | paste -sd' ')" \
    "2/1/1 2/1/1 2/1/1" "each with the same diff against the annex in force"
is "$(sql "select count(*) from staged_annex_rows")" 9 "their rows kept (3 x 3)"
is "$(sql "select count(*) from persons where email = 'c.petit@apeai34.fr'")" 0 \
    "nothing is applied by staging"
body=$(sql "select body from outbox o join decisions d on d.id = o.decision_id where d.source_ref like '%.bad'")
like "$body" "ligne 3 : « pas-une-adresse » n'est pas une adresse" "the notice lists line 3"
like "$body" "ligne 4 : la colonne « date_habilitation » contient « 31/02/2026 »" "the notice lists line 4"
like "$body" "ligne 5 : date de fin \\(01/01/2026\\) antérieure" "the notice lists line 5"
is "$(printf '%s\n' "$body" | grep -c '^    ligne ')" 3 "and only those three"
body=$(sql "select body from outbox o join decisions d on d.id = o.decision_id where d.source_ref like '%.notref'")
like "$body" "Seul le référent BALP" "the non-referent is told who may send it"
is "$(sql "select count(*) from outbox o join decisions d on d.id = o.decision_id where d.outcome = 'quarantined'")" 0 \
    "no notice for the quarantined ones"
unlike "$(cat "$HOME_DIR/balpd.err")" "185057800608491" "no NIR in the daemon's output"

# ---- pending, show ----------------------------------------------------------
out=$("$B" -c "$CONF" annex pending)
like "$out" "ID +PARTNER +SENDER +RECEIVED +AGE +ADDED +ENDED +CHANGED +ERRORS" "pending: its table"
like "$out" "Z +0 days +2 +1 +1" "pending: received today, 0 days old"
is "$(printf '%s\n' "$out" | grep -Ec "$P +$REF")" 3 "pending: the three staged"
out=$("$B" -c "$CONF" annex pending --json)
like "$out" '^\[' "pending --json: an array"
like "$out" '\{"id":1,"partner":"apeai-ouest-herault","sender":"referente@apeai34.fr","received_at":"[0-9T:-]+Z",.*"added":2,"ended":1,"changed":1,.*"errors":\[\]\}' \
    "pending --json: id, partner, sender, received_at, added, ended, changed, errors"
like "$out" '"received_at":"[0-9T:-]+Z","age_days":0,' "pending --json: its age in days"
out=$("$B" -c "$CONF" annex show 2)
like "$out" "staged annex 2: pending" "show: its status"
like "$out" "\+ add c.petit@apeai34.fr \(PETIT Claire" "show: the diff row by row (added)"
like "$out" "- end s.benali@apeai34.fr" "show: (ended)"
like "$out" "~ update a.martin@apeai34.fr: date_habilitation" "show: (changed)"
"$B" -c "$CONF" annex show 99 >/dev/null 2>&1; is $? 1 "show: no such id"
"$B" -c "$CONF" annex show x >/dev/null 2>&1; is $? 2 "show: a bad id is a usage error"

# ---- reject -----------------------------------------------------------------
"$B" -c "$CONF" annex reject 3 >/dev/null 2>&1; is $? 2 "reject needs --reason"
out=$("$B" -c "$CONF" annex reject 3 --reason "Fichier envoyé en double")
ok $? "reject 3 --reason"
is "$(sql "select status || '|' || reason from staged_annexes where id = 3")" \
    "rejected|Fichier envoyé en double" "rejected, with its reason"
body=$(sql "select body from outbox where recipient = '$REF' and subject like '%non appliquée%'")
like "$body" "Fichier envoyé en double" "a notice to the referent gives the reason"
"$B" -c "$CONF" annex approve 3 >/dev/null 2>&1; is $? 1 "a rejected one cannot be approved"

# ---- approve after a conflicting import: refused ------------------------------
cp "$DATA/good_semicolon_fr.csv" "$HOME_DIR/import.csv"
echo 'NOIR;Eve;e.noir@apeai34.fr;AS;01/01/2026;' >>"$HOME_DIR/import.csv"
"$B" -c "$CONF" annex import --partner "$P" --force "$HOME_DIR/import.csv" >/dev/null
ok $? "an import of another list meanwhile"
err=$("$B" -c "$CONF" annex approve 1 2>&1); is $? 1 "approve 1 is refused"
like "$err" "no longer applies as staged: the annex of apeai-ouest-herault changed" \
    "with its reason"
like "$err" "now: end e.noir@apeai34.fr" "naming what differs"
is "$(sql "select status from staged_annexes where id = 1")" pending "still pending"
like "$("$B" -c "$CONF" annex pending)" "no longer applies" "pending says so too"

# ---- approve ----------------------------------------------------------------
demo_home
"$B" -c "$CONF" partner update "$P" --referent "$REF" >/dev/null
MD="$HOME_DIR/var/Maildir"; db="$HOME_DIR/var/balp.db"
mkdir -p "$MD/new" "$MD/cur" "$MD/tmp"
annex_mail "$REF" "$SUBJ" "$DATA/good_semicolon_fr.xlsx" annexe.xlsx "$XLSX" |
    deliver xlsx
"$D" -c "$CONF" --once >/dev/null 2>&1
before=$(sql "select count(*) from outbox")
out=$("$B" -c "$CONF" annex approve 1); ok $? "approve 1"
like "$out" "2 added, 1 updated, 1 ended" "it prints what it applied"
out=$("$B" -c "$CONF" person list --partner "$P")
like "$out" "c.petit@apeai34.fr" "PETIT is habilitated"
like "$out" "s.benali@apeai34.fr .* $(date +%Y-%m-%d) " "BENALI ended today"
is "$(sql "select status from staged_annexes where id = 1")" approved "approved"
is "$(sql "select count(*) from outbox")" $((before + 1)) "one acknowledgment queued"
body=$(sql "select body from outbox where recipient = '$REF' order by id desc limit 1")
like "$body" "ajout : c.petit@apeai34.fr \(PETIT Claire\)" "it lists who was added"
like "$body" "fin d'habilitation : s.benali@apeai34.fr" "and who was ended"
like "$(sql "select detail from audit where action = 'annex.approve'")" \
    "staged=1; decision=1; sender=$REF; file=[0-9a-f]{64}" \
    "annex.approve names the mail's decision"
like "$(sql "select actor from audit where action = 'annex.approve'")" "^admin:" \
    "and the approving admin"
is "$(sql "select count(*) from audit where action = 'annex.import'")" 3 \
    "applied as an import is (annex.import)"
"$B" -c "$CONF" annex approve 1 >/dev/null 2>&1; is $? 1 "not twice"
out=$("$B" -c "$CONF" audit verify 2>&1); ok $? "the audit chain verifies"

# ---- release and retriage (docs/annex-mail.md, "Release and retriage") --------
# A referent's mail authenticated by an MX the gateway does not trust yet:
# auth_failed, quarantined.  Released into BALP/Annexes it would be staged
# by nothing: refused, saying to retriage; retriaged once the MX is
# trusted, it is staged as a mail triaged afresh.
demo_home
"$B" -c "$CONF" partner update "$P" --referent "$REF" >/dev/null
MD="$HOME_DIR/var/Maildir"; db="$HOME_DIR/var/balp.db"
mkdir -p "$MD/new" "$MD/cur" "$MD/tmp"
annex_mail "$REF" "$SUBJ" "$DATA/good_semicolon_fr.csv" annexe.csv text/csv |
    sed 's/^Authentication-Results: mx.caf.test;/Authentication-Results: mx2.caf.test;/' |
    deliver newmx
"$D" -c "$CONF" --once >/dev/null 2>&1
q=$(sql "select id from decisions where source_ref like '%.newmx'")
is "$(sql "select outcome || ' ' || reasons from decisions where id = $q")" \
    "quarantined auth_failed" "a referent's annex through an untrusted MX is quarantined"
err=$("$B" -c "$CONF" message release "$q" --to BALP/Annexes --reason "référente appelée" 2>&1)
is $? 1 "release --to BALP/Annexes is refused"
like "$err" "release: BALP/Annexes holds the annexes staged for approval, and a release stages nothing: send the message back to triage \\(balpctl message retriage $q\\)" \
    "saying to retriage instead"
ok "$(ls "$MD/.BALP.Quarantaine/new/" | grep -q '\.newmx$'; echo $?)" "the mail stays in quarantine"
is "$(sql "select count(*) from releases") $(sql "select count(*) from staged_annexes")" "0 0" \
    "no release recorded, nothing staged"
sed -i 's/trusted_authserv_ids = \[ "mx.caf.test" \];/trusted_authserv_ids = [ "mx.caf.test", "mx2.caf.test" ];/' "$CONF"
"$B" -c "$CONF" message retriage "$q" --reason "MX ajouté" >/dev/null; ok $? "retriaged once the MX is trusted"
"$D" -c "$CONF" --once >/dev/null 2>&1
n2=$(sql "select id from decisions where supersedes = $q")
is "$(sql "select outcome || ' ' || queue from decisions where id = $n2")" "accepted BALP/Annexes" \
    "decided afresh: accepted into BALP/Annexes"
is "$(sql "select decision_id || ' ' || status || ' ' || added from staged_annexes")" "$n2 pending 2" \
    "and staged with its new decision, as a mail triaged afresh"
ok "$(ls "$MD/.BALP.Annexes/new/" | grep -q '\.newmx\.r'"$q"'$'; echo $?)" "the mail is in BALP/Annexes"
g=$(sql "select id from staged_annexes")
err=$("$B" -c "$CONF" message release "$n2" --to BALP/Quarantaine --reason "doute" 2>&1)
is $? 1 "a release of the mail of a pending staged annex is refused"
like "$err" "decision $n2: its annex is staged for approval \\(staged annex $g, pending\\): approve or reject it first" \
    "saying to approve or reject it first"
err=$("$B" -c "$CONF" message retriage "$n2" 2>&1)
is $? 1 "so is a retriage (it would stage it twice)"
like "$err" "staged annex $g, pending" "for the same reason"
ok "$(ls "$MD/.BALP.Annexes/new/" | grep -q '\.newmx\.r'"$q"'$'; echo $?)" "the mail has not moved"
"$B" -c "$CONF" annex reject "$g" --reason "doute sur l'envoi" >/dev/null
"$B" -c "$CONF" message release "$n2" --to BALP/Quarantaine --reason "doute" >/dev/null
ok $? "once rejected, its mail can be released"
"$B" -c "$CONF" audit verify >/dev/null 2>&1; ok $? "the chain verifies"

# ---- retention (docs/annex-mail.md, "Retention") ------------------------------
# A staged annex (the partner's staff list) and its mail's decision go
# with the traces, 6 months after the annex was approved or rejected; a
# pending one is kept, with its decision, until an admin decides it.
on() {	# on DAY CMD...: CMD with time() on DAY (tests/tools/fakenow.c)
	day=$1
	shift
	LD_PRELOAD="$SRCDIR/build/tests/fakenow.so" BALP_TEST_TODAY=$day "$@"
}
demo_home
"$B" -c "$CONF" partner update "$P" --referent "$REF" >/dev/null
MD="$HOME_DIR/var/Maildir"; db="$HOME_DIR/var/balp.db"
mkdir -p "$MD/new" "$MD/cur" "$MD/tmp"
# The rejected one names someone nobody else does: found nowhere after.
zorglub="$HOME_DIR/zorglub.csv"
cp "$DATA/good_semicolon_fr.csv" "$zorglub"
echo 'ZORGLUB;Zoé;z.zorglub@apeai34.fr;AS;01/02/2026;' >>"$zorglub"
annex_mail "$REF" "$SUBJ" "$DATA/good_semicolon_fr.csv" annexe.csv text/csv |
    deliver approved
annex_mail "$REF" "$SUBJ" "$zorglub" annexe.csv text/csv | deliver rejected
annex_mail "$REF" "$SUBJ" "$DATA/good_semicolon_fr.ods" annexe.ods "$ODS" |
    deliver pending
"$D" -c "$CONF" --once >/dev/null 2>&1; ok $? "three annexes staged"
staged() {	# staged NAME: the id of the annex staged from mail NAME
	sql "select g.id from staged_annexes g join decisions d on d.id = g.decision_id where d.source_ref like '%.$1'"
}
a=$(staged approved); r=$(staged rejected); p=$(staged pending)
"$B" -c "$CONF" annex approve "$a" >/dev/null; ok $? "one approved"
"$B" -c "$CONF" annex reject "$r" --reason "Liste incomplète" >/dev/null
ok $? "one rejected, one left pending"
pend=$(sql "select decision_id from staged_annexes where id = $p")
today=$(date -u +%Y-%m-%d)
soon=$(date -u -d "$today + 5 months" +%Y-%m-%d)
later=$(date -u -d "$today + 7 months" +%Y-%m-%d)
age=$(( ($(date -u -d "$later" +%s) - $(date -u -d "$today" +%s)) / 86400 ))
out=$("$B" -c "$CONF" purge --dry-run --now "$soon"); ok $? "purge --dry-run five months on"
like "$out" "à détruire +0 décisions, .* 0 annexes reçues par courriel et décidées \\(0 lignes\\)" \
    "before the horizon: nothing of them"
unlike "$out" "conservé .*annexes" "and none kept past it"
out=$("$B" -c "$CONF" purge --dry-run --now "$later"); ok $? "purge --dry-run seven months on"
like "$out" "à détruire +2 décisions, 2 avis, .* 2 annexes reçues par courriel et décidées \\(7 lignes\\)" \
    "counts the approved and the rejected annexes, their rows, decisions and notices"
like "$out" "conservé +1 annexes reçues par courriel avant le $(date -u -d "$later - 6 months" +%Y-%m-%d), en attente d'approbation" \
    "and says the pending one is kept"
is "$(sql "select count(*) from staged_annexes")" 3 "a dry run destroys nothing"
like "$(on "$later" "$B" -c "$CONF" annex pending)" "Z +$age days " \
    "annex pending shows the pending one's age ($age days)"
out=$(on "$later" "$B" -c "$CONF" purge); ok $? "purge seven months on"
like "$out" "Attestation de destruction" "an attestation"
like "$out" "détruit +2 décisions, 2 avis, .* 2 annexes reçues par courriel et décidées \\(7 lignes\\)" \
    "naming the staged annexes destroyed"
like "$out" "preuve +ligne d'audit [0-9]+ \\(audit.purge\\)" "and its proof"
like "$(sql "select detail from audit where action = 'audit.purge'")" \
    "decisions=2; .*staged_annexes=2; staged_rows=7; audit_rows=" \
    "the audit.purge row counts them"
is "$(sql "select group_concat(id) from staged_annexes")" "$p" "only the pending one is left"
is "$(sql "select count(*) from staged_annex_rows")" 3 "with its rows"
is "$(sql "select group_concat(id) from decisions")" "$pend" "and its mail's decision"
is "$(sql "select count(*) from audit where action like 'annex.%' and action <> 'annex.import' and detail not like 'staged=$p;%'")" 0 \
    "annex.stage, annex.approve and annex.reject of the others emptied"
is "$(sql "select count(*) from audit where action = 'annex.stage' and detail like 'staged=$p;%'")" 1 \
    "the pending one's annex.stage kept"
is "$(sql "select count(*) from persons where email = 'c.petit@apeai34.fr'")" 1 \
    "what the approval applied stays (habilitation data: 6 years)"
"$B" -c "$CONF" annex show "$r" >/dev/null 2>&1; is $? 1 "annex show of a destroyed one: none"
for f in "$db" "$db-wal"; do
	[ -f "$f" ] || continue
	is "$(grep -c ZORGLUB "$f")" 0 "$(basename "$f") holds nothing of the rejected list"
done
"$B" -c "$CONF" audit verify >/dev/null 2>&1; ok $? "the audit chain verifies"
out=$(on "$later" "$B" -c "$CONF" annex reject "$p" --reason "Trop ancienne"); ok $? \
    "the kept one can still be decided after the purge"
is "$(sql "select count(*) from outbox where decision_id = $pend")" 1 \
    "its notice queued about its kept decision"
"$B" -c "$CONF" audit verify >/dev/null 2>&1; ok $? "the chain verifies"
last=$(date -u -d "$later + 7 months" +%Y-%m-%d)
out=$(on "$last" "$B" -c "$CONF" purge); ok $? "purge six months after its rejection"
like "$out" "détruit +1 décisions, 1 avis, .* 1 annexes reçues par courriel et décidées \\(3 lignes\\)" \
    "it goes then, with its decision"
is "$(sql "select count(*) from staged_annexes") $(sql "select count(*) from decisions")" "0 0" \
    "nothing left of the annexes by mail"
"$B" -c "$CONF" audit verify >/dev/null 2>&1; ok $? "the chain verifies after two purges"
done_testing
