#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# balpctl annex and person: habilitation periods, what `person end` may do,
# the --force guard, and the files as Excel and LibreOffice write them
# (tests/data/annex/excel_*, libreoffice_*, *.xlsx, *.ods: bytes made once,
# committed; tests/data/annex/README.md).
. "$SRCDIR/tests/tools/tap.sh"
B="$SRCDIR/build/balpctl"
DATA="$SRCDIR/tests/data/annex"
today=$(date +%Y-%m-%d)
HDR='nom;prenom;email;fonction;date_habilitation;date_fin'

new_home
"$B" -c "$CONF" init >/dev/null
"$B" -c "$CONF" partner add --id apeai --name APEAI --start 2019-01-01 \
    --max-persons 3 >/dev/null
ok $? "partner add (quota 3)"

# ---- periods ----------------------------------------------------------------
v1="$HOME_DIR/v1.csv"
{
	echo "$HDR"
	echo 'MARTIN;Anne;a.martin@apeai34.fr;AS;05/01/2025;'
	echo 'ROUX;Julien;j.roux@apeai34.fr;Educateur;2025-03-01;31/12/2030'
	echo 'DURAND;Paul;p.durand@apeai34.fr;CESF;01/02/2025;'
	echo 'LEROY;Jeanne;j.leroy@apeai34.fr;Secretaire;01/01/2019;31/12/2019'
} >"$v1"
"$B" -c "$CONF" annex import --partner apeai "$v1" >/dev/null
ok $? "import: three in force, LEROY ended in 2019 (history)"
out=$("$B" -c "$CONF" person list --at 2019-06-01)
like "$out" "j.leroy@apeai34.fr +Secretaire +2019-01-01 2019-12-31" \
    "list --at a day of 2019: LEROY, with her period"

# person end may only shorten the period in force.
err=$("$B" -c "$CONF" person end j.leroy@apeai34.fr --date 2030-01-01 2>&1)
is $? 1 "person end refuses to reopen an ended habilitation"
like "$err" "ended on 2019-12-31" "the refusal gives the end"
is "$(printf '%s\n' "$err" | wc -l)" 1 "in one line"
out=$("$B" -c "$CONF" person list --at "$today" --partner apeai)
unlike "$out" "j.leroy" "LEROY stays ended (the quota of 3 is full)"
err=$("$B" -c "$CONF" person end j.roux@apeai34.fr --date 2031-06-30 2>&1)
is $? 1 "person end refuses to extend a period"
like "$err" "2031-06-30 would extend the habilitation, which ends on 2030-12-31" \
    "the refusal gives both dates"
err=$("$B" -c "$CONF" person end a.martin@apeai34.fr --date 2024-12-31 2>&1)
is $? 1 "person end refuses an end before the start"
like "$err" "before the habilitation start 2025-01-05" "the refusal gives the start"
"$B" -c "$CONF" person end j.roux@apeai34.fr --date 2030-06-30 >/dev/null
ok $? "person end shortens the period in force"
out=$("$B" -c "$CONF" person list --partner apeai)
like "$out" "j.roux@apeai34.fr .*2030-06-30" "to the day given"
out=$("$B" -c "$CONF" audit verify 2>&1); ok $? "the audit chain verifies"

# LEROY comes back in 2020: a second period, the first one kept.
v2="$HOME_DIR/v2.csv"
printf '%s\n' "$HDR" 'MARTIN;Anne;a.martin@apeai34.fr;AS;05/01/2025;' \
    'ROUX;Julien;j.roux@apeai34.fr;Educateur;2025-03-01;30/06/2030' \
    'LEROY;Jeanne;j.leroy@apeai34.fr;Secretaire;01/06/2020;' >"$v2"
out=$("$B" -c "$CONF" annex import --partner apeai --dry-run "$v2")
like "$out" "\+ new period j.leroy@apeai34.fr \(LEROY Jeanne, from 2020-06-01; the last one ended 2019-12-31\)" \
    "the dry run shows the new period"
"$B" -c "$CONF" annex import --partner apeai "$v2" >/dev/null
ok $? "re-import (DURAND out, LEROY back)"
out=$("$B" -c "$CONF" person list --at 2019-06-01)
like "$out" "j.leroy@apeai34.fr .*2019-01-01 2019-12-31" "list --at a day of the first period"
out=$("$B" -c "$CONF" person list --at 2020-01-15)
unlike "$out" "j.leroy" "nobody between the periods"
out=$("$B" -c "$CONF" person list --at 2020-07-01)
like "$out" "j.leroy@apeai34.fr .*2020-06-01" "list --at a day of the second period"
out=$("$B" -c "$CONF" person list --at "$today")
like "$out" "j.leroy@apeai34.fr" "and today"
out=$("$B" -c "$CONF" person list --partner apeai)
like "$out" "p.durand@apeai34.fr .*2025-02-01 $today" \
    "DURAND, missing from the file, is ended today"
out=$("$B" -c "$CONF" audit verify 2>&1); ok $? "the audit chain still verifies"

# ---- the --force guard -------------------------------------------------------
hdr_only="$HOME_DIR/header.csv"
echo "$HDR" >"$hdr_only"
err=$("$B" -c "$CONF" annex import --partner apeai "$hdr_only" 2>&1)
is $? 1 "an annex with its header only is refused"
like "$err" "ends 3 of its 3 active persons \(all of them\).*--force" \
    "the refusal says why and names --force"
out=$("$B" -c "$CONF" person list --at "$today" --partner apeai)
like "$out" "a.martin" "nothing was ended"
out=$("$B" -c "$CONF" annex import --partner apeai --dry-run "$hdr_only")
ok $? "the dry run of it succeeds"
like "$out" "refused without --force: it ends 3 of the 3 active persons of apeai \(all of them\)" \
    "and says it would be refused"
two="$HOME_DIR/two.csv"
printf '%s\n' "$HDR" 'MARTIN;Anne;a.martin@apeai34.fr;AS;05/01/2025;' >"$two"
out=$("$B" -c "$CONF" annex import --partner apeai --dry-run "$two")
like "$out" "ends 2 of the 3 active persons of apeai \(more than half\)" \
    "more than half is refused too"
"$B" -c "$CONF" annex import --partner apeai --force "$two" >/dev/null
ok $? "--force imports it"
out=$("$B" -c "$CONF" person list --partner apeai)
like "$out" "j.roux@apeai34.fr .* $today" "and ends them"

# ---- files as spreadsheets write them ----------------------------------------
"$B" -c "$CONF" partner add --id sheets --name Tableurs >/dev/null
for f in excel_cp1252.csv:windows-1252 excel_unicode.txt:UTF-16LE \
    excel_utf8_bom.csv:"UTF-8 with BOM" libreoffice_utf16be.csv:UTF-16BE \
    libreoffice_utf8.csv:UTF-8; do
	file=${f%%:*}
	enc=${f#*:}
	out=$("$B" -c "$CONF" annex import --partner sheets --dry-run "$DATA/$file")
	ok $? "$file: read"
	like "$out" "^encoding: $enc$" "$file: the dry run names $enc"
	like "$out" "\+ add h.dubois@apeai34.fr \(DUBOIS Hélène, from 2025-03-15\)" \
	    "$file: accents decoded"
	like "$out" "\+ add z.coeur@apeai34.fr \(CŒUR Zoé, from 2024-09-01 to 2026-12-31\)" \
	    "$file: dates read"
	like "$out" "3 added, 0 updated, 0 ended, 0 unchanged" "$file: three rows"
done
"$B" -c "$CONF" annex import --partner sheets "$DATA/excel_cp1252.csv" >/dev/null
ok $? "import of Excel's windows-1252 file"
out=$("$B" -c "$CONF" person list --partner sheets)
like "$out" "Chargée d’accueil" "stored as UTF-8"
out=$("$B" -c "$CONF" annex import --partner sheets --dry-run "$DATA/excel_unicode.txt")
like "$out" "0 added, 0 updated, 0 ended, 3 unchanged" \
    "the same annex as Unicode text changes nothing"
err=$("$B" -c "$CONF" annex import --partner sheets "$DATA/bad_serial.csv" 2>&1)
is $? 1 "spreadsheet day numbers are refused"
like "$err" "line 2: date_habilitation '46027' is a spreadsheet's day number, not a date: format the column as dates" \
    "with the line and what to do"
like "$err" "line 4: date_habilitation '05/01/2026 14:30' is not a date" \
    "a time other than midnight too"
err=$("$B" -c "$CONF" annex import --partner sheets "$DATA/bad_mixed_utf8.csv" 2>&1)
is $? 1 "UTF-8 with a Latin-1 line is refused"
like "$err" "line 3: not valid UTF-8" "naming the line"

# ---- the spreadsheets themselves: .xlsx and .ods -------------------------------
"$B" -c "$CONF" partner add --id tableurs --name Tableurs >/dev/null
out=$("$B" -c "$CONF" annex import --partner tableurs --dry-run \
    "$DATA/good_semicolon_fr.xlsx")
ok $? "an .xlsx written by LibreOffice: dry run"
like "$out" "^encoding: Office Open XML spreadsheet \(.xlsx\)$" \
    "the dry run names the format"
like "$out" "\+ add p.durand@apeai34.fr \(DURAND Paul, from 2025-03-15 to 2026-12-31\)" \
    "shared strings and dates with a date format read"
"$B" -c "$CONF" annex import --partner tableurs \
    "$DATA/good_semicolon_fr.xlsx" >/dev/null
ok $? "the .xlsx imported"
out=$("$B" -c "$CONF" person list --partner tableurs)
like "$out" "Éducateur spécialisé" "stored as UTF-8"
out=$("$B" -c "$CONF" annex import --partner tableurs "$DATA/good_semicolon_fr.ods")
ok $? "the same annex as .ods imported"
like "$out" "^encoding: OpenDocument spreadsheet \(.ods\)$" "named .ods"
like "$out" "0 added, 0 updated, 0 ended, 3 unchanged" \
    "the .ods reads the same rows: nothing changes"
# Told by the bytes: an .ods saved under a .csv name is still an .ods.
cp "$DATA/sheet_title.ods" "$HOME_DIR/annexe.csv"
out=$("$B" -c "$CONF" annex import --partner tableurs --dry-run \
    "$HOME_DIR/annexe.csv")
ok $? "an .ods with a title above its header, named .csv"
like "$out" "0 added, 0 updated, 0 ended, 3 unchanged" "same rows again"
err=$("$B" -c "$CONF" annex import --partner tableurs \
    "$DATA/sheet_number_dates.xlsx" 2>&1)
is $? 1 "a date column stored as bare numbers is refused"
like "$err" "sheet_number_dates.xlsx: line 2: date_habilitation '46027' is a number with no date format" \
    "with the spreadsheet's row and what to do"
err=$("$B" -c "$CONF" annex import --partner tableurs "$DATA/sheet_bad.ods" 2>&1)
is $? 1 "an .ods with bad rows is refused"
like "$err" "annex refused, nothing imported \(4 errors\)" "every error counted"
like "$err" "sheet_bad.ods: line 7: email 'p.durand@apeai34.fr' appears twice \(lines 4 and 7\)" \
    "each on its row"
err=$("$B" -c "$CONF" annex import --partner tableurs "$DATA/hostile_bomb.xlsx" 2>&1)
is $? 1 "a zip bomb is refused"
like "$err" "hostile_bomb.xlsx: file: xl/worksheets/sheet1.xml inflates more than 200 times its size" \
    "as a bomb, before inflating it"
err=$("$B" -c "$CONF" annex import --partner tableurs "$DATA/hostile_xxe.ods" 2>&1)
is $? 1 "an .ods with an external entity is refused"
unlike "$err" "root:" "the host's file is not read"
out=$("$B" -c "$CONF" person list --partner tableurs)
is "$(printf '%s\n' "$out" | grep -c apeai34)" 3 \
    "the refused files changed nothing"
rm -rf "$HOME_DIR"

# ---- decisions read the period of the day of processing ----------------------
demo_home
deliver_demo "$HOME_DIR/var/Maildir"
rib="$HOME_DIR/var/Maildir/new/1763370001.demo01.apeai-rib"
decide() { "$B" -c "$CONF" test --json --now "$1" "$rib"; }
first="$HOME_DIR/first.csv"
sed 's|05/01/2025;$|05/01/2025;30/06/2025|' \
    "$SRCDIR/tests/data/demo/annexe-apeai.csv" >"$first"
"$B" -c "$CONF" annex import --partner apeai-ouest-herault "$first" >/dev/null
ok $? "MARTIN habilitated from 2025-01-05 to 2025-06-30"
second="$HOME_DIR/second.csv"
sed 's|05/01/2025;$|01/09/2025;|' \
    "$SRCDIR/tests/data/demo/annexe-apeai.csv" >"$second"
out=$("$B" -c "$CONF" annex import --partner apeai-ouest-herault "$second")
like "$out" "new period a.martin@apeai34.fr" "and again from 2025-09-01"
like "$(decide 2025-03-02)" '"outcome":"accepted"' "a mail on a day of the first period is accepted"
like "$(decide 2025-08-01)" '"reasons":\["sender_habilitation_ended"\]' \
    "between the periods: habilitation ended"
like "$(decide 2025-10-01)" '"outcome":"accepted"' "on a day of the second period: accepted"
"$B" -c "$CONF" person end a.martin@apeai34.fr --date 2030-01-01 >/dev/null 2>&1
is $? 0 "person end shortens the open second period"
like "$(decide 2030-01-02)" '"reasons":\["sender_habilitation_ended"\]' \
    "ended after its last day"
rm -rf "$HOME_DIR"
# ---- export: formula-like cells neutralised, read back unchanged --------
new_home
"$B" -c "$CONF" init >/dev/null
"$B" -c "$CONF" partner add --id p1 --name "P un" --start 2025-01-01 >/dev/null
ok $? "a fresh partner"
csv="$HOME_DIR/formulas.csv"
printf 'Nom;Prénom;Email;Fonction;Date habilitation;Date fin\n=SOMME(A1:A9);@Anne;a.martin@apeai34.fr;+33 Référente;05/01/2025;\n' >"$csv"
"$B" -c "$CONF" annex import --partner p1 "$csv" >/dev/null
ok $? "an annex whose cells start with = + - and @ is imported"
"$B" -c "$CONF" person add --partner p1 --last-name -DUPONT \
    --first-name "'=moi" --email j.dupont@apeai34.fr --job-title "'Educ" \
    --start 2025-02-01 >/dev/null
ok $? "and a person whose first name starts with ' and ="
before=$("$B" -c "$CONF" person list --partner p1 --json)
"$B" -c "$CONF" annex export --partner p1 "$HOME_DIR/export.csv"
ok $? "annex export"
exp=$(cat "$HOME_DIR/export.csv")
like "$exp" "'=SOMME\(A1:A9\);'@Anne;" \
    "a cell starting with = or @ is written with a leading '"
like "$exp" "'-DUPONT;''=moi;" "so are - and a value that starts with ' and ="
like "$exp" ";'\+33 Référente;" "and +"
like "$exp" ";'Educ;" "a plain ' stays as it is"
"$B" -c "$CONF" annex import --partner p1 "$HOME_DIR/export.csv" >"$HOME_DIR/out"
ok $? "the export is imported again"
like "$(cat "$HOME_DIR/out")" "0 added, 0 updated, 0 ended, 2 unchanged" \
    "nothing changes: every cell reads back as it was"
after=$("$B" -c "$CONF" person list --partner p1 --json)
is "$(printf '%s' "$after" | python3 -c 'import json,sys; print(sorted((p["last_name"], p["first_name"], p["job_title"]) for p in json.load(sys.stdin)))')" \
    "[('-DUPONT', \"'=moi\", \"'Educ\"), ('=SOMME(A1:A9)', '@Anne', '+33 Référente')]" \
    "the names are those imported first"
is "$after" "$before" "person list is the same before and after the round trip"
rm -rf "$HOME_DIR"
# ---- person list --at: the state of the day; suspensions with history ----
demo_home
today=$(date +%Y-%m-%d)
json_state() {	# json_state EMAIL ARGS...: state|suspended|reason of EMAIL
	e=$1; shift
	"$B" -c "$CONF" person list "$@" --json | python3 -c '
import json, sys
for p in json.load(sys.stdin):
    if p["email"] == sys.argv[1]:
        print("%s|%s|%s" % (p["state"], p["suspended"], p["suspend_reason"] or ""))' "$e"
}
is "$(json_state j.roux@apeai34.fr --at 2026-08-01)" "in_force|False|" \
    "ROUX (ended 2026-08-31) is in force at 2026-08-01"
out=$("$B" -c "$CONF" person list --at 2026-08-01)
like "$out" "j.roux@apeai34.fr .* 2025-03-01 2026-08-31 in force" \
    "the table too says in force on that day"
ok "$([ "$today" \> 2026-08-31 ]; echo $?)" "(today is after 2026-08-31)"
is "$(json_state j.roux@apeai34.fr)" "ended|False|" "today ROUX is ended"
out=$("$B" -c "$CONF" person end j.roux@apeai34.fr --date 2026-08-31 2>&1)
like "$out" "person j.roux@apeai34.fr: habilitation ends on 2026-08-31" \
    "person end prints the end date"
# MARTIN suspended in October, resumed in November, suspended again.
out=$("$B" -c "$CONF" person suspend a.martin@apeai34.fr --reason \
    "poste partagé" --date 2026-10-01)
like "$out" "suspended from 2026-10-01" "person suspend --date: from that day"
out=$("$B" -c "$CONF" person resume a.martin@apeai34.fr --date 2026-09-30 2>&1)
is $? 1 "a resume before the suspension started is refused"
like "$out" "before the suspension started \(2026-10-01\)" "saying so"
out=$("$B" -c "$CONF" person resume a.martin@apeai34.fr --date 2026-11-01)
like "$out" "resumed on 2026-11-01" "person resume --date: on that day"
"$B" -c "$CONF" person suspend a.martin@apeai34.fr --reason départ \
    --date 2026-10-15 >/dev/null 2>&1
is $? 1 "a suspension inside the last one is refused"
"$B" -c "$CONF" person suspend a.martin@apeai34.fr --reason "départ" \
    --date 2026-11-20 >/dev/null; ok $? "suspended again from 2026-11-20"
err=$("$B" -c "$CONF" person suspend j.roux@apeai34.fr --reason x \
    --date 2099-01-01 2>&1)
is $? 2 "a suspension from a future day is refused"
is "$(json_state a.martin@apeai34.fr --at 2026-09-30)" "in_force|False|" \
    "--at before the first suspension: in force"
is "$(json_state a.martin@apeai34.fr --at 2026-10-01)" \
    "suspended|True|poste partagé" "--at its first day: suspended, with its reason"
is "$(json_state a.martin@apeai34.fr --at 2026-10-31)" \
    "suspended|True|poste partagé" "--at its last day: suspended"
is "$(json_state a.martin@apeai34.fr --at 2026-11-01)" "in_force|False|" \
    "--at the day of the resume: in force"
is "$(json_state a.martin@apeai34.fr --at 2026-11-25)" "suspended|True|départ" \
    "--at a day of the second: suspended, with the second reason"
like "$("$B" -c "$CONF" person list --at 2026-10-10)" \
    "a.martin@apeai34.fr .* suspended" "the table says suspended on that day"
# A decision reads the suspension in force on the day of processing.
mail="$SRCDIR/tests/data/demo/Maildir/new/1763370001.demo01.apeai-rib"
decide() { "$B" -c "$CONF" test --json --now "$1" "$mail"; }
like "$(decide 2026-09-30)" '"outcome":"accepted"' \
    "a mail of MARTIN on 2026-09-30 is accepted"
like "$(decide 2026-10-15)" '"reasons":\["sender_habilitation_ended"\]' \
    "on a day of her first suspension: refused"
like "$(decide 2026-11-10)" '"outcome":"accepted"' \
    "between the suspensions: accepted (not today's flag)"
like "$(decide 2026-11-25)" '"reasons":\["sender_habilitation_ended"\]' \
    "on a day of the second: refused"
# A partner's suspension too: the decision reads the one of its day.
out=$("$B" -c "$CONF" partner suspend ccas-lespignan --reason contrôle \
    --date 2026-10-01)
like "$out" "partner ccas-lespignan: suspended from 2026-10-01" \
    "partner suspend --date: from that day"
out=$("$B" -c "$CONF" partner resume ccas-lespignan --date 2026-10-20)
like "$out" "resumed on 2026-10-20" "partner resume --date: on that day"
ccas="$SRCDIR/tests/data/demo/Maildir/new/1763370003.demo03.ccas-blocage"
pdecide() { "$B" -c "$CONF" test --json --now "$1" "$ccas"; }
like "$(pdecide 2026-09-30)" '"reasons":\[\]' "a CCAS mail the day before: accepted"
like "$(pdecide 2026-10-05)" '"reasons":\["partner_inactive"\]' \
    "during the partner's suspension: partner_inactive"
like "$(pdecide 2026-10-20)" '"reasons":\[\]' "from the day it resumed: accepted"
is "$(sqlite3 "$HOME_DIR/var/balp.db" "select first_day || '|' || coalesce(last_day, '-') || '|' || reason from suspensions order by id" | tr '\n' ' ')" \
    "2026-10-01|2026-10-31|poste partagé 2026-11-20|-|départ " \
    "the store keeps both, with their days and reasons"
out=$("$B" -c "$CONF" audit verify 2>&1); ok $? "the audit chain verifies"
rm -rf "$HOME_DIR"
done_testing
