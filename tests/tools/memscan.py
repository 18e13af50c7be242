#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""memscan.py - looks for secrets in the memory of running processes.

    memscan.py [--self] [--except PID] [--only PID] [--while CMD]
        ROOT_PID NAME=HEX...

Reads every readable mapping (/proc/PID/maps, /proc/PID/mem) of every
descendant of ROOT_PID (children, grandchildren...), and of ROOT_PID itself
with --self (but not PID nor its descendants with --except; only PID with
--only), and looks for each secret (its bytes given in hex) as raw
bytes, as lower-case hex and as upper-case hex.  Needs root (or
CAP_SYS_PTRACE): balpd is not dumpable.  A process that ends while it is
read is skipped.

Prints "scanned PID COMM" per process read, "found NAME FORM in PID COMM
at ADDR PATH" per hit; exits 1 if anything was found, 0 otherwise, 2 on
usage errors.
"""
import os
import subprocess
import sys


def children(pid):
    """PIDs whose parent is pid (all tasks' children files)."""
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    out += [int(x) for x in f.read().split()]
            except OSError:
                pass
    except OSError:
        pass
    return out


def descendants(root):
    seen, todo = [], children(root)
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.append(p)
        todo += children(p)
    return seen


def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return "?"


def scan(pid, needles):
    """[(name, form, addr, path)] found, or None if pid went away."""
    hits = []
    try:
        with open(f"/proc/{pid}/maps") as f:
            maps = f.read().splitlines()
        mem = os.open(f"/proc/{pid}/mem", os.O_RDONLY)
    except OSError:
        return None
    try:
        for line in maps:
            parts = line.split(None, 5)
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            path = parts[5] if len(parts) > 5 else ""
            if "r" not in parts[1] or path in ("[vvar]", "[vsyscall]"):
                continue
            try:
                data = os.pread(mem, hi - lo, lo)
            except OSError:
                continue
            for name, form, b in needles:
                at = data.find(b)
                if at >= 0:
                    hits.append((name, form, lo + at, path))
    finally:
        os.close(mem)
    return hits


def scan_round(root, self_too, skip, only, needles):
    """Scans the processes of this moment; the number of hits."""
    pids = descendants(root) + ([root] if self_too else [])
    if skip is not None:
        gone = set([skip] + descendants(skip))
        pids = [p for p in pids if p not in gone]
    if only is not None:
        pids = [p for p in pids if p == only]
    found = 0
    for pid in pids:
        hits = scan(pid, needles)
        if hits is None:
            continue
        c = comm(pid)
        print(f"scanned {pid} {c}")
        for name, form, addr, path in hits:
            print(f"found {name} {form} in {pid} {c} at {addr:#x} {path}")
            found += 1
    return found


def main(argv):
    self_too, skip, only, cond = False, None, None, None
    while argv and argv[0].startswith("--"):
        if argv[0] == "--self":
            self_too = True
            argv = argv[1:]
        elif argv[0] in ("--except", "--only", "--while") and len(argv) > 1:
            if argv[0] == "--except":
                skip = int(argv[1])
            elif argv[0] == "--only":
                only = int(argv[1])
            else:
                cond = argv[1]
            argv = argv[2:]
        else:
            print(__doc__, file=sys.stderr)
            return 2
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    root = int(argv[0])
    needles = []
    for spec in argv[1:]:
        name, _, hexs = spec.partition("=")
        raw = bytes.fromhex(hexs)
        needles += [(name, "raw", raw),
                    (name, "hex", raw.hex().encode()),
                    (name, "HEX", raw.hex().upper().encode())]
    found = rounds = 0
    while True:
        found += scan_round(root, self_too, skip, only, needles)
        rounds += 1
        if cond is None or subprocess.call(["sh", "-c", cond]) != 0:
            break
    print(f"rounds {rounds}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
