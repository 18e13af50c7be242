#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# balpd at delivery time (issue 19, docs/lmtp.md): the private Postfix of
# tests/tools/mailstack.sh routes the BALP's address to balpd's LMTP, which
# decides, records and files each mail into its IMAP folder on the private
# Dovecot before it answers 250.  Partner mail sent with swaks; what
# Postfix did read back from its log and queue.
. "$SRCDIR/tests/tools/tap.sh"
D="$SRCDIR/build/balpd"
MS="$SRCDIR/tests/tools/mailstack.sh"

STACK=$(mktemp -d /tmp/ms.XXXXXX)
BPID=
cleanup() {
	[ -n "$BPID" ] && kill -9 "$BPID" 2>/dev/null
	sh "$MS" stop "$STACK" >/dev/null 2>&1
	rm -rf "$STACK" "${HOME_DIR:-/nonexistent}"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
sh "$MS" start "$STACK" 2>"$STACK.start" || {
	echo "Bail out! the mail stack did not start: $(tail -n 5 "$STACK.start")"
	exit 1
}
rm -f "$STACK.start"
. "$STACK/env"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
PF="$STACK/postfix"

# count FOLDER: messages in it (on disk, as Dovecot keeps them).
count() {
	dir=$MS_MAILDIR_ROOT/balp/Maildir
	[ "$1" = INBOX ] || dir=$dir/.$(echo "$1" | tr / .)
	find "$dir/new" "$dir/cur" -type f 2>/dev/null | wc -l
}
# send FILE [TO]: as a partner would, through Postfix.
send() {
	swaks --server "127.0.0.1:$MS_SMTP_PORT" --to "${2:-$MS_BALP_USER}" \
	    --from "$(sed -n 's/^From:.*<\(.*\)>.*/\1/p' "$1" | head -n 1)" \
	    --data "$1" >/dev/null 2>&1
}
q() { sqlite3 "$HOME_DIR/var/balp.db" "$1"; }
# queue_empty SECONDS: Postfix's queue flushed and empty in time.
queue_empty() {
	t=0
	while [ "$t" -lt "$1" ]; do
		postqueue -c "$PF" -p 2>/dev/null | grep -q "Mail queue is empty" &&
		    return 0
		postqueue -c "$PF" -f >/dev/null 2>&1
		sleep 1
		t=$((t + 1))
	done
	return 1
}
start_balpd() {
	"$D" -c "$ICONF" 2>>"$HOME_DIR/balpd.err" &
	BPID=$!
	wait_for "$HOME_DIR/balpd.err" "taking mail over LMTP" 10
}
# Every BALP folder's files (all queues and the inbox).
all_files() {
	find "$MS_MAILDIR_ROOT/balp/Maildir" -path '*/new/*' -o -path '*/cur/*' \
	    -type f 2>/dev/null
}

demo_home; ok $? "a home with two partners and their annexes"
cp "$MS_BALP_PASS_FILE" "$HOME_DIR/var/imap.pass"
chmod 600 "$HOME_DIR/var/imap.pass"
sed -e "s#\"imap.caf.test\"#\"localhost\"#" \
    -e "s#port = 993#port = $MS_IMAPS_PORT#" \
    -e "s#/etc/ssl/certs/caf-ca.pem#$MS_CA#" \
    "$SRCDIR/conf/balp-imap.conf" >"$HOME_DIR/conf/imap.conf"
ICONF="$HOME_DIR/conf/imap.conf"

# The configuration is checked at file:line.
cp "$ICONF" "$HOME_DIR/conf/bad.conf"
echo 'lmtp = { listen = "192.0.2.1:10026"; recipients = [ ]; };' \
    >>"$HOME_DIR/conf/bad.conf"
err=$("$D" -c "$HOME_DIR/conf/bad.conf" --once 2>&1); st=$?
is "$st" 2 "a bad lmtp group: balpd refuses to start"
like "$err" "bad.conf:[0-9]+: lmtp.listen: .*192.0.2.1.* is not a loopback" \
    "a non-loopback address is refused at file:line"
like "$err" "bad.conf:[0-9]+: 'recipients' must not be empty" \
    "so is an empty recipients list"

echo "lmtp = { listen = \"127.0.0.1:$PORT\"; recipients = [ \"$MS_BALP_USER\" ]; max_sessions = 4; };" \
    >>"$ICONF"
# Notices go out through the stack's submission port, as in notices.sh.
cp "$MS_NOTICES_PASS_FILE" "$HOME_DIR/conf/notices.pass"
chmod 600 "$HOME_DIR/conf/notices.pass"
cat >>"$ICONF" <<EOC
smtp = {
	host = "localhost";
	port = $MS_SUBMIT_PORT;
	tls = "starttls";
	user = "$MS_NOTICES_USER";
	password_file = "notices.pass";
	ca_file = "$MS_CA";
	timeout = 10;
};
EOC
start_balpd; ok $? "balpd listens on LMTP beside its drain"
sh "$MS" lmtp-route "$STACK" "$MS_BALP_USER" "lmtp:inet:127.0.0.1:$PORT"
ok $? "Postfix routes the BALP's address to balpd"
sh "$MS" lmtp-route "$STACK" "$MS_AGENT_USER" "lmtp:inet:127.0.0.1:$PORT"

# Every outcome of the demo mails, through Postfix.
recent=$(date -d '7 days ago' +%d/%m/%Y)
mkdir -p "$HOME_DIR/mail"
for f in "$SRCDIR"/tests/data/demo/Maildir/new/*; do
	sed "s#{{RECENT}}#$recent#g" "$f" >"$HOME_DIR/mail/$(basename "$f")"
	send "$HOME_DIR/mail/$(basename "$f")"
done
queue_empty 60; ok $? "Postfix's queue empties: every mail delivered"
is "$(q "select count(*) from decisions where source = 'lmtp'")" 14 \
    "one decision per mail, source lmtp"
is "$(q "select count(*) from decision_envelopes e join decisions d on d.id = e.decision_id where e.recipients = '$MS_BALP_USER'")" 14 \
    "each with its envelope recipient"
is "$(count INBOX)" 0 "nothing went through the inbox"
for q in RIB Suspension Blocage Rejets Quarantaine; do
	n=$(q "select count(*) from decisions where queue = 'BALP/$q'")
	is "$(count "BALP/$q")" "$n" "BALP/$q holds its $n decided mail(s)"
done
is "$(q "select count(*) from outbox")" 7 "the notices are queued as for drained mail"
sh "$MS" wait-count "$STACK" capture@caf.test INBOX 7 30
ok $? "and the notifier sends them: 7 notices arrive"
flags=$(curl -s --cacert "$MS_CA" --user "$MS_BALP_USER:$(cat "$MS_BALP_PASS_FILE")" \
    "imaps://localhost:$MS_IMAPS_PORT/BALP/Rejets" -X 'FETCH 1:* FLAGS')
like "$flags" '\$BALP_' "filed mail carries its keywords"
like "$(cat "$MS_POSTFIX_LOG")" "relay=127.0.0.1\[127.0.0.1\]:$PORT.*status=sent \(250 2.0.0" \
    "Postfix logs the delivery to balpd"

# A recipient balpd does not serve: 550, a bounce in Postfix.
send "$HOME_DIR/mail/1763370001.demo01.apeai-rib" "$MS_AGENT_USER"
queue_empty 30
like "$(cat "$MS_POSTFIX_LOG")" "to=<$MS_AGENT_USER>.*status=bounced.*550 5.1.1" \
    "an address not listed is bounced (550 5.1.1)"

# Straight to balpd's socket: the protocol's limits.
out=$(swaks --server "127.0.0.1:$PORT" --protocol LMTP --to nobody@caf.test \
    --from a@b.fr --data 'Subject: x\n\nx' 2>&1)
like "$out" "550 5.1.1" "RCPT of an unknown address: 550 5.1.1"
out=$(swaks --server "127.0.0.1:$PORT" --protocol LMTP --to "$MS_BALP_USER" \
    --from a@b.fr 2>&1 --quit-after LHLO)
like "$out" "PIPELINING" "LHLO offers PIPELINING"
like "$out" "ENHANCEDSTATUSCODES" "and ENHANCEDSTATUSCODES"
like "$out" "SIZE 15728640" "and SIZE, the rules' max_message_size"
head -c 17000000 /dev/zero | tr '\0' 'a' | fold -w 76 >"$HOME_DIR/big.txt"
out=$(swaks --server "127.0.0.1:$PORT" --protocol LMTP --to "$MS_BALP_USER" \
    --from a@b.fr --body "$HOME_DIR/big.txt" 2>&1)
like "$out" "552 5.3.4" "a message over SIZE: 552 5.3.4"

# A pipelined session of three messages.
out=$(python3 - "$PORT" "$MS_BALP_USER" "$HOME_DIR/mail" <<'EOF'
import socket, sys, glob
port, rcpt, d = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.create_connection(("127.0.0.1", port))
f = s.makefile("rb")
f.readline()
cmds = b"LHLO t\r\n"
for i, p in enumerate(sorted(glob.glob(d + "/*"))[4:7]):
    body = open(p, "rb").read().replace(b"Message-ID: <", b"Message-ID: <pipe%d." % i)
    body = b"\r\n".join(b"." + l if l.startswith(b".") else l for l in body.split(b"\n"))
    cmds += b"MAIL FROM:<x@y.fr>\r\nRCPT TO:<" + rcpt.encode() + b">\r\nDATA\r\n" + body + b"\r\n.\r\n"
s.sendall(cmds + b"QUIT\r\n")
print(f.read().decode())
EOF
)
is "$(printf '%s\n' "$out" | grep -c '^250 2.0.0')" 3 \
    "a pipelined session: three messages, three 250 2.0.0"
is "$(q "select count(*) from decisions where message_id like 'pipe%'")" 3 \
    "three decisions"

# One session more than max_sessions (4): 421 4.3.2 at once.
out=$(python3 - "$PORT" <<'EOF'
import socket, sys
port = int(sys.argv[1])
held = []
for i in range(4):
    s = socket.create_connection(("127.0.0.1", port))
    s.makefile("rb").readline()
    held.append(s)
s = socket.create_connection(("127.0.0.1", port))
print(s.makefile("rb").readline().decode().strip())
EOF
)
like "$out" "^421 4.3.2" "a session over max_sessions: 421 4.3.2"

# Dovecot gone: 451, the mail waits in Postfix, filed when it is back.
sh "$MS" dovecot-stop "$STACK"
sed 's/^Message-ID: </Message-ID: <dovecot-down./' \
    "$HOME_DIR/mail/1763370001.demo01.apeai-rib" >"$HOME_DIR/down.eml"
send "$HOME_DIR/down.eml"
wait_for "$MS_POSTFIX_LOG" "status=deferred.*451 4.3.0" 20
ok $? "Dovecot stopped: balpd answers 451, Postfix defers"
sh "$MS" dovecot-start "$STACK"
queue_empty 60; ok $? "Dovecot back: the deferred mail is delivered"
is "$(all_files | xargs grep -l 'dovecot-down\.' | wc -l)" 1 \
    "and filed once"

# balpd gone: Postfix keeps the mail.
kill "$BPID"; wait "$BPID"; BPID=
sed 's/^Message-ID: </Message-ID: <balpd-down./' \
    "$HOME_DIR/mail/1763370001.demo01.apeai-rib" >"$HOME_DIR/down2.eml"
send "$HOME_DIR/down2.eml"
sleep 1
like "$(postqueue -c "$PF" -p)" "$MS_BALP_USER" "balpd stopped: the mail waits in Postfix's queue"
start_balpd
queue_empty 60; ok $? "balpd back: delivered"
is "$(all_files | xargs grep -l 'balpd-down\.' | wc -l)" 1 "nothing lost"

# kill -9 at random moments while mail arrives.
PER=25
N=$((3 * PER))
for round in 0 1 2; do
	for i in $(seq $((round * PER + 1)) $((round * PER + PER))); do
		sed "s/^Message-ID: </Message-ID: <kill$i./" \
		    "$HOME_DIR/mail/1763370001.demo01.apeai-rib" \
		    >"$HOME_DIR/k$round.eml"
		send "$HOME_DIR/k$round.eml"
	done &
	sender=$!
	sleep "0.$(shuf -i 2-9 -n 1)"
	kill -9 "$BPID"; wait "$BPID" 2>/dev/null
	sleep "0.$(shuf -i 1-5 -n 1)"
	start_balpd
	sleep "0.$(shuf -i 2-9 -n 1)"
	kill -9 "$BPID"; wait "$BPID" 2>/dev/null
	start_balpd
	wait "$sender"
done
queue_empty 90; ok $? "after the kills, Postfix's queue empties"
dup=0
for i in $(seq 1 "$N"); do
	c=$(all_files | xargs grep -l "^Message-ID: <kill$i\." | wc -l)
	[ "$c" -eq 1 ] || { dup=$((dup + 1)); echo "# kill$i in $c folders"; }
done
is "$dup" 0 "each of the $N mails is in exactly one folder"
is "$(q "select count(*) from decisions where message_id like 'kill%'")" "$N" \
    "with exactly one decision each"
is "$(count INBOX)" 0 "the inbox stays empty"
unlike "$(cat "$HOME_DIR/balpd.err")" "185057800608491|DUPONT" \
    "no NIR nor name in balpd's log"

# A reload onto a unix socket: mode 0660, and mail goes through it.
sed -i "s#listen = \"127.0.0.1:$PORT\"#listen = \"unix:$HOME_DIR/lmtp.sock\"#" "$ICONF"
kill -HUP "$BPID"
wait_for "$HOME_DIR/balpd.err" "taking mail over LMTP on unix:" 10
ok $? "SIGHUP: balpd listens on the unix socket"
is "$(stat -c %a "$HOME_DIR/lmtp.sock")" 660 "the socket is mode 0660"
sed 's/^Message-ID: </Message-ID: <unix-socket./' \
    "$HOME_DIR/mail/1763370001.demo01.apeai-rib" >"$HOME_DIR/unix.eml"
out=$(swaks --socket "$HOME_DIR/lmtp.sock" --protocol LMTP --to "$MS_BALP_USER" \
    --from a.martin@apeai34.fr --data "$HOME_DIR/unix.eml" 2>&1)
like "$out" "250 2.0.0" "a message over the unix socket is delivered"
is "$(all_files | xargs grep -l 'unix-socket\.' | wc -l)" 1 "and filed"

kill "$BPID"; wait "$BPID"; st=$?; BPID=
is "$st" 0 "SIGTERM: exit 0"
test -e "$HOME_DIR/lmtp.sock"; is "$?" 1 "the socket is removed at exit"
done_testing
