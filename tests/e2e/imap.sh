#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# balpd on a real mailbox: a private Dovecot and Postfix on loopback
# (tests/tools/mailstack.sh), partner mail sent through Postfix with swaks,
# what agents see read back with curl's IMAP.
. "$SRCDIR/tests/tools/tap.sh"
B="$SRCDIR/build/balpctl"
D="$SRCDIR/build/balpd"
MS="$SRCDIR/tests/tools/mailstack.sh"

STACK=$(mktemp -d /tmp/ms.XXXXXX)
cleanup() {
	sh "$MS" stop "$STACK" >/dev/null 2>&1
	rm -rf "$STACK" "${HOME_DIR:-/nonexistent}"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
stack_start "$STACK"
PASS=$(cat "$MS_BALP_PASS_FILE")

# imap PATH COMMAND: one IMAP command as the BALP account, over verified TLS.
imap() {
	curl -s --cacert "$MS_CA" --user "$MS_BALP_USER:$PASS" \
	    "imaps://localhost:$MS_IMAPS_PORT/$1" -X "$2"
}
# count FOLDER: messages in it (on disk, as Dovecot keeps them).
count() {
	dir=$MS_MAILDIR_ROOT/balp/Maildir
	[ "$1" = INBOX ] || dir=$dir/.$(echo "$1" | tr / .)
	find "$dir/new" "$dir/cur" -type f 2>/dev/null | wc -l
}
# send FILE: as a partner would, through Postfix.
send() {
	swaks --server "127.0.0.1:$MS_SMTP_PORT" --to "$MS_BALP_USER" \
	    --from "$(sed -n 's/^From:.*<\(.*\)>.*/\1/p' "$1" | head -n 1)" \
	    --data "$1" >/dev/null 2>&1
}
# imap_conf 'OLD|NEW'...: the IMAP configuration of the home (ICONF), with
# each OLD text replaced by NEW.
imap_conf() {
	sed -e "s#\"imap.caf.test\"#\"localhost\"#" \
	    -e "s#port = 993#port = $MS_IMAPS_PORT#" \
	    -e "s#/etc/ssl/certs/caf-ca.pem#$MS_CA#" \
	    "$SRCDIR/conf/balp-imap.conf" >"$HOME_DIR/conf/imap.conf"
	for kv in "$@"; do
		sed -i "s#${kv%%|*}#${kv#*|}#" "$HOME_DIR/conf/imap.conf"
	done
	ICONF="$HOME_DIR/conf/imap.conf"
}

demo_home; ok $? "a home with two partners and their annexes"
cp "$MS_BALP_PASS_FILE" "$HOME_DIR/var/imap.pass"
chmod 600 "$HOME_DIR/var/imap.pass"
imap_conf
q() { sqlite3 "$HOME_DIR/var/balp.db" "$1"; }

# ---- refusals before any password is sent -------------------------------
chmod 644 "$HOME_DIR/var/imap.pass"
err=$("$D" -c "$ICONF" --once 2>&1); st=$?
is "$st" 2 "a password file readable by others: balpd refuses to start"
like "$err" "imap\.pass: password file mode 0644 .*chmod 600" "saying why"
chmod 600 "$HOME_DIR/var/imap.pass"
for addr in "$MS_ADDR_WRONGNAME:name in the certificate does not match" \
    "$MS_ADDR_SELFSIGNED:issuer is unknown"; do
	host=${addr%%:*}
	why=${addr#*:}
	for mode in imaps starttls; do
		port=$MS_IMAPS_PORT
		[ "$mode" = starttls ] && port=$MS_IMAP_PORT
		imap_conf "\"localhost\"|\"$host\"" \
		    "tls = \"imaps\"|tls = \"$mode\"" \
		    "port = $MS_IMAPS_PORT|port = $port"
		err=$("$D" -c "$ICONF" --once 2>&1); st=$?
		is "$st" 2 "$mode, $why: refused at start"
		like "$err" "$host: server certificate refused: .*$why" \
		    "$mode, $why: a log line names the host and the reason"
	done
done
logins=$(grep -c "imap-login: Login: user=<$MS_BALP_USER>" "$MS_DOVECOT_LOG")
is "$logins" 0 "no login reached Dovecot from a refused connection"
imap_conf "\"localhost\"|\"imap.example.org\"" "tls = \"imaps\"|tls = \"none\""
err=$("$D" -c "$ICONF" --once 2>&1); st=$?
is "$st" 2 "tls = none for a host that is not loopback: refused"
like "$err" "imap\.conf:[0-9]+: tls = \"none\" is only allowed for a loopback" \
    "at file:line"

# ---- every outcome in its folder, with its keywords --------------------
recent=$(date -d '7 days ago' +%d/%m/%Y)
n=0
for f in "$SRCDIR"/tests/data/demo/Maildir/new/*; do
	sed "s#{{RECENT}}#$recent#g" "$f" >"$HOME_DIR/mail.eml"
	send "$HOME_DIR/mail.eml" || echo "# swaks failed on $f"
	n=$((n + 1))
done
sh "$MS" wait-count "$STACK" balp INBOX "$n" 20
ok $? "$n partner mails delivered to the BALP by Postfix"
imap_conf
out=$("$D" -c "$ICONF" --once 2>"$HOME_DIR/once.err"); st=$?
is "$st" 0 "balpd --once over IMAPS: exit 0"
like "$out" "$n message\(s\): 3 accepted, 8 rejected, 3 quarantined" \
    "every mail decided"
is "$(count INBOX)" 0 "the inbox is empty"
lsub=$(imap "" 'LSUB "" "BALP/*"')
for folder in BALP/RIB BALP/Suspension BALP/Blocage BALP/Rejets \
    BALP/Quarantaine; do
	like "$lsub" "\"/\" $folder" "$folder created and subscribed"
done
tail -n +2 "$SRCDIR/tests/data/demo/expected.tsv" >"$HOME_DIR/expected"
while IFS='	' read -r file outcome type reasons; do
	case $outcome in
	accepted)
		case $type in
		rib) folder=BALP/RIB ;;
		suspension) folder=BALP/Suspension ;;
		*) folder=BALP/Blocage ;;
		esac ;;
	rejected) folder=BALP/Rejets ;;
	*) folder=BALP/Quarantaine ;;
	esac
	mid=$(sed -n 's/^Message-ID: *//Ip' \
	    "$SRCDIR/tests/data/demo/Maildir/new/$file" | tr -d '\r')
	uid=$(imap "$folder" "UID SEARCH HEADER Message-ID \"$mid\"" |
	    sed -n 's/^\* SEARCH \([0-9]*\).*/\1/p' | tr -d '\r')
	ok "$([ -n "$uid" ]; echo $?)" "$file: in $folder"
	flags=$(imap "$folder" "UID FETCH ${uid:-0} (FLAGS)")
	want=""
	[ "$type" = - ] || want="\\\$BALP_$(echo "$type" | tr a-z A-Z)"
	missing=""
	for kw in $want $(echo "$reasons" | tr , ' '); do
		[ "$kw" = - ] && continue
		case $kw in \\*) ;; *) kw="\\\$BALP_$kw" ;; esac
		echo "$flags" | grep -q -- "$kw" || missing="$missing $kw"
	done
	is "$missing" "" "$file: tagged with its type and reasons"
	unlike "$flags" 'Seen' "$file: still unread for the agents"
done <"$HOME_DIR/expected"
is "$(q 'select count(*) from decisions')" "$n" "one decision row each"
# The log line of an IMAP message: its Message-ID and its folder and UID,
# readable (not "INBOX?UID?15").
like "$(cat "$HOME_DIR/once.err")" \
    "decision msgid=1763370010\.demo10[^ ]* .* file=INBOX/uid:[0-9]+$" \
    "a decision's log line names its Message-ID and INBOX/uid:N"
unlike "$(cat "$HOME_DIR/once.err")" "file=INBOX\?" "no ? in the mailbox key"
out=$("$B" -c "$ICONF" log --limit 100)
like "$out" " <1763370010\.demo10[^ ]*>$" \
    "balpctl log shows an IMAP decision's Message-ID"
unlike "$(printf '%s\n' "$out" | sed 1d)" " [0-9]+\.[0-9]+$" \
    "not its UIDVALIDITY.UID key"
"$D" -c "$ICONF" --once >/dev/null 2>&1
is "$(q 'select count(*) from decisions')" "$n" "a second run decides nothing again"

# ---- an admin's retriage and release, on the server ----------------------
id=$(q "select id from decisions where message_id like '1763370005.demo05%'")
out=$("$B" -c "$ICONF" message retriage "$id" --reason "NIR vérifié" 2>&1)
is "$?" 0 "balpctl message retriage over IMAP"
is "$(count INBOX)" 1 "the message is back in the inbox"
flags=$(imap INBOX 'UID FETCH 1:* (FLAGS)')
unlike "$flags" 'BALP_' "without its old tags"
out=$("$D" -c "$ICONF" --once 2>&1)
unlike "$out" "refile " "the next pass decides it afresh"
is "$(q "select count(*) from decisions where supersedes = $id")" 1 \
    "its new decision supersedes the old one"
is "$(count INBOX)" 0 "and files it"
id=$(q "select id from decisions where message_id like '1763370010.demo10%'")
"$B" -c "$ICONF" message release "$id" --to BALP/RIB --reason "vérifié" \
    >/dev/null 2>&1
is "$?" 0 "balpctl message release over IMAP"
mid=$(q "select message_id from decisions where id = $id")
like "$(imap BALP/RIB "UID SEARCH HEADER Message-ID \"$mid\"")" 'SEARCH [0-9]' \
    "the released message is in BALP/RIB"
unlike "$(imap BALP/Quarantaine "UID SEARCH HEADER Message-ID \"$mid\"")" \
    'SEARCH [0-9]' "and no longer in quarantine"
"$B" -c "$ICONF" message release "$id" --to BALP/Rejets --reason "x" \
    >/dev/null 2>&1
is "$?" 0 "released again"
like "$(imap BALP/Rejets "UID SEARCH HEADER Message-ID \"$mid\"")" 'SEARCH [0-9]' \
    "from where the record says it is, BALP/RIB, to BALP/Rejets"

# message show asks the server where the message is now.
like "$("$B" -c "$ICONF" message show "$id")" "now +in BALP/Rejets" \
    "message show: in BALP/Rejets, as the server says"
uid=$(imap BALP/Rejets "UID SEARCH HEADER Message-ID \"$mid\"" |
    sed -n 's/^\* SEARCH \([0-9]*\).*/\1/p' | tr -d '\r')
imap "" 'CREATE Traites' >/dev/null
imap BALP/Rejets "UID MOVE $uid Traites" >/dev/null
out=$("$B" -c "$ICONF" message show "$id")
like "$out" "now +not in BALP/Rejets any more \(moved or deleted\)" \
    "an agent moved it in a mail client: show says so, not the store's queue"
is "$(printf '%s' "$("$B" -c "$ICONF" message show "$id" --json)" |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["queue_now"], d["in_mailbox"])')" \
    "BALP/Rejets False" "--json: the store's queue, in_mailbox false"
imap_conf "port = $MS_IMAPS_PORT|port = 1"
out=$("$B" -c "$ICONF" message show "$id" 2>&1)
like "$out" "now +the mailbox cannot tell \(.*\); the store says: in BALP/Rejets" \
    "the server unreachable: said, and the store's view labelled as such"
imap_conf
uid=$(imap Traites "UID SEARCH HEADER Message-ID \"$mid\"" |
    sed -n 's/^\* SEARCH \([0-9]*\).*/\1/p' | tr -d '\r')
imap Traites "UID MOVE $uid BALP/Rejets" >/dev/null
like "$("$B" -c "$ICONF" message show "$id")" "now +in BALP/Rejets" \
    "moved back: in BALP/Rejets again"

decided=$(q 'select count(*) from decisions')

# ---- a message decided before, found in the inbox again -------------------
# An agent puts it back (it gets a new UID), or balpd died between its
# commit and its move and the server then changed UIDVALIDITY: the store
# knows it by its header key and moves it again, without a new decision.
mid=$(sed -n 's/^Message-ID: *//Ip' \
    "$SRCDIR/tests/data/demo/Maildir/new/1763370001.demo01.apeai-rib" |
    tr -d '\r')
uid=$(imap BALP/RIB "UID SEARCH HEADER Message-ID \"$mid\"" |
    sed -n 's/^\* SEARCH \([0-9]*\).*/\1/p' | tr -d '\r')
imap BALP/RIB "UID MOVE $uid INBOX" >/dev/null
is "$(count INBOX)" 1 "a filed message put back in the inbox (a new UID)"
out=$("$D" -c "$ICONF" --once 2>&1)
like "$out" "refile msgid=[^ ]+ .*outcome=accepted reasons=- queue=BALP/RIB ms=0 " \
    "found by its header key: moved again"
is "$(count INBOX)" 0 "the inbox is empty again"
is "$(q 'select count(*) from decisions')" "$decided" "and nothing was decided twice"

uid=$(imap BALP/Rejets 'UID SEARCH ALL' |
    sed -n 's/^\* SEARCH \([0-9]*\).*/\1/p' | tr -d '\r')
imap BALP/Rejets "UID MOVE $uid INBOX" >/dev/null
v1=$(imap INBOX 'STATUS INBOX (UIDVALIDITY)' | sed -n 's/.*UIDVALIDITY \([0-9]*\).*/\1/p')
sh "$MS" dovecot-stop "$STACK"
rm -f "$MS_MAILDIR_ROOT/balp/Maildir/dovecot-uidlist" \
    "$MS_MAILDIR_ROOT"/balp/Maildir/dovecot.index*
sleep 1	# UIDVALIDITY is a time in seconds
sh "$MS" dovecot-start "$STACK"
v2=$(imap INBOX 'STATUS INBOX (UIDVALIDITY)' | sed -n 's/.*UIDVALIDITY \([0-9]*\).*/\1/p')
ok "$([ -n "$v1" ] && [ -n "$v2" ] && [ "$v1" != "$v2" ]; echo $?)" \
    "the server changed the inbox's UIDVALIDITY ($v1 -> $v2)"
out=$("$D" -c "$ICONF" --once 2>&1)
like "$out" "refile msgid=[^ ]+ .*outcome=rejected reasons=[^ ]+ queue=BALP/Rejets ms=0 " \
    "a decided message under a new UIDVALIDITY: moved again"
is "$(q 'select count(*) from decisions')" "$decided" "not decided again"

# ---- IDLE ---------------------------------------------------------------
# The rescan is an hour away: only IDLE can wake balpd.
imap_conf "rescan_seconds = 60|rescan_seconds = 3600"
"$D" -c "$ICONF" 2>"$HOME_DIR/watch.err" &
pid=$!
wait_for "$HOME_DIR/watch.err" "watching imap" 10
ok $? "balpd watching the IMAP inbox"
sleep 0.3
sed "s#{{RECENT}}#$recent#g; s#demo02#idle02#g" \
    "$SRCDIR/tests/data/demo/Maildir/new/1763370002.demo02.apeai-suspension" \
    >"$HOME_DIR/mail.eml"
before=$(count BALP/Suspension)
send "$HOME_DIR/mail.eml"
sh "$MS" wait-count "$STACK" balp BALP/Suspension $((before + 1)) 10
ok $? "a mail sent through Postfix is filed without waiting for a rescan"

# Mail that arrives while a backlog is being filed: picked up without
# waiting for another arrival.  (Dovecot announces it again when IDLE
# starts; balpd does not count on it: it asks for UIDs above the last
# listed before each IDLE, for servers that sent the EXISTS during the
# pass's own commands.)
MD=$MS_MAILDIR_ROOT/balp/Maildir
backlog() {	# backlog N PREFIX: N demo mails straight into the inbox
	fill "$MD" "$1" "$2"
	chown -R mail:mail "$MD"
}
filed=0
for f in BALP/RIB BALP/Suspension BALP/Blocage BALP/Rejets BALP/Quarantaine; do
	filed=$((filed + $(count "$f")))
done
backlog 1500 during
sleep 0.5	# the watcher is at it
sed "s#{{RECENT}}#$recent#g; s#demo02#late02#g" \
    "$SRCDIR/tests/data/demo/Maildir/new/1763370002.demo02.apeai-suspension" \
    >"$HOME_DIR/mail.eml"
send "$HOME_DIR/mail.eml"
total() {
	t=0
	for f in BALP/RIB BALP/Suspension BALP/Blocage BALP/Rejets \
	    BALP/Quarantaine; do
		t=$((t + $(count "$f")))
	done
	echo "$t"
}
i=0
while [ $i -lt 300 ] && [ "$(total)" -lt $((filed + 1501)) ]; do
	sleep 0.1
	i=$((i + 1))
done
is "$(total)" $((filed + 1501)) \
    "a backlog of 1,500 and a mail sent during it: all filed by the watcher"
like "$(imap BALP/Suspension 'UID SEARCH HEADER Message-ID late02')" \
    'SEARCH [0-9]' "the late one without waiting for another arrival"

# SIGHUP with the same inbox: the IMAP session is kept.
logins=$(grep -c "Login: user=<$MS_BALP_USER>" "$MS_DOVECOT_LOG")
before=$(count BALP/Suspension)
kill -HUP "$pid"
wait_for "$HOME_DIR/watch.err" "configuration reloaded" 10
ok $? "SIGHUP reloads the configuration"
sed "s#{{RECENT}}#$recent#g; s#demo02#hup02#g" \
    "$SRCDIR/tests/data/demo/Maildir/new/1763370002.demo02.apeai-suspension" \
    >"$HOME_DIR/mail.eml"
send "$HOME_DIR/mail.eml"
sh "$MS" wait-count "$STACK" balp BALP/Suspension $((before + 1)) 10
ok $? "and the next mail is filed"
is "$(grep -c "Login: user=<$MS_BALP_USER>" "$MS_DOVECOT_LOG")" "$logins" \
    "on the same IMAP connection (no new login)"

# ---- the server goes away -----------------------------------------------
sh "$MS" dovecot-stop "$STACK"
ok $? "Dovecot stopped under the watching balpd"
wait_for "$HOME_DIR/watch.err" "triage pass stopped: .*connection refused" 10
ok $? "balpd says it lost the server"
sh "$MS" dovecot-start "$STACK"
ok $? "Dovecot started again"
sed "s#{{RECENT}}#$recent#g; s#demo03#back03#g" \
    "$SRCDIR/tests/data/demo/Maildir/new/1763370003.demo03.ccas-blocage" \
    >"$HOME_DIR/mail.eml"
before=$(count BALP/Blocage)
send "$HOME_DIR/mail.eml"
sh "$MS" wait-count "$STACK" balp BALP/Blocage $((before + 1)) 20
ok $? "balpd reconnected by itself and files the next mail"
kill -0 "$pid" 2>/dev/null; ok $? "without having exited"
kill -TERM "$pid"
wait "$pid"; is "$?" 0 "SIGTERM: exit 0"

# ---- a backlog, and kill -9 at random moments ----------------------------
# Put straight into the Maildir Dovecot serves (as its LMTP would), with
# distinct Message-IDs, so that 5,000 arrive in a second.
backlog 5000 backlog
is "$(count INBOX)" 5000 "a backlog of 5,000 in the inbox"
before=$(q 'select count(*) from decisions')
# Messages filed: a retriaged one has two decisions.
messages=$(q 'select count(*) from decisions d where not exists (select 1
    from decisions x where x.supersedes = d.id)')
kills=0
i=0
while [ $i -lt 8 ]; do
	"$D" -c "$ICONF" --once >/dev/null 2>>"$HOME_DIR/kills.err" &
	pid=$!
	ms=$(($(od -An -N2 -tu2 /dev/urandom) % 600 + 20))
	sleep "0.$(printf '%03d' "$ms")"
	kill -9 "$pid" 2>/dev/null && kills=$((kills + 1))
	wait "$pid" 2>/dev/null
	i=$((i + 1))
done
ok "$([ "$kills" -ge 4 ]; echo $?)" "balpd killed -9 mid-backlog $kills times"
[ "$kills" -ge 4 ] || sed 's/^/# /' "$HOME_DIR/kills.err" | tail -n 20
"$D" -c "$ICONF" --once >/dev/null 2>&1; ok $? "a last run"
is "$(count INBOX)" 0 "drains the rest"
total=0
for f in BALP/RIB BALP/Suspension BALP/Blocage BALP/Rejets BALP/Quarantaine; do
	total=$((total + $(count "$f")))
done
is "$total" $((messages + 5000)) "every message in exactly one folder"
dups=$(find "$MD"/.BALP.* -type f -path '*/[nc][eu][wr]/*' \
    -exec sed -n '/^Message-ID:/Ip;/^$/q' {} + | sort | uniq -d | wc -l)
is "$dups" 0 "none filed twice"
is "$(q 'select count(*) from decisions')" $((before + 5000)) \
    "one decision row each"
is "$(q "select count(*) from decisions where message_id like 'backlog%'")" \
    5000 "every backlog message decided once"
"$B" -c "$ICONF" audit verify >/dev/null 2>&1; ok $? "the audit chain verifies"

# ---- queue status: the store's counts, and the mailbox's -------------------
# qfield QUEUE FIELD: a queue's field in `queue status --json`
qfield() {
	"$B" -c "$ICONF" queue status --json 2>/dev/null | python3 -c '
import json, sys
for q in json.load(sys.stdin)["queues"]:
    if q["queue"] == sys.argv[1]:
        print(q[sys.argv[2]])' "$1" "$2"
}
for f in BALP/RIB BALP/Rejets BALP/Quarantaine; do
	is "$(qfield "$f" in_mailbox)" "$(count "$f")" \
	    "queue status reads $f on the server (STATUS)"
done
waiting=$(qfield BALP/Rejets waiting)
inbox=$(qfield BALP/Rejets in_mailbox)
uid=$(imap BALP/Rejets 'UID SEARCH ALL' | sed -n 's/^\* SEARCH \([0-9]*\).*/\1/p' | tr -d '\r')
imap BALP/Rejets "UID STORE $uid +FLAGS (\\Deleted)" >/dev/null
imap BALP/Rejets "EXPUNGE" >/dev/null
is "$(qfield BALP/Rejets waiting)/$(qfield BALP/Rejets in_mailbox)" "$waiting/$((inbox - 1))" \
    "a message an agent deleted: still waiting by the store, one less in the mailbox"
sh "$MS" dovecot-stop "$STACK"
out=$("$B" -c "$ICONF" queue status 2>&1)
like "$out" "the mailbox was not read \\(.*\\): the store's counts only" \
    "the server down: queue status says so and shows the store's counts"
like "$out" "BALP/Rejets +$waiting " "  (the store's count)"
sh "$MS" dovecot-start "$STACK"

# put FILE: straight into the inbox, as its delivery agent would.
put() {
	cp "$1" "$MD/tmp/$(basename "$1")"
	mv "$MD/tmp/$(basename "$1")" "$MD/new/$(basename "$1")"
	chown -R mail:mail "$MD"
}

# ---- servers without MOVE -------------------------------------------------
# UIDPLUS: UID COPY, \Deleted, UID EXPUNGE of exactly those.  Neither:
# COPY and \Deleted, and no EXPUNGE while an agent's deletion is pending
# (it would go too); what is left \Deleted is not filed again.
imap_plain() {
	curl -s --user "$MS_BALP_USER:$PASS" "imap://$1:$MS_IMAP_PORT/$2" -X "$3"
}
for addr in "$MS_ADDR_UIDPLUS" "$MS_ADDR_NOMOVE"; do
	imap_conf "\"localhost\"|\"$addr\"" "tls = \"imaps\"|tls = \"none\"" \
	    "port = $MS_IMAPS_PORT|port = $MS_IMAP_PORT"
	caps=$(imap_plain "$addr" "" CAPABILITY)
	unlike "$caps" " MOVE" "$addr announces no MOVE"
	before=0
	for f in BALP/RIB BALP/Suspension BALP/Blocage BALP/Rejets \
	    BALP/Quarantaine; do
		before=$((before + $(count "$f")))
	done
	if [ "$addr" = "$MS_ADDR_NOMOVE" ]; then
		# An agent's deletion, not yet expunged.
		sed "s#{{RECENT}}#$recent#g; s#demo01#agent01#g" \
		    "$SRCDIR/tests/data/demo/Maildir/new/1763370001.demo01.apeai-rib" \
		    >"$HOME_DIR/agent.eml"
		put "$HOME_DIR/agent.eml"
		imap_plain "$addr" INBOX 'UID STORE 1:* +FLAGS.SILENT (\Deleted)' \
		    >/dev/null
	fi
	for f in "$SRCDIR"/tests/data/demo/Maildir/new/*; do
		sed "s#{{RECENT}}#$recent#g; s#^Message-ID: <#Message-ID: <$addr.#I" \
		    "$f" >"$HOME_DIR/m.eml"
		send "$HOME_DIR/m.eml"
	done
	i=0
	while [ $i -lt 100 ] && [ "$(imap_plain "$addr" INBOX 'UID SEARCH UNDELETED' |
	    tr ' ' '\n' | grep -c '^[0-9]')" -lt "$n" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	out=$("$D" -c "$ICONF" --once 2>&1)
	like "$out" "$n message\(s\): 3 accepted, 8 rejected, 3 quarantined" \
	    "$addr: every mail decided"
	after=0
	for f in BALP/RIB BALP/Suspension BALP/Blocage BALP/Rejets \
	    BALP/Quarantaine; do
		after=$((after + $(count "$f")))
	done
	is "$after" $((before + n)) "$addr: each copied once into its folder"
	flags=$(imap_plain "$addr" BALP/Rejets 'UID FETCH 1:* (FLAGS)' | tail -n 2)
	like "$flags" '\$BALP_' "$addr: with its keywords"
	left=$(imap_plain "$addr" INBOX 'UID SEARCH UNDELETED' | tr ' ' '\n' |
	    grep -c '^[0-9]')
	is "$left" 0 "$addr: nothing left to file in the inbox"
	if [ "$addr" = "$MS_ADDR_UIDPLUS" ]; then
		is "$(count INBOX)" 0 "$addr: the originals expunged (UID EXPUNGE)"
	else
		like "$(imap_plain "$addr" INBOX 'UID SEARCH HEADER Message-ID agent01')" \
		    'SEARCH [0-9]' "$addr: the agent's deleted mail was not expunged"
		"$D" -c "$ICONF" --once >/dev/null 2>&1
		again=0
		for f in BALP/RIB BALP/Suspension BALP/Blocage BALP/Rejets \
		    BALP/Quarantaine; do
			again=$((again + $(count "$f")))
		done
		is "$again" "$after" "$addr: a second run files nothing twice"
		imap_plain "$addr" INBOX EXPUNGE >/dev/null
	fi
done
imap_conf

# ---- messages over the scan budget: fetched by their parts --------------
# big FILE PDF_BYTES [SECOND_PDF_BYTES]: the demo RIB request with its PDF
# replaced by one of PDF_BYTES (and a second PDF attached).
big() {
	perl -e '
		my ($src, $n, $n2, $recent, $tag) = @ARGV;
		sub pdf {
			my $n = shift;
			my $body = "%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
			    . "3 0 obj\n<< /Length $n >>\nstream\n"
			    . pack("C*", map { int(rand(256)) } 1 .. 4096) x int($n / 4096)
			    . "\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";
			require MIME::Base64;
			return MIME::Base64::encode_base64($body);
		}
		open(my $fh, "<", $src) or die;
		local $/;
		my $t = <$fh>;
		$t =~ s/\{\{RECENT\}\}/$recent/g;
		$t =~ s/^(Message-ID:\s*<)/$1$tag./mi;
		my ($b) = $t =~ /boundary="([^"]+)"/;
		my $x = pdf($n);
		$t =~ s/(Content-Type: application\/pdf[^\n]*\n(?:[^\n]+\n)*\n).*?(\n--\Q$b\E--)/$1$x$2/s
		    or die "no pdf part";
		if ($n2 > 0) {
			my $y = pdf($n2);
			$t =~ s/(\n--\Q$b\E--)/\n--$b\nContent-Type: application\/pdf; name="b.pdf"\nContent-Disposition: attachment; filename="b.pdf"\nContent-Transfer-Encoding: base64\n\n$y$1/s;
		}
		print $t;' \
	    "$SRCDIR/tests/data/demo/Maildir/new/1763370001.demo01.apeai-rib" \
	    "$2" "${3:-0}" "$recent" "$(basename "$1")" >"$1"
}
# fetched: bytes Dovecot sent on balpd's last session.
fetched() {
	grep 'Logged out in=' "$MS_DOVECOT_LOG" | tail -n 1 |
	    sed -n 's/.* out=\([0-9]*\).*/\1/p'
}
big "$HOME_DIR/big20" 20000000
big "$HOME_DIR/two9" 9000000 9000000
big "$HOME_DIR/small3" 3000000
for f in big20 two9 small3; do
	want=$("$B" -c "$ICONF" test --json "$HOME_DIR/$f" |
	    sed -n 's/.*"outcome":"\([a-z]*\)".*"reasons":\(\[[^]]*\]\).*/\1 \2/p')
	size=$(wc -c <"$HOME_DIR/$f")
	put "$HOME_DIR/$f"
	out=$("$D" -c "$ICONF" --once --stats 2>"$HOME_DIR/big.err")
	got=$(q "select outcome || ' [' || (case when reasons = '' then '' else '\"' || replace(reasons, ',', '\",\"') || '\"' end) || ']' from decisions where message_id like '$f.%'")
	is "$got" "${want:-(balpctl test gave nothing)}" \
	    "$f ($size bytes): decided over IMAP as from its file"
	bytes=$(fetched)
	case $f in
	big20)	limit=1000000 ;;	# headers and heads only
	two9)	limit=$((9000000 * 4 / 3 + 1000000)) ;;	# the first PDF whole
	*)	limit=$((size + 100000)) ;;
	esac
	ok "$([ "${bytes:-999999999}" -le "$limit" ]; echo $?)" \
	    "$f: $bytes bytes fetched (at most $limit)"
	rss=$(sed -n 's/^rss balpd \([0-9]*\) KiB/\1/p' "$HOME_DIR/big.err")
	ok "$([ "${rss:-999999}" -lt 65536 ]; echo $?)" \
	    "$f: balpd peak RSS ${rss} KiB, under 64 MiB"
done
# Its PDF fetched by its head only: too large, not forbidden (issue 17).
is "$(q "select reasons from decisions where message_id like 'big20.%'")" \
    "too_large" "what could not be inspected for its size is too_large, not forbidden"
like "$(q "select f.findings from decision_findings f join decisions d on d.id = f.decision_id where d.message_id like 'big20.%'")" \
    "part [0-9]+ application/pdf \.pdf: not inspected: too large" \
    "  and the part not inspected is recorded with the decision"

# ---- the IMAP loop under valgrind ----------------------------------------
# IDLE, mail by Postfix and one fetched by its parts, a SIGHUP, SIGTERM:
# no memory error, no block lost (libetpan's and GnuTLS's process-wide
# allocations stay reachable until exit, by design).
if command -v valgrind >/dev/null; then
	verr="$HOME_DIR/valgrind.err"
	valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect \
	    --child-silent-after-fork=yes --error-exitcode=99 \
	    "$D" -c "$ICONF" 2>"$verr" &
	pid=$!
	wait_for "$verr" "watching imap" 60
	ok $? "balpd under valgrind watches the IMAP inbox"
	for tag in vg1 vg2; do
		sed "s#{{RECENT}}#$recent#g; s#demo03#$tag#g" \
		    "$SRCDIR/tests/data/demo/Maildir/new/1763370003.demo03.ccas-blocage" \
		    >"$HOME_DIR/mail.eml"
		send "$HOME_DIR/mail.eml"
	done
	big "$HOME_DIR/vgbig" 20000000
	put "$HOME_DIR/vgbig"
	i=0
	while [ $i -lt 300 ] && [ "$(grep -c ' decision msgid=' "$verr")" -lt 3 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	is "$(grep -c ' decision msgid=' "$verr")" 3 "under valgrind: the three mails filed"
	kill -HUP "$pid"
	wait_for "$verr" "configuration reloaded" 60
	kill -TERM "$pid"
	wait "$pid"
	status=$?
	is "$status" 0 "exit 0 on SIGTERM, no valgrind error"
	like "$(cat "$verr")" "ERROR SUMMARY: 0 errors" \
	    "no invalid read or write, nothing lost"
	[ "$status" -eq 0 ] || grep -A12 'definitely\|indirectly\|Invalid' \
	    "$verr" | head -40 | sed 's/^/# /'
fi

done_testing
