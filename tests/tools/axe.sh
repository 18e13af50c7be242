#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# axe.sh - installs axe-core, the accessibility checker the browser tests
# run inside every page (tests/web/browser.py), into build/npm/ at the
# version pinned by tests/web/package-lock.json, unless that version is
# already there.  `make check` runs it; tests/web/browser.sh runs it too,
# so that the browser tests can run alone.  Any failure is an exit 1 with
# its reason: the tests must not run without their checker.
set -eu
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
lock="$SRCDIR/tests/web/package-lock.json"
dest="$SRCDIR/build/npm"
installed="$dest/node_modules/axe-core/package.json"

# The version the lock pins (its one package), and the one installed.
want=$(sed -n '/"node_modules\/axe-core"/,/}/s/.*"version": "\([^"]*\)".*/\1/p' \
    "$lock" | head -n 1)
if [ -z "$want" ]; then
	echo "axe.sh: no axe-core version in $lock" >&2
	exit 1
fi
have=""
if [ -f "$installed" ]; then
	have=$(sed -n 's/^  "version": "\([^"]*\)".*/\1/p' "$installed" | head -n 1)
fi
if [ "$have" = "$want" ] && [ -f "$dest/node_modules/axe-core/axe.min.js" ]; then
	exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
	echo "axe.sh: npm is missing (sh tests/tools/deps.sh check installs it)" >&2
	exit 1
fi
mkdir -p "$dest"
cp "$SRCDIR/tests/web/package.json" "$lock" "$dest/"
echo "installing axe-core $want into build/npm (npm ci)"
# npm ci: exactly the lock's version and integrity hash; no install
# scripts (axe-core has none, and none should run here).
if ! npm ci --prefix "$dest" --ignore-scripts --no-audit --no-fund \
    >"$dest/npm.log" 2>&1; then
	echo "axe.sh: npm ci failed (build/npm/npm.log):" >&2
	tail -n 20 "$dest/npm.log" >&2
	exit 1
fi
if [ ! -f "$dest/node_modules/axe-core/axe.min.js" ]; then
	echo "axe.sh: npm ci gave no axe-core/axe.min.js" >&2
	exit 1
fi
