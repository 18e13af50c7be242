# SPDX-License-Identifier: Apache-2.0
"""filed_watch.py - when each mail lands in a Maildir folder (benchmarks).

    python3 filed_watch.py OUT N IDLE DIR...

Watches the new/ and cur/ of each DIR (a Maildir folder) with inotify and
notes the time a file first appears under a name (IN_CREATE: Dovecot's
link() of a copied message; IN_MOVED_TO: tmp/ -> new/ or cur/), a file
counted once whatever renames follow (its name before ':').  Prints
"ready" once the watches are set; stops after N files, or after IDLE
seconds without any; writes "TIME FOLDER BASENAME" lines to OUT.

No polling: a watcher that rescans folders of thousands of files every
few milliseconds takes the CPU the ways it measures need (2 cores).
"""
import ctypes
import os
import select
import struct
import sys
import time

IN_CREATE = 0x100
IN_MOVED_TO = 0x80


def main():
    out, n, idle, dirs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), \
        sys.argv[4:]
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    fd = libc.inotify_init1(os.O_CLOEXEC)
    if fd < 0:
        sys.exit("inotify_init1: %s" % os.strerror(ctypes.get_errno()))
    wds = {}
    for d in dirs:
        for sub in ("new", "cur"):
            p = os.path.join(d, sub)
            os.makedirs(p, exist_ok=True)
            wd = libc.inotify_add_watch(fd, p.encode(), IN_CREATE | IN_MOVED_TO)
            if wd < 0:
                sys.exit("%s: %s" % (p, os.strerror(ctypes.get_errno())))
            wds[wd] = d
    print("ready", flush=True)
    seen = {}
    last = time.time()
    while len(seen) < n:
        r, _, _ = select.select([fd], [], [], 0.5)
        now = time.time()
        if not r:
            if now - last > idle:
                break
            continue
        buf = os.read(fd, 1 << 16)
        off = 0
        while off < len(buf):
            wd, mask, _cookie, ln = struct.unpack_from("iIII", buf, off)
            name = buf[off + 16:off + 16 + ln].rstrip(b"\0").decode()
            off += 16 + ln
            key = (wds.get(wd, "?"), name.split(":")[0])
            if key not in seen:
                seen[key] = now
                last = now
    with open(out, "w") as f:
        for (d, base), t in seen.items():
            f.write("%.6f %s %s\n" % (t, d, base))


main()
