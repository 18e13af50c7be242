#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# A 40 MB message over LMTP (issue 19): spooled to a memory file and
# copied into its Maildir folder with sendfile, never held in balpd's
# heap.  balpd's peak RSS (VmHWM) grows by far less than the message.
. "$SRCDIR/tests/tools/tap.sh"
D="$SRCDIR/build/balpd"
BPID=
cleanup() {
	[ -n "$BPID" ] && kill -9 "$BPID" 2>/dev/null
	rm -rf "${HOME_DIR:-/nonexistent}"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
PORT=$(free_port)

demo_home; ok $? "a home with two partners and their annexes"
# Room for a 40 MB message: the rules' limit and the scan budget.
sed -i 's/max_message_size = "15M"/max_message_size = "50M"/' \
    "$HOME_DIR/rules/balp.rules"
sed -i 's/max_scan_bytes = 16777216/max_scan_bytes = 67108864/' "$CONF"
echo "lmtp = { listen = \"127.0.0.1:$PORT\"; recipients = [ \"balp@caf.test\" ]; };" \
    >>"$CONF"
"$D" -c "$CONF" 2>"$HOME_DIR/balpd.err" &
BPID=$!
wait_for "$HOME_DIR/balpd.err" "taking mail over LMTP" 10
ok $? "balpd listens"
hwm() { awk '/^VmHWM/ { print $2 }' "/proc/$BPID/status"; }
before=$(hwm)

{
	printf 'From: A. Martin <a.martin@apeai34.fr>\r\nTo: balp@caf.test\r\n'
	printf 'Subject: gros message\r\nMessage-ID: <big40@apeai34.fr>\r\n\r\n'
	head -c 40000000 /dev/zero | tr '\0' 'a' | fold -w 76 | sed 's/$/\r/'
} >"$HOME_DIR/big.eml"
out=$(swaks --server "127.0.0.1:$PORT" --protocol LMTP --to balp@caf.test \
    --from a.martin@apeai34.fr --data "$HOME_DIR/big.eml" 2>&1)
like "$out" "250 2.0.0" "a 40 MB message is delivered"
f=$(grep -rl "^Message-ID: <big40@" "$HOME_DIR/var/Maildir"/.BALP.*/new)
ok $? "and filed"
# swaks ends DATA with a CRLF of its own: the message is what it sent.
cmp -s -n "$(stat -c %s "$HOME_DIR/big.eml")" "$HOME_DIR/big.eml" "$f"
ok $? "whole, byte for byte"
after=$(hwm)
grown=$((after - before))
echo "# balpd VmHWM $before KiB before, $after KiB after"
ok "$(test "$grown" -lt 8192; echo $?)" \
    "balpd's peak RSS grew by $grown KiB: the message was never in its heap"

kill "$BPID"; wait "$BPID"; st=$?; BPID=
is "$st" 0 "SIGTERM: exit 0"
done_testing
