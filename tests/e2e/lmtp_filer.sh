#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# balpd's filer processes (docs/lmtp.md, src/mail/filer.c): LMTP mail
# filed into one folder by one filer at a time, what came for it meanwhile
# in one MULTIAPPEND (src/mail/imap_append.c), a message handed over again
# while it is being filed answered with that filing, and a filer that dies
# failing only its filings in hand.  Against the private Postfix and
# Dovecot of tests/tools/mailstack.sh; what went over IMAP read from
# Dovecot's raw logs of its sessions (MS_RAWLOG_DIR).  KEEP=1 leaves the
# stack and the home in /tmp to look at (stop it with mailstack.sh stop).
. "$SRCDIR/tests/tools/tap.sh"
D="$SRCDIR/build/balpd"
MS="$SRCDIR/tests/tools/mailstack.sh"

STACK=$(mktemp -d /tmp/ms.XXXXXX)
BPID=
SENDER=
cleanup() {
	[ -n "$SENDER" ] && kill -9 "$SENDER" 2>/dev/null
	[ -n "$BPID" ] && kill -9 "$BPID" 2>/dev/null
	sh "$MS" stop "$STACK" >/dev/null 2>&1
	rm -rf "$STACK" "${HOME_DIR:-/nonexistent}"
}
[ -n "${KEEP:-}" ] || trap cleanup EXIT
trap 'exit 1' INT TERM
stack_start "$STACK"
PORT=$(free_port)
PF="$STACK/postfix"
PASS=$(cat "$MS_BALP_PASS_FILE")

q() { sqlite3 "$HOME_DIR/var/balp.db" "$1"; }
# start_balpd: balpd on $ICONF, listening (10 s at most).
start_balpd() {
	n=$(grep -c "taking mail over LMTP" "$HOME_DIR/balpd.err" 2>/dev/null)
	"$D" -c "$ICONF" 2>>"$HOME_DIR/balpd.err" &
	BPID=$!
	t=0
	while [ "$(grep -c "taking mail over LMTP" "$HOME_DIR/balpd.err")" -le "${n:-0}" ]; do
		[ "$t" -lt 100 ] || return 1
		sleep 0.1
		t=$((t + 1))
	done
}
stop_balpd() {
	kill "$BPID"
	wait "$BPID"
	st=$?
	BPID=
	return "$st"
}
# use_imap HOST TLS PORT: balpd's mailbox is the BALP account there.
use_imap() {
	sed -i -e "s#^\(\thost = \).*#\1\"$1\";#" -e "s#^\(\ttls = \).*#\1\"$2\";#" \
	    -e "s#^\(\tport = \)[0-9]*;#\1$3;#" "$ICONF"
}
# filers: the pids of balpd's filer processes (its children named so).
filers() {
	for p in $(ps -o pid= --ppid "$BPID"); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = balp-filer ] &&
		    [ "$(cut -d' ' -f3 "/proc/$p/stat" 2>/dev/null)" != Z ] &&
		    echo "$p"
	done
}
# kill_busy_filer: waits (20 s at most) for a filer of balpd that is not
# waiting for a job (its system call, /proc/PID/syscall, not recvmsg on its
# socket: it files) and kills it (-9, by its pid).  Prints the pid; 1 if
# none was busy.
case $(uname -m) in
aarch64 | riscv64) RECVMSG=212 ;;
*) RECVMSG=47 ;;	# x86_64
esac
kill_busy_filer() {
	end=$(($(date +%s) + 20))
	while [ "$(date +%s)" -lt "$end" ]; do
		for p in $(filers); do
			read -r sc _ <"/proc/$p/syscall" 2>/dev/null || continue
			[ "$sc" = "$RECVMSG" ] && continue	# idle
			kill -9 "$p" || continue
			# Dead (a zombie until balpd reaps it) before it counts.
			while [ -e "/proc/$p" ] &&
			    [ "$(cut -d' ' -f3 "/proc/$p/stat" 2>/dev/null)" != Z ]; do
				sleep 0.01
			done
			echo "$p"
			return 0
		done
	done
	return 1
}

# burst PREFIX N RCPT...: N partner mails (the demo mails in turn, each
# Message-ID made <PREFIXi.…>) sent to Postfix's MX port over four SMTP
# connections at once, each mail to every RCPT in one transaction.
burst() {
	python3 - "$MS_SMTP_PORT" "$SRCDIR/tests/data/demo/Maildir/new" \
	    "$(date -d '7 days ago' +%d/%m/%Y)" "$@" <<'EOF'
import os, re, smtplib, sys, threading
port, d, recent, prefix, n = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
rcpts = sys.argv[6:]
src = [open(os.path.join(d, f), "rb").read().replace(b"{{RECENT}}", recent.encode())
       for f in sorted(os.listdir(d))]
def mail(i):
    m = re.sub(rb"(?mi)^(Message-ID:\s*<)", rb"\g<1>" + b"%s%d." % (prefix.encode(), i),
               src[i % len(src)], count=1)
    f = re.search(rb"(?mi)^From:.*<([^>]*)>", m)
    return (f.group(1).decode() if f else ""), m
def worker(k):
    s = smtplib.SMTP("127.0.0.1", port, timeout=60)
    for i in range(k, n, 4):
        sender, m = mail(i)
        s.sendmail(sender, rcpts, m)
    s.quit()
ts = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
for t in ts: t.start()
for t in ts: t.join()
EOF
}
# in_folders PREFIX N: how many times each of the N mails is in the BALP's
# folders (on disk), space-separated.
in_folders() {
	python3 - "$MS_MAILDIR_ROOT/balp/Maildir" "$1" "$2" <<'EOF'
import os, re, sys
root, prefix, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
seen = {}
for dp, dn, fn in os.walk(root):
    if os.path.basename(dp) not in ("new", "cur"):
        continue
    for f in fn:
        for l in open(os.path.join(dp, f), "rb"):
            if l in (b"\n", b"\r\n"):
                break
            m = re.match(rb"(?i)Message-ID:\s*<%s(\d+)\." % re.escape(prefix.encode()), l)
            if m:
                seen[int(m.group(1))] = seen.get(int(m.group(1)), 0) + 1
print(" ".join(str(seen.get(i, 0)) for i in range(n)))
EOF
}
# copies PREFIX N: how many of the N mails are not in the BALP's folders
# exactly once (in_folders; each one off listed as "# ").
copies() {
	in_folders "$1" "$2" | tr ' ' '\n' | awk -v p="$1" '
	    $1 != 1 { if (bad < 10) printf "# %s%d. in %d folder(s)\n", p, NR - 1, $1 >"/dev/stderr"; bad++ }
	    END { print bad + 0 }'
}
# decisions_off PREFIX N: how many of the N mails have not exactly one
# decision.
decisions_off() {
	q "SELECT message_id FROM decisions WHERE message_id LIKE '$1%'" |
	    python3 -c '
import re, sys
prefix, n = sys.argv[1], int(sys.argv[2])
c = {}
for l in sys.stdin:
    m = re.match(re.escape(prefix) + r"(\d+)\.", l)
    if m:
        c[int(m.group(1))] = c.get(int(m.group(1)), 0) + 1
print(sum(1 for i in range(n) if c.get(i, 0) != 1))' "$1" "$2"
}
# deliveries PREFIX: what Postfix's log says of the deliveries to balpd
# (its port) of PREFIX's mails, one line each, in order: "i recipient
# status" (sent, deferred...).
deliveries() {
	python3 - "$MS_POSTFIX_LOG" "$PORT" "$1" <<'EOF'
import re, sys
log, port, prefix = sys.argv[1], sys.argv[2], sys.argv[3]
qid = {}
for l in open(log, errors="replace"):
    m = re.search(r"\]: ([0-9A-F]+): message-id=<" + re.escape(prefix) + r"(\d+)\.", l)
    if m:
        qid[m.group(1)] = int(m.group(2))
        continue
    m = re.search(r"\]: ([0-9A-F]+): to=<([^>]*)>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:" + port + r",.*status=(\w+)", l)
    if m and m.group(1) in qid:
        print(qid[m.group(1)], m.group(2), m.group(3))
EOF
}
# sent_twice PREFIX N RCPT1 RCPT2: how many of the N mails Postfix's log
# does not show delivered (status=sent, to balpd's port) exactly once to
# each of the two recipients.
sent_twice() {
	deliveries "$1" | awk -v n="$2" -v r1="$3" -v r2="$4" '
	    $3 == "sent" { c[$1 " " $2]++ }
	    END { for (i = 0; i < n; i++) if (c[i " " r1] != 1 || c[i " " r2] != 1) bad++; print bad + 0 }'
}
# appends DIR: the client's APPEND commands in the raw logs of DIR
# (Dovecot's *.in and *.out of each session, each line after the time it
# came, "sec.usec "), one line each, tab-separated: the number of messages
# sent, the literal forms ("{n+}", "{n}"), the server's answer (OK, NO,
# ...), how many of its synchronizing literals the client began to send
# before the server's "+ OK" for it came, and per message "Message-ID
# flags date" (flags joined by "|", the date's spaces "_").  A
# synchronizing literal the server refused (a tagged NO instead of "+ OK")
# was not sent.
appends() {
	python3 - "$1" <<'EOF'
import glob, re, sys
STAMP = re.compile(rb"(\d+\.\d+) ")
def stripped(path):
    starts, b = [], bytearray()
    for l in open(path, "rb").read().splitlines(keepends=True):
        m = STAMP.match(l)
        if m:
            starts.append((len(b), float(m.group(1))))
            l = l[m.end():]
        b += l
    return bytes(b), starts
for p in sorted(glob.glob(sys.argv[1] + "/*.in")):
    b, starts = stripped(p)
    ob, ostarts = stripped(p[:-3] + ".out")
    out = [(t, ob[o:ob.find(b"\r\n", o)]) for o, t in ostarts]
    oi, si = 0, 0
    def ts(o):
        global si
        while si + 1 < len(starts) and starts[si + 1][0] <= o:
            si += 1
        return starts[si][1]
    pos = 0
    while pos < len(b):
        e = b.find(b"\r\n", pos)
        if e < 0:
            break
        line, pos = b[pos:e], e + 2
        m = re.match(rb"(\S+) APPEND ", line, re.I)
        if not m:
            continue
        tag = m.group(1) + b" "
        msgs, forms, early, status = [], set(), 0, "?"
        while True:
            m = re.search(rb'\((.*?)\) "([^"]*)" \{(\d+)(\+?)\}$', line)
            if not m:
                break
            if not m.group(4):
                forms.add("{n}")
                t0 = ts(pos - 2)
                while oi < len(out) and not (out[oi][1].startswith(b"+ OK") or
                        out[oi][1].startswith(tag)):
                    oi += 1
                if oi >= len(out) or not out[oi][1].startswith(b"+ OK"):
                    break	# refused: the literal was not sent
                if not ts(pos) > out[oi][0]:
                    early += 1
                oi += 1
            else:
                forms.add("{n+}")
            size = int(m.group(3))
            lit = b[pos:pos + size]
            pos += size
            mid = re.search(rb"(?mi)^Message-ID:\s*<([^>]*)>", lit)
            msgs.append("%s %s %s" % (mid.group(1).decode() if mid else "-",
                "|".join(m.group(1).decode().split()) or "-",
                m.group(2).decode().replace(" ", "_")))
            e = b.find(b"\r\n", pos)
            line, pos = b[pos:e], e + 2
        for k in range(oi, len(out)):
            if out[k][1].startswith(tag):
                status = out[k][1][len(tag):].split(b" ")[0].decode()
                break
        print("%d\t%s\t%s\t%d\t%s" % (len(msgs), ",".join(sorted(forms)) or "-",
            status, early, "\t".join(msgs)))
EOF
}
# summary FILE: what appends() found, in a few words.
summary() {
	awk -F'\t' '$1 >= 2 && $3 == "OK" { n++; m += $1 } $3 == "NO" { no++ }
	    END { printf "%d commands, %d messages; %d refused", n, m, no }' "$1"
}
# drop_folder NAME: a queue folder deleted under balpd (an operator's
# mistake): balpd's next APPEND into it is told NO [TRYCREATE].
drop_folder() {
	curl -s --user "$MS_BALP_USER:$PASS" "imap://127.0.0.1:$MS_IMAP_PORT/" \
	    -X "DELETE \"$1\"" >/dev/null
}
# stored FOLDER_AND_IDS...: per Message-ID, its folder's FLAGS and
# INTERNALDATE (epoch) as Dovecot returns them (plain IMAP on 127.0.0.1,
# not the logged addresses): "id flags epoch" lines.
stored() {
	python3 - "$MS_IMAP_PORT" "$MS_BALP_USER" "$PASS" <<'EOF'
import imaplib, re, sys, time, email.utils
port, user, pw = int(sys.argv[1]), sys.argv[2], sys.argv[3]
c = imaplib.IMAP4("127.0.0.1", port)
c.login(user, pw)
for f in ["BALP/RIB", "BALP/Suspension", "BALP/Blocage", "BALP/Rejets", "BALP/Quarantaine"]:
    if c.select('"%s"' % f, readonly=True)[0] != "OK":
        continue
    typ, data = c.fetch("1:*", "(FLAGS INTERNALDATE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
    for d in data:
        if not isinstance(d, tuple):
            continue
        meta, hdr = d[0].decode(), d[1].decode(errors="replace")
        mid = re.search(r"<([^>]*)>", hdr)
        flags = re.search(r"FLAGS \(([^)]*)\)", meta).group(1)
        t = time.mktime(imaplib.Internaldate2tuple(d[0]))
        print("%s %s %d" % (mid.group(1) if mid else "-", "|".join(sorted(flags.split())) or "-", t))
c.logout()
EOF
}

# mails PREFIX RCPTS SIZE...: one partner mail per SIZE to RCPTS (comma-
# separated), over one SMTP connection: demo mail 08, from a sender no partner lists (rejected: all
# into BALP/Rejets), its Message-ID made <PREFIXi.…>, its text grown by
# lines to SIZE bytes at least (0: as it is).
mails() {
	python3 - "$MS_SMTP_PORT" \
	    "$SRCDIR/tests/data/demo/Maildir/new/1763370008.demo08.inconnu" "$@" <<'EOF'
import re, smtplib, sys
port, path, prefix, rcpt = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
src = open(path, "rb").read()
s = smtplib.SMTP("127.0.0.1", port, timeout=60)
for i, size in enumerate(int(a) for a in sys.argv[5:]):
    m = re.sub(rb"(?mi)^(Message-ID:\s*<)", rb"\g<1>" + b"%s%d." % (prefix.encode(), i),
               src, count=1)
    k, pad = 0, b""
    while len(m) + len(pad) < size:
        pad += b"ligne %06d pour grossir ce message\n" % k
        k += 1
    m = m.replace(b"association.\n", b"association.\n" + pad, 1)
    f = re.search(rb"(?mi)^From:.*<([^>]*)>", m)
    s.sendmail(f.group(1).decode(), rcpt.split(","), m)
s.quit()
EOF
}
# wait_decided PREFIX N SECONDS: until N decisions of PREFIX's mails are
# committed (balpd hands each to its filers right after).
wait_decided() {
	t=0
	while [ "$(q "SELECT count(*) FROM decisions WHERE message_id LIKE '$1%'")" -lt "$2" ]; do
		[ "$t" -lt $(($3 * 10)) ] || return 1
		sleep 0.1
		t=$((t + 1))
	done
}
# delivered PREFIX N: per mail, what Postfix's log says of its deliveries to
# balpd (sent, deferred), comma-joined in order, "-" for none;
# space-separated.
delivered() {
	deliveries "$1" | awk -v n="$2" '
	    { if ($1 in st) st[$1] = st[$1] "," $3; else st[$1] = $3 }
	    END { for (i = 0; i < n; i++) printf "%s%s", i ? " " : "", (i in st) ? st[i] : "-"; print "" }'
}
# until_delivered PREFIX N WANT SECONDS: until delivered() says WANT.
until_delivered() {
	t=0
	while [ "$(delivered "$1" "$2")" != "$3" ]; do
		[ "$t" -lt $(($4 * 10)) ] || return 1
		sleep 0.1
		t=$((t + 1))
	done
}

demo_home; ok $? "a home with two partners and their annexes"
cp "$MS_BALP_PASS_FILE" "$HOME_DIR/var/imap.pass"
chmod 600 "$HOME_DIR/var/imap.pass"
sed -e "s#\"imap.caf.test\"#\"localhost\"#" \
    -e "s#port = 993#port = $MS_IMAPS_PORT#" \
    -e "s#/etc/ssl/certs/caf-ca.pem#$MS_CA#" \
    "$SRCDIR/conf/balp-imap.conf" >"$HOME_DIR/conf/imap.conf"
ICONF="$HOME_DIR/conf/imap.conf"
# Two of the BALP's addresses, six filers (the default).  Postfix opens
# eight sessions at most per destination, and with one recipient per
# delivery each address is a destination of its own (sixteen), besides
# the idle ones in its connection cache: 32 sessions, so that none is told
# 421 (Postfix would suspend that destination for a while).
echo "lmtp = { listen = \"127.0.0.1:$PORT\"; recipients = [ \"$MS_BALP_USER\", \"$MS_AGENT_USER\" ]; max_sessions = 32; filers = 6; };" \
    >>"$ICONF"
sh "$MS" lmtp-route "$STACK" "$MS_BALP_USER" "lmtp:inet:127.0.0.1:$PORT" &&
sh "$MS" lmtp-route "$STACK" "$MS_AGENT_USER" "lmtp:inet:127.0.0.1:$PORT" &&
postconf -c "$PF" -e lmtp_destination_concurrency_limit=8 &&
postfix -c "$PF" reload >/dev/null 2>&1
ok $? "Postfix routes both addresses to balpd, eight sessions at most, one recipient each"

# ---- 1. filers killed while they file ------------------------------------
start_balpd; ok $? "balpd listens (IMAPS, six filers)"
# Each filer names itself once forked (prctl, in the child): not always
# by the time balpd says it listens.
t=0
while [ "$(filers | wc -l)" -lt 6 ] && [ "$t" -lt 50 ]; do
	sleep 0.1
	t=$((t + 1))
done
is "$(filers | wc -l)" 6 "six processes named balp-filer"
N1=160
burst fk "$N1" "$MS_BALP_USER" &
SENDER=$!
# A filer killed while it files, until one was caught with filings in hand
# (one that had just answered would not be: three tries at most).
killed=0
died=1
while [ "$killed" -lt 3 ] && [ "$died" -ne 0 ]; do
	kill_busy_filer >/dev/null || break
	killed=$((killed + 1))
	wait_for "$HOME_DIR/balpd.err" "cannot file it: the filer process died" 5
	died=$?
done
ok "$died" "a filer killed while it files: its filings in hand fail, \"the filer process died\" ($killed killed)"
kill_busy_filer >/dev/null; ok $? "one more killed while it files"
killed=$((killed + 1))
kill -0 "$BPID"; ok $? "balpd goes on"
is "$(filers | wc -l)" "$((6 - killed))" "  with its $((6 - killed)) other filers"
wait "$SENDER"; ok $? "the $N1 mails are sent to Postfix"
SENDER=
# The last ones, mail still coming: what comes next is filed in the loop.
for p in $(filers); do kill -9 "$p"; done
N1B=30
burst fl "$N1B" "$MS_BALP_USER"
queue_empty 120; ok $? "Postfix's queue empties: every mail delivered"
grep -Eq "relay=127\.0\.0\.1\[127\.0\.0\.1\]:$PORT, .*status=deferred \(host 127\.0\.0\.1\[127\.0\.0\.1\] said: 451 4\.3\.0" \
    "$MS_POSTFIX_LOG"
ok $? "Postfix logs deferrals (451 4.3.0) of the filings the dead filers had in hand"
grep -q "no filer left: filed in the loop" "$HOME_DIR/balpd.err"
ok $? "no filer left: balpd files in its loop"
kill -0 "$BPID"; ok $? "balpd alive throughout"
is "$(copies fk "$N1")" 0 "each of the $N1 mails is in exactly one folder"
is "$(decisions_off fk "$N1")" 0 "  with exactly one decision"
is "$(copies fl "$N1B")" 0 "each of the $N1B mails filed in the loop is in exactly one folder"
is "$(decisions_off fl "$N1B")" 0 "  with exactly one decision"
# A reload forks the filers again.
kill -HUP "$BPID"
wait_for "$HOME_DIR/balpd.err" "configuration reloaded" 10
is "$(filers | wc -l)" 6 "SIGHUP: six filers again"
burst fr 20 "$MS_BALP_USER"
queue_empty 60; ok $? "  and they file: 20 more mails delivered"
is "$(copies fr 20)" 0 "  each in exactly one folder"
is "$(sed -n '/configuration reloaded/,$ p' "$HOME_DIR/balpd.err" |
    grep -c "filed in the loop")" 0 "  none of them in the loop"
stop_balpd; ok $? "SIGTERM: balpd exits 0"

# ---- 2. one mail to two of the BALP's addresses, in parallel --------------
# Postfix delivers each recipient apart (lmtp_destination_recipient_limit
# 1), in two sessions at once: the second delivery of a message finds its
# decision, and, its filing queued or in hand, follows it.
use_imap "$MS_ADDR_RAWLOG" none "$MS_IMAP_PORT"
start_balpd; ok $? "balpd on the logged IMAP address (127.0.0.6)"
N2=30
burst tw "$N2" "$MS_BALP_USER" "$MS_AGENT_USER"
queue_empty 60; ok $? "the $N2 mails to both addresses delivered"
is "$(sent_twice tw "$N2" "$MS_BALP_USER" "$MS_AGENT_USER")" 0 \
    "Postfix logs each delivered to balpd twice, once per address (status=sent)"
is "$(copies tw "$N2")" 0 "each is filed exactly once"
is "$(decisions_off tw "$N2")" 0 "  with one decision"
# Again, a filer killed meanwhile: what followed its filings in hand is
# deferred with them, and both deliveries come again.
N2K=40
burst tk "$N2K" "$MS_BALP_USER" "$MS_AGENT_USER" &
SENDER=$!
kill_busy_filer >/dev/null; ok $? "a filer killed while mail to both addresses is filed"
wait "$SENDER"
SENDER=
queue_empty 60; ok $? "the $N2K mails delivered"
is "$(sent_twice tk "$N2K" "$MS_BALP_USER" "$MS_AGENT_USER")" 0 \
    "  each delivered to balpd once per address"
is "$(copies tk "$N2K")" 0 "  each filed exactly once"
is "$(decisions_off tk "$N2K")" 0 "  with one decision"
is "$(find "$MS_MAILDIR_ROOT/agent" -type f -path '*/new/*' 2>/dev/null | wc -l)" 0 \
    "nothing reaches the second address's own mailbox"
stop_balpd

# ---- 3. MULTIAPPEND: several messages in one APPEND ------------------------
rm -f "$MS_RAWLOG_DIR/$MS_ADDR_RAWLOG"/*
start_balpd
drop_folder BALP/Rejets; ok $? "BALP/Rejets deleted under balpd"
N3=120
burst ma "$N3" "$MS_BALP_USER"
queue_empty 60; ok $? "a burst of $N3 mails delivered"
# A folder's filing held up (Dovecot's imap processes stopped): three
# mails for it, over a second apart, the first in hand, the two others waiting
# for it: filed together, each with its own arrival time.
imaps=$(for p in $(ps -o pid= --ppid "$(cat "$MS_DIR/dovecot/run/master.pid")"); do
	[ "$(cat "/proc/$p/comm")" = imap ] && echo "$p"
done)
# shellcheck disable=SC2086
kill -STOP $imaps
for i in 0 1 2; do
	burst "st$i" 1 "$MS_BALP_USER"
	sleep 1.5
done
# shellcheck disable=SC2086
kill -CONT $imaps
queue_empty 60; ok $? "three mails a second apart while the server was held up: delivered"
stop_balpd
is "$(copies ma "$N3")" 0 "each filed exactly once"
appends "$MS_RAWLOG_DIR/$MS_ADDR_RAWLOG" >"$HOME_DIR/ap3"
multi=$(awk -F'\t' '$1 >= 2 && $3 == "OK"' "$HOME_DIR/ap3")
[ -n "$multi" ]; ok $? "at least one APPEND stored two messages or more ($(summary "$HOME_DIR/ap3"))"
is "$(printf '%s\n' "$multi" | cut -f2 | sort -u | tr '\n' ' ')" "{n+} " \
    "  LITERAL+ announced: non-synchronizing literals"
is "$(awk -F'\t' '$3 == "OK"' "$HOME_DIR/ap3" | cut -f5- | tr '\t' '\n' | cut -d' ' -f1 | sort | uniq -d | wc -l)" 0 \
    "  no message appended twice"
stored >"$HOME_DIR/st3"
# Each message of a multi-message APPEND: in its folder, with the flags it
# was appended with, its keywords among them, and its INTERNALDATE the
# arrival time its decision's ref carries (as for a single APPEND).
q "SELECT message_id, source_ref FROM decisions WHERE message_id LIKE 'ma%' OR message_id LIKE 'st%'" \
    >"$HOME_DIR/refs3"
# as_appended FILE: how many of the messages of FILE ("id flags date"
# lines) are not in their folder once, with those flags, a $BALP_ keyword
# and the arrival time of their decision's ref as INTERNALDATE.
as_appended() {
	python3 - "$1" "$HOME_DIR/st3" "$HOME_DIR/refs3" <<'EOF2'
import sys
sent = [l.split() for l in open(sys.argv[1]) if l.strip()]
st = {}
for l in open(sys.argv[2]):
    mid, flags, t = l.split()
    st.setdefault(mid, []).append((set(flags.split("|")), int(t)))
refs = dict(l.strip().split("|", 1) for l in open(sys.argv[3]) if "|" in l)
bad = 0
for mid, flags, date in sent:
    want = set(flags.split("|")) if flags != "-" else set()
    got = st.get(mid, [])
    arrived = int(refs.get(mid, "0").split(".")[0])
    if (len(got) != 1 or not want <= got[0][0] or
            not any(f.startswith("$BALP_") for f in got[0][0]) or got[0][1] != arrived):
        bad += 1
        print("# %s: appended %s; stored %s; arrived %d" % (mid, flags, got, arrived), file=sys.stderr)
print(bad)
EOF2
}
printf '%s\n' "$multi" | cut -f5- | tr '\t' '\n' >"$HOME_DIR/multi3"
is "$(as_appended "$HOME_DIR/multi3")" 0 \
    "  each of their messages in its folder with its \$BALP_ keywords, its arrival time as INTERNALDATE"
# The single APPENDs (libetpan's) alike, for comparison.
awk -F'\t' '$1 == 1 && $3 == "OK"' "$HOME_DIR/ap3" | cut -f5 >"$HOME_DIR/single3"
is "$(as_appended "$HOME_DIR/single3")" 0 \
    "  as the messages appended alone ($(wc -l <"$HOME_DIR/single3"))"
held=$(awk -F'\t' '$3 == "OK" && /\tst10\./ && /\tst20\./' "$HOME_DIR/ap3")
is "$(printf '%s' "$held" | cut -f1)" 2 \
    "the two that waited for the held-up folder went in one APPEND"
is "$(printf '%s\n' "$held" | cut -f5- | tr '\t' '\n' | cut -d' ' -f3 | sort -u | wc -l)" 2 \
    "  with two dates"
printf '%s\n' "$held" | cut -f5- | tr '\t' '\n' >"$HOME_DIR/held3"
is "$(as_appended "$HOME_DIR/held3")" 0 \
    "  each its own arrival time as INTERNALDATE, in its folder with its keywords"

# ---- 4. no LITERAL+: synchronizing literals --------------------------------
use_imap "$MS_ADDR_NOLITPLUS" none "$MS_IMAP_PORT"
start_balpd; ok $? "balpd on a server without LITERAL+ (127.0.0.7)"
drop_folder BALP/Rejets; ok $? "BALP/Rejets deleted under balpd"
N4=120
burst sy "$N4" "$MS_BALP_USER"
queue_empty 60; ok $? "a burst of $N4 mails delivered"
stop_balpd
is "$(copies sy "$N4")" 0 "each filed exactly once"
is "$(decisions_off sy "$N4")" 0 "  with one decision"
stored >"$HOME_DIR/st4"
# shellcheck disable=SC2016
is "$(grep -c '^sy[0-9].*\$BALP_' "$HOME_DIR/st4")" "$N4" "  each with its \$BALP_ keywords"
appends "$MS_RAWLOG_DIR/$MS_ADDR_NOLITPLUS" >"$HOME_DIR/ap4"
multi=$(awk -F'\t' '$1 >= 2 && $3 == "OK"' "$HOME_DIR/ap4")
[ -n "$multi" ]; ok $? "at least one APPEND stored two messages or more ($(summary "$HOME_DIR/ap4"))"
is "$(cut -f2 "$HOME_DIR/ap4" | sort -u | tr '\n' ' ')" "{n} " \
    "  every literal synchronizing ({n}, none {n+})"
is "$(awk -F'\t' '{ n += $4 } END { print n + 0 }' "$HOME_DIR/ap4")" 0 \
    "  each literal sent only once the server's \"+ OK\" for it came"
unlike "$(cat "$HOME_DIR/balpd.err")" "APPEND: .*(BAD|NO) " "no APPEND refused"

# ---- 5. a message the server refuses, inside a MULTIAPPEND -----------------
# On MS_ADDR_TOOBIG Dovecot refuses a message over MS_TOOBIG_MAX bytes with
# a tagged NO [LIMIT], before its literal (its quota plugin's
# quota_max_mail_size).  One filer, stopped while it has mail A in hand: B,
# C and D wait for the same folder, C too big for the server.  Set going
# again, it files A, then B, C and D in one MULTIAPPEND, which the server
# refuses whole (all or none), then each alone: B and D filed once, C
# answered 451 (it waits in Postfix's queue); handed over again, it is
# refused again, and keeps its one decision.
sed -i 's/filers = [0-9]*;/filers = 1;/' "$ICONF"
BIG=$((MS_TOOBIG_MAX * 3 / 2))
# refusal ADDR PREFIX LITERALS: the case above on ADDR, where the
# MULTIAPPEND's literals are LITERALS ({n+} or {n}).
refusal() {
	a=$1 p=$2
	rm -f "$MS_RAWLOG_DIR/$a"/*
	use_imap "$a" none "$MS_IMAP_PORT"
	start_balpd; ok $? "balpd on $a (one filer)"
	f=$(filers)
	# shellcheck disable=SC2086
	kill -STOP $f
	mails "${p}a" "$MS_BALP_USER" 0 && wait_decided "${p}a" 1 20 &&
	sleep 0.3 && mails "${p}b" "$MS_BALP_USER" 0 "$BIG" 0 &&
	wait_decided "${p}b" 3 20 && sleep 0.3
	ok $? "  its filer stopped: A in hand; B, C ($BIG bytes) and D decided, waiting"
	too_big=$(grep -c "said: 451 4\.3\.0 Not delivered (.*Mail size is larger than the maximum size" "$MS_POSTFIX_LOG")
	jobs=$(grep -Ec "filing queue=BALP/Rejets messages=3 failed=1 ms=[0-9]+\.[0-9] by=filer$" "$HOME_DIR/balpd.err")
	# shellcheck disable=SC2086
	kill -CONT $f
	until_delivered "${p}b" 3 "sent deferred sent" 30
	ok $? "  Postfix: B and D delivered, C deferred"
	is "$(grep -c "said: 451 4\.3\.0 Not delivered (.*Mail size is larger than the maximum size" "$MS_POSTFIX_LOG")" \
	    $((too_big + 1)) "  C answered 451 4.3.0, with the server's reason"
	is "$(in_folders "${p}a" 1) $(in_folders "${p}b" 3)" "1 1 0 1" \
	    "  A, B and D in the folders once each, C in none"
	is "$(grep -Ec "filing queue=BALP/Rejets messages=3 failed=1 ms=[0-9]+\.[0-9] by=filer$" "$HOME_DIR/balpd.err")" \
	    $((jobs + 1)) "  balpd logs the job: its folder, three messages, one failed, its time"
	is "$(postqueue -c "$PF" -p | grep -c '^[0-9A-F]')" 1 "  C waits in Postfix's queue"
	appends "$MS_RAWLOG_DIR/$a" >"$HOME_DIR/ap-$p"
	is "$(awk -F'\t' -v b="^${p}b0[.]" '$3 == "NO" && $5 ~ b { print $2 }' "$HOME_DIR/ap-$p")" "$3" \
	    "  the MULTIAPPEND of B, C and D ($3) refused"
	is "$(awk -F'\t' '$3 == "OK"' "$HOME_DIR/ap-$p" | cut -f5- | tr '\t' '\n' |
	    cut -d. -f1 | sort | tr '\n' ' ')" "${p}a0 ${p}b0 ${p}b2 " \
	    "  then one APPEND each: A, B and D stored, each once"
	is "$(awk -F'\t' '$1 == 0 && $3 == "NO"' "$HOME_DIR/ap-$p" | wc -l)" 1 \
	    "  C refused alone, before its literal"
	# Handed over again: found by its key, not in its folder, refused again.
	postqueue -c "$PF" -f >/dev/null 2>&1
	until_delivered "${p}b" 3 "sent deferred,deferred sent" 30
	ok $? "  C handed over again: deferred again"
	is "$(in_folders "${p}b" 3)" "1 0 1" "  C still in no folder, B and D once"
	is "$(decisions_off "${p}a" 1)$(decisions_off "${p}b" 3)" 00 "  one decision each"
	kill -0 "$BPID"; ok $? "  balpd goes on"
	stop_balpd
	# C would wait there for days.
	postsuper -c "$PF" -d ALL >/dev/null 2>&1
}
refusal "$MS_ADDR_TOOBIG" qp "{n+}"
refusal "$MS_ADDR_TOOBIG_NOLITPLUS" qs "{n}"

# ---- 6. the last filer dies with filings waiting ----------------------------
# One filer, stopped with mail A in hand and four others waiting for it,
# each to both of the BALP's addresses (the second delivery of each
# follows the first's filing).  Killed: A fails (451, the filer may have
# filed it: Postfix hands it again), what waited is filed by balpd itself,
# in its loop, as the filer would have: in one APPEND, each once, 250 at
# once.  What comes next is filed in the loop too.
rm -f "$MS_RAWLOG_DIR/$MS_ADDR_RAWLOG"/*
use_imap "$MS_ADDR_RAWLOG" none "$MS_IMAP_PORT"
start_balpd; ok $? "balpd on $MS_ADDR_RAWLOG (one filer)"
follows=$(grep -Ec "follows queue=BALP/Rejets file=[0-9]+\.L[^ ]+\.balp$" "$HOME_DIR/balpd.err")
f=$(filers)
# shellcheck disable=SC2086
kill -STOP $f
mails la "$MS_BALP_USER" 0 && wait_decided la 1 20 && sleep 0.3 &&
mails lb "$MS_BALP_USER,$MS_AGENT_USER" 0 0 0 0 && wait_decided lb 4 20 &&
sleep 1
ok $? "  its filer stopped: A in hand, four mails decided, waiting"
said=$(grep -c "no filer left: filed in the loop" "$HOME_DIR/balpd.err")
jobs=$(grep -Ec "filing queue=BALP/Rejets messages=4 failed=0 ms=[0-9.]+ by=loop$" "$HOME_DIR/balpd.err")
# shellcheck disable=SC2086
kill -9 $f
until_delivered lb 4 "sent,sent sent,sent sent,sent sent,sent" 30
ok $? "  the filer killed: the four that waited delivered at once, to both addresses (no deferral)"
is "$(grep -c "no filer left: filed in the loop" "$HOME_DIR/balpd.err")" $((said + 1)) \
    "  balpd says once that it files in its loop"
is "$(grep -Ec "filing queue=BALP/Rejets messages=4 failed=0 ms=[0-9.]+ by=loop$" "$HOME_DIR/balpd.err")" \
    $((jobs + 1)) "  and logs that job: four messages, filed in the loop"
is "$(grep -Ec "follows queue=BALP/Rejets file=[0-9]+\.L[^ ]+\.balp$" "$HOME_DIR/balpd.err")" \
    $((follows + 4)) "  and each second delivery that followed a first one's filing"
queue_empty 60; ok $? "  A delivered again"
is "$(delivered la 1)" deferred,sent "  A: deferred (its filer died with it), then delivered"
is "$(in_folders la 1) $(in_folders lb 4)" "1 1 1 1 1" "  each in the folders once"
is "$(decisions_off la 1)$(decisions_off lb 4)" 00 "  with one decision each"
mails lc "$MS_BALP_USER" 0 0
queue_empty 60; ok $? "  later mail delivered"
is "$(in_folders lc 2)" "1 1" "  and filed once"
kill -0 "$BPID"; ok $? "  balpd goes on"
stop_balpd
appends "$MS_RAWLOG_DIR/$MS_ADDR_RAWLOG" >"$HOME_DIR/ap6"
# (in the order they were decided: Postfix's sessions hand them over in
# any order)
is "$(awk -F'\t' '$3 == "OK" && $1 == 4' "$HOME_DIR/ap6" | cut -f5- | tr '\t' '\n' |
    cut -d. -f1 | sort | tr '\n' ' ')" "lb0 lb1 lb2 lb3 " \
    "  the four that waited in one APPEND, of balpd's own session"
is "$(awk -F'\t' '$3 == "OK"' "$HOME_DIR/ap6" | cut -f5- | tr '\t' '\n' |
    cut -d. -f1 | sort | uniq -d | wc -l)" 0 "  none appended twice"

[ -z "${KEEP:-}" ] || echo "# kept: $STACK $HOME_DIR"
done_testing
