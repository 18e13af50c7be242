#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# balpctl log (issue 11): trace queries by period, partner, sender, outcome,
# reason, type and beneficiary (--nir, through the keyed pseudonym), each
# checked against the same store read with sqlite3; --json and --csv
# exports; the NIR in no output, error message nor database file.
. "$SRCDIR/tests/tools/tap.sh"
B="$SRCDIR/build/balpctl"
D="$SRCDIR/build/balpd"

demo_home; ok $? "a home with two partners and their annexes"
MD="$HOME_DIR/var/Maildir"
DB="$HOME_DIR/var/balp.db"
OUT="$HOME_DIR/outputs"		# every output and error of this test
: >"$OUT"
deliver_demo "$MD"
# A Message-ID that CSV must quote (';' and '"'), on a copy of demo01.
sed -e 's/^Message-ID:.*/Message-ID: <odd;"quoted"@apeai34.fr>/' \
    -e "s#{{RECENT}}#$(date -d '7 days ago' +%d/%m/%Y)#g" \
    "$SRCDIR"/tests/data/demo/Maildir/new/*demo01* >"$MD/tmp/1763370099.odd"
mv "$MD/tmp/1763370099.odd" "$MD/new/"
"$D" -c "$CONF" --once >>"$OUT" 2>&1; ok $? "the demo mails are triaged"
q() { sqlite3 "$DB" "$1"; }
# log ARGS...: the output (stdout and stderr) and its exit status in $rc.
log() {
	out=$("$B" -c "$CONF" log "$@" 2>&1)
	rc=$?
	printf '%s\n' "$out" >>"$OUT"
}
# rows ARGS...: how many decisions the table lists.
rows() { log "$@"; printf '%s\n' "$out" | sed 1d | grep -c .; }
# ids ARGS...: the IDs the table lists, one line.
ids() { log "$@"; printf '%s\n' "$out" | sed 1d | awk '{printf "%s ", $1}'; }
# sql_ids WHERE: the same, from sqlite, most recent first.
sql_ids() {
	q "select id from decisions where $1 order by id desc limit 50" |
	    awk '{printf "%s ", $1}'
}

total=$(q "select count(*) from decisions")
ok "$(test "$total" -ge 15; echo $?)" "the store holds the $total decisions"
is "$(rows)" "$total" "log lists them all"
log
like "$out" "^ID +DECIDED \\(UTC\\) +OUTCOME" "the table's ID column comes first"

# ---- each filter alone, against sqlite -------------------------------------
is "$(ids --partner ccas-lespignan)" "$(sql_ids "partner_id = 'ccas-lespignan'")" \
    "--partner"
is "$(ids --sender J.Roux@APEAI34.fr)" "$(sql_ids "sender = 'j.roux@apeai34.fr'")" \
    "--sender, lower-cased"
for o in accepted rejected quarantined; do
	n=$(q "select count(*) from decisions where outcome = '$o'")
	ok "$(test "$n" -gt 0; echo $?)" "the demo has $o decisions"
	is "$(ids --outcome $o)" "$(sql_ids "outcome = '$o'")" "--outcome $o"
done
is "$(ids --reason name_missing)" \
    "$(sql_ids "',' || reasons || ',' like '%,name_missing,%'")" \
    "--reason name_missing, wherever it is in the list"
is "$(ids --reason auth_failed)" "$(sql_ids "reasons = 'auth_failed'")" \
    "--reason auth_failed"
is "$(ids --type suspension)" "$(sql_ids "type = 'suspension'")" "--type"
is "$(rows --type nothing)" 0 "a type nobody sent finds nothing"
is "$(rows --limit 3)" 3 "--limit"

# The period, in UTC days, both bounds inclusive, in either date form.
today=$(date -u +%Y-%m-%d)
is "$(q "select count(*) from decisions where decided_at like '$today%'")" \
    "$total" "(every decision is of today, UTC)"
is "$(rows --since "$today" --until "$today")" "$total" \
    "--since TODAY --until TODAY: the whole day"
is "$(rows --until "$(date -u +%d/%m/%Y)")" "$total" "--until TODAY (DD/MM/YYYY)"
is "$(rows --until "$(date -u -d yesterday +%Y-%m-%d)")" 0 "--until yesterday: none"
is "$(rows --since "$(date -u -d tomorrow +%Y-%m-%d)")" 0 "--since tomorrow: none"
# A decision of yesterday's last second and one of tomorrow's first.
y=$(date -u -d yesterday +%Y-%m-%d)
t=$(date -u -d tomorrow +%Y-%m-%d)
at1=$(q "select decided_at from decisions where id = 1")
at2=$(q "select decided_at from decisions where id = 2")
q "update decisions set decided_at = '${y}T23:59:59Z' where id = 1;
   update decisions set decided_at = '${t}T00:00:00Z' where id = 2"
is "$(ids --since "$today" --until "$today")" \
    "$(sql_ids "decided_at >= '$today' and decided_at < '$t'")" \
    "one day's period leaves out the seconds around it"
is "$(ids --since "$y" --until "$y")" "1 " "--since = --until = yesterday: its last second"
is "$(ids --since "$t")" "2 " "--since tomorrow: its first second"
# Dates edited by hand break audit verify (issue 18 point 2): put back.
"$B" -c "$CONF" audit verify >/dev/null 2>&1; is $? 1 "the edited dates break audit verify"
q "update decisions set decided_at = '$at1' where id = 1;
   update decisions set decided_at = '$at2' where id = 2"

# ---- --nir: the beneficiary's messages, through the pseudonym ---------------
NIR="1 85 05 78 006 084 91"
NIR15="185057800608491"
demo01=$(q "select id from decisions where source_ref like '%demo01.apeai-rib'")
want=$(sql_ids "nir_pseudonym = (select nir_pseudonym from decisions where id = $demo01)")
ok "$(test "$(echo $want | wc -w)" -ge 3; echo $?)" "(the demo names that NIR in several mails)"
is "$(ids --nir "$NIR")" "$want" "--nir finds that beneficiary's decisions"
is "$rc" 0 "exit 0"
is "$(ids --nir "$NIR15")" "$want" "in any writing"
is "$(ids --nir "1.85.05.78.006.084-91")" "$want" "dots and a dash too"
is "$(printf '%s\n' "$NIR" | ids --nir -)" "$want" \
    "--nir - reads it from standard input"
# No copy of the NIR left in the process when it ends: read(2) into a
# buffer that is wiped, no stdio buffer (the whole memory, through a core
# taken by gdb as the process exits).
printf '%s\n' "$NIR" >"$HOME_DIR/nir.in"
cat >"$HOME_DIR/gdb.cmd" <<EOG
set pagination off
catch syscall exit_group
run -c $CONF log --nir - <$HOME_DIR/nir.in >/dev/null
gcore $HOME_DIR/core
kill
quit
EOG
gdb -q -batch -x "$HOME_DIR/gdb.cmd" "$B" >/dev/null 2>&1
ok "$(test -s "$HOME_DIR/core"; echo $?)" "(a core of log --nir - as it exits)"
is "$(grep -c -a -e "$NIR" -e "$NIR15" "$HOME_DIR/core")" 0 \
    "--nir -: the NIR is nowhere in the process's memory at its end"
rm -f "$HOME_DIR/core"
printf '%s\n' "1 85 05 78 006 084 92" >"$HOME_DIR/nir.in"
log --nir - <"$HOME_DIR/nir.in"
is "$rc" 2 "--nir - with a wrong NIR is a usage error"
like "$out" "--nir: not a valid NIR" "saying so"
log --nir - </dev/null
is "$rc" 2 "--nir - with nothing on standard input is a usage error"
is "$(ids --nir "$NIR" --outcome quarantined)" \
    "$(sql_ids "outcome = 'quarantined' and nir_pseudonym = (select nir_pseudonym from decisions where id = $demo01)")" \
    "--nir with --outcome"
is "$(ids --nir "$NIR" --partner ccas-lespignan)" "" "--nir with another partner: none"
demo03=$(q "select id from decisions where source_ref like '%demo03.ccas-blocage'")
is "$(ids --nir "1 85 08 2a 004 012 21")" \
    "$(sql_ids "nir_pseudonym = (select nir_pseudonym from decisions where id = $demo03)")" \
    "a Corsican NIR, typed in lower case"
is "$(ids --nir "2870634172058 73")" \
    "$(sql_ids "nir_pseudonym = (select nir_pseudonym from decisions where source_ref like '%demo07%')")" \
    "another beneficiary: their own"

# ---- exports ----------------------------------------------------------------
log --json
printf '%s' "$out" | python3 -m json.tool >/dev/null; ok $? "--json is valid JSON"
is "$(printf '%s' "$out" | python3 -c '
import json, sys
v = json.load(sys.stdin)
keys = {"id", "decided_at", "outcome", "type", "partner", "sender", "reasons",
        "queue", "message_id", "source", "source_ref", "supersedes"}
assert all(set(o) == keys for o in v), "keys"
assert all(isinstance(o["reasons"], list) for o in v), "reasons"
assert all(o["supersedes"] is None or isinstance(o["supersedes"], int) for o in v)
assert [o["id"] for o in v] == sorted((o["id"] for o in v), reverse=True)
print(len(v))')" "$total" "one object per decision, the fields named, newest first"
log --json --reason name_missing --partner apeai-ouest-herault
is "$(printf '%s' "$out" | python3 -c '
import json, sys
print(" ".join(",".join(o["reasons"]) for o in json.load(sys.stdin)))')" \
    "$(q "select reasons from decisions where partner_id = 'apeai-ouest-herault' and ',' || reasons || ',' like '%,name_missing,%' order by id desc" | tr '\n' ' ' | sed 's/ $//')" \
    "--json: reasons as arrays, filters applied"
log --json --nir "$NIR"
is "$(printf '%s' "$out" | python3 -c '
import json, sys
print(" ".join(str(o["id"]) for o in json.load(sys.stdin)))')" "$(echo $want)" \
    "--json --nir"
log --json --until 2000-01-01
is "$(printf '%s' "$out" | python3 -c 'import json, sys; print(json.load(sys.stdin))')" \
    "[]" "--json with nothing found is []"

log --csv
csv=$out
printf '%s' "$csv" | python3 -c '
import csv, sys
r = list(csv.reader(sys.stdin, delimiter=";"))
assert r[0] == ["id", "decided_at", "outcome", "type", "partner", "sender",
    "reasons", "queue", "message_id", "source", "source_ref", "supersedes"], r[0]
assert all(len(x) == 12 for x in r), "columns"
print(len(r) - 1)' >"$HOME_DIR/csv.n"
ok $? "--csv is read by the csv module, ';' separated, with its header"
is "$(cat "$HOME_DIR/csv.n")" "$total" "one row per decision"
odd=$(q "select id from decisions where message_id like 'odd;%'")
ok "$(test -n "$odd"; echo $?)" "(a decision has a Message-ID with ';' and '\"')"
is "$(printf '%s' "$csv" | python3 -c '
import csv, sys
for x in csv.reader(sys.stdin, delimiter=";"):
    if x[0] == sys.argv[1]:
        print(x[8])' "$odd")" "$(q "select message_id from decisions where id = $odd")" \
    "--csv quotes it and it reads back whole"
is "$(printf '%s' "$csv" | python3 -c '
import csv, sys
for x in csv.reader(sys.stdin, delimiter=";"):
    if x[0] == sys.argv[1]:
        print(x[6])' "$(q "select id from decisions where reasons like '%,%' limit 1")")" \
    "$(q "select reasons from decisions where reasons like '%,%' limit 1")" \
    "--csv: reasons joined with ','"
log --csv --nir "$NIR" --outcome rejected
is "$(printf '%s' "$out" | python3 -c '
import csv, sys
print(" ".join(x[0] for x in list(csv.reader(sys.stdin, delimiter=";"))[1:]))')" \
    "$(echo $(sql_ids "outcome = 'rejected' and nir_pseudonym = (select nir_pseudonym from decisions where id = $demo01)"))" \
    "--csv with filters"

# ---- refusals: usage errors, never the NIR in their message ------------------
bad() {	# bad DESCRIPTION ARGS...: exit 2, and the NIR not in the message
	d=$1
	shift
	log "$@"
	is "$rc" 2 "$d is a usage error"
	unlike "$out" "$NIR15|$NIR|1850578006084|1.85.05" "$d: the NIR is not in the message"
}
bad "--outcome accept" --outcome accept
like "$out" "accepted, rejected or quarantined" "naming the outcomes"
bad "--outcome NIR" --outcome "$NIR15"
bad "--reason nir_missing_key" --reason nir_missing_key
like "$out" "nir_missing_key' is no reason code" "naming the value"
bad "--reason missing" --reason missing
bad "--reason NIR" --reason "$NIR15"
bad "--nir with a wrong key" --nir "1 85 05 78 006 084 92"
like "$out" "--nir: not a valid NIR" "saying so"
bad "--nir without its key" --nir "1850578006084"
bad "--nir behind a label" --nir "NIR $NIR15"
bad "--nir with two numbers" --nir "$NIR15 2870634172058 73"
bad "--nir=NIR with a typo in the option" --nri="$NIR15"
bad "--since 2026-13-01" --since 2026-13-01
bad "--until 31/02/2026" --until 31/02/2026
bad "--since after --until" --since 2026-11-02 --until 2026-11-01
bad "--json with --csv" --json --csv
bad "--limit 0" --limit 0
# A typo in a filter is not "no traces" (issue 18 point 3): named, exit 2.
audits=$(q "select count(*) from audit")
bad "--partner nope" --partner nope
like "$out" "--partner: 'nope' is no partner" "naming the partner"
bad "--type bogus" --type bogus
like "$out" "--type: 'bogus' is no type of the rules \\(rib, " "naming the type and the rules' types"
bad "--queue BALP/Bogus" --queue BALP/Bogus
like "$out" "--queue: 'BALP/Bogus' is no queue" "naming the queue"
bad "--sender not-an-email" --sender not-an-email
like "$out" "--sender: 'not-an-email' is not an email address" "naming the sender"
bad "--sender NIR" --sender "$NIR15"
bad "--partner NIR" --partner "$NIR15"
is "$(q "select count(*) from audit")" "$audits" "a refused query writes no trace.query row"
is "$(ids --queue BALP/Rejets)" "$(sql_ids "queue = 'BALP/Rejets'")" "--queue BALP/Rejets"
log --partner ccas-lespignan --type blocage --outcome quarantined --until 2000-01-01
is "$rc:$out" "0:$(printf '%s' "$out" | head -1)" "known values that match nothing: an empty table, exit 0"

# ---- the table shows 50, an export all --------------------------------------
fill "$MD" 40 more
"$D" -c "$CONF" --once >>"$OUT" 2>&1; ok $? "40 more mails are triaged"
total=$(q "select count(*) from decisions")
is "$(rows)" 50 "the table stops at 50 by default"
log --json
is "$(printf '%s' "$out" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')" \
    "$total" "--json exports all $total"
log --csv
is "$(printf '%s' "$out" | python3 -c '
import csv, sys; print(len(list(csv.reader(sys.stdin, delimiter=";"))) - 1)')" \
    "$total" "--csv exports all"
log --csv --limit 7
is "$(printf '%s' "$out" | grep -c .)" 8 "--csv --limit 7: the header and 7 rows"
is "$(ids --nir "$NIR" --limit 500)" \
    "$(sql_ids "nir_pseudonym = (select nir_pseudonym from decisions where id = $demo01)")" \
    "--nir still matches sqlite with more rows"

# ---- every query is traced: who looked, for what -----------------------------
before=$(q "select count(*) from audit where action = 'trace.query'")
ok "$(test "$before" -ge 10; echo $?)" "the queries above left audit rows ($before)"
ids --nir "$NIR" --outcome rejected >/dev/null
is "$(q "select count(*) from audit where action = 'trace.query'")" "$((before + 1))" \
    "one more query, one more row"
row=$(q "select actor || ' ' || detail from audit where action = 'trace.query' order by id desc limit 1")
pseudo=$(q "select nir_pseudonym from decisions where id = $demo01")
like "$row" "^admin:[^ ]+ outcome=rejected; nir_pseudonym=$pseudo; rows=[0-9]+$" \
    "naming the admin, the filters (the NIR as its pseudonym) and the rows"
"$B" -c "$CONF" audit verify >/dev/null; ok $? "the audit chain verifies"

# ---- the NIR, and the pseudonym, appear nowhere -----------------------------
is "$(grep -c -E "$NIR15|$NIR|1850578006084" "$OUT")" 0 \
    "no output, error or balpd log line holds the NIR"
for p in $(q "select distinct nir_pseudonym from decisions where nir_pseudonym is not null"); do
	grep -q "$p" "$OUT" && echo "# pseudonym $p in an output"
done >"$HOME_DIR/pseudo.out"
is "$(cat "$HOME_DIR/pseudo.out")" "" "nor any pseudonym"
is "$(cat "$DB" "$DB"-wal "$DB"-shm 2>/dev/null | grep -a -c -E "$NIR15|$NIR|1850578006084")" \
    0 "the database files do not hold the NIR"
ok "$(ls "$DB"* >/dev/null; echo $?)" "(they were read: $(ls "$DB"* | wc -l) files)"

rm -rf "$HOME_DIR"
done_testing
