#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The gateway on its embedded default (a Maildir), end to end: triage of
# the demo mails into their queues, a second run that does nothing, the
# move redone after a crash, and the watcher picking up a message that
# arrives while it runs.
. "$SRCDIR/tests/tools/tap.sh"
B="$SRCDIR/build/balpctl"
D="$SRCDIR/build/balpd"

demo_home; ok $? "a home with two partners and their annexes"
MD="$HOME_DIR/var/Maildir"
deliver_demo "$MD"

out=$("$D" -c "$CONF" --once 2>"$HOME_DIR/balpd.err"); ok $? "balpd --once exits 0"
like "$out" "14 message\(s\): 3 accepted, 8 rejected, 3 quarantined" "it prints a summary"
like "$out" "FILE +OUTCOME +TYPE +QUEUE +REASONS" "and a table a Caf agent can read"
is "$(ls "$MD/new" "$MD/cur" | grep -c demo)" 0 "the inbox is empty"
while IFS='	' read -r f o t r; do
	case $f in "#"*) continue ;; esac
	case $o in
	accepted) q=$(printf '.BALP.%s' "$(echo "$t" | sed 's/^rib$/RIB/; s/^suspension$/Suspension/; s/^blocage$/Blocage/')") ;;
	rejected) q=.BALP.Rejets ;;
	quarantined) q=.BALP.Quarantaine ;;
	esac
	ok "$(test -f "$MD/$q/new/$f"; echo $?)" "$f is in $q"
done <"$SRCDIR/tests/data/demo/expected.tsv"
log=$("$B" -c "$CONF" log --limit 100)
is "$(printf '%s\n' "$log" | grep -c 'accepted\|rejected\|quarantined')" 14 \
    "one decision recorded per message"
unlike "$(cat "$HOME_DIR/balpd.err")" "185057800608491|1 85 05|DUPONT" \
    "no NIR nor beneficiary name in the daemon's output"
db="$HOME_DIR/var/balp.db"
if command -v sqlite3 >/dev/null; then
	is "$(sqlite3 "$db" "select count(*) from outbox")" 7 \
	    "a notice queued for each rejection, none for the auto-reply"
	body=$(sqlite3 "$db" "select body from outbox")
	unlike "$body" "8006084|DUPONT|Dupont|LEROY" "notices never echo the NIR or the name"
	like "$body" "CDAP" "notices recall the convention's prerequisites"
	is "$(sqlite3 "$db" "select count(*) from decisions where nir_pseudonym like '%185057800608491%'")" 0 \
	    "the store keeps pseudonyms, not NIRs"
	# demo01, 04, 08, 09, 10, 11 all give NIR 1 85 05 78 006 084 91.
	is "$(sqlite3 "$db" "select count(distinct nir_pseudonym) from decisions
	    where source_ref in ('1763370001.demo01.apeai-rib',
	    '1763370004.demo04.apeai-rib-sans-pj', '1763370008.demo08.inconnu')")" 1 \
	    "one beneficiary, one pseudonym, whatever the message"
	like "$(sqlite3 "$db" "select nir_pseudonym from decisions
	    where source_ref = '1763370002.demo02.apeai-suspension'")" '^[0-9a-f]{64}$' \
	    "a pseudonym is 64 hex digits"
fi
out=$("$B" -c "$CONF" audit verify); ok $? "the audit chain is intact"

before=$(find "$MD" -type f | sort | md5sum)
out=$("$D" -c "$CONF" --once); ok $? "a second run succeeds"
like "$out" "^0 message\(s\)" "and does nothing"
is "$(find "$MD" -type f | sort | md5sum)" "$before" "the folders are unchanged"

# Crash between record and move: the message is back in the inbox.
cp "$MD/.BALP.RIB/new/1763370001.demo01.apeai-rib" "$MD/new/"
rm "$MD/.BALP.RIB/new/1763370001.demo01.apeai-rib"
out=$("$D" -c "$CONF" --once 2>"$HOME_DIR/again.err"); ok $? "balpd after a crash between record and move"
like "$out" "1 message\(s\): 0 accepted, 0 rejected, 0 quarantined, 1 already decided, moved again to BALP/RIB" \
    "the summary counts it as already decided"
like "$(cat "$HOME_DIR/again.err")" "refile msgid=[^ ]+ partner=apeai-ouest-herault type=rib outcome=accepted reasons=- queue=BALP/RIB ms=0 file=1763370001.demo01.apeai-rib" \
    "and the log says so"
ok "$(test -f "$MD/.BALP.RIB/new/1763370001.demo01.apeai-rib"; echo $?)" \
    "the move is redone to the recorded queue"
log=$("$B" -c "$CONF" log --limit 100)
is "$(printf '%s\n' "$log" | grep -c 'accepted\|rejected\|quarantined')" 14 \
    "without deciding the message a second time"

# The watcher: a message arriving while balpd runs.
"$D" -c "$CONF" 2>"$HOME_DIR/watch.err" &
pid=$!
sleep 1
new="1763999999.live.apeai-rib"
sed 's/demo01/live01/' "$SRCDIR/tests/data/demo/Maildir/new/1763370001.demo01.apeai-rib" \
    >"$MD/tmp/$new"
mv "$MD/tmp/$new" "$MD/new/$new"
i=0
while [ $i -lt 50 ] && [ ! -f "$MD/.BALP.RIB/new/$new" ]; do
	sleep 0.2
	i=$((i + 1))
done
ok "$(test -f "$MD/.BALP.RIB/new/$new"; echo $?)" "the watcher triages a new message within seconds"
kill -TERM $pid
wait $pid
is $? 0 "balpd stops cleanly on SIGTERM"
like "$(cat "$HOME_DIR/watch.err")" "decision msgid=[^ ]+ partner=[a-z0-9-]+ type=rib outcome=accepted reasons=- queue=BALP/RIB ms=[0-9]+ file=$new\$" \
    "and logs each decision, with stable fields"

# A malformed message is quarantined, never dropped.
printf '\000\001garbage\n' >"$MD/new/1764000000.garbage"
"$D" -c "$CONF" --once >/dev/null; ok $? "balpd survives a garbage message"
ok "$(test -f "$MD/.BALP.Quarantaine/new/1764000000.garbage"; echo $?)" \
    "which is quarantined, not lost"
# A file name cannot forge a log line: control bytes are escaped.
forged="$MD/new/1764000001.x
2026-11-23T10:00:00Z balpd[1]: fake.eml: accepted rib"
cp "$SRCDIR/tests/data/demo/Maildir/new/1763370014.demo14.apeai-motif-inconnu" "$forged"
out=$("$D" -c "$CONF" --once 2>&1); ok $? "balpd handles a name with a newline"
like "$out" '1764000001\.x\\x0a2026' "the newline is shown escaped"
unlike "$out" '^2026-11-23T10:00:00Z balpd\[1\]' "no forged line appears"

# The annex a referent mails (docs/annex-mail.md; tests/cli/annex_mail.sh
# has the rest): the watcher files it in BALP/Annexes and stages it, the
# same mail from a habilitated non-referent is refused.
. "$SRCDIR/tests/tools/annex_mail.sh"
"$B" -c "$CONF" partner update apeai-ouest-herault \
    --referent referente@apeai34.fr >/dev/null
"$D" -c "$CONF" 2>"$HOME_DIR/annex.err" &
pid=$!
sleep 1
for who in referente a.martin; do
	annex_mail "$who@apeai34.fr" "Mise à jour de l'annexe BALP" \
	    "$SRCDIR/tests/data/annex/good_semicolon_fr.xlsx" annexe.xlsx \
	    application/vnd.openxmlformats-officedocument.spreadsheetml.sheet \
	    >"$MD/tmp/1765000000.$who"
	mv "$MD/tmp/1765000000.$who" "$MD/new/1765000000.$who"
done
i=0
while [ $i -lt 50 ] && ! grep -q 'file=1765000000.a.martin' "$HOME_DIR/annex.err"; do
	sleep 0.2
	i=$((i + 1))
done
kill -TERM $pid
wait $pid
is $? 0 "balpd stops cleanly after the annex mails"
ok "$(test -f "$MD/.BALP.Annexes/new/1765000000.referente"; echo $?)" \
    "the referent's annex is filed in BALP/Annexes"
like "$(cat "$HOME_DIR/annex.err")" "annex of apeai-ouest-herault from referente@apeai34.fr staged as 1 \(2 added, 1 updated, 1 ended\)" \
    "and staged, with its diff's counts"
like "$(cat "$HOME_DIR/annex.err")" "type=annexe outcome=rejected reasons=annex_sender_not_referent queue=BALP/Rejets ms=[0-9]+ file=1765000000.a.martin" \
    "the same mail from a habilitated non-referent is annex_sender_not_referent"
like "$("$B" -c "$CONF" annex pending)" "^ID .*
1 +apeai-ouest-herault +referente@apeai34.fr" "annex pending lists it"
rm -rf "$HOME_DIR"
done_testing
