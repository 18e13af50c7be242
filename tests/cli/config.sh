#!/bin/sh
# Configuration and rules errors that say what to fix: a request type
# filed with the rejects, an @include that names a missing file, -c given
# the rules file, a source.path that does not exist.
. "$SRCDIR/tests/tools/tap.sh"
B="$SRCDIR/build/balpctl"

new_home
"$B" -c "$CONF" init >/dev/null; ok $? "a fresh home"
RULES="$HOME_DIR/rules/balp.rules"
cp "$RULES" "$HOME_DIR/rules.orig"

# A request type whose queue is the rejects folder.
line=$(grep -n 'queue *= *"BALP/RIB"' "$RULES" | head -n 1 | cut -d: -f1)
sed -i "${line}s#BALP/RIB#BALP/Rejets#" "$RULES"
err=$("$B" -c "$CONF" rules check 2>&1); is $? 2 "a type filed with the rejects is refused"
like "$err" "balp.rules:$line: request type 'rib': its queue 'BALP/Rejets' is the rejects folder" \
    "with its file and line"
cp "$HOME_DIR/rules.orig" "$RULES"

# An @include of a file that is not there.
printf '@include "notices-old.rules"\n' >>"$RULES"
err=$("$B" -c "$CONF" rules check 2>&1); is $? 2 "a missing include is refused"
like "$err" "balp.rules:[0-9]+: cannot open include file 'notices-old.rules'" \
    "naming the file"
cp "$HOME_DIR/rules.orig" "$RULES"

# -c given the rules file instead of the configuration.
err=$("$B" -c "$RULES" rules check 2>&1); is $? 2 "-c with the rules file is refused"
like "$err" "this is a rules file: -c takes the configuration that names it" \
    "saying what -c wants"

# A source.path that does not exist.
"$B" -c "$CONF" rules check >/dev/null 2>&1; ok $? "the rules are fine again"
sed -i 's#"../var/Maildir"#"../var/Maildri"#' "$CONF"
err=$("$B" -c "$CONF" partner list 2>&1 >/dev/null); ok $? "a command still runs"
like "$err" "warning: source.path .*/var/Maildri does not exist" \
    "with a warning about source.path"

rm -rf "$HOME_DIR"
done_testing
