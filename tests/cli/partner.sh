#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# balpctl partner update and the partners' BALP referents (issue 18
# point 11): every field of partner add can be changed, each change
# audited with its old and new values; what would be a mistake is refused
# (a quota below the persons in force, a SIRET whose key is wrong, a quota
# of 0, a name with a control character).
. "$SRCDIR/tests/tools/tap.sh"
B="$SRCDIR/build/balpctl"

demo_home; ok $? "a home with the demo partners"
DB="$HOME_DIR/var/balp.db"
q() { sqlite3 "$DB" "$1"; }
P=apeai-ouest-herault
inforce=$(q "select count(*) from persons where partner_id = '$P' and (hab_end is null or hab_end >= date('now'))")

# SIRET: 14 digits with a right Luhn key, on add and on update.
err=$("$B" -c "$CONF" partner add --id p1 --name P1 --siret "318 846 292 00065" 2>&1)
is $? 1 "partner add: a SIRET with a wrong key is refused"
like "$err" "siret 31884629200065 has a wrong key" "naming it and why"
is "$(q "select count(*) from partners where id = 'p1'")" 0 "nothing added"
"$B" -c "$CONF" partner add --id p1 --name P1 --siret "318 846 292 00064" >/dev/null
ok $? "partner add: a right SIRET is taken"
"$B" -c "$CONF" partner add --id poste --name "La Poste" --siret 35600000000048 >/dev/null
ok $? "La Poste's siege passes its key"
err=$("$B" -c "$CONF" partner add --id p0 --name P0 --max-persons 0 2>&1)
is $? 2 "partner add --max-persons 0 is refused"
like "$err" "max-persons: 0 would refuse every person" "saying why"
err=$("$B" -c "$CONF" partner add --id p2 --name "$(printf 'Bad\tName')" 2>&1)
is $? 1 "partner add: a name with a tab is refused"
like "$err" "control character" "saying so"
err=$("$B" -c "$CONF" partner add --id p3 --name "$(printf 'Bad\302\233[2J')" 2>&1)
is $? 1 "a C1 control (CSI) too"

# Referents: repeatable on add, shown by partner show.
"$B" -c "$CONF" partner add --id p4 --name "P4" --referent "Ref.Un@P4.fr" \
    --referent deux@p4.fr >/dev/null; ok $? "partner add with two referents"
out=$("$B" -c "$CONF" partner show p4); ok $? "partner show"
like "$out" "referents +deux@p4.fr, ref.un@p4.fr" "lists them, canonical"
out=$("$B" -c "$CONF" partner show p4 --json)
like "$out" '"referents":\["deux@p4.fr","ref.un@p4.fr"\]' "and in --json"
like "$(q "select detail from audit where action = 'partner.add' and object = 'p4'")" \
    "referents=ref.un@p4.fr, deux@p4.fr" "the add's audit row names them"
err=$("$B" -c "$CONF" partner add --id p5 --name P5 --referent not-an-email 2>&1)
is $? 1 "a referent that is no email is refused"
like "$err" "referent 'not-an-email' is not an email" "naming it"
like "$("$B" -c "$CONF" partner show $P)" "referents +-" "a partner without referent shows -"

# Update: every field, one audit row with old and new values.
rows=$(q "select count(*) from audit")
out=$("$B" -c "$CONF" partner update $P --name "APEAI Ouest-Hérault" \
    --siret 31884629200064 --start 2025-02-01 --end 2027-12-31 \
    --max-persons 12 --referent referente@apeai34.fr); ok $? "partner update of every field"
like "$out" "partner $P updated" "says so"
is "$(q "select name, siret, convention_start, convention_end, max_persons from partners where id = '$P'")" \
    "APEAI Ouest-Hérault|31884629200064|2025-02-01|2027-12-31|12" "the row has the new values"
is "$(q "select count(*) from audit")" "$((rows + 1))" "one audit row"
is "$(q "select action || ' ' || detail from audit order by id desc limit 1")" \
    "partner.update name: APEAI Ouest Hérault -> APEAI Ouest-Hérault; siret: (none) -> 31884629200064; start: 2025-01-01 -> 2025-02-01; end: (none) -> 2027-12-31; max_persons: 20 -> 12; referent+: referente@apeai34.fr" \
    "naming each field's old and new value"
"$B" -c "$CONF" audit verify >/dev/null; ok $? "the chain verifies"
like "$("$B" -c "$CONF" partner show $P)" "referents +referente@apeai34.fr" "the referent is shown"

out=$("$B" -c "$CONF" partner update $P --max-persons 12); ok $? "the same value again"
like "$out" "nothing to change" "says nothing changed"
is "$(q "select count(*) from audit")" "$((rows + 1))" "and writes no audit row"

# Removing: values to none, a referent with --no-referent.
"$B" -c "$CONF" partner update $P --end none --siret none --max-persons none \
    --no-referent Referente@apeai34.fr >/dev/null; ok $? "values removed"
is "$(q "select coalesce(siret, '-'), coalesce(convention_end, '-'), coalesce(max_persons, '-') from partners where id = '$P'")" \
    "-|-|-" "siret, end and quota gone"
is "$(q "select count(*) from partner_referents where partner_id = '$P'")" 0 "the referent too"
like "$(q "select detail from audit order by id desc limit 1")" \
    "end: 2027-12-31 -> \\(none\\); max_persons: 12 -> \\(none\\); referent-: referente@apeai34.fr" \
    "audited"
err=$("$B" -c "$CONF" partner update $P --no-referent nobody@apeai34.fr 2>&1)
is $? 1 "removing an address that is no referent is refused"
like "$err" "nobody@apeai34.fr is not one of its referents" "naming it"

# Refusals: nothing changes.
rows=$(q "select count(*) from audit")
before=$(q "select * from partners where id = '$P'")
err=$("$B" -c "$CONF" partner update $P --max-persons $((inforce - 1)) 2>&1)
is $? 1 "a quota below the persons in force is refused"
like "$err" "a quota of $((inforce - 1)) is below the $inforce persons habilitated" "with their count"
err=$("$B" -c "$CONF" partner update $P --max-persons 0 2>&1)
is $? 2 "--max-persons 0 is refused"
err=$("$B" -c "$CONF" partner update $P --siret 12345678900012 2>&1)
is $? 1 "a SIRET with a wrong key is refused"
like "$err" "wrong key" "saying so"
err=$("$B" -c "$CONF" partner update $P --name "$(printf 'A\nB')" 2>&1)
is $? 1 "a name with a line feed is refused"
err=$("$B" -c "$CONF" partner update $P --end 2024-12-31 2>&1)
is $? 1 "an end before the start is refused"
like "$err" "convention end 2024-12-31 is before its start 2025-02-01" "naming both"
err=$("$B" -c "$CONF" partner update nope --name X 2>&1)
is $? 1 "an unknown partner is refused"
like "$err" "no partner 'nope'" "naming it"
err=$("$B" -c "$CONF" partner update $P 2>&1)
is $? 2 "nothing to change is a usage error"
is "$(q "select * from partners where id = '$P'")" "$before" "the partner is as it was"
is "$(q "select count(*) from audit")" "$rows" "no audit row"
# ---- person add of a person whose habilitation ended (issue 18 point 12) ----
R=j.roux@apeai34.fr
is "$(q "select hab_start || ' ' || hab_end from persons where email = '$R'")" \
    "2025-03-01 2026-08-31" "j.roux's habilitation ended on 2026-08-31"
err=$("$B" -c "$CONF" person add --partner $P --last-name ROUX --first-name Julien \
    --email $R --start 2026-08-15 2>&1)
is $? 1 "a new period starting before the last one ended is refused"
like "$err" "must start after the previous one ended \\(2026-08-31\\)" "saying when it ended"
today=$(date -u +%Y-%m-%d)
out=$("$B" -c "$CONF" person add --partner $P --last-name ROUX --first-name Julien \
    --email J.Roux@apeai34.fr --job-title "Chef de service"); ok $? "person add of j.roux again"
is "$out" "person $R of $P re-habilitated from $today (previous period 2025-03-01–2026-08-31)" \
    "says re-habilitated from today, with the previous period"
is "$(q "select count(*) from hab_periods where person_id = (select id from persons where email = '$R')")" 2 \
    "a second period beside the first"
is "$(q "select hab_start || ' ' || coalesce(hab_end, '-') || ' ' || job_title from persons where email = '$R'")" \
    "$today - Chef de service" "the person row has the new period and title"
is "$(q "select action || ' ' || detail from audit order by id desc limit 1")" \
    "person.period new period; last period 2025-03-01 to 2026-08-31; last_name=ROUX; first_name=Julien; job_title=Chef de service; start=$today; end=(none)" \
    "audited as a new period"
like "$("$B" -c "$CONF" person list --partner $P)" "ROUX .* $today +- +in force" "in force again"
err=$("$B" -c "$CONF" person add --partner $P --last-name ROUX --first-name Julien \
    --email $R 2>&1)
is $? 1 "a person in force is still refused"
like "$err" "already in the annex of partner '$P', habilitated from $today to \\(open\\)" \
    "naming the period in force"
"$B" -c "$CONF" audit verify >/dev/null; ok $? "the chain verifies"

done_testing
