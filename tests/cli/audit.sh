#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# balpctl audit verify | anchor (issue 11): the trail is keyed with a 0600
# key, an edit is found even when the chain was hashed again without the
# key, rows deleted or moved are named, and a cut tail shows with --anchor.
. "$SRCDIR/tests/tools/tap.sh"
B="$SRCDIR/build/balpctl"
D="$SRCDIR/build/balpd"

demo_home; ok $? "a home with two partners and their annexes"
KEY="$HOME_DIR/var/audit.key"
DB="$HOME_DIR/var/balp.db"
is "$(stat -c %a "$KEY")" 600 "balpctl init made the audit key 0600"
deliver_demo "$HOME_DIR/var/Maildir"
"$D" -c "$CONF" --once >/dev/null 2>&1; ok $? "the demo mails are triaged"
q() { sqlite3 "$DB" "$1"; }
rows=$(q "select count(*) from audit")
is "$(q "select count(*) from audit where keyed = 0")" 0 "every row is keyed"

out=$("$B" -c "$CONF" audit verify); ok $? "audit verify"
like "$out" "audit chain intact: $rows rows" "counts the rows"
head=$(q "select hash from audit order by id desc limit 1")
like "$out" "head $head \\(row $rows\\)" "and names the head"
anchor=$("$B" -c "$CONF" audit anchor); ok $? "audit anchor"
is "$anchor" "$head" "prints the head's hash alone"
out=$("$B" -c "$CONF" audit verify --anchor "$anchor"); ok $? "verify --anchor"
like "$out" "the anchor found" "finds it"
"$B" -c "$CONF" audit verify --anchor nothex >/dev/null 2>&1
is $? 2 "an anchor that is no hash is a usage error"
key_hex=$(tr -d '\n' <"$KEY")
unlike "$out$anchor$("$B" -c "$CONF" log --limit 100)" "$key_hex" "no output holds the key"

# --json: one object, its values those of the store.
vals() {	# KEYS... of the object on stdin, "a|b" (null as '', booleans 1/0)
	python3 -c '
import json, sys
o = json.load(sys.stdin)
def cell(v):
    return "" if v is None else str(int(v)) if isinstance(v, bool) else str(v)
print("|".join(cell(o[k]) for k in sys.argv[1:]))
' "$@"
}
out=$("$B" -c "$CONF" audit verify --json); ok $? "audit verify --json"
printf '%s' "$out" | python3 -m json.tool >/dev/null; ok $? "it is valid JSON"
is "$(printf '%s' "$out" | vals intact rows legacy_rows purged_rows head_id head_hash bad_id why anchor)" \
    "1|$(q "select count(*) from audit")|$(q "select coalesce((select legacy_rows from audit_keying), 0)")|$(q "select count(*) from audit where purged != 0")|$(q "select max(id) from audit")|$(q "select hash from audit order by id desc limit 1")|||" \
    "intact, with the rows and the head of the store"
out=$("$B" -c "$CONF" audit verify --json --anchor "$anchor"); ok $? "verify --json --anchor"
is "$(printf '%s' "$out" | vals intact anchor)" "1|$anchor" "names the anchor found"
unlike "$out" "$key_hex" "the JSON holds no key"
"$B" -c "$CONF" audit verify --jsn >/dev/null 2>&1; is $? 2 "an unknown option of verify is a usage error"
"$B" -c "$CONF" audit anchor --json >/dev/null 2>&1; is $? 2 "anchor takes no --json"

# Work on copies: each tampering starts from the intact store.
cp "$DB" "$HOME_DIR/intact.db"
restore() { cp "$HOME_DIR/intact.db" "$DB"; rm -f "$DB-wal" "$DB-shm"; }
verify_broken() {	# SQL ROW WHAT
	restore
	q "$1"
	out=$("$B" -c "$CONF" audit verify 2>&1)
	is $? 1 "$3: verify fails"
	like "$out" "BROKEN at row $2: " "$3: row $2 named"
}
verify_broken "update audit set detail = detail || ' ' where id = 3" 3 "an edited row"
verify_broken "delete from audit where id = 4" 5 "a deleted row"
verify_broken "update audit set id = -1 where id = 2; update audit set id = 2 where id = 3; update audit set id = 3 where id = -1" 2 \
    "two rows swapped"
verify_broken "update audit set keyed = 0 where id = 6" 6 "a row marked unkeyed"
# A break is a security event: on stderr with balpd's "security:" prefix,
# besides the report on stdout (issue 22 point 4).
restore
q "update audit set detail = detail || ' ' where id = 3"
out=$("$B" -c "$CONF" audit verify 2>"$HOME_DIR/err")
is $? 1 "an edited row: verify fails"
like "$out" "^audit chain BROKEN at row 3" "the report on stdout"
like "$(cat "$HOME_DIR/err")" "^[0-9TZ:-]+ balpctl\[[0-9]+\]: security: audit chain of $DB broken at row 3: its content does not match its hash: the row was edited \(found by admin:" \
    "and a security: line on stderr, as balpd logs it"
out=$("$B" -c "$CONF" audit verify --json 2>"$HOME_DIR/err")
is $? 1 "an edited row: verify --json fails"
like "$(cat "$HOME_DIR/err")" "security: audit chain of .* broken at row 3" "with the security: line on stderr"
printf '%s' "$out" | python3 -m json.tool >/dev/null; ok $? "with valid JSON"
is "$(printf '%s' "$out" | vals intact bad_id why head_id head_hash rows)" \
    "0|3|edited|2||2" "broken at row 3, edited, no head to trust"
like "$(printf '%s' "$out" | vals why_text)" "the row was edited" "and the sentence of the table"

# The tables beside the chain (issue 18 point 2): a decision edited by
# hand (quarantined -> accepted, its queue and reasons changed) made `log`
# and `message show` tell another story while the chain verified.
restore
id=$(q "select min(id) from decisions where outcome = 'quarantined'")
rec=$(q "select id from audit where object = 'decision/$id' and action = 'decision.record'")
q "update decisions set outcome = 'accepted', queue = 'BALP/RIB', reasons = '' where id = $id"
out=$("$B" -c "$CONF" audit verify 2>"$HOME_DIR/err")
is $? 1 "a decision edited by hand: verify fails"
is "$out" "audit chain BROKEN: decision $id does not agree with audit row $rec that recorded it: outcome is 'accepted' in the table, 'quarantined' in the audit row" \
    "naming the decision, its audit row and the field"
like "$(cat "$HOME_DIR/err")" "security: audit chain of .* broken: decision $id does not agree" "a security line too"
out=$("$B" -c "$CONF" audit verify --json 2>/dev/null)
is "$(printf '%s' "$out" | vals intact why bad_id)" "0|record|$rec" "--json: why record, bad_id the audit row"
like "$(printf '%s' "$out" | vals record)" "^decision $id does not agree" "and the record named"
restore
q "update decisions set queue = 'BALP/RIB' where id = $id"
like "$("$B" -c "$CONF" audit verify 2>/dev/null)" "decision $id .*: queue is 'BALP/RIB' in the table, 'BALP/Quarantaine' in the audit row" \
    "the queue alone"
restore
q "update decisions set reasons = '' where id = $id"
like "$("$B" -c "$CONF" audit verify 2>/dev/null)" "decision $id .*: reasons is '' in the table" "the reasons alone"
restore
q "update decisions set decided_at = '2020-01-01T00:00:00Z' where id = $id"
like "$("$B" -c "$CONF" audit verify 2>/dev/null)" "decision $id .*: decided_at is '2020-01-01T00:00:00Z' in the table" \
    "its date (a purge would take it early, or keep it)"
restore
q "insert into decisions (decided_at, source, source_ref, outcome, reasons, queue) values ('2026-01-01T00:00:00Z', 'maildir', 'forged', 'accepted', '', 'BALP/RIB')"
forged=$(q "select max(id) from decisions")
like "$("$B" -c "$CONF" audit verify 2>/dev/null)" "BROKEN: decision $forged has no audit row that recorded it: inserted by hand" \
    "a decision inserted by hand"
restore
ob=$(q "select min(id) from outbox")
q "update outbox set recipient = 'pirate@example.org' where id = $ob"
like "$("$B" -c "$CONF" audit verify 2>/dev/null)" "BROKEN: notice $ob does not agree with audit row [0-9]+ that recorded it: recipient is 'pirate@example.org' in the table" \
    "a notice's recipient edited"
restore
"$B" -c "$CONF" audit verify >/dev/null; ok $? "the intact store verifies"

# An edit hashed again without the key (python: BLAKE2b as docs/store.md).
restore
python3 - "$DB" <<'PY'
import hashlib, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute("select id, at, kind, actor, action, object, detail, prev_hash from audit where id >= 3 order by id").fetchall()
prev = db.execute("select hash from audit where id = 2").fetchone()[0]
for r in rows:
    detail = r[6] + (" (edited)" if r[0] == 3 else "")
    h = hashlib.blake2b(digest_size=32)
    h.update(prev.encode())
    for f in (str(r[0]),) + tuple(r[1:6]) + (detail,):
        b = f.encode()
        h.update(b"%d:" % len(b) + b + b",")
    new = h.hexdigest()
    db.execute("update audit set detail = ?, prev_hash = ?, hash = ? where id = ?", (detail, prev, new, r[0]))
    prev = new
db.commit()
PY
out=$("$B" -c "$CONF" audit verify 2>&1)
is $? 1 "an edit whose chain was hashed again without the key: verify fails"
like "$out" "BROKEN at row 3: its content does not match its hash" "at the edited row"

# The last rows cut: verify alone cannot tell; the anchor does.
restore
q "delete from audit where id > $((rows - 2))"
out=$("$B" -c "$CONF" audit verify 2>/dev/null)
is $? 1 "a cut tail that recorded decisions: verify alone sees them unrecorded"
like "$out" "BROKEN: decision [0-9]+ has no audit row that recorded it" "naming the decision"
out=$("$B" -c "$CONF" audit verify --anchor "$anchor" 2>&1)
is $? 1 "with the anchor it fails"
like "$out" "BROKEN: the anchor is not in the chain: rows were cut .*ends at row $((rows - 2))" \
    "saying the anchor is gone and where the chain ends"
out=$("$B" -c "$CONF" audit verify --anchor "$anchor" --json 2>"$HOME_DIR/err")
is $? 1 "with the anchor, --json fails too"
is "$(printf '%s' "$out" | vals intact why bad_id head_id anchor)" \
    "0|anchor||$((rows - 2))|$anchor" "saying the anchor is gone and where the chain ends"

# The key: needed, and refused when others may read it.
restore
chmod 644 "$KEY"
err=$("$B" -c "$CONF" audit verify 2>&1); is $? 2 "a key others may read is refused"
like "$err" "audit.key" "naming the file"
chmod 600 "$KEY"
mv "$KEY" "$KEY.away"
err=$("$B" -c "$CONF" partner list 2>&1); is $? 2 "without the audit key balpctl stops"
like "$err" "no audit key at .*audit.key: run .balpctl -c .* init" "and says how to make one"
err=$("$D" -c "$CONF" --once 2>&1); is $? 2 "so does balpd"
like "$err" "balpd: .*audit.key: " "naming the file"
mv "$KEY.away" "$KEY"
"$B" -c "$CONF" audit verify >/dev/null; ok $? "with the key back, verify passes"
out=$("$B" -c "$CONF" init); ok $? "init again"
like "$out" "audit key .*audit.key \\(kept\\)" "keeps the audit key"
done_testing
