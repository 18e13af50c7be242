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
MPID=
cleanup() {
	[ -n "$BPID" ] && kill -9 "$BPID" 2>/dev/null
	[ -n "$MPID" ] && kill -9 "$MPID" 2>/dev/null
	rm -rf "${MHOME:-/nonexistent}"
	sh "$MS" stop "$STACK" >/dev/null 2>&1
	rm -rf "$STACK" "${HOME_DIR:-/nonexistent}"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
stack_start "$STACK"
PORT=$(free_port)
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
# listening LOG N: a balpd started after LOG said it listens N times says
# so once more (10 s at most).
listening() {
	t=0
	while [ "$(grep -c "taking mail over LMTP" "$1")" -le "$2" ]; do
		[ "$t" -lt 100 ] || return 1
		sleep 0.1
		t=$((t + 1))
	done
}
start_balpd() {
	n=$(grep -c "taking mail over LMTP" "$HOME_DIR/balpd.err" 2>/dev/null)
	"$D" -c "$ICONF" 2>>"$HOME_DIR/balpd.err" &
	BPID=$!
	listening "$HOME_DIR/balpd.err" "${n:-0}"
}
# died PID: the child PID has exited (10 s at most); its status then.
died() {
	t=0
	while [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" != Z ] &&
	    [ -e "/proc/$1" ] && [ "$t" -lt 100 ]; do
		sleep 0.1
		t=$((t + 1))
	done
	if [ -e "/proc/$1" ] && [ "$(cut -d' ' -f3 "/proc/$1/stat")" != Z ]; then
		kill -9 "$1"
	fi
	wait "$1"
}
# Every BALP folder's files (all queues and the inbox).
all_files() {
	find "$MS_MAILDIR_ROOT/balp/Maildir" -path '*/new/*' -o -path '*/cur/*' \
	    -type f 2>/dev/null
}

# lmtp_send PORT FILE...: each file's exact bytes over one LMTP session
# straight to balpd; prints each message's answer, or "closed".
lmtp_send() {
	python3 - "$MS_BALP_USER" "$@" <<'EOF'
import socket, sys
rcpt, port, files = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
s = socket.create_connection(("127.0.0.1", port), timeout=30)
f = s.makefile("rb")
def reply():
    while True:
        l = f.readline()
        if not l:
            print("closed"); sys.exit(0)
        if l[3:4] != b"-":
            return l.decode().strip()
reply(); s.sendall(b"LHLO t\r\n"); reply()
for p in files:
    body = open(p, "rb").read().replace(b"\r\n", b"\n").rstrip(b"\n").split(b"\n")
    body = b"\r\n".join(b"." + l if l.startswith(b".") else l for l in body)
    s.sendall(b"MAIL FROM:<x@y.fr>\r\n"); reply()
    s.sendall(b"RCPT TO:<" + rcpt.encode() + b">\r\n"); reply()
    s.sendall(b"DATA\r\n"); reply()
    s.sendall(body + b"\r\n.\r\n"); print(reply())
s.sendall(b"QUIT\r\n")
EOF
}
# in_folders TOKEN: how many copies of the mail carrying TOKEN are filed.
in_folders() { all_files | xargs grep -l -- "$1" | wc -l; }

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

# balpctl queue status counts LMTP mail as drained mail: per queue, the
# store's waiting mail and the folder's, both what LMTP filed.
st=$("$SRCDIR/build/balpctl" -c "$ICONF" queue status --json)
for q in RIB Suspension Blocage; do
	n=$(q "select count(*) from decisions where queue = 'BALP/$q' and source = 'lmtp'")
	like "$st" "\"queue\":\"BALP/$q\",\"in_rules\":true,\"waiting\":$n,\"in_mailbox\":$n," \
	    "queue status: BALP/$q waits with its $n LMTP mail(s), in the store and the folder"
done

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

# Handed over again after a crash between the filing and the 250 (the
# hook makes balpd die right there): 250 the second time, one copy.
# Two different mails of one Message-ID, the second one handed over again.
for v in one two; do
	sed -e 's/^Message-ID: <.*/Message-ID: <same-id@apeai34.fr>/' \
	    -e "s/^Subject: .*/& [$v-of-two]/" \
	    "$HOME_DIR/mail/1763370001.demo01.apeai-rib" >"$HOME_DIR/same-$v.eml"
done
send "$HOME_DIR/same-one.eml"
queue_empty 30
kill "$BPID"; wait "$BPID"; BPID=
export BALP_TEST_LMTP_DIE_FILED=1
start_balpd
send "$HOME_DIR/same-two.eml"
died "$BPID"; is "$?" 99 "the second mail of that Message-ID filed, balpd dead before its 250"
BPID=
unset BALP_TEST_LMTP_DIE_FILED
is "$(in_folders 'two-of-two')" 1 "  it is in its folder already"
start_balpd
queue_empty 60; ok $? "handed over again: delivered, no 451 loop"
is "$(in_folders 'same-id@apeai34')" 2 "both mails of that Message-ID are filed"
is "$(in_folders 'one-of-two')" 1 "  the first once"
is "$(in_folders 'two-of-two')" 1 "  the second once"
is "$(q "select count(*) from decisions where message_id = 'same-id@apeai34.fr'")" 2 \
    "  one decision each"
# A mail without Message-ID, straight to balpd (Postfix would add one).
sed -e '/^Message-ID:/d' -e 's/^Subject: .*/& [no-id-redelivered]/' \
    "$HOME_DIR/mail/1763370001.demo01.apeai-rib" >"$HOME_DIR/noid.eml"
kill "$BPID"; wait "$BPID"; BPID=
export BALP_TEST_LMTP_DIE_FILED=1
start_balpd
is "$(lmtp_send "$PORT" "$HOME_DIR/noid.eml")" closed \
    "a mail without Message-ID: filed, balpd dead before its 250"
died "$BPID"; BPID=
unset BALP_TEST_LMTP_DIE_FILED
start_balpd
like "$(lmtp_send "$PORT" "$HOME_DIR/noid.eml")" "^250 2.0.0" \
    "handed over again: 250"
is "$(in_folders 'no-id-redelivered')" 1 "  and filed once"
is "$(q "select count(*) from decisions where message_id is null and source = 'lmtp'")" 1 \
    "  one decision"

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

# The supervisors' digest counts LMTP mail as drained mail: three of it
# waited five weeks, the digest lists them.
late=$(q "SELECT group_concat(id, ' ') FROM (SELECT id FROM decisions WHERE source = 'lmtp' AND queue = 'BALP/RIB' ORDER BY id LIMIT 3)")
q "UPDATE decisions SET decided_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-35 days') WHERE id IN ($(echo "$late" | tr ' ' ','))"
echo 'sla = { digest_to = "capture@caf.test"; digest_hour = 0; };' >>"$ICONF"
"$D" -c "$ICONF" --once >/dev/null 2>"$HOME_DIR/digest.err"
like "$(cat "$HOME_DIR/digest.err")" "digest: 3 overdue messages, sent to capture@caf.test" \
    "the digest counts the three late LMTP mails"
CAPDIR="$MS_MAILDIR_ROOT/capture/Maildir"
t=0
while ! grep -qs "^Message-ID: <digest\." "$CAPDIR"/new/* "$CAPDIR"/cur/* &&
    [ "$t" -lt 300 ]; do
	sleep 0.1
	t=$((t + 1))
done
dg=$(grep -ls "^Message-ID: <digest\." "$CAPDIR"/new/* "$CAPDIR"/cur/* |
    xargs cat | perl -MMIME::QuotedPrint -MEncode -0777 -ne '
	s/\r\n/\n/g; my ($h, $b) = split(/\n\n/, $_, 2);
	print encode("UTF-8", decode("MIME-Header", $h)), "\n\n", decode_qp($b);')
for id in $late; do
	like "$dg" "décisions :.* $id(,|\$)" "  it lists LMTP decision $id"
done

# The Maildir: a file named by the message's header key, the re-delivery
# found by that name.  Straight to balpd; its session timeouts short.
IHOME=$HOME_DIR
demo_home; ok $? "a Maildir home"
MHOME=$HOME_DIR
HOME_DIR=$IHOME
MCONF="$MHOME/conf/balp.conf"
MPORT=$(free_port)
echo "lmtp = { listen = \"127.0.0.1:$MPORT\"; recipients = [ \"$MS_BALP_USER\" ]; idle_timeout_seconds = 1; command_timeout_seconds = 2; filers = 1; };" \
    >>"$MCONF"
mkdir -p "$MHOME/var/Maildir/new" "$MHOME/var/Maildir/cur" "$MHOME/var/Maildir/tmp"
start_md() {
	n=$(grep -c "taking mail over LMTP" "$MHOME/balpd.err" 2>/dev/null)
	"$D" -c "$MCONF" 2>>"$MHOME/balpd.err" &
	MPID=$!
	listening "$MHOME/balpd.err" "${n:-0}"
}
md_copies() {
	find "$MHOME/var/Maildir" -type f \( -path '*/new/*' -o -path '*/cur/*' \) |
	    xargs grep -l -- "$1" | wc -l
}
start_md; ok $? "balpd on a Maildir takes mail over LMTP"
like "$(lmtp_send "$MPORT" "$HOME_DIR/same-one.eml")" "^250 2.0.0" \
    "Maildir: the first mail of a Message-ID delivered"
kill "$MPID"; wait "$MPID"
export BALP_TEST_LMTP_DIE_FILED=1
start_md
is "$(lmtp_send "$MPORT" "$HOME_DIR/same-two.eml")" closed \
    "Maildir: the second one filed, balpd dead before its 250"
died "$MPID"
unset BALP_TEST_LMTP_DIE_FILED
start_md
like "$(lmtp_send "$MPORT" "$HOME_DIR/same-two.eml")" "^250 2.0.0" \
    "Maildir: handed over again, 250"
is "$(md_copies 'one-of-two')" 1 "  the first once"
is "$(md_copies 'two-of-two')" 1 "  the second once"
kill "$MPID"; wait "$MPID"
export BALP_TEST_LMTP_DIE_FILED=1
start_md
is "$(lmtp_send "$MPORT" "$HOME_DIR/noid.eml")" closed \
    "Maildir: a mail without Message-ID filed, balpd dead before its 250"
died "$MPID"
unset BALP_TEST_LMTP_DIE_FILED
start_md
like "$(lmtp_send "$MPORT" "$HOME_DIR/noid.eml")" "^250 2.0.0" \
    "Maildir: handed over again, 250"
is "$(md_copies 'no-id-redelivered')" 1 "  and filed once"
is "$(sqlite3 "$MHOME/var/balp.db" "select count(*) from decisions where source = 'lmtp' and (message_id is null or message_id not like 'three%')")" 3 \
    "  one decision per mail"

# One filer for three sessions at once: the decided mail waits for it,
# each session held until its own message is filed.
out=$(python3 - "$MPORT" "$MS_BALP_USER" "$HOME_DIR/mail/1763370001.demo01.apeai-rib" <<'EOF'
import socket, sys
port, rcpt, path = int(sys.argv[1]), sys.argv[2].encode(), sys.argv[3]
body = open(path, "rb").read().replace(b"\r\n", b"\n").rstrip(b"\n").split(b"\n")
conns = []
for i in range(3):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    m = [l.replace(b"Message-ID: <", b"Message-ID: <three%d." % i) for l in body]
    s.sendall(b"LHLO t\r\nMAIL FROM:<x@y.fr>\r\nRCPT TO:<" + rcpt + b">\r\nDATA\r\n"
        + b"\r\n".join(b"." + l if l.startswith(b".") else l for l in m)
        + b"\r\n.\r\nQUIT\r\n")
    conns.append(s)
for s in conns:
    print(s.makefile("rb").read().decode().count("250 2.0.0 Delivered"))
EOF
)
is "$(echo $out)" "1 1 1" "three sessions, one filer: each told 250 for its message"
is "$(md_copies 'three[0-2]\.')" 3 "  the three filed, once each"

# The timeouts (RFC 5321 4.5.3.2): a silent client is told 421 and closed.
stall() {
	python3 - "$MPORT" "$1" "${2:-}" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=15)
f = s.makefile("rb")
f.readline()
if sys.argv[2] != "idle":
    s.sendall(b"LHLO t\r\n")
    while f.readline()[3:4] == b"-":
        pass
    s.sendall({"line": b"MAIL FROM:<a@b.fr",
        "data": b"MAIL FROM:<a@b.fr>\r\nRCPT TO:<%s>\r\nDATA\r\nSubject: x\r\n\r\nhalf"
        % sys.argv[3].encode()}[sys.argv[2]])
    if sys.argv[2] == "data":
        for i in range(3):
            f.readline()
try:
    l = f.readline().decode().strip()
    print(l, "closed" if f.readline() == b"" else "open")
except socket.timeout:
    print("no answer")
EOF
}
like "$(stall idle)" "^421 4\.4\.2 .*closed$" \
    "idle_timeout_seconds: a client silent after the greeting gets 421, closed"
like "$(stall line)" "^421 4\.4\.2 .*closed$" \
    "command_timeout_seconds: a command line that stalls gets 421, closed"
like "$(stall data "$MS_BALP_USER")" "^421 4\.4\.2 .*closed$" \
    "  so does DATA that stalls"
kill "$MPID"; wait "$MPID"; MPID=

done_testing
