#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Configuration, rules and command errors that say what to fix: a request
# type filed with the rejects, an @include that names a missing file (an
# @include read from the including file's folder, not the working one), -c
# given the rules file, a source.path that does not exist, an option the
# command does not know, an export to a missing folder; and outputs that
# do not mislead (the address as stored, the state of ended persons).
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

# An @include is read from the including file's folder whatever the
# working directory (libconfig's own default is the working directory):
# balpctl run from / with -c finds a file included beside the
# configuration, and names it with its line when it is wrong.
cp "$CONF" "$HOME_DIR/conf.orig"
sed -i '/^daemon = {/,/^};/d' "$CONF"
printf 'daemon = {\n\trescan_seconds = 30;\n};\n' >"$HOME_DIR/conf/daemon.conf"
printf '@include "daemon.conf"\n' >>"$CONF"
err=$(cd / && "$B" -c "$CONF" rules check 2>&1)
is $? 0 "an @include beside the configuration is found from another folder"
sed -i 's/rescan_seconds = 30;/rescan_seconds = 0;/' "$HOME_DIR/conf/daemon.conf"
err=$(cd / && "$B" -c "$CONF" rules check 2>&1)
is $? 2 "an included configuration file is checked like the rest"
like "$err" "^$HOME_DIR/conf/daemon.conf:2: 'rescan_seconds' must be between 1 and" \
    "with its own file and line"
cp "$HOME_DIR/conf.orig" "$CONF"
rm "$HOME_DIR/conf/daemon.conf"

# A missing file included by an included file (notices.rules) is named,
# with where it was looked for, whatever the working directory.
NOTICES="$HOME_DIR/rules/notices.rules"
cp "$NOTICES" "$HOME_DIR/notices.orig"
printf '@include "notices-old.rules"\n' >>"$NOTICES"
line=$(grep -c '' "$NOTICES")
err=$(cd / && "$B" -c "$CONF" rules check 2>&1); is $? 2 "a missing nested include is refused"
like "$err" "^$NOTICES:$line: cannot open include file 'notices-old.rules' \\(looked for as $HOME_DIR/rules/notices-old.rules\\)\$" \
    "naming it, at its file and line, with the path tried"
cp "$HOME_DIR/notices.orig" "$NOTICES"

# A notices file without the text of a reason a notice can name (the
# quarantine's ones too: release --notify sends them).
NOTICES="$HOME_DIR/rules/notices.rules"
cp "$NOTICES" "$HOME_DIR/notices.orig"
reasons=$(grep -n '^	reasons = {' "$NOTICES" | cut -d: -f1)
perl -0pi -e 's/\t\tmalformed =.*?";\n//s' "$NOTICES"
err=$("$B" -c "$CONF" rules check 2>&1); is $? 2 "a notices file without malformed's text is refused"
like "$err" "^$NOTICES:$reasons: no notice text for reason 'malformed'\$" \
    "naming the file (under the rules' folder, as balp.rules), the line and the code"
cp "$HOME_DIR/notices.orig" "$NOTICES"

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

sed -i 's#"../var/Maildri"#"../var/Maildir"#' "$CONF"

# An inspection budget below what the rules accept.
sed -i 's/max_scan_bytes = [0-9]*;/max_scan_bytes = 1048576;/' "$CONF"
err=$("$B" -c "$CONF" rules check 2>&1); is $? 2 "max_scan_bytes below max_message_size is refused"
like "$err" "balp.conf:[0-9]+: 'max_scan_bytes' \(1048576\) is below the rules' max_message_size" \
    "with its line"
sed -i 's/max_scan_bytes = [0-9]*;/max_scan_bytes = 16777216;/' "$CONF"

# Commands and their outputs.
err=$("$B" -c "$CONF" partner add --bogus 2>&1); is $? 2 "an unknown option is a usage error"
like "$err" "^partner add: unrecognized option '--bogus'" "naming the command"
"$B" -c "$CONF" partner add --id p1 --name "P1" --start 2025-01-01 >/dev/null
out=$("$B" -c "$CONF" person add --partner p1 --last-name MARTIN --first-name Anne \
    --email "  A.Martin@Example.FR " --start 2025-01-01 --end 2025-06-30)
ok $? "person add"
is "$out" "person a.martin@example.fr added to p1" "echoes the address as stored"
like "$("$B" -c "$CONF" person list --partner p1)" "a\.martin@example\.fr .*2025-06-30 +ended" \
    "an ended person shows her state"
err=$("$B" -c "$CONF" log --limit 0 2>&1); is $? 2 "log --limit 0 is refused"
like "$err" "--limit: give at least 1" "saying what it takes"
err=$("$B" -c "$CONF" annex export --partner p1 "$HOME_DIR/nowhere/p1.csv" 2>&1)
is $? 1 "an export to a missing folder fails"
like "$err" "cannot write .*/nowhere/p1.csv: its folder does not exist" \
    "naming the file asked for, not a temporary one"

rm -rf "$HOME_DIR"
done_testing
