#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# GnuTLS's own complaints (libetpan calls gnutls_perror() on a failed
# handshake, which writes on stderr itself) reach the admin only through
# balpd's lines: one line that names the host and says why, nothing raw.
# The peer is a loopback server that answers in plain text where TLS is
# expected (IMAPS to a plain port).
. "$SRCDIR/tests/tools/tap.sh"
D="$SRCDIR/build/balpd"

demo_home
python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(5)
print(s.getsockname()[1], flush=True)
s.settimeout(60)
try:
    while True:
        c, _ = s.accept()
        c.sendall(b"* OK plain text, not TLS\r\n" * 20)
        try:
            c.recv(4096)
        except OSError:
            pass
        c.close()
except OSError:
    pass
' >"$HOME_DIR/port" &
SERVER=$!
t=0
while [ ! -s "$HOME_DIR/port" ] && [ $t -lt 50 ]; do sleep 0.1; t=$((t + 1)); done
port=$(cat "$HOME_DIR/port")
printf 'secret' >"$HOME_DIR/var/imap.pass"
chmod 600 "$HOME_DIR/var/imap.pass"
sed -e 's#"imap.caf.test"#"127.0.0.1"#' -e "s#port = 993#port = $port#" \
    -e 's#ca_file = .*#ca_file = "/etc/ssl/certs/ca-certificates.crt";#' \
    "$SRCDIR/conf/balp-imap.conf" >"$HOME_DIR/conf/imap.conf"
"$D" -c "$HOME_DIR/conf/imap.conf" --once >"$HOME_DIR/out" 2>"$HOME_DIR/err"
is "$?" 2 "IMAPS to a server that does not speak TLS: balpd refuses to start"
like "$(cat "$HOME_DIR/err")" "127\.0\.0\.1:$port: cannot connect: TLS handshake failed.*GnuTLS error: An unexpected TLS packet" \
    "one line names the host, the failure and GnuTLS's words"
is "$(grep -c . "$HOME_DIR/err")" 1 "and only that line"
unlike "$(cat "$HOME_DIR/err")" "^GnuTLS" "no raw GnuTLS line on stderr"
kill $SERVER 2>/dev/null
wait $SERVER 2>/dev/null
rm -rf "$HOME_DIR"
done_testing
