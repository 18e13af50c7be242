#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# balpctl test is a dry run (issue 22 point 3): it opens the store
# read-only, so it never migrates nor writes it; a store at an older
# schema gets "run balpctl init to upgrade it" and stays as it was.
. "$SRCDIR/tests/tools/tap.sh"
B="$SRCDIR/build/balpctl"

demo_home; ok $? "a home with the demo partners"
trap 'rm -rf "$HOME_DIR"' EXIT
DB="$HOME_DIR/var/balp.db"
recent=$(date -d '7 days ago' +%d/%m/%Y)
mail="$HOME_DIR/rib.eml"
sed "s#{{RECENT}}#$recent#g" "$SRCDIR"/tests/data/demo/Maildir/new/*demo01* >"$mail"
sum() { cat "$DB" "$DB-wal" 2>/dev/null | sha256sum; }

# The current schema: decided, the database unchanged to the byte.
before=$(sum)
out=$("$B" -c "$CONF" test --json "$mail"); ok $? "test on a store of this schema"
like "$out" '"outcome":"accepted"' "decides the mail"
is "$(sum)" "$before" "the database and its log are unchanged"

# A store at schema 1 (tests/data/store/schema1.db): refused, untouched.
rm -f "$DB" "$DB-wal" "$DB-shm"
cp "$SRCDIR/tests/data/store/schema1.db" "$DB"
before=$(sum)
err=$("$B" -c "$CONF" test --json "$mail" 2>&1); is $? 2 "test on an older store fails"
like "$err" "balp\\.db: the store is at schema version 1, this program's is [0-9]+: run .balpctl init. to upgrade it" \
    "saying to run balpctl init to upgrade"
is "$(sum)" "$before" "the old store is unchanged"
is "$(sqlite3 "$DB" 'pragma user_version')" 1 "still at schema 1: not migrated"
is "$(sqlite3 "$DB" "select count(*) from sqlite_master where name = 'hab_periods'")" 0 \
    "no table of a later schema"
# What init then does, as told.
"$B" -c "$CONF" init >/dev/null; ok $? "balpctl init upgrades it"
out=$("$B" -c "$CONF" test --json "$mail"); ok $? "test then works"
like "$out" '"outcome":' "and decides"
done_testing
