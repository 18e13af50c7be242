#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# TLS 1.2 at least (issue 17, point 3): a server that offers only TLS 1.0
# or 1.1 is refused before any credential is sent, for IMAP (IMAPS and
# STARTTLS: balpd) and SMTP (SMTPS and STARTTLS: the notices).  The
# servers are real TLS endpoints on loopback (tests/tools/tls_server.py,
# Python's OpenSSL limited to one version, at security level 0 so that
# 1.0 and 1.1 are really offered) that log every byte they receive: the
# test checks that the handshake was made in the old version (so the
# client was indeed offered it) and that no LOGIN or AUTH came after, and
# that the same server limited to TLS 1.2 does receive them.
. "$SRCDIR/tests/tools/tap.sh"
D="$SRCDIR/build/balpd"
SRV="$SRCDIR/tests/tools/tls_server.py"

command -v openssl >/dev/null || { echo "1..0 # SKIP no openssl"; exit 0; }
demo_home; ok $? "a home with two partners and their annexes"
T="$HOME_DIR/tls"
SPID=
cleanup() {
	[ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
	rm -rf "$HOME_DIR"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# A CA and a certificate for localhost signed by it (as mailstack.sh).
mkdir -p "$T"
printf '[req]\ndistinguished_name = dn\n[dn]\n' >"$T/openssl.cnf"
ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2"
# shellcheck disable=SC2086
openssl req -config "$T/openssl.cnf" -x509 $ec -keyout "$T/ca.key" \
    -out "$T/ca.pem" -subj "/CN=balp tls test CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" >/dev/null 2>&1
ok $? "a CA"
# shellcheck disable=SC2086
openssl req -config "$T/openssl.cnf" -x509 $ec -keyout "$T/good.key" \
    -out "$T/good.pem" -subj "/CN=localhost" -CA "$T/ca.pem" \
    -CAkey "$T/ca.key" -addext "subjectAltName=DNS:localhost" \
    -addext "basicConstraints=critical,CA:FALSE" \
    -addext "keyUsage=critical,digitalSignature" \
    -addext "extendedKeyUsage=serverAuth" >/dev/null 2>&1
ok $? "a certificate for localhost signed by it"

IMAP_PW="imap-pw-$(openssl rand -hex 8)"
SMTP_PW="smtp-pw-$(openssl rand -hex 8)"
printf '%s' "$IMAP_PW" >"$HOME_DIR/var/imap.pass"
printf '%s' "$SMTP_PW" >"$HOME_DIR/conf/smtp.pass"
chmod 600 "$HOME_DIR/var/imap.pass" "$HOME_DIR/conf/smtp.pass"

# serve MODE VERSION: a fresh server; sets PORT, LOG, SPID.
serve() {
	stop_server
	LOG="$T/$1-$2.log"
	rm -f "$T/port" "$LOG"
	python3 -W ignore "$SRV" "$1" "$2" "$T/good.pem" "$T/good.key" "$T/port" \
	    "$LOG" &
	SPID=$!
	wait_for "$T/port" '^[0-9]+$' 10 || echo "# the server did not start"
	PORT=$(cat "$T/port")
}
stop_server() {
	[ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
	SPID=
}
# imap_conf TLS: the IMAP configuration against the server.
imap_conf() {
	sed -e "s#\"imap.caf.test\"#\"localhost\"#" \
	    -e "s#port = 993#port = $PORT#" \
	    -e "s#tls = \"imaps\"#tls = \"$1\"#" \
	    -e "s#/etc/ssl/certs/caf-ca.pem#$T/ca.pem#" \
	    -e "s#timeout_seconds = [0-9]*#timeout_seconds = 10#" \
	    "$SRCDIR/conf/balp-imap.conf" >"$HOME_DIR/conf/imap.conf"
}
# smtp_conf TLS: balp.conf with an smtp group for the server.
smtp_conf() {
	cp "$CONF.base" "$CONF"
	cat >>"$CONF" <<EOC
smtp = {
	host = "localhost";
	port = $PORT;
	tls = "$1";
	user = "notices@caf.test";
	password_file = "smtp.pass";
	ca_file = "$T/ca.pem";
	timeout = 10;
};
EOC
}
cp "$CONF" "$CONF.base"

# ---- IMAP: balpd refuses the server at start -------------------------------
for mode in imaps starttls; do
	smode=$mode
	[ "$mode" = starttls ] && smode=imap-starttls
	for v in 1.0 1.1; do
		serve "$smode" "$v"
		imap_conf "$mode"
		err=$("$D" -c "$HOME_DIR/conf/imap.conf" --once 2>&1); st=$?
		is "$st" 2 "IMAP $mode, a server offering TLS $v only: balpd refuses to start"
		like "$err" "localhost: the server speaks TLS1\.${v#1.} only: refused, TLS 1\.2 at least is required" \
		    "  with a line saying why"
		like "$(cat "$LOG")" "# tls TLSv1(\.${v#1.})?$" \
		    "  the handshake was made in TLS $v (it was offered)"
		unlike "$(cat "$LOG")" "LOGIN|AUTHENTICATE|$IMAP_PW" \
		    "  the server saw no LOGIN and no password"
	done
	# The same server in TLS 1.2 does see the LOGIN: the check above could fail.
	serve "$smode" 1.2
	imap_conf "$mode"
	"$D" -c "$HOME_DIR/conf/imap.conf" --once >/dev/null 2>&1
	like "$(cat "$LOG")" "LOGIN .*$IMAP_PW" \
	    "IMAP $mode, the same server in TLS 1.2: it receives the LOGIN"
done

# ---- SMTP: the notices wait, the password is not sent -----------------------
deliver_demo "$HOME_DIR/var/Maildir"
"$D" -c "$CONF.base" --once >/dev/null 2>&1
pending() {
	sqlite3 "$HOME_DIR/var/balp.db" \
	    "select count(*) from outbox where status = 'pending'"
}
# retry_now: every notice due now, and pending again (a failed round
# puts them off; the TLS 1.2 relay, which accepts anything, sends them).
retry_now() {
	sqlite3 "$HOME_DIR/var/balp.db" "update outbox set status = 'pending',
	    attempts = 0, next_attempt_at = '2000-01-01T00:00:00Z'"
}
before=$(pending)
ok "$([ "$before" -gt 0 ]; echo $?)" "notices wait in the outbox ($before)"
for mode in smtps starttls; do
	smode=$mode
	[ "$mode" = starttls ] && smode=smtp-starttls
	for v in 1.0 1.1; do
		serve "$smode" "$v"
		smtp_conf "$mode"
		retry_now
		err=$("$D" -c "$CONF" --once 2>&1); st=$?
		like "$err" "localhost: the server speaks TLS1\.${v#1.} only: refused, TLS 1\.2 at least is required" \
		    "SMTP $mode, a relay offering TLS $v only: refused, with a line saying why"
		is "$(pending)" "$before" "  no notice went"
		like "$(cat "$LOG")" "# tls TLSv1(\.${v#1.})?$" \
		    "  the handshake was made in TLS $v (it was offered)"
		unlike "$(cat "$LOG")" "AUTH|MAIL FROM|$SMTP_PW" \
		    "  the relay saw no AUTH and no password"
	done
	serve "$smode" 1.2
	smtp_conf "$mode"
	retry_now
	"$D" -c "$CONF" --once >/dev/null 2>&1
	like "$(cat "$LOG")" "AUTH PLAIN" \
	    "SMTP $mode, the same relay in TLS 1.2: it receives the AUTH"
done
stop_server

done_testing
