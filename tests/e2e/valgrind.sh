#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The daemon's main loop under valgrind: the watcher triages the demo mails
# as they arrive one by one, and its LMTP server takes them again at
# delivery time (each a 250, an unknown recipient a 550), then it stops on
# SIGTERM.  No memory error, and every heap block freed at exit (the parse
# children and the filers are left out: they _exit on purpose, their
# memory goes with them).
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
PORT=$(free_port)
echo "lmtp = { listen = \"127.0.0.1:$PORT\"; recipients = [ \"balp@caf.test\" ]; filers = 2; };" \
    >>"$CONF"
err="$HOME_DIR/valgrind.err"
valgrind --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all \
    --child-silent-after-fork=yes --error-exitcode=99 \
    "$D" -c "$CONF" 2>"$err" &
pid=$!
i=0
while [ $i -lt 100 ] && ! grep -q 'watching' "$err" 2>/dev/null; do
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
# The same mails at delivery time, Message-IDs made new (else each is found
# decided and filed already: a 250 without a decision).
n=0 got=0
for f in "$SRCDIR"/tests/data/demo/Maildir/new/*; do
	n=$((n + 1))
	sed -e "s#{{RECENT}}#$recent#g" -e "s/^\(Message-ID:[[:space:]]*<\)/\1lmtp$n./I" \
	    "$f" >"$HOME_DIR/lmtp.eml"
	swaks --server "127.0.0.1:$PORT" --protocol LMTP --to balp@caf.test \
	    --from "$(sed -n 's/^From:.*<\(.*\)>.*/\1/p' "$HOME_DIR/lmtp.eml" | head -n 1)" \
	    --data "$HOME_DIR/lmtp.eml" --timeout 60 >"$HOME_DIR/swaks.out" 2>&1
	grep -q '<- *250 2\.0\.0' "$HOME_DIR/swaks.out" && got=$((got + 1))
done
is "$got" "$n" "over LMTP under valgrind: a 250 for each of the $n mails"
is "$(grep -c ' decision msgid=lmtp' "$err")" "$n" "each decided at delivery time"
out=$(swaks --server "127.0.0.1:$PORT" --protocol LMTP --to nobody@caf.test \
    --from a@b.fr --data 'Subject: x\n\nx' 2>&1)
like "$out" "550 5.1.1" "an unknown recipient: 550 5.1.1"
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
