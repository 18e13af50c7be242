#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The daemon's main loop under valgrind: the watcher triages the demo mails
# as they arrive one by one, then stops on SIGTERM.  No memory error, and
# every heap block freed at exit (the parse children are left out: they
# _exit on purpose, their memory goes with them).
. "$SRCDIR/tests/tools/tap.sh"
D="$SRCDIR/build/balpd"

if ! command -v valgrind >/dev/null; then
	echo "# valgrind is not installed"
	ok 1 "valgrind available"
	done_testing
	exit 1
fi
demo_home; ok $? "a home with two partners and their annexes"
MD="$HOME_DIR/var/Maildir"
err="$HOME_DIR/valgrind.err"
valgrind --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all \
    --child-silent-after-fork=yes --error-exitcode=99 \
    "$D" -c "$CONF" 2>"$err" &
pid=$!
i=0
while [ $i -lt 100 ] && ! grep -q 'watching' "$err"; do
	sleep 0.2
	i=$((i + 1))
done
recent=$(date -d '7 days ago' +%d/%m/%Y)
for f in "$SRCDIR"/tests/data/demo/Maildir/new/*; do
	sed "s#{{RECENT}}#$recent#g" "$f" >"$MD/tmp/$(basename "$f")"
	mv "$MD/tmp/$(basename "$f")" "$MD/new/"
	sleep 0.2
done
i=0
while [ $i -lt 150 ] && [ "$(grep -c ' decision msgid=' "$err")" -lt 14 ]; do
	sleep 0.2
	i=$((i + 1))
done
is "$(grep -c ' decision msgid=' "$err")" 14 "the watcher under valgrind triages all 14 mails"
kill -TERM $pid
wait $pid
status=$?
is $status 0 "balpd exits 0 on SIGTERM, with no valgrind error"
like "$(cat "$err")" "ERROR SUMMARY: 0 errors" "no invalid read, write or leak"
like "$(cat "$err")" "All heap blocks were freed|in use at exit: 0 bytes" \
    "every heap block is freed at exit"
[ "$status" -eq 0 ] || grep -A12 'ERROR SUMMARY\|definitely\|Invalid' "$err" | head -40 | sed 's/^/# /'
rm -rf "$HOME_DIR"
done_testing
