#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""tls_server.py - a scripted IMAP or SMTP server on loopback whose TLS
offers one protocol version only, for balp's TLS tests.

    tls_server.py MODE VERSION CERT KEY PORTFILE LOG

MODE: imaps, imap-starttls, smtps, smtp-starttls.  VERSION: 1.0, 1.1,
1.2 (the only version offered; 1.0 and 1.1 with OpenSSL's security level
0, which Debian's default refuses even as a server).  Listens on
127.0.0.1, a free port written to PORTFILE; serves connections one after
another until killed.  Every byte a client sends, before and after TLS,
is appended to LOG, with a line per event ("tls VERSION" once the
handshake is done, "handshake failed: ..." when it is not), so a test can
tell that no LOGIN or AUTH ever reached it.  Any IMAP command gets "OK",
any SMTP command 250 (AUTH 235, DATA 354): enough for a client to send
its credentials if it would.
"""
import socket
import ssl
import sys

VERSIONS = {"1.0": ssl.TLSVersion.TLSv1, "1.1": ssl.TLSVersion.TLSv1_1,
            "1.2": ssl.TLSVersion.TLSv1_2}


def context(version, cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ctx.maximum_version = VERSIONS[version]
    if version != "1.2":
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    ctx.load_cert_chain(cert, key)
    return ctx


class Conn:
    def __init__(self, sock, log):
        self.sock, self.log, self.buf = sock, log, b""

    def send(self, text):
        self.sock.sendall(text.encode())

    def line(self):
        while b"\n" not in self.buf:
            data = self.sock.recv(4096)
            if not data:
                return None
            self.log.write(data)
            self.log.flush()
            self.buf += data
        line, _, self.buf = self.buf.partition(b"\n")
        return line.decode("latin-1").rstrip("\r")

    def note(self, text):
        self.log.write(f"\n# {text}\n".encode())
        self.log.flush()


def upgrade(conn, ctx):
    try:
        conn.sock = ctx.wrap_socket(conn.sock, server_side=True)
    except (ssl.SSLError, OSError) as e:
        conn.note(f"handshake failed: {e}")
        return False
    conn.note(f"tls {conn.sock.version()}")
    return True


def imap(conn, ctx, implicit):
    if implicit and not upgrade(conn, ctx):
        return
    caps = "IMAP4rev1 AUTH=PLAIN" + ("" if implicit else " STARTTLS")
    conn.send(f"* OK [CAPABILITY {caps}] ready\r\n")
    while (line := conn.line()) is not None:
        tag, _, rest = line.partition(" ")
        cmd = rest.split(" ")[0].upper()
        if cmd == "CAPABILITY":
            conn.send(f"* CAPABILITY {caps}\r\n{tag} OK done\r\n")
        elif cmd == "STARTTLS" and not implicit:
            conn.send(f"{tag} OK begin TLS\r\n")
            if not upgrade(conn, ctx):
                return
            implicit = True
        elif cmd == "LOGOUT":
            conn.send(f"* BYE\r\n{tag} OK bye\r\n")
            return
        else:
            conn.send(f"{tag} OK done\r\n")


def smtp(conn, ctx, implicit):
    if implicit and not upgrade(conn, ctx):
        return
    conn.send("220 localhost ESMTP\r\n")
    data = False
    while (line := conn.line()) is not None:
        if data:
            if line == ".":
                data = False
                conn.send("250 queued\r\n")
            continue
        cmd = line.split(" ")[0].upper()
        if cmd in ("EHLO", "HELO"):
            ext = "250 AUTH PLAIN LOGIN" if implicit else "250 STARTTLS"
            conn.send(f"250-localhost\r\n{ext}\r\n")
        elif cmd == "STARTTLS" and not implicit:
            conn.send("220 go ahead\r\n")
            if not upgrade(conn, ctx):
                return
            implicit = True
        elif cmd == "AUTH":
            conn.send("235 ok\r\n")
        elif cmd == "DATA":
            data = True
            conn.send("354 go\r\n")
        elif cmd == "QUIT":
            conn.send("221 bye\r\n")
            return
        else:
            conn.send("250 ok\r\n")


def main(argv):
    mode, version, cert, key, portfile, logfile = argv
    ctx = context(version, cert, key)
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(srv.getsockname()[1]))
    import os
    os.rename(portfile + ".tmp", portfile)
    with open(logfile, "ab") as log:
        while True:
            sock, _ = srv.accept()
            sock.settimeout(20)
            conn = Conn(sock, log)
            conn.note(f"connection ({mode}, offering TLS {version} only)")
            try:
                if mode.startswith("imap"):
                    imap(conn, ctx, mode == "imaps")
                else:
                    smtp(conn, ctx, mode == "smtps")
            except (OSError, ssl.SSLError) as e:
                conn.note(f"closed: {e}")
            try:
                conn.sock.close()
            except OSError:
                pass


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
