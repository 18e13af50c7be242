#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# balpctl purge (issue 11): traces older than 6 months and habilitation
# data 6 years after the habilitation ended are destroyed, with an
# attestation; the audit chain still verifies; what went is nowhere in the
# database files any more.
. "$SRCDIR/tests/tools/tap.sh"
B="$SRCDIR/build/balpctl"
D="$SRCDIR/build/balpd"

demo_home; ok $? "a home with two partners and their annexes"
DB="$HOME_DIR/var/balp.db"
q() { sqlite3 "$DB" "$1"; }
deliver_demo "$HOME_DIR/var/Maildir"
"$D" -c "$CONF" --once >/dev/null 2>&1; ok $? "the demo mails are triaged"
n=$(q "select count(*) from decisions")
rows=$(q "select count(*) from audit")
"$B" -c "$CONF" person end a.martin@apeai34.fr --partner apeai-ouest-herault \
    --date 2026-01-31 >/dev/null; ok $? "a person ended on 2026-01-31"
# What the demo leaves in the traces and only there: its messages' names.
ref=$(q "select source_ref from decisions order by id limit 1")
case $ref in *demo*) ok 0 "a message name to look for ($ref)" ;; *) ok 1 "a message name ($ref)" ;; esac

out=$("$B" -c "$CONF" purge); ok $? "purge today"
like "$out" "rien à détruire" "nothing is due yet"
is "$(q "select count(*) from audit")" "$((rows + 1))" "and nothing was written but the person's end"

out=$("$B" -c "$CONF" purge --dry-run --now 2033-03-01); ok $? "purge --dry-run"
like "$out" "Simulation" "says it is a simulation"
ended=$(q "select count(*) from persons where hab_end < '2027-03-01'")
like "$out" "à détruire +$n décisions, .* $ended personnes habilitées" "counts what would go"
is "$(q "select count(*) from decisions")" "$n" "and changes nothing"

# A real purge on a day to come is refused (issue 18 point 1): it would
# destroy today what is kept until then, under today's date.
rows=$(q "select count(*) from audit")
later=$(date -d '7 months' +%Y-%m-%d)
err=$("$B" -c "$CONF" purge --now "$later" 2>&1); is $? 2 "purge --now a day after today is refused"
like "$err" "purge --now $later: that day is after today \\($(date -u +%Y-%m-%d)\\)" \
    "naming the day and today"
unlike "$err" "Attestation" "no attestation"
is "$(q "select count(*) from decisions")" "$n" "nothing destroyed"
is "$(q "select count(*) from audit")" "$rows" "no audit row"
err=$("$B" -c "$CONF" purge --now "$(date -u -d tomorrow +%Y-%m-%d)" 2>&1); is $? 2 "tomorrow too"
"$B" -c "$CONF" purge --now "$(date -u +%Y-%m-%d)" >/dev/null; ok $? "today is a day to purge"

# Seven months later (the process's today: tests/tools/fakenow.c): the
# traces go, the person (ended in 2026) stays.
on() {	# on DAY CMD...: CMD with time() on DAY
	day=$1
	shift
	LD_PRELOAD="$SRCDIR/build/tests/fakenow.so" BALP_TEST_TODAY=$day "$@"
}
out=$(on "$later" "$B" -c "$CONF" purge); ok $? "purge seven months on"
like "$out" "Attestation de destruction" "prints an attestation"
like "$out" "par +admin:" "naming who"
like "$out" "traces de décision de plus de 6 mois" "the rule"
like "$out" "détruit +$n décisions" "what went"
like "$out" "preuve +ligne d'audit [0-9]+ \\(audit.purge\\), empreinte [0-9a-f]{64}" \
    "and the audit row that proves it"
is "$(q "select count(*) from decisions")" 0 "no decision is left"
is "$(q "select count(*) from persons where email = 'a.martin@apeai34.fr'")" 1 \
    "the ended person is kept (6 years)"
is "$(q "select count(*) from audit where detail like '%$ref%'")" 0 "no audit row names a message"
for f in "$DB" "$DB-wal"; do
	[ -f "$f" ] || continue
	is "$(grep -c "$ref" "$f")" 0 "$(basename "$f") holds no trace of it"
done
out=$("$B" -c "$CONF" audit verify); ok $? "the audit chain still verifies"
like "$out" "intact: [0-9]+ rows, [0-9]+ emptied by purges" "intact, saying how many rows were emptied"
is "$("$B" -c "$CONF" log | wc -l)" 1 "log has nothing left to show"

# Six years after the end of her habilitation, the person goes too.
out=$(on 2032-02-01 "$B" -c "$CONF" purge); ok $? "purge in 2032"
like "$out" "1 personnes habilitées" "the person is destroyed"
is "$(q "select count(*) from persons where email = 'a.martin@apeai34.fr'")" 0 "gone"
is "$(q "select count(*) from audit where object like '%a.martin@%'")" 0 \
    "and the audit rows about her emptied"
"$B" -c "$CONF" audit verify >/dev/null; ok $? "the chain verifies after two purges"

# Emptying a row by hand is not a purge.
last=$(q "select max(id) from audit")
q "update audit set detail = '', actor = '', at = '', action = '', object = '', purged = $last where id = 2"
out=$("$B" -c "$CONF" audit verify 2>&1); is $? 1 "a row emptied by hand breaks the chain"
like "$out" "BROKEN at row $last: the rows emptied in the name of a purge do not match" \
    "at the purge row it claims"

# A decision whose date was moved on by hand escapes the purge, but not
# audit verify (issue 18 point 2): its audit row was emptied with the rest.
demo_home
DB="$HOME_DIR/var/balp.db"
deliver_demo "$HOME_DIR/var/Maildir"
"$D" -c "$CONF" --once >/dev/null 2>&1; ok $? "a second home's mails are triaged"
kept=$(q "select min(id) from decisions")
rec=$(q "select id from audit where object = 'decision/$kept' and action = 'decision.record'")
q "update decisions set decided_at = '2099-01-01T00:00:00Z' where id = $kept"
on "$later" "$B" -c "$CONF" purge >/dev/null; ok $? "purge seven months on"
is "$(q "select count(*) from decisions")" 1 "the decision moved on by hand is kept"
out=$("$B" -c "$CONF" audit verify 2>/dev/null); is $? 1 "audit verify fails"
is "$(q "select purged != 0 from audit where id = $rec")" 1 "its audit row was emptied"
like "$out" "BROKEN: decision $kept has no audit row that recorded it: inserted by hand, or kept past the purge that emptied its row" \
    "naming the decision kept past its purge"

# The periods come from the configuration.
new_home; "$B" -c "$CONF" init >/dev/null
sed -i 's/traces_months = 6;/traces_months = 24;/; s/habilitation_years = 6;/habilitation_years = 10;/' "$CONF"
out=$("$B" -c "$CONF" purge --dry-run --now 2030-01-01); ok $? "purge with retention set"
like "$out" "plus de 24 mois \\(avant le 2028-01-01\\) ; données d'habilitation 10 ans" \
    "follows it"
sed 's/traces_months = 24;/traces_months = 0;/' "$CONF" >"$HOME_DIR/conf/bad.conf"
line=$(grep -n 'traces_months = 0;' "$HOME_DIR/conf/bad.conf" | cut -d: -f1)
err=$("$B" -c "$HOME_DIR/conf/bad.conf" purge 2>&1); is $? 2 "a retention of 0 months is refused"
like "$err" "bad.conf:$line: 'traces_months' must be between 1 and 1200" "at file:line"
done_testing
