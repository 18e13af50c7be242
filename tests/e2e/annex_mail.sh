#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# shellcheck disable=SC2153 # the MS_ variables come from the stack's env
# The annex mailed by a partner's referent over the real mail stack
# (tests/tools/mailstack.sh): mails sent through Postfix with swaks into
# the BALP's Dovecot mailbox, balpd over IMAPS stages the referent's
# CSV, .xlsx and .ods into BALP/Annexes, refuses the non-referent and the
# file with three bad lines (the notice, sent through Postfix's
# submission and read back from the capture mailbox, lists the three
# lines), quarantines a zip bomb and a malformed .xlsx; an approval after
# a conflicting import is refused; approve and reject mail the referent.
# Then Postfix routes the BALP's address to balpd's LMTP (tests/e2e/lmtp.sh)
# and a referent's annex delivered there is staged as over the drain.
. "$SRCDIR/tests/tools/tap.sh"
. "$SRCDIR/tests/tools/annex_mail.sh"
B="$SRCDIR/build/balpctl"
D="$SRCDIR/build/balpd"
MS="$SRCDIR/tests/tools/mailstack.sh"
DATA="$SRCDIR/tests/data/annex"
P=apeai-ouest-herault
REF=referente@apeai34.fr
XLSX=application/vnd.openxmlformats-officedocument.spreadsheetml.sheet
ODS=application/vnd.oasis.opendocument.spreadsheet
SUBJ="Mise à jour de l'annexe BALP"

if [ "$(id -u)" -ne 0 ]; then
	echo "ok 1 # SKIP the private mail stack needs root"
	echo "1..1"
	exit 0
fi
STACK=$(mktemp -d /tmp/ms.XXXXXX)
BPID=
cleanup() {
	[ -n "$BPID" ] && kill "$BPID" 2>/dev/null && wait "$BPID" 2>/dev/null
	sh "$MS" stop "$STACK" >/dev/null 2>&1
	rm -rf "$STACK" "${HOME_DIR:-/nonexistent}"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
stack_start "$STACK"
PASS=$(cat "$MS_BALP_PASS_FILE")
CAP_PW=$(cat "$MS_CAPTURE_PASS_FILE")

imap() {
	curl -s --cacert "$MS_CA" --user "$MS_BALP_USER:$PASS" \
	    "imaps://localhost:$MS_IMAPS_PORT/$1" -X "$2"
}
count() {
	dir=$MS_MAILDIR_ROOT/balp/Maildir
	[ "$1" = INBOX ] || dir=$dir/.$(echo "$1" | tr / .)
	find "$dir/new" "$dir/cur" -type f 2>/dev/null | wc -l
}
send() {	# send FILE: as the partner's mail server would, through Postfix
	swaks --server "127.0.0.1:$MS_SMTP_PORT" --to "$MS_BALP_USER" \
	    --from "$(sed -n 's/^From:.*<\(.*\)>.*/\1/p' "$1" | head -n 1)" \
	    --data "$1" >/dev/null 2>&1
}
q() { sqlite3 "$HOME_DIR/var/balp.db" "$1"; }
# The capture mailbox (notices: mail to apeai34.fr lands there), one
# message decoded per file (quoted-printable bodies).
read_capture() {
	rm -f "$HOME_DIR"/captured.*
	i=1
	while [ "$i" -le "$1" ]; do
		curl -sS --max-time 10 --cacert "$MS_CA" \
		    --user "capture@caf.test:$CAP_PW" \
		    "imaps://$MS_HOST_GOOD:$MS_IMAPS_PORT/INBOX;UID=$i" |
		    perl -MMIME::QuotedPrint -e 'local $/; my $m = <STDIN>;
			$m =~ s/\r\n/\n/g; print decode_qp($m)' \
		    >"$HOME_DIR/captured.$i"
		i=$((i + 1))
	done
	cat "$HOME_DIR"/captured.*
}

demo_home; ok $? "a home with two partners and their annexes"
"$B" -c "$CONF" partner update "$P" --referent "$REF" >/dev/null
ok $? "the partner's referent"
cp "$MS_BALP_PASS_FILE" "$HOME_DIR/var/imap.pass"
cp "$MS_NOTICES_PASS_FILE" "$HOME_DIR/conf/notices.pass"
chmod 600 "$HOME_DIR/var/imap.pass" "$HOME_DIR/conf/notices.pass"
ICONF="$HOME_DIR/conf/imap.conf"
sed -e "s#\"imap.caf.test\"#\"localhost\"#" \
    -e "s#port = 993#port = $MS_IMAPS_PORT#" \
    -e "s#/etc/ssl/certs/caf-ca.pem#$MS_CA#" \
    "$SRCDIR/conf/balp-imap.conf" >"$ICONF"
cat >>"$ICONF" <<EOC
smtp = {
	host = "localhost";
	port = $MS_SUBMIT_PORT;
	tls = "starttls";
	user = "$MS_NOTICES_USER";
	password_file = "notices.pass";
	ca_file = "$MS_CA";
	timeout = 10;
};
EOC

bad="$HOME_DIR/trois-erreurs.csv"
printf '%s\n' 'nom;prenom;email;fonction;date_habilitation;date_fin' \
    'MARTIN;Anne;a.martin@apeai34.fr;AS;05/01/2025;' \
    'DURAND;Paul;pas-une-adresse;ES;15/03/2025;' \
    'PETIT;Claire;c.petit@apeai34.fr;;31/02/2026;' \
    'ROUX;Léa;l.roux@apeai34.fr;;01/06/2026;01/01/2026' >"$bad"
m=0
mail() {	# mail FROM FILE NAME TYPE: written and sent
	m=$((m + 1))
	annex_mail "$1" "$SUBJ" "$2" "$3" "$4" >"$HOME_DIR/m$m.eml"
	send "$HOME_DIR/m$m.eml" || echo "# swaks failed on mail $m"
}
mail "$REF" "$DATA/good_semicolon_fr.csv" annexe.csv text/csv
mail "$REF" "$DATA/good_semicolon_fr.xlsx" annexe.xlsx "$XLSX"
mail "$REF" "$DATA/good_semicolon_fr.ods" annexe.ods "$ODS"
mail a.martin@apeai34.fr "$DATA/good_semicolon_fr.csv" annexe.csv text/csv
mail "$REF" "$bad" annexe.csv text/csv
mail "$REF" "$DATA/hostile_bomb.xlsx" annexe.xlsx "$XLSX"
mail "$REF" "$DATA/hostile_malformed.xlsx" annexe.xlsx "$XLSX"
sh "$MS" wait-count "$STACK" balp INBOX "$m" 20
ok $? "$m mails delivered to the BALP by Postfix"

out=$("$D" -c "$ICONF" --once 2>"$HOME_DIR/once.err"); st=$?
is "$st" 0 "balpd --once over IMAPS"
like "$out" "7 message\(s\): 3 accepted, 2 rejected, 2 quarantined" \
    "three staged, two refused, two quarantined"
like "$(imap "" 'LSUB "" "BALP/*"')" '"/" BALP/Annexes' \
    "BALP/Annexes created and subscribed"
is "$(count BALP/Annexes)" 3 "the referent's CSV, .xlsx and .ods in BALP/Annexes"
is "$(count BALP/Rejets)" 2 "the non-referent's and the bad file in BALP/Rejets"
is "$(count BALP/Quarantaine)" 2 "the bomb and the malformed .xlsx in quarantine"
flags=$(imap BALP/Annexes "FETCH 1 (FLAGS)")
like "$flags" '\$BALP_ANNEXE' "tagged with its type for the agents"
is "$(q "select added || '/' || ended || '/' || updated from staged_annexes order by id" | paste -sd' ')" \
    "2/1/1 2/1/1 2/1/1" "three staged, each with the right diff"
like "$out" "notices: 2 sent" "two notices sent through Postfix"
sh "$MS" wait-count "$STACK" capture@caf.test INBOX 2 15
ok $? "  in the capture mailbox"
notices=$(read_capture 2)
like "$notices" "Seul le référent BALP" "the non-referent is told who may send it"
like "$notices" "ligne 3 : « pas-une-adresse » n'est pas une adresse" "the bad file's notice lists line 3"
like "$notices" "ligne 4 : la colonne « date_habilitation » contient « 31/02/2026 »" "  line 4"
like "$notices" "ligne 5 : date de fin \\(01/01/2026\\) antérieure" "  and line 5"
unlike "$(cat "$HOME_DIR/once.err")" "c.petit|PETIT|DURAND" \
    "the daemon's log quotes no row of a file"

# ---- approve; approval refused after a conflicting import; reject --------
out=$("$B" -c "$CONF" annex approve 2); ok $? "approve 2 (the .xlsx)"
like "$("$B" -c "$CONF" person list --partner "$P")" "c.petit@apeai34.fr" \
    "  applied: PETIT is habilitated"
cp "$DATA/good_semicolon_fr.csv" "$HOME_DIR/import.csv"
echo 'NOIR;Eve;e.noir@apeai34.fr;AS;01/01/2026;' >>"$HOME_DIR/import.csv"
"$B" -c "$CONF" annex import --partner "$P" --force "$HOME_DIR/import.csv" >/dev/null
err=$("$B" -c "$CONF" annex approve 3 2>&1); is $? 1 \
    "approval after a conflicting import: refused"
like "$err" "no longer applies as staged" "  with its reason"
out=$("$B" -c "$CONF" annex reject 3 --reason "Liste dépassée par un import")
ok $? "reject 3"
out=$("$D" -c "$ICONF" --once 2>>"$HOME_DIR/once.err")
like "$out" "notices: 2 sent" "the acknowledgment and the rejection sent"
sh "$MS" wait-count "$STACK" capture@caf.test INBOX 4 15
ok $? "  in the capture mailbox"
notices=$(read_capture 4)
like "$notices" "ajout : c.petit@apeai34.fr \(PETIT Claire\)" \
    "the acknowledgment lists what changed"
like "$notices" "Liste dépassée par un import" "the rejection gives the reason"
is "$(q "select count(*) from staged_annexes where status = 'pending'")" 1 \
    "the CSV still pending: nothing applied without approve"
out=$("$B" -c "$CONF" audit verify 2>&1); ok $? "the audit chain verifies"

# ---- over LMTP: Postfix -> balpd, staged at delivery time ------------------
PORT=$(free_port)
echo "lmtp = { listen = \"127.0.0.1:$PORT\"; recipients = [ \"$MS_BALP_USER\" ]; };" \
    >>"$ICONF"
"$D" -c "$ICONF" 2>>"$HOME_DIR/lmtp.err" &
BPID=$!
wait_for "$HOME_DIR/lmtp.err" "taking mail over LMTP" 10; ok $? "balpd listens on LMTP"
sh "$MS" lmtp-route "$STACK" "$MS_BALP_USER" "lmtp:inet:127.0.0.1:$PORT"
# The annex in force is the import's (with NOIR): the .ods ends NOIR.
mail "$REF" "$DATA/good_semicolon_fr.ods" annexe.ods "$ODS"
t=0
while [ "$t" -lt 60 ] && [ "$(q "select count(*) from decisions where source = 'lmtp'")" -lt 1 ]; do
	postqueue -c "$STACK/postfix" -f >/dev/null 2>&1
	sleep 1
	t=$((t + 1))
done
is "$(q "select outcome || ' ' || queue from decisions where source = 'lmtp'")" \
    "accepted BALP/Annexes" "the referent's .ods over LMTP: accepted into BALP/Annexes"
is "$(q "select g.added || '/' || g.ended || '/' || g.updated || ' ' || g.status from staged_annexes g join decisions d on d.id = g.decision_id where d.source = 'lmtp'")" \
    "0/1/0 pending" "  and staged at delivery time, its diff against the annex in force"
is "$(count BALP/Annexes)" 4 "  filed in BALP/Annexes by balpd itself"
is "$(count INBOX)" 0 "  not through the inbox"
kill "$BPID"; wait "$BPID" 2>/dev/null; BPID=
unlike "$(cat "$HOME_DIR/lmtp.err")" "c.petit|PETIT|DURAND" \
    "the daemon's log quotes no row of the file"
out=$("$B" -c "$CONF" audit verify 2>&1); ok $? "the audit chain verifies"
done_testing
