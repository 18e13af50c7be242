#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# demo.sh - what `make run` does after the build: a demo home under
# var/demo (git-ignored) with two partners and their annexes, the bundled
# sample Maildir of partner mails, and one triage pass of the gateway on
# its embedded default (a Maildir source), which prints what it did.
set -eu
SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
cd "$SRCDIR"
demo=var/demo
data=tests/data/demo
conf=$demo/conf/balp.conf
ctl() { build/balpctl -c "$conf" "$@"; }

rm -rf "$demo"
mkdir -p "$demo"
cp -R conf rules "$demo/"

echo "== balp demo home: $demo"
ctl init
ctl partner add --id apeai-ouest-herault --name "APEAI Ouest Hérault" \
    --siret "318 846 292 00064" --start 2025-01-01 --max-persons 20
ctl partner add --id ccas-lespignan --name "CCAS de Lespignan" \
    --start 2025-06-01 --max-persons 5
ctl annex import --partner apeai-ouest-herault "$data/annexe-apeai.csv"
ctl annex import --partner ccas-lespignan "$data/annexe-ccas-lespignan.csv"
echo
ctl partner list
echo

# One sample mail reports a suspension "depuis le {{RECENT}}": a week ago.
recent=$(date -d '7 days ago' +%d/%m/%Y)
for f in "$data"/Maildir/new/*; do
	sed "s#{{RECENT}}#$recent#g" "$f" > "$demo/var/Maildir/tmp/$(basename "$f")"
	mv "$demo/var/Maildir/tmp/$(basename "$f")" "$demo/var/Maildir/new/"
done
echo "== balpd -c $conf --once  ($(ls "$demo/var/Maildir/new" | wc -l) messages in the BALP inbox)"
echo
build/balpd -c "$conf" --once
echo
echo "Queues (Maildir++ folders under $demo/var/Maildir):"
for q in "$demo"/var/Maildir/.BALP.*; do
	printf '  %-22s %s message(s)\n' "$(basename "$q" | sed 's/^\.//; s#\.#/#g')" \
	    "$(ls "$q/new" | wc -l)"
done
echo "Notices waiting to be sent: $(sqlite3 "$demo/var/balp.db" \
    "select count(*) from outbox where status = 'pending'" 2>/dev/null || echo '?')"
echo
echo "Try: build/balpctl -c $conf log"
echo "     build/balpctl -c $conf test --json tests/data/demo/Maildir/new/*"
