#!/bin/sh
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
"$B" -c "$CONF" audit verify >/dev/null; ok $? "a cut tail still verifies alone"
out=$("$B" -c "$CONF" audit verify --anchor "$anchor" 2>&1)
is $? 1 "with the anchor it fails"
like "$out" "BROKEN: the anchor is not in the chain: rows were cut .*ends at row $((rows - 2))" \
    "saying the anchor is gone and where the chain ends"

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
