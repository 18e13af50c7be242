#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# balpctl review (issue 11, Contrat 2.2.2): the yearly reverse review.  On
# the demo home after a triage, persons and partners are added that hit
# each flag; each flag must show for them and for no one else, in the
# text, the CSV (read with python's csv) and the JSON (json.tool); the
# counts by outcome are those sqlite3 finds in the same store.
. "$SRCDIR/tests/tools/tap.sh"
B="$SRCDIR/build/balpctl"
D="$SRCDIR/build/balpd"

demo_home; ok $? "a home with two partners and their annexes"
MD="$HOME_DIR/var/Maildir"
DB="$HOME_DIR/var/balp.db"
deliver_demo "$MD"
"$D" -c "$CONF" --once >/dev/null 2>&1; ok $? "the demo mails are triaged"
q() { sqlite3 "$DB" "$1"; }
day() { date -d "$1" +%F; }
TODAY=$(date +%F)

# A partner of its own, every date relative to today.  Quota 2: NEUF and
# PAUSE count today; ANCIEN, ended 10 days ago, counted until then.
"$B" -c "$CONF" partner add --id revue-asso --name "Association Revue" \
    --start "$(day '-2 years')" --max-persons 2 >/dev/null
ok $? "partner revue-asso, quota 2"
"$B" -c "$CONF" person add --partner revue-asso --last-name ANCIEN \
    --first-name Paul --email p.ancien@revue.fr --job-title "Éducateur" \
    --start "$(day '-400 days')" --end "$(day '-10 days')" >/dev/null
ok $? "a person whose habilitation ended 10 days ago"
"$B" -c "$CONF" person add --partner revue-asso --last-name NEUF \
    --first-name Nina --email n.neuf@revue.fr \
    --start "$(day '-30 days')" >/dev/null
ok $? "a person habilitated 30 days ago who never wrote"
"$B" -c "$CONF" person add --partner revue-asso --last-name PAUSE \
    --first-name Paula --email p.pause@revue.fr --job-title "Secrétaire; accueil" \
    --start "$(day '-100 days')" >/dev/null
ok $? "a third person"
"$B" -c "$CONF" person suspend p.pause@revue.fr --reason "congé, longue durée" \
    >/dev/null
ok $? "suspended"
# A convention ended yesterday, no person.
"$B" -c "$CONF" partner add --id fin-conv --name "Convention finie" \
    --start "$(day '-3 years')" >/dev/null &&
"$B" -c "$CONF" partner end fin-conv --date "$(day '-1 day')" >/dev/null
ok $? "a partner whose convention ended yesterday"
"$B" -c "$CONF" partner suspend ccas-lespignan --reason "contrôle" >/dev/null
ok $? "a suspended partner"

# ---- text ----------------------------------------------------------------
out=$("$B" -c "$CONF" review); ok $? "review exits 0"
like "$out" "on $TODAY: the review year is $(day '-364 days') to $TODAY" \
    "the review day and year"
like "$out" "partner     revue-asso  Association Revue" "a header per partner"
line() { printf '%s\n' "$out" | grep -E "$1"; }
like "$(line '^NEUF ')" "in force .* never_used$" "NEUF: never_used"
like "$(line '^ANCIEN ')" "$(day '-10 days') ended .*never_used,past_end$" \
    "ANCIEN: past_end, with the end date"
like "$(line '^PAUSE ')" "suspended .*never_used,suspended \\(congé, longue durée\\)$" \
    "PAUSE: suspended, with the reason"
like "$(line '^MARTIN ')" "$TODAY .* -$" "MARTIN wrote today: no flag"
like "$out" "total .* persons \\(never_used [0-9]+, idle 0," "nobody idle today"
like "$out" "summary     3 persons: never_used 3, idle 0, past_end 1, suspended 1" \
    "revue-asso's summary line"
ccas=$(printf '%s\n' "$out" | sed -n '/^partner     ccas-lespignan/,/^summary/p')
like "$ccas" "state       suspended: contrôle" "ccas: suspended, with the reason"
like "$ccas" "flags       suspended$" "ccas: the suspended flag"
fin=$(printf '%s\n' "$out" | sed -n '/^partner     fin-conv/,/^summary/p')
like "$fin" "flags       convention_ended$" "fin-conv: convention_ended"
like "$fin" "no person habilitated" "and no person"
like "$out" "total       4 partners \\(over_quota 0, convention_ended 1, suspended 1\\)" \
    "the total line"
unlike "$out" "over_quota [1-9]" "nobody over quota today"

# Over the quota: the review on a day when ANCIEN still counted.
past=$(day '-15 days')
out=$("$B" -c "$CONF" review --partner revue-asso --now "$past"); ok $? "review --now 15 days ago"
like "$out" "persons     3 counted for the quota on $past .*quota 2" \
    "three persons counted then"
like "$out" "flags       over_quota$" "revue-asso: over_quota"
unlike "$(line '^ANCIEN ')" "past_end" "ANCIEN not yet past his end then"
unlike "$out" "partner     apeai" "--partner: that partner only"

# Idle: 7 months on, those who wrote today are idle; never used stay so.
later=$(day '+7 months')
"$B" -c "$CONF" review --now "$later" --json >"$HOME_DIR/later.json"
ok $? "review --now in 7 months --json"
"$B" -c "$CONF" review --now "$later" --idle-months 8 --json >"$HOME_DIR/later8.json"
ok $? "the same with --idle-months 8"
flags() {	# FILE EMAIL: the person's flags, comma-separated
	python3 - "$1" "$2" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
for pa in doc["partners"]:
    for p in pa["persons"]:
        if p["email"] == sys.argv[2]:
            print(",".join(p["flags"]))
PY
}
is "$(flags "$HOME_DIR/later.json" a.martin@apeai34.fr)" "idle" "MARTIN idle 7 months on"
is "$(flags "$HOME_DIR/later.json" c.garcia@mairie-lespignan.fr)" "idle" "GARCIA too"
is "$(flags "$HOME_DIR/later.json" n.neuf@revue.fr)" "never_used" \
    "NEUF never used, not also idle"
is "$(flags "$HOME_DIR/later8.json" a.martin@apeai34.fr)" "" "not idle with --idle-months 8"
"$B" -c "$CONF" review --idle-months -1 >/dev/null 2>&1; is $? 2 "--idle-months -1 is a usage error"
"$B" -c "$CONF" review --format xml >/dev/null 2>&1; is $? 2 "--format xml is a usage error"
"$B" -c "$CONF" review --json --format csv >/dev/null 2>&1; is $? 2 "--json with csv is a usage error"
err=$("$B" -c "$CONF" review --partner nope 2>&1); is $? 1 "an unknown partner fails"
like "$err" "no partner 'nope'" "naming it"

# ---- json ----------------------------------------------------------------
"$B" -c "$CONF" review --json >"$HOME_DIR/review.json"; ok $? "review --json"
python3 -m json.tool "$HOME_DIR/review.json" >/dev/null; ok $? "is valid JSON"
# Every flag on the right persons and partners only.
check=$(python3 - "$HOME_DIR/review.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
want_p = {"revue-asso": [], "fin-conv": ["convention_ended"],
          "ccas-lespignan": ["suspended"], "apeai-ouest-herault": []}
want = {"n.neuf@revue.fr": ["never_used"],
        "p.ancien@revue.fr": ["never_used", "past_end"],
        "p.pause@revue.fr": ["never_used", "suspended"],
        "a.martin@apeai34.fr": [], "c.garcia@mairie-lespignan.fr": []}
bad = []
for pa in doc["partners"]:
    if want_p.get(pa["id"]) != pa["flags"]:
        bad.append("%s %s" % (pa["id"], pa["flags"]))
    for p in pa["persons"]:
        if p["email"] in want and want[p["email"]] != p["flags"]:
            bad.append("%s %s" % (p["email"], p["flags"]))
    n = len(pa["persons"])
    if pa["summary"]["count"] != n:
        bad.append("%s summary" % pa["id"])
if sorted(pa["id"] for pa in doc["partners"]) != sorted(want_p):
    bad.append("partners %s" % [pa["id"] for pa in doc["partners"]])
pause = [p for pa in doc["partners"] for p in pa["persons"] if p["email"] == "p.pause@revue.fr"][0]
if pause["suspend_reason"] != "congé, longue durée":
    bad.append("reason %r" % pause["suspend_reason"])
print(" ".join(bad) if bad else "ok")
PY
)
is "$check" "ok" "each flag on its person or partner, and no other"

# Counts by outcome and the last message, as sqlite3 finds them.
ys=$(day '-364 days')
python3 - "$HOME_DIR/review.json" >"$HOME_DIR/counts.txt" <<'PY'
import json, sys
for pa in json.load(open(sys.argv[1]))["partners"]:
    for p in pa["persons"]:
        print(pa["id"], p["email"], p["accepted"], p["rejected"],
              p["quarantined"], p["last_message"] or "-")
PY
total=0
while read -r pid email acc rej qua last; do
	n() { q "select count(*) from decisions where sender = '$email' and partner_id = '$pid' and outcome = '$1' and date(decided_at, 'localtime') between '$ys' and '$TODAY' and id not in (select supersedes from decisions where supersedes is not null)"; }
	l=$(q "select coalesce(max(date(decided_at, 'localtime')), '-') from decisions where sender = '$email' and partner_id = '$pid' and supersedes is null and reasons not like '%auth_failed%'")
	is "$acc $rej $qua $last" "$(n accepted) $(n rejected) $(n quarantined) $l" \
	    "$email: counts and last message as sqlite3 finds them"
	total=$((total + acc + rej + qua))
done <"$HOME_DIR/counts.txt"
ok "$(test "$total" -gt 0; echo $?)" "the counts are not all zero"
is "$(grep -c . "$HOME_DIR/counts.txt")" \
    "$(q "select count(*) from persons where (hab_end is null or hab_end >= '$ys') and not (hab_end is not null and hab_end < hab_start)")" \
    "every person of the year listed, as sqlite3 counts them"

# A retriaged message is counted once.
rej=$(q "select id from decisions where source_ref like '%demo14.apeai-motif-inconnu'")
before=$(grep '^apeai-ouest-herault a.martin' "$HOME_DIR/counts.txt")
"$B" -c "$CONF" message retriage "$rej" --reason "relu" >/dev/null; ok $? "retriage one of MARTIN's"
"$D" -c "$CONF" --once >/dev/null 2>&1; ok $? "and triage it again"
is "$(q "select count(*) from decisions where supersedes = $rej")" 1 "a second decision supersedes it"
after=$("$B" -c "$CONF" review --json --partner apeai-ouest-herault | python3 -c '
import json, sys
for p in json.load(sys.stdin)["partners"][0]["persons"]:
    if p["email"] == "a.martin@apeai34.fr":
        print("apeai-ouest-herault", p["email"], p["accepted"], p["rejected"],
              p["quarantined"], p["last_message"] or "-")')
is "$after" "$before" "MARTIN's counts are unchanged"

# ---- csv -----------------------------------------------------------------
"$B" -c "$CONF" review --format csv >"$HOME_DIR/review.csv"; ok $? "review --format csv"
check=$(python3 - "$HOME_DIR/review.csv" "$HOME_DIR/review.json" <<'PY'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8"),
                           delimiter=";"))
doc = json.load(open(sys.argv[2]))
bad = []
by = {(r["partner_id"], r["email"]): r for r in rows}
n = 0
for pa in doc["partners"]:
    if not pa["persons"]:
        r = by.get((pa["id"], ""))
        if r is None or r["partner_flags"] != ",".join(pa["flags"]):
            bad.append("no row for " + pa["id"])
        n += 1
    for p in pa["persons"]:
        n += 1
        r = by.get((pa["id"], p["email"]))
        if r is None:
            bad.append("no row for " + p["email"]); continue
        if (r["nom"], r["prenom"], r["fonction"]) != (p["last_name"], p["first_name"], p["job_title"]):
            bad.append("names of " + p["email"])
        if r["flags"] != ",".join(p["flags"]):
            bad.append("flags of %s: %s" % (p["email"], r["flags"]))
        if r["partner_flags"] != ",".join(pa["flags"]) or r["partner_name"] != pa["name"]:
            bad.append("partner columns of " + p["email"])
        if (int(r["accepted"]), int(r["rejected"]), int(r["quarantined"])) != (p["accepted"], p["rejected"], p["quarantined"]):
            bad.append("counts of " + p["email"])
        if r["suspend_reason"] != (p["suspend_reason"] or ""):
            bad.append("reason of " + p["email"])
if len(rows) != n:
    bad.append("%d rows for %d" % (len(rows), n))
print(" ".join(bad) if bad else "ok")
PY
)
is "$check" "ok" "one CSV row per person (and per partner without one), as the JSON says"
like "$(head -1 "$HOME_DIR/review.csv")" "^review_day;year_start;partner_id;.*;nom;prenom;email;fonction;date_habilitation;date_fin;.*;flags.$" \
    "a header row"
like "$(cat "$HOME_DIR/review.csv")" '"Secrétaire; accueil"' "a cell holding ';' is quoted"

# ---- what it must never show --------------------------------------------
all="$(cat "$HOME_DIR/review.json" "$HOME_DIR/review.csv" "$HOME_DIR/later.json")$("$B" -c "$CONF" review)"
unlike "$all" "[0-9]{13}|[0-9] [0-9]{2} [0-9]{2} [0-9]{2} [0-9]{3} [0-9]{3}" "no NIR-like number"
pseudonyms=$(q "select group_concat(nir_pseudonym, '|') from decisions where nir_pseudonym is not null")
ok "$(test -n "$pseudonyms"; echo $?)" "the store holds pseudonyms"
unlike "$all" "$pseudonyms" "none of them in the review"
unlike "$all" "DUPONT|Dupont" "no beneficiary name"

rm -rf "$HOME_DIR"
done_testing
