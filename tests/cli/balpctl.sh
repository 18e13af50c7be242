#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# balpctl as an admin uses it: outputs and exit codes.
. "$SRCDIR/tests/tools/tap.sh"
B="$SRCDIR/build/balpctl"
today=$(date +%Y-%m-%d)

new_home
out=$("$B" -c "$CONF" init 2>&1); ok $? "init succeeds"
like "$out" "key .*new" "init creates the pseudonym key"
is "$(stat -c %a "$HOME_DIR/var/pseudonym.key")" 600 "the key file is 0600"
ok "$(test -d "$HOME_DIR/var/Maildir/.BALP.Quarantaine/new"; echo $?)" \
    "init creates the queue folders"
out=$("$B" -c "$CONF" init 2>&1); ok $? "init twice is harmless"
like "$out" "kept" "the second init keeps the key"

"$B" init -c "$CONF" >/dev/null 2>&1; is $? 2 "-c after the command is a usage error"
"$B" -c "$CONF" frobnicate >/dev/null 2>&1; is $? 2 "an unknown command exits 2"

"$B" -c "$CONF" partner add --id apeai-ouest-herault --name "APEAI Ouest Hérault" \
    --siret "318 846 292 00064" --start 2025-01-01 --max-persons 3 >/dev/null
ok $? "partner add"
err=$("$B" -c "$CONF" partner add --id apeai-ouest-herault --name X 2>&1)
is $? 1 "adding the same partner again is refused"
like "$err" "apeai-ouest-herault" "the refusal names the partner"
"$B" -c "$CONF" partner add --id "Bad Id" --name X >/dev/null 2>&1
is $? 2 "a partner id with spaces is a usage error"
err=$("$B" -c "$CONF" partner add --id x --name X --start 2025-13-01 2>&1)
is $? 2 "a bad date is a usage error"
like "$err" "2025-13-01" "the error names the bad date"
out=$("$B" -c "$CONF" partner list); like "$out" "apeai-ouest-herault.*in force" \
    "partner list shows the partner in force"

csv="$HOME_DIR/annex.csv"
printf '\357\273\277Nom;Prénom;E-mail;Fonction;Date habilitation;Date fin\n' >"$csv"
printf 'MARTIN;Anne;A.Martin@apeai34.fr;Assistante sociale;05/01/2025;\n' >>"$csv"
printf 'ROUX;Julien;j.roux@apeai34.fr;Educateur;2025-03-01;31/12/2030\n' >>"$csv"
out=$("$B" -c "$CONF" annex import --partner apeai-ouest-herault --dry-run "$csv")
ok $? "annex import --dry-run"
like "$out" "\+ add a.martin@apeai34.fr" "the dry run shows the additions"
out=$("$B" -c "$CONF" person list --partner apeai-ouest-herault)
unlike "$out" "a.martin" "a dry run writes nothing"
"$B" -c "$CONF" annex import --partner apeai-ouest-herault "$csv" >/dev/null
ok $? "annex import (BOM, accents and aliases in the header)"
out=$("$B" -c "$CONF" person list --at "$today")
like "$out" "a.martin@apeai34.fr" "imported persons are habilitated today"

bad="$HOME_DIR/bad.csv"
printf 'nom;prenom;email;fonction;date_habilitation;date_fin\n' >"$bad"
printf 'PETIT;Marc;m.petit@apeai34.fr;Educateur;01/02/2025;\n' >>"$bad"
printf 'DURAND;;d.durand@apeai34;CESF;32/01/2025;\n' >>"$bad"
printf 'LEROY;Emma;e.leroy@apeai34.fr;CESF;2025-06-01;2025-01-01\n' >>"$bad"
err=$("$B" -c "$CONF" annex import --partner apeai-ouest-herault "$bad" 2>&1)
is $? 1 "a CSV with bad rows is refused"
like "$err" "line 3" "the error lists line 3"
like "$err" "line 4" "and line 4: every error, not only the first"
out=$("$B" -c "$CONF" person list --partner apeai-ouest-herault)
unlike "$out" "m.petit" "nothing of a refused file is written, not even its good rows"

over="$HOME_DIR/over.csv"
printf 'nom;prenom;email;fonction;date_habilitation;date_fin\n' >"$over"
for n in 1 2 3 4; do
	printf 'P%s;X;p%s@apeai34.fr;CESF;01/02/2025;\n' $n $n >>"$over"
done
err=$("$B" -c "$CONF" annex import --partner apeai-ouest-herault "$over" 2>&1)
is $? 1 "an annex over the partner's quota is refused"
like "$err" "3" "the refusal gives the quota"

only_roux="$HOME_DIR/roux.csv"
printf 'nom;prenom;email;fonction;date_habilitation;date_fin\n' >"$only_roux"
printf 'ROUX;Julien;j.roux@apeai34.fr;Educateur;2025-03-01;31/12/2030\n' >>"$only_roux"
out=$("$B" -c "$CONF" annex import --partner apeai-ouest-herault "$only_roux")
like "$out" "- end a.martin@apeai34.fr" "a person missing from the annex is ended"
out=$("$B" -c "$CONF" person list --partner apeai-ouest-herault)
like "$out" "a.martin@apeai34.fr.*$today" "ended at the import date, not deleted"

"$B" -c "$CONF" annex export --partner apeai-ouest-herault "$HOME_DIR/export.csv"
ok $? "annex export"
out=$("$B" -c "$CONF" annex import --partner apeai-ouest-herault --dry-run "$HOME_DIR/export.csv")
like "$out" "0 added, 0 updated, 0 ended" "re-importing an export changes nothing"

out=$("$B" -c "$CONF" rules check); ok $? "rules check passes on the shipped rules"
sed -i 's/keywords = \[ "blocage"/keywrods = [ "blocage"/' "$HOME_DIR/rules/balp.rules"
err=$("$B" -c "$CONF" rules check 2>&1); is $? 2 "a typo in the rules is refused"
like "$err" "balp.rules:[0-9]+: unknown setting 'keywrods'" "with file:line"
printf 'rules = "../rules/balp.rules"\nstore = { path = 3; }\n' >"$HOME_DIR/conf/bad.conf"
err=$("$B" -c "$HOME_DIR/conf/bad.conf" rules check 2>&1)
is $? 2 "a bad config is refused"
like "$err" "bad.conf:2: 'path' must be a string" "with file:line"
# A config written before isolation became mandatory is refused, not obeyed.
sed 's/^\(\tmax_header_bytes.*\)$/\1\n\tparse_in_child = false;/' "$CONF" \
    >"$HOME_DIR/conf/old.conf"
line=$(grep -n parse_in_child "$HOME_DIR/conf/old.conf" | cut -d: -f1)
err=$("$B" -c "$HOME_DIR/conf/old.conf" rules check 2>&1)
is $? 2 "a config naming parse_in_child is refused"
like "$err" "old.conf:$line: 'parse_in_child' is no longer a setting: the parser always runs isolated" \
    "with file:line and why"
rm -rf "$HOME_DIR"

# balpctl test decides the demo mails as expected, with no side effect.
demo_home
mkdir -p "$HOME_DIR/mails"
deliver_demo "$HOME_DIR/var/Maildir"
json=$("$B" -c "$CONF" test --json "$HOME_DIR"/var/Maildir/new/*)
ok $? "test --json exits 0 when every file is decided"
while IFS='	' read -r f o t r; do
	case $f in "#"*) continue ;; esac
	line=$(printf '%s\n' "$json" | grep "/$f\"")
	[ "$t" = "-" ] && t=null || t="\"$t\""
	[ "$r" = "-" ] && r="" || r="\"$(printf '%s' "$r" | sed 's/,/","/g')\""
	like "$line" "\"outcome\":\"$o\",\"type\":$t,.*\"reasons\":\[$r\]\}" "test: $f"
done <"$SRCDIR/tests/data/demo/expected.tsv"
is "$(ls "$HOME_DIR/var/Maildir/new" | wc -l)" 14 "test moved nothing"
err=$("$B" -c "$CONF" test "$HOME_DIR/var/Maildir/new" 2>&1 >/dev/null)
is $? 1 "test on a folder fails"
like "$err" "Maildir/new is a folder: test takes message files \(.*Maildir/new/\*\)" \
    "saying it wants the files"
out=$("$B" -c "$CONF" log); unlike "$out" "accepted|rejected" "test recorded nothing"
# Suspensions and ends act on the next decision, without a restart.
rib="$HOME_DIR/var/Maildir/new/1763370001.demo01.apeai-rib"
decide() { "$B" -c "$CONF" test --json --now "$today" "$rib"; }
like "$(decide)" '"outcome":"accepted"' "the demo RIB is accepted"
"$B" -c "$CONF" partner suspend apeai-ouest-herault >/dev/null 2>&1
is $? 2 "partner suspend needs a reason"
"$B" -c "$CONF" partner suspend apeai-ouest-herault --reason "audit en cours" >/dev/null
ok $? "partner suspend"
like "$(decide)" '"reasons":\["partner_inactive"\]' "a suspended partner's mail is partner_inactive"
out=$("$B" -c "$CONF" partner show apeai-ouest-herault)
like "$out" "suspended: audit en cours" "partner show gives the suspension and its reason"
"$B" -c "$CONF" partner resume apeai-ouest-herault >/dev/null; ok $? "partner resume"
like "$(decide)" '"outcome":"accepted"' "accepted again once resumed"
"$B" -c "$CONF" person suspend a.martin@apeai34.fr --reason "poste vacant" >/dev/null
ok $? "person suspend"
like "$(decide)" '"reasons":\["sender_habilitation_ended"\]' "a suspended person may not write"
"$B" -c "$CONF" person resume a.martin@apeai34.fr >/dev/null; ok $? "person resume"
"$B" -c "$CONF" person end a.martin@apeai34.fr --date "$today" >/dev/null
ok $? "person end"
like "$(decide)" '"outcome":"accepted"' "the end day itself is still valid"
tomorrow=$(date -d tomorrow +%Y-%m-%d)
like "$("$B" -c "$CONF" test --json --now "$tomorrow" "$rib")" \
    '"reasons":\["sender_habilitation_ended"\]' "the day after the end is not"
"$B" -c "$CONF" partner end apeai-ouest-herault --date 2020-01-01 >/dev/null 2>&1
is $? 1 "a convention cannot end before it starts"
out=$("$B" -c "$CONF" person list --at "$tomorrow" --partner apeai-ouest-herault)
unlike "$out" "a.martin" "person list --at shows who is habilitated that day"
"$B" -c "$CONF" test --json "$HOME_DIR/nope.eml" >/dev/null 2>&1
is $? 1 "an unreadable file is an error"
out=$("$B" -c "$CONF" test --json --now 2026-08-15 \
    "$HOME_DIR/var/Maildir/new/1763370009.demo09.apeai-habilitation-finie")
like "$out" '"outcome":"accepted"' "--now sets the day of processing (habilitation then valid)"

# --json of partner list|show and person list: valid JSON, and the values
# of the store (read with sqlite3) - never a NIR nor a key.
DB="$HOME_DIR/var/balp.db"
q() { sqlite3 "$DB" "$1"; }
"$B" -c "$CONF" partner suspend ccas-lespignan --reason 'contrôle "annuel"' >/dev/null
ok $? "a partner suspended for the JSON's state"
# The fields of a JSON array or object as "a|b|c" lines (null and false
# as sqlite3 prints NULL and 0: '' and 0), for a comparison with sqlite3.
rows() {	# KEYS... (stdin: the JSON; an object's "persons" with -p)
	python3 -c '
import json, sys
keys = sys.argv[1:]
doc = json.load(sys.stdin)
if keys[0] == "-p":
    doc, keys = doc["persons"], keys[1:]
elif isinstance(doc, dict):
    doc = [doc]
def cell(v):
    return "" if v is None else str(int(v)) if isinstance(v, bool) else str(v)
for o in doc:
    print("|".join(cell(o[k]) for k in keys))
' "$@"
}
out=$("$B" -c "$CONF" partner list --json); ok $? "partner list --json"
printf '%s' "$out" | python3 -m json.tool >/dev/null; ok $? "partner list --json is valid JSON"
is "$(printf '%s' "$out" | rows id name siret start end suspended suspend_reason max_persons created_at)" \
    "$(q "select id, name, siret, convention_start, convention_end, suspended, suspend_reason, max_persons, created_at from partners order by id")" \
    "partner list --json: the partners of the store"
is "$(printf '%s' "$out" | rows id state)" "apeai-ouest-herault|in_force
ccas-lespignan|suspended" "partner list --json: each one's state as one word"
is "$(printf '%s\n' "$out" | grep -c '^{"id":')" "$(q "select count(*) from partners")" \
    "one partner a line (what the bash completion reads)"
table=$("$B" -c "$CONF" partner list | awk 'NR > 1 { sub("/.*", "", $NF); print $1 "|" $NF }')
is "$(printf '%s' "$out" | rows id persons_today)" "$table" \
    "persons_today is the count of the table"
out=$("$B" -c "$CONF" partner show ccas-lespignan --json); ok $? "partner show ID --json"
printf '%s' "$out" | python3 -m json.tool >/dev/null; ok $? "partner show --json is valid JSON"
is "$(printf '%s' "$out" | rows id name suspended suspend_reason max_persons)" \
    "$(q "select id, name, suspended, suspend_reason, max_persons from partners where id = 'ccas-lespignan'")" \
    "partner show --json: the partner of the store"
is "$(printf '%s' "$out" | rows -p email last_name first_name | sort)" \
    "$(q "select email, last_name, first_name from persons where partner_id = 'ccas-lespignan'" | sort)" \
    "partner show --json: its persons"
"$B" -c "$CONF" partner show --json >/dev/null 2>&1; is $? 2 "partner show --json without an id is a usage error"
"$B" -c "$CONF" partner list --csv >/dev/null 2>&1; is $? 2 "partner list --csv is a usage error"
out=$("$B" -c "$CONF" person list --json); ok $? "person list --json"
printf '%s' "$out" | python3 -m json.tool >/dev/null; ok $? "person list --json is valid JSON"
is "$(printf '%s' "$out" | rows partner email last_name first_name job_title start end suspended suspend_reason | sort)" \
    "$(q "select partner_id, email, last_name, first_name, nullif(job_title, ''), hab_start, hab_end, suspended, suspend_reason from persons" | sort)" \
    "person list --json: the persons of the store"
like "$(printf '%s' "$out" | rows email state)" "a\.martin@apeai34\.fr\|in_force" \
    "a person ending today is still in force"
out=$("$B" -c "$CONF" person list --json --partner apeai-ouest-herault --at "$tomorrow")
printf '%s' "$out" | python3 -m json.tool >/dev/null; ok $? "person list --json --partner --at is valid JSON"
unlike "$out" "a\.martin|ccas-lespignan" "with --at and --partner it narrows as the table does"
is "$(printf '%s' "$out" | rows email | wc -l)" \
    "$("$B" -c "$CONF" person list --partner apeai-ouest-herault --at "$tomorrow" | tail -n +2 | wc -l)" \
    "as many persons as the table"
is "$("$B" -c "$CONF" person list --partner nobody --json)" "[
]" "no person: an empty array"
all=$("$B" -c "$CONF" partner list --json; "$B" -c "$CONF" person list --json
    "$B" -c "$CONF" partner show apeai-ouest-herault --json)
key_hex=$(tr -d '\n' <"$HOME_DIR/var/pseudonym.key")
unlike "$all" "$key_hex" "no JSON listing holds the key"
out=$("$B" -c "$CONF" rules check --json); ok $? "rules check --json"
printf '%s' "$out" | python3 -m json.tool >/dev/null; ok $? "rules check --json is valid JSON"
like "$out" '"queue_rejects":"[^"]+","queue_quarantine":"[^"]+"' "it names the rejects and quarantine queues"
rm -rf "$HOME_DIR"

# --version: the VERSION file's, for both binaries.
version=$(cat "$SRCDIR/VERSION")
like "$version" '^[0-9]+\.[0-9]+\.[0-9]+' "VERSION holds a version"
out=$("$B" --version); ok $? "balpctl --version exits 0"
is "$out" "balpctl $version" "balpctl --version prints VERSION"
out=$("$SRCDIR/build/balpd" --version); ok $? "balpd --version exits 0"
is "$out" "balpd $version" "balpd --version prints VERSION"
like "$("$B" --help)" "--version" "balpctl --help mentions --version"
done_testing
