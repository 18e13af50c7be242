#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# shellcheck disable=SC2153 # the MS_ variables come from DIR/env
# The private mail stack of the end-to-end tests (tests/tools/mailstack.sh):
# real Dovecot + Postfix on loopback, mail delivered and captured, the bad
# certificates refused, submission with AUTH only, and a stop that leaves
# nothing running.
. "$SRCDIR/tests/tools/tap.sh"
MS="$SRCDIR/tests/tools/mailstack.sh"

# The servers switch users: the stack needs root (as make check runs here).
if [ "$(id -u)" -ne 0 ]; then
	echo "ok 1 # SKIP the private mail stack needs root"
	echo "1..1"
	exit 0
fi

D=$(mktemp -d /tmp/ms.XXXXXX)
W=$(mktemp -d "${TMPDIR:-/tmp}/ms-work.XXXXXX")
cleanup() {
	sh "$MS" stop "$D" 2>/dev/null
	rm -rf "$D" "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# ---- start ---------------------------------------------------------------
sh "$MS" start "$D" 2>"$W/start.err"
ok $? "the stack starts in a fresh folder"
sed 's/^/# /' "$W/start.err"
like "$(cat "$W/start.err")" "started in [0-9]+\.[0-9]+ s" "it says how long it took"
if [ ! -f "$D/env" ]; then
	ok 1 "DIR/env written"
	done_testing
	exit 1
fi
# shellcheck disable=SC1091
. "$D/env"
for v in MS_DIR MS_CA MS_IMAP_PORT MS_IMAPS_PORT MS_LMTP_PORT MS_SMTP_PORT \
    MS_SUBMIT_PORT MS_SMTPS_PORT MS_HOST_GOOD MS_ADDR_WRONGNAME \
    MS_ADDR_SELFSIGNED MS_MAILDIR_ROOT MS_BALP_PASS_FILE MS_AGENT_PASS_FILE \
    MS_CAPTURE_PASS_FILE MS_NOTICES_PASS_FILE; do
	eval "val=\${$v:-}"
	[ -n "$val" ] || echo "# $v is empty"
	[ -n "$val" ] || missing=1
done
ok "${missing:-0}" "DIR/env sets every MS_ variable"
is "$(printf '%s\n' "$MS_IMAP_PORT" "$MS_IMAPS_PORT" "$MS_LMTP_PORT" \
    "$MS_SMTP_PORT" "$MS_SUBMIT_PORT" "$MS_SMTPS_PORT" | sort -u | wc -l)" 6 \
    "six distinct ports"
is "$(stat -c %a "$MS_BALP_PASS_FILE")" 600 "a password file is 0600"
is "$(tail -c 1 "$MS_NOTICES_PASS_FILE" | od -An -c | tr -d ' ')" \
    "$(tail -c 1 "$MS_NOTICES_PASS_FILE")" "with no trailing newline"
unlike "$(cat "$MS_DOVECOT_LOG" "$MS_POSTFIX_LOG")" "(Error|Fatal|fatal|panic|warning):" \
    "no error or warning in the servers' logs"
DPID=$(cat "$D/dovecot/run/master.pid")
PPID_=$(cat "$D/pqueue/pid/master.pid")
ok "$(kill -0 "$DPID" && kill -0 "$PPID_"; echo $?)" "both masters run"

BALP_PW=$(cat "$MS_BALP_PASS_FILE")
CAP_PW=$(cat "$MS_CAPTURE_PASS_FILE")
NOT_PW=$(cat "$MS_NOTICES_PASS_FILE")

# imap USER PASS URL [curl args]: curl over IMAP(S), checking the certificate
# against the stack's CA.
imap() {
	u=$1 pw=$2 url=$3
	shift 3
	curl -sS --max-time 10 --cacert "$MS_CA" --user "$u:$pw" "$url" "$@"
}
good="imaps://$MS_HOST_GOOD:$MS_IMAPS_PORT"

# ---- SMTP to the MX port ---------------------------------------------------
cat >"$W/m1.eml" <<EOF
From: Someone <someone@partner.example>
To: balp@caf.test
Subject: mailstack e2e 1
Message-ID: <ms-e2e-1@partner.example>

Hello BALP.
EOF
out=$(swaks --server "127.0.0.1:$MS_SMTP_PORT" --from someone@partner.example \
    --to balp@caf.test --data "@$W/m1.eml" 2>&1)
like "$out" "250 2.0.0 Ok: queued" "SMTP without AUTH takes mail for balp@caf.test"
sh "$MS" wait-count "$D" balp INBOX 1 10
ok $? "it lands in balp's INBOX (wait-count)"
out=$(imap balp@caf.test "$BALP_PW" "$good/INBOX" -X 'UID SEARCH ALL' 2>&1)
like "$out" "^\* SEARCH [0-9]+" "curl sees it over IMAPS with the CA and localhost"
out=$(imap balp@caf.test "$BALP_PW" "$good/INBOX;UID=1" 2>&1)
like "$out" "Subject: mailstack e2e 1" "and reads it"

out=$(swaks --server "127.0.0.1:$MS_SMTP_PORT" --from balp@caf.test \
    --to someone@mairie.example --data "@$W/m1.eml" 2>&1)
like "$out" "250 2.0.0 Ok: queued" "mail to another domain is accepted"
sh "$MS" wait-count "$D" capture@caf.test INBOX 1 10
ok $? "and lands in capture's INBOX"
out=$(imap capture@caf.test "$CAP_PW" "$good/INBOX" -X 'UID SEARCH ALL' 2>&1)
like "$out" "^\* SEARCH 1" "capture sees it over IMAPS"
out=$(swaks --server "127.0.0.1:$MS_SMTP_PORT" --from a@partner.example \
    --to nobody@caf.test --data "@$W/m1.eml" 2>&1)
like "$out" "550 5\.1\.1" "an unknown caf.test user is refused at RCPT"

# ---- the certificates ---------------------------------------------------
out=$(imap balp@caf.test "$BALP_PW" "imap://$MS_HOST_GOOD:$MS_IMAP_PORT/" \
    --ssl-reqd -X CAPABILITY 2>&1)
like "$out" "IMAP4rev1" "IMAP with STARTTLS verifies against the CA"
out=$(imap balp@caf.test "$BALP_PW" "imaps://127.0.0.1:$MS_IMAPS_PORT/" -X NOOP 2>&1)
ok $? "IMAPS by address 127.0.0.1 verifies too"
for kind in WRONGNAME SELFSIGNED; do
	case $kind in
	WRONGNAME)
		addr=$MS_ADDR_WRONGNAME
		why="no alternative certificate subject name matches" ;;
	*)
		addr=$MS_ADDR_SELFSIGNED
		why="self-signed certificate" ;;
	esac
	out=$(imap balp@caf.test "$BALP_PW" "imaps://$MS_HOST_GOOD:$MS_IMAPS_PORT/" \
	    --resolve "$MS_HOST_GOOD:$MS_IMAPS_PORT:$addr" -X NOOP 2>&1)
	is "$?" 60 "curl refuses IMAPS on $addr ($kind)"
	like "$out" "$why" "  because: $why"
	out=$(imap balp@caf.test "$BALP_PW" "imap://$MS_HOST_GOOD:$MS_IMAP_PORT/" \
	    --resolve "$MS_HOST_GOOD:$MS_IMAP_PORT:$addr" --ssl-reqd -X NOOP 2>&1)
	is "$?" 60 "curl refuses IMAP STARTTLS on $addr ($kind)"
	like "$out" "$why" "  because: $why"
	out=$(openssl s_client -brief -verify_return_error -CAfile "$MS_CA" \
	    -verify_hostname localhost -starttls smtp \
	    -connect "$addr:$MS_SUBMIT_PORT" </dev/null 2>&1)
	ok "$(test $? -ne 0; echo $?)" "openssl refuses submission STARTTLS on $addr ($kind)"
done
out=$(openssl s_client -brief -verify_return_error -CAfile "$MS_CA" \
    -verify_hostname localhost -starttls smtp \
    -connect "127.0.0.1:$MS_SUBMIT_PORT" </dev/null 2>&1)
ok $? "submission STARTTLS on 127.0.0.1 verifies against the CA"
out=$(openssl s_client -brief -verify_return_error -CAfile "$MS_CA" \
    -verify_hostname localhost -starttls smtp \
    -connect "127.0.0.1:$MS_SMTP_PORT" </dev/null 2>&1)
ok $? "so does STARTTLS on the MX port"

# ---- submission --------------------------------------------------------
cat >"$W/n1.eml" <<EOF
From: BALP <notices@caf.test>
To: mairie <contact@mairie.example>
Subject: mailstack e2e notice

A notice.
EOF
out=$(swaks --server "127.0.0.1:$MS_SUBMIT_PORT" --from notices@caf.test \
    --to contact@mairie.example --data "@$W/n1.eml" 2>&1)
like "$out" "530 5\.7\.0 Must issue a STARTTLS" "submission wants STARTTLS first"
out=$(swaks --server "127.0.0.1:$MS_SUBMIT_PORT" --tls --from notices@caf.test \
    --to contact@mairie.example --data "@$W/n1.eml" 2>&1)
like "$out" "554 5\.7\.1 .*Access denied" "and refuses relay without AUTH"
out=$(swaks --server "127.0.0.1:$MS_SUBMIT_PORT" --tls --auth PLAIN \
    --auth-user notices@caf.test --auth-password "wrong-$NOT_PW" \
    --from notices@caf.test --to contact@mairie.example --data "@$W/n1.eml" 2>&1)
like "$out" "535 5\.7\.8" "and a wrong password"
out=$(swaks --server "127.0.0.1:$MS_SUBMIT_PORT" --tls --auth PLAIN \
    --auth-user notices@caf.test --auth-password "$NOT_PW" \
    --from notices@caf.test --to contact@mairie.example --data "@$W/n1.eml" 2>&1)
like "$out" "235 2\.7\.0 Authentication successful" "AUTH PLAIN with notices' password"
like "$out" "250 2\.0\.0 Ok: queued" "the notice is accepted"
sh "$MS" wait-count "$D" capture INBOX 2 10
ok $? "and captured"
if [ -n "$MS_SMTPS_PORT" ]; then
	out=$(swaks --server "127.0.0.1:$MS_SMTPS_PORT" --tlsc --auth PLAIN \
	    --auth-user notices@caf.test --auth-password "$NOT_PW" \
	    --from notices@caf.test --to other@mairie.example --data "@$W/n1.eml" 2>&1)
	like "$out" "250 2\.0\.0 Ok: queued" "SMTPS (implicit TLS) with AUTH PLAIN"
	sh "$MS" wait-count "$D" capture INBOX 3 10
	ok $? "captured too"
fi

# ---- folders -------------------------------------------------------------
out=$(imap balp@caf.test "$BALP_PW" "$good/" -X 'CREATE BALP/RIB' 2>&1)
ok $? "CREATE BALP/RIB over IMAPS"
out=$(imap balp@caf.test "$BALP_PW" "$good/" -X 'LIST "" "BALP/*"' 2>&1)
like "$out" '"/" BALP/RIB' "LIST shows it"
ok "$(test -d "$MS_MAILDIR_ROOT/balp/Maildir/.BALP.RIB"; echo $?)" \
    "on disk as MS_MAILDIR_ROOT/balp/Maildir/.BALP.RIB"
imap balp@caf.test "$BALP_PW" "$good/BALP%2FRIB" -T "$W/m1.eml" >/dev/null 2>&1
ok $? "APPEND a message to it"
sh "$MS" wait-count "$D" balp@caf.test BALP/RIB 1 5
ok $? "wait-count counts it"
imap balp@caf.test "$BALP_PW" "$good/" -X 'CREATE "BALP/Refus&AOk-"' >/dev/null 2>&1
imap balp@caf.test "$BALP_PW" "$good/BALP%2FRefus%26AOk-" -T "$W/m1.eml" >/dev/null 2>&1
sh "$MS" wait-count "$D" balp "BALP/Refusé" 1 5
ok $? "wait-count takes a non-ASCII folder name (modified UTF-7 on disk)"
sh "$MS" wait-count "$D" balp INBOX 5 1 2>"$W/wc.err"
is "$?" 1 "wait-count gives up after its time"
like "$(cat "$W/wc.err")" "INBOX of balp holds 1 messages, not 5" "saying what it found"

# ---- stop ------------------------------------------------------------------
# The masters' children, from /proc (procps may be missing).
kids=$(perl -e '
	my %p = map { $_ => 1 } @ARGV;
	for my $f (glob "/proc/[0-9]*/stat") {
		open(my $fh, "<", $f) or next;
		my $s = <$fh> // next;
		my ($pid) = $f =~ m{/proc/(\d+)/};
		print "$pid " if $s =~ /\)\s+\S+\s+(\d+)/ && $p{$1};
	}' "$DPID" "$PPID_")
t0=$(date +%s%N)
sh "$MS" stop "$D"
ok $? "stop"
t1=$(date +%s%N)
echo "# stopped in $(((t1 - t0) / 1000000)) ms"
left=""
for p in $DPID $PPID_ $kids; do
	kill -0 "$p" 2>/dev/null && left="$left $p"
done
is "$left" "" "no process of that instance is left (masters and $(echo "$kids" | wc -w) children)"
ok "$(test -d "$D/mail"; echo $?)" "DIR stays for the caller"
sh "$MS" stop "$D"
ok $? "stopping again does nothing"

# ---- refusals ------------------------------------------------------------
long=$D/$(printf '%060d' 0)
mkdir -p "$long"
err=$(sh "$MS" start "$long" 2>&1)
st=$?
is "$st" 1 "a DIR over 60 characters is refused"
like "$err" "at most 60" "with a clear message"

done_testing
