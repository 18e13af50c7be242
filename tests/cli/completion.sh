#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# conf/balpctl.bash: the bash completion of balpctl and balpd, called as
# bash calls it (COMP_WORDS, COMP_CWORD), its COMPREPLY checked against
# balpctl's own usage text, the store and the rules.
. "$SRCDIR/tests/tools/tap.sh"
B="$SRCDIR/build/balpctl"
SCRIPT="$SRCDIR/conf/balpctl.bash"

# comp FUNCTION WORD...: the completions of the last word, sorted, one a line.
comp() {
	bash -c '. "$1" || exit 9; f=$2; shift 2; COMP_WORDS=("$@")
	    COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
	    "$f"; printf "%s\n" "${COMPREPLY[@]}"' _ "$SCRIPT" "$@" | sed '/^$/d' | sort
}
sorted() { tr ' ' '\n' | sed '/^$/d' | sort; }

out=$(bash -c '. "$1" && complete -p balpctl balpd' _ "$SCRIPT" 2>&1)
ok $? "the script loads in bash"
like "$out" "complete -F _balpctl balpctl" "it completes balpctl"
like "$out" "complete -F _balpd balpd" "and balpd"

demo_home; ok $? "a home with two partners and their annexes"
help=$("$B" --help)

# Commands: those of the usage text (and help).
want=$( (printf '%s\n' "$help" | sed -n 's/^  \([a-z][a-z]*\) .*/\1/p'; echo help) | sort -u)
is "$(comp _balpctl balpctl "")" "$want" "commands: every command of --help"
is "$(comp _balpctl balpctl -c "$CONF" pa)" "partner" "a command's start, after -c CONF"
is "$(comp _balpctl balpctl --v)" "--version" "--version before the command"
like "$(comp _balpctl balpctl -c "$HOME_DIR/con")" "$HOME_DIR/conf" "-c takes a file name"

# Subcommands, as --help lists them.
for cmd in partner person annex message audit; do
	want=$(printf '%s\n' "$help" | sed -n "s/^  $cmd \([a-z][a-z]*\).*/\1/p" | sort -u)
	# "partner list [--json] | show ID" and "partner end ID ... | suspend
	# ID ... | resume ID": the words after a '|' too.
	more=$(printf '%s\n' "$help" | grep "^  $cmd " | grep -o '| [a-z][a-z]* ' | sed 's/| //; s/ //')
	want=$(printf '%s\n%s\n' "$want" "$more" | sed '/^$/d' | sort -u)
	is "$(comp _balpctl balpctl "$cmd" "")" "$want" "subcommands of $cmd"
done
is "$(comp _balpctl balpctl message re)" "release
retriage" "a subcommand's start"

# Options of log: those of its usage text.
want=$(printf '%s\n' "$help" | sed -n '/^  log /,/^  message /p' | grep -v '^  message' |
    grep -o -- '--[a-z-]*' | sort -u)
is "$(comp _balpctl balpctl -c "$CONF" log --)" "$want" "options of log: those of --help"
is "$(comp _balpctl balpctl log --since 2026-01-01 --s)" "--sender
--since" "options after an option's value"
is "$(comp _balpctl balpctl log --outcome "")" "$(echo accepted quarantined rejected | sorted)" \
    "the outcomes after --outcome"
is "$(comp _balpctl balpctl partner list --)" "--json" "partner list: --json"
is "$(comp _balpctl balpctl message show 3 --)" "--json" "message show: --json"

# Partner ids: from `partner list --json` of the -c store.
ids=$(sqlite3 "$HOME_DIR/var/balp.db" "select id from partners order by id")
like "$ids" "apeai-ouest-herault" "the store has partners (the checks below can fail)"
is "$(comp _balpctl "$B" -c "$CONF" partner show "")" "$ids" "partner show: the ids of the store"
is "$(comp _balpctl "$B" -c "$CONF" partner suspend cc)" "ccas-lespignan" "partner suspend: an id's start"
is "$(comp _balpctl "$B" -c "$CONF" partner end apeai-ouest-herault "")" "" \
    "one id only"
is "$(comp _balpctl "$B" -c "$CONF" log --since 2026-01-01 --partner "")" "$ids" "log --partner: the ids"
# bash splits --config=CONF at '=' (COMP_WORDBREAKS): three words.
is "$(comp _balpctl "$B" --config = "$CONF" person list --partner a)" "apeai-ouest-herault" \
    "person list --partner, with --config=CONF"
is "$(comp _balpctl "$B" --config = "$CONF" pe)" "person" "the command after --config=CONF"
"$B" -c "$CONF" partner add --id zz-nouveau --name "Nouveau" >/dev/null
like "$(comp _balpctl "$B" -c "$CONF" review --partner "")" "zz-nouveau" "a partner added is completed at once"
cd "$HOME_DIR" && mkdir -p empty && cd empty
is "$(comp _balpctl "$B" partner show "" 2>&1)" "" "without -c, the default conf (none here): no id, no error"
cd "$SRCDIR"

# Queues after message release --to: those of the rules.
queues=$("$B" -c "$CONF" rules check | sed -n 's/.*-> \([^ ]*\).*/\1/p' | sort)
like "$queues" "BALP/Rejets" "the rules have queues (the checks below can fail)"
is "$(comp _balpctl "$B" -c "$CONF" message release 3 --to "")" "$queues" \
    "message release --to: the rules' queues"
is "$(comp _balpctl "$B" -c "$CONF" message release 3 --reason x --to BALP/R)" \
    "$(printf '%s\n' "$queues" | grep '^BALP/R')" "and a queue's start"
is "$(comp _balpctl "$B" -c "$CONF" message release 3 --)" "$(echo --to --reason --notify | sorted)" \
    "message release: its options"

# File names where a FILE goes.
is "$(comp _balpctl balpctl annex import --partner x "$SRCDIR/tests/data/demo/annexe-a")" \
    "$SRCDIR/tests/data/demo/annexe-apeai.csv" "annex import: a file name"
is "$(comp _balpctl balpctl test --json "$SRCDIR/tests/data/demo/annexe-c")" \
    "$SRCDIR/tests/data/demo/annexe-ccas-lespignan.csv" "test: a file name"

# balpd.
is "$(comp _balpd balpd --)" "$(echo --config --once --stats --syslog --help --version | sorted)" \
    "balpd: its options"
like "$(comp _balpd balpd -c "$HOME_DIR/con")" "$HOME_DIR/conf" "balpd -c takes a file name"

rm -rf "$HOME_DIR"
done_testing
