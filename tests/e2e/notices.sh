#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# shellcheck disable=SC2153 # the MS_ variables come from the stack's env
# Notices over SMTP against a real Postfix (submission, STARTTLS + AUTH
# PLAIN) and Dovecot on loopback (tests/tools/mailstack.sh): read back
# from the capture mailbox over IMAPS with curl.  One notice per rejected
# demo mail, none for the quarantined ones or the automatic reply; RFC 3834
# headers, threaded to the partner's message, to the sender, in French
# naming every reason, without NIR, name or body; a certificate for
# another name or self-signed is refused before AUTH and the notices stay
# pending; a relay that is down keeps them pending, and once it is back
# each goes exactly once; a password file others may read stops balpd at
# start; the daemon's notifier child sends what a pass queued and stops
# with balpd.
. "$SRCDIR/tests/tools/tap.sh"
D="$SRCDIR/build/balpd"
MS="$SRCDIR/tests/tools/mailstack.sh"

# The servers switch users: the stack needs root (as make check runs here).
if [ "$(id -u)" -ne 0 ]; then
	echo "ok 1 # SKIP the private mail stack needs root"
	echo "1..1"
	exit 0
fi

MSD=$(mktemp -d /tmp/ms.XXXXXX)
BPID=
cleanup() {
	[ -n "$BPID" ] && kill "$BPID" 2>/dev/null
	sh "$MS" stop "$MSD" 2>/dev/null
	rm -rf "$MSD" "${HOME_DIR:-/nonexistent}"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

if ! sh "$MS" start "$MSD" 2>"$MSD/start.err"; then
	sed 's/^/# /' "$MSD/start.err"
	ok 1 "the mail stack starts"
	done_testing
	exit 1
fi
# shellcheck disable=SC1091
. "$MSD/env"
CAP_PW=$(cat "$MS_CAPTURE_PASS_FILE")
CAPDIR="$MS_MAILDIR_ROOT/capture/Maildir"

captured() { find "$CAPDIR/new" "$CAPDIR/cur" -type f 2>/dev/null | wc -l; }
q() { sqlite3 "$HOME_DIR/var/balp.db" "$1"; }
pending() { q "SELECT count(*) FROM outbox WHERE status = 'pending'"; }
# Every pending notice due now (the backoff is notifier_backoff's unit test).
make_due() {
	q "UPDATE outbox SET next_attempt_at = '2000-01-01T00:00:00Z'
	    WHERE status = 'pending'"
}
auths() { grep -c 'sasl_method=PLAIN' "$MS_POSTFIX_LOG"; }
free_port() {
	perl -MSocket -e 'socket(my $s, PF_INET, SOCK_STREAM, 0) or die;
	    bind($s, pack_sockaddr_in(0, INADDR_LOOPBACK)) or die;
	    print((unpack_sockaddr_in(getsockname($s)))[0], "\n")'
}
# child_pids FILE: the notifier pids a balpd log names, in order.
child_pids() {
	sed -n 's/.*notifier started[a-z ]* (pid \([0-9]*\)).*/\1/p' "$1"
}
# new_mail NAME FROM-DEMO: a copy of a demo mail with its own Message-ID.
new_mail() {
	sed -e "s/^Message-ID: .*/Message-ID: <$1@apeai34.fr>/" \
	    "$SRCDIR/tests/data/demo/Maildir/new/$2" >"$MD/tmp/$1"
	mv "$MD/tmp/$1" "$MD/new/$1"
}
# use_smtp HOST PORT TLS [TIMEOUT]: the config with that smtp section.
use_smtp() {
	cp "$CONF.base" "$CONF"
	cat >>"$CONF" <<EOC
smtp = {
	host = "$1";
	port = $2;
	tls = "$3";
	user = "$MS_NOTICES_USER";
	password_file = "notices.pass";
	ca_file = "$MS_CA";
	timeout = ${4:-10};
};
EOC
}

demo_home; ok $? "a home with the demo partners and annexes"
cp "$CONF" "$CONF.base"
cp "$MS_NOTICES_PASS_FILE" "$HOME_DIR/conf/notices.pass"
MD="$HOME_DIR/var/Maildir"

# ---- a password file others may read: refused at start -------------------
use_smtp localhost "$MS_SUBMIT_PORT" starttls
chmod 644 "$HOME_DIR/conf/notices.pass"
deliver_demo "$MD"
err=$("$D" -c "$CONF" --once 2>&1 >/dev/null)
is "$?" 2 "balpd refuses to start with a password file mode 0644"
like "$err" "smtp: .*/notices.pass: password file mode 0644 lets group or others read or write it \(chmod 600\)" \
    "  saying which file, its mode and the fix"
is "$(find "$MD/new" -type f | wc -l)" 14 "  and triages nothing"
chmod 600 "$HOME_DIR/conf/notices.pass"

# ---- certificates refused before AUTH: notices stay pending -------------
a0=$(auths)
use_smtp "$MS_ADDR_WRONGNAME" "$MS_SUBMIT_PORT" starttls
out=$("$D" -c "$CONF" --once 2>"$HOME_DIR/wrongname.err")
ok $? "balpd --once with a relay whose certificate names another host"
like "$out" "14 message\(s\): 3 accepted, 8 rejected, 3 quarantined" \
    "  triage is not held up"
like "$out" "notices: 0 sent, 7 to retry, 0 failed" "  no notice is sent"
like "$(cat "$HOME_DIR/wrongname.err")" \
    "cannot send through relay $MS_ADDR_WRONGNAME:$MS_SUBMIT_PORT: $MS_ADDR_WRONGNAME: server certificate refused: .*(name|match)" \
    "  the log names the host and why the certificate was refused"
is "$(pending)" 7 "  the 7 notices stay pending"
is "$(auths)" "$a0" "  and no AUTH was attempted"

make_due
use_smtp "$MS_ADDR_SELFSIGNED" "$MS_SMTPS_PORT" smtps
"$D" -c "$CONF" --once >/dev/null 2>"$HOME_DIR/selfsigned.err"
like "$(cat "$HOME_DIR/selfsigned.err")" \
    "$MS_ADDR_SELFSIGNED: server certificate refused: .*(issuer|signer|not trusted)" \
    "a self-signed certificate on implicit TLS (smtps) is refused too"
is "$(pending)" 7 "  the notices stay pending"
is "$(auths)" "$a0" "  and no AUTH was attempted"

# ---- relay down, then back ---------------------------------------------
make_due
use_smtp localhost "$(free_port)" starttls
out=$("$D" -c "$CONF" --once 2>"$HOME_DIR/down.err")
like "$out" "notices: 0 sent, 7 to retry, 0 failed" "relay down: nothing sent"
like "$(cat "$HOME_DIR/down.err")" "cannot send through relay localhost:[0-9]+: .*Connection refused" \
    "  the log says the relay is unreachable"
is "$(pending)" 7 "  the notices stay pending"
is "$(q "SELECT min(attempts) FROM outbox")" 3 "  each attempt counted"
is "$(captured)" 0 "  nothing reached the capture mailbox so far"

use_smtp localhost "$MS_SUBMIT_PORT" starttls
out=$("$D" -c "$CONF" --once 2>"$HOME_DIR/early.err")
like "$out" "notices: 0 sent, 0 to retry" "relay back, but before the next try is due: nothing"
make_due
out=$("$D" -c "$CONF" --once 2>"$HOME_DIR/up.err")
like "$out" "notices: 7 sent, 0 to retry, 0 failed" "relay back and due: 7 sent"
sh "$MS" wait-count "$MSD" capture@caf.test INBOX 7 15
ok $? "  7 notices in the capture mailbox"
is "$(pending)" 0 "  none pending"
is "$(q "SELECT count(*) FROM outbox WHERE status = 'sent'")" 7 "  7 marked sent"
unlike "$(cat "$HOME_DIR"/*.err)" "DUPONT|BERNARD|PETIT|LEROY|DUBOIS|GIRARD|FABRE|BALP : votre|Bonjour" \
    "the logs name no beneficiary and quote no notice"
make_due
out=$("$D" -c "$CONF" --once 2>/dev/null)
like "$out" "notices: 0 sent" "another run sends nothing again"
sleep 1
is "$(captured)" 7 "  each notice arrived exactly once"

# ---- what the notices say ---------------------------------------------
i=1
while [ "$i" -le 7 ]; do
	curl -sS --max-time 10 --cacert "$MS_CA" --user "capture@caf.test:$CAP_PW" \
	    "imaps://$MS_HOST_GOOD:$MS_IMAPS_PORT/INBOX;UID=$i" \
	    >"$HOME_DIR/notice.$i" 2>>"$HOME_DIR/curl.err"
	i=$((i + 1))
done
is "$(cat "$HOME_DIR"/notice.* | grep -c '^Subject: ')" 7 "the 7 notices read over IMAPS"
# One line per notice: in-reply-to, references, to, auto-submitted,
# subject and body decoded (RFC 2047, quoted-printable).
perl -MMIME::QuotedPrint -MEncode -e '
	for my $f (@ARGV) {
		open(my $fh, "<", $f) or die "$f: $!";
		local $/;
		my $m = <$fh>;
		$m =~ s/\r\n/\n/g;
		my ($h, $b) = split(/\n\n/, $m, 2);
		$h =~ s/\n[ \t]+/ /g;
		my %h;
		for (split /\n/, $h) {
			$h{lc $1} //= $2 if /^([^:]+):\s*(.*)$/;
		}
		my $subj = decode("MIME-Header", $h{subject} // "");
		my $body = decode("UTF-8", decode_qp($b));
		$body =~ s/\s+/ /g;
		print encode("UTF-8", join("\t", $h{"in-reply-to"} // "-",
		    $h{references} // "-", $h{to} // "-",
		    $h{"auto-submitted"} // "-", $subj, $body)), "\n";
	}' "$HOME_DIR"/notice.* >"$HOME_DIR/notices.tsv"
cut -f1 "$HOME_DIR/notices.tsv" | sort >"$HOME_DIR/got.ids"
: >"$HOME_DIR/want.ids"
while IFS="$(printf '\t')" read -r file outcome _type reasons; do
	case $file in \#*) continue ;; esac
	[ "$outcome" = rejected ] || continue
	case $reasons in *auto_reply*) continue ;; esac
	sed -n 's/^Message-ID: *//p' "$SRCDIR/tests/data/demo/Maildir/new/$file" \
	    >>"$HOME_DIR/want.ids"
done <"$SRCDIR/tests/data/demo/expected.tsv"
sort -o "$HOME_DIR/want.ids" "$HOME_DIR/want.ids"
is "$(cat "$HOME_DIR/got.ids")" "$(cat "$HOME_DIR/want.ids")" \
    "one notice per rejected mail, In-Reply-To its Message-ID; none for the quarantined or the auto-reply"
is "$(cut -f4 "$HOME_DIR/notices.tsv" | sort -u)" "auto-replied" \
    "every notice is Auto-Submitted: auto-replied"
bad=0
while IFS="$(printf '\t')" read -r irt refs to _as _subj _body; do
	[ "$irt" = "$refs" ] || bad=1
	file=$(grep -l "^Message-ID: *$irt" "$SRCDIR"/tests/data/demo/Maildir/new/*)
	sender=$(sed -n 's/^From:.*<\(.*\)>.*/\1/p' "$file")
	[ "$to" = "<$sender>" ] || { bad=1; echo "# $irt: To $to, sender $sender"; }
done <"$HOME_DIR/notices.tsv"
ok "$bad" "References = In-Reply-To, and To is the sender of the refused mail"
is "$(cut -f5 "$HOME_DIR/notices.tsv" | sort -u)" \
    "BALP : votre message n'a pas pu être traité" "the French subject, decoded"

# phrase REASON: a piece of its text in rules/notices.rules.
phrase() {
	case $1 in
	attachment_missing) echo "doit être accompagnée du document en pièce jointe" ;;
	nir_invalid) echo "n'est pas valide \(format ou clé incorrects\)" ;;
	name_missing) echo "ne comporte pas le nom de l'allocataire" ;;
	nir_key_missing) echo "la clé \(les 2 derniers chiffres\) manque" ;;
	too_recent) echo "date de moins d'un mois" ;;
	sender_unknown) echo "ne figure pas dans l'annexe" ;;
	sender_habilitation_ended) echo "n'est plus en cours de validité" ;;
	type_unknown) echo "Le motif de votre demande n'a pas été reconnu" ;;
	*) echo "NO PHRASE FOR $1" ;;
	esac
}
bad=0
n=0
while IFS="$(printf '\t')" read -r file outcome _type reasons; do
	case $file in \#*) continue ;; esac
	[ "$outcome" = rejected ] || continue
	case $reasons in *auto_reply*) continue ;; esac
	id=$(sed -n 's/^Message-ID: *//p' "$SRCDIR/tests/data/demo/Maildir/new/$file")
	body=$(grep -F "$id" "$HOME_DIR/notices.tsv" | cut -f6)
	for r in $(echo "$reasons" | tr ',' ' '); do
		n=$((n + 1))
		printf '%s' "$body" | grep -Eq -- "$(phrase "$r")" ||
		    { bad=1; echo "# $file: no text for $r"; }
	done
	# Only its own reasons: no other reason's text.
	for r in attachment_missing nir_invalid name_missing nir_key_missing \
	    too_recent sender_unknown sender_habilitation_ended type_unknown; do
		case ",$reasons," in *",$r,"*) continue ;; esac
		printf '%s' "$body" | grep -Eq -- "$(phrase "$r")" &&
		    { bad=1; echo "# $file: text of $r it does not have"; }
	done
done <"$SRCDIR/tests/data/demo/expected.tsv"
ok "$bad" "each notice names each of its reasons in French ($n reasons), and no other"
like "$(cat "$HOME_DIR/notices.tsv")" "Merci de corriger votre message" "  and says what to do"
all=$(cat "$HOME_DIR"/notice.* "$HOME_DIR/notices.tsv")
unlike "$all" "1 ?85 ?05 ?78 ?006 ?084|2 ?87 ?06 ?34 ?172 ?058|2 ?69 ?05 ?2B ?123 ?456|1 ?85 ?08 ?2A ?004" \
    "no NIR of the demo mails, raw or decoded"
like "$all" "NIR de clé (91|92|73|18)" "  (the key alone may be echoed)"
unlike "$all" "DUPONT|BERNARD|PETIT|LEROY|DUBOIS|GIRARD|FABRE|Bernard|Chloé|Emma" \
    "no beneficiary's name"
unlike "$all" "Je vous transmets|pièce jointe oubliée|Assistante sociale|04 67 00" \
    "no text of the partner's message"

# ---- the daemon: a child sends what a pass queued; SIGTERM stops both -----
new="1763370099.demo99.apeai-rib-sans-pj"
sed -e "s/^Message-ID: .*/Message-ID: <$new@apeai34.fr>/" \
    "$SRCDIR/tests/data/demo/Maildir/new/1763370004.demo04.apeai-rib-sans-pj" \
    >"$MD/tmp/$new"
"$D" -c "$CONF" 2>"$HOME_DIR/daemon.err" &
BPID=$!
sleep 1
mv "$MD/tmp/$new" "$MD/new/$new"
sh "$MS" wait-count "$MSD" capture@caf.test INBOX 8 20
st=$?
ok "$st" "balpd (watching) sends the notice of a new rejected mail"
[ "$st" -eq 0 ] || sed 's/^/# /' "$HOME_DIR/daemon.err"
like "$(cat "$HOME_DIR/daemon.err")" "notifier started \(pid [0-9]+\): relay localhost:$MS_SUBMIT_PORT" \
    "  from its notifier child"
child=$(sed -n 's/.*notifier started (pid \([0-9]*\)).*/\1/p' "$HOME_DIR/daemon.err" | head -1)
kill -TERM "$BPID"
wait "$BPID"
ok $? "balpd stops on SIGTERM"
BPID=
sleep 0.2
ok "$(kill -0 "$child" 2>/dev/null && echo 1 || echo 0)" "  and its notifier child with it"
grep -rl "In-Reply-To: <$new@apeai34.fr>" "$CAPDIR" >/dev/null
ok $? "  the notice answers that mail"

# ---- SIGHUP: the child started again with the new configuration ----------
"$D" -c "$CONF" 2>"$HOME_DIR/hup.err" &
BPID=$!
wait_for "$HOME_DIR/hup.err" "watching" 10
first=$(child_pids "$HOME_DIR/hup.err" | head -1)
kill -HUP "$BPID"
wait_for "$HOME_DIR/hup.err" "configuration reloaded" 10
ok $? "SIGHUP reloads"
sleep 0.5
second=$(child_pids "$HOME_DIR/hup.err" | sed -n 2p)
ok "$([ -n "$second" ] && [ "$second" != "$first" ]; echo $?)" \
    "  with a new notifier child ($first, then ${second:-none})"
ok "$(kill -0 "$first" 2>/dev/null && echo 1 || echo 0)" "  the old one is gone"
new_mail 1763370098.demo98.apeai-nir-faux 1763370005.demo05.apeai-nir-faux
sh "$MS" wait-count "$MSD" capture@caf.test INBOX 9 20
ok $? "  and the new one sends"
kill -TERM "$BPID"
wait "$BPID"
BPID=

# ---- a relay that hangs holds up nothing but the notices ------------------
port=$(free_port)
perl -MSocket -e 'socket(my $s, PF_INET, SOCK_STREAM, 0) or die;
    setsockopt($s, SOL_SOCKET, SO_REUSEADDR, 1);
    bind($s, pack_sockaddr_in($ARGV[0], INADDR_LOOPBACK)) or die "bind: $!";
    listen($s, 16) or die; my @c;
    while (accept(my $c, $s)) { push @c, $c; }' "$port" &
SPID=$!
use_smtp localhost "$port" starttls 3
"$D" -c "$CONF" 2>"$HOME_DIR/hang.err" &
BPID=$!
wait_for "$HOME_DIR/hang.err" "watching" 10
new_mail 1763370097.demo97.apeai-nir-faux 1763370005.demo05.apeai-nir-faux
wait_for "$HOME_DIR/hang.err" "outcome=rejected .*file=[^ ]*demo97" 2
ok $? "a relay that never answers: the mail is triaged at once"
new_mail 1763370096.demo96.apeai-nir-faux 1763370005.demo05.apeai-nir-faux
wait_for "$HOME_DIR/hang.err" "outcome=rejected .*file=[^ ]*demo96" 2
ok $? "  and so is the next one, while the notifier waits"
wait_for "$HOME_DIR/hang.err" "cannot send through relay localhost:$port: .*no greeting" 10
st=$?
ok "$st" "  the notifier gives up on the relay after its timeout"
[ "$st" -eq 0 ] || sed 's/^/# /' "$HOME_DIR/hang.err"
is "$(pending)" 2 "  the two notices stay pending"
t0=$(date +%s)
kill -TERM "$BPID"
wait "$BPID"
ok $? "  balpd stops on SIGTERM"
ok "$([ $(($(date +%s) - t0)) -le 7 ]; echo $?)" "  within the notifier's stop bound"
BPID=
kill "$SPID"
wait "$SPID" 2>/dev/null

# ---- implicit TLS (smtps) with AUTH: the two that waited go, once ---------
make_due
use_smtp "$MS_HOST_GOOD" "$MS_SMTPS_PORT" smtps
out=$("$D" -c "$CONF" --once 2>"$HOME_DIR/smtps.err")
like "$out" "notices: 2 sent, 0 to retry, 0 failed" \
    "through SMTPS (implicit TLS, AUTH PLAIN) the 2 pending notices go"
sh "$MS" wait-count "$MSD" capture@caf.test INBOX 11 15
ok $? "  and arrive, once each"

# ---- notices.acknowledge: accepted mails acknowledged, quarantined not ---
use_smtp localhost "$MS_SUBMIT_PORT" starttls
sed -i 's/^\(\tacknowledge = \)false;/\1true;/' "$CONF"
grep -q "^.acknowledge = true;" "$CONF"
ok $? "the configuration asks for acknowledgments"
new_mail 1763370094.demo94.apeai-rib 1763370001.demo01.apeai-rib
new_mail 1763370093.demo93.usurpation 1763370010.demo10.usurpation
out=$("$D" -c "$CONF" --once 2>"$HOME_DIR/ack.err")
like "$out" "1 accepted, 0 rejected, 1 quarantined" "  an accepted and a quarantined mail"
like "$out" "notices: 1 sent, 0 to retry, 0 failed" "  one acknowledgment sent"
sh "$MS" wait-count "$MSD" capture@caf.test INBOX 12 15
ok $? "  and received"
# Found by what it answers: Dovecot numbers the files it finds together in
# the order it reads them, not in the order they arrived.
ack_uid=$(curl -sS --max-time 10 --cacert "$MS_CA" --user "capture@caf.test:$CAP_PW" \
    -X 'UID SEARCH HEADER In-Reply-To "1763370094.demo94.apeai-rib@apeai34.fr"' \
    "imaps://$MS_HOST_GOOD:$MS_IMAPS_PORT/INBOX" | sed -n 's/^\* SEARCH \([0-9]*\).*/\1/p')
ok "$(test -n "$ack_uid"; echo $?)" "  one message answers the accepted mail (UID ${ack_uid:-none})"
curl -sS --max-time 10 --cacert "$MS_CA" --user "capture@caf.test:$CAP_PW" \
    "imaps://$MS_HOST_GOOD:$MS_IMAPS_PORT/INBOX;UID=${ack_uid:-0}" >"$HOME_DIR/ack.eml"
ack=$(perl -MMIME::QuotedPrint -MEncode -0777 -ne '
	s/\r\n/\n/g; my ($h, $b) = split(/\n\n/, $_, 2); $h =~ s/\n[ \t]+/ /g;
	print encode("UTF-8", decode("MIME-Header", $h)), "\n\n",
	    decode_qp($b);' "$HOME_DIR/ack.eml")
like "$ack" "In-Reply-To: <1763370094.demo94.apeai-rib@apeai34.fr>" "  it answers the accepted mail"
like "$ack" "Subject: BALP : votre message a bien été reçu" "  says it was received"
like "$ack" "Auto-Submitted: auto-replied" "  is an automatic reply"
unlike "$ack" "1 ?85 ?05 ?78 ?006 ?084|DUPONT|Je vous transmets" "  without NIR, name or body"

# ---- the supervisors' daily digest of overdue messages ----------------------
AGENTDIR=$MS_MAILDIR_ROOT/agent/Maildir
agent_mails() { find "$AGENTDIR/new" "$AGENTDIR/cur" -type f 2>/dev/null | wc -l; }
agent0=$(agent_mails)
cat >>"$CONF" <<EOC
sla = { digest_to = "agent@caf.test"; digest_hour = 0; };
EOC
# Three decisions waited five weeks: over any SLA of 10 working days.
late=$(q "SELECT group_concat(id, ' ') FROM (SELECT id FROM decisions WHERE queue <> 'BALP/Rejets' ORDER BY id LIMIT 3)")
# Put back before audit verify, which compares them with their audit rows.
undo_late=$(q "SELECT group_concat(printf('UPDATE decisions SET decided_at = %Q WHERE id = %d', decided_at, id), '; ') FROM decisions WHERE id IN ($(echo "$late" | tr ' ' ','))")
q "UPDATE decisions SET decided_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-35 days') WHERE id IN ($(echo "$late" | tr ' ' ','))"
"$D" -c "$CONF" --once >/dev/null 2>"$HOME_DIR/digest.err"
like "$(cat "$HOME_DIR/digest.err")" "digest: [0-9]+ overdue messages, sent to agent@caf.test" \
    "balpd mails the overdue messages to sla.digest_to"
sh "$MS" wait-count "$MSD" agent@caf.test INBOX "$((agent0 + 1))" 15
ok $? "  the supervisors receive it"
dg=$(cat "$AGENTDIR"/new/* "$AGENTDIR"/cur/* 2>/dev/null | perl -MMIME::QuotedPrint -MEncode -0777 -ne '
	s/\r\n/\n/g; my ($h, $b) = split(/\n\n/, $_, 2); $h =~ s/\n[ \t]+/ /g;
	print encode("UTF-8", decode("MIME-Header", $h)), "\n\n", decode_qp($b);')
like "$dg" "Subject: BALP : [0-9]+ messages? en attente au-delà du délai" "  its subject says what it is"
like "$dg" "Auto-Submitted: auto-generated" "  an automatic message (RFC 3834)"
for id in $late; do
	like "$dg" "décisions :.* $id(,|\$)" "  it lists decision $id"
done
unlike "$dg" "1 ?85 ?05|DUPONT|MARTIN|apeai34|mairie-lespignan|Bonjour, je" \
    "  no NIR, no name, no partner address"
is "$(q "SELECT count(*) FROM audit WHERE action = 'digest.sent' AND detail LIKE 'day=%; to=agent@caf.test; overdue=%; sent=yes'")" 1 \
    "  one audit row records it"
"$D" -c "$CONF" --once >/dev/null 2>"$HOME_DIR/digest2.err"
sleep 1
is "$(agent_mails)" "$((agent0 + 1))" "  once a day: the next run sends none"
unlike "$(cat "$HOME_DIR/digest2.err")" "digest" "  and says nothing of it"
q "$undo_late"
"$SRCDIR/build/balpctl" -c "$CONF" audit verify >/dev/null
ok $? "  the audit chain verifies"

# ---- the hourly cap: over it a notice waits its turn, never dropped -------
B="$SRCDIR/build/balpctl"
sed -i 's/^\(\tmax_per_sender_hour = \)10;/\12;/' "$CONF"
grep -q "^.max_per_sender_hour = 2;" "$CONF"
ok $? "notices.max_per_sender_hour = 2"
# What went before was long ago, as far as the cap counts.
q "UPDATE outbox SET next_attempt_at = '2000-01-01T00:00:00Z' WHERE status = 'sent'"
c0=$(captured)
for i in 1 2 3 4 5; do
	new_mail "1763370080.cap$i.apeai-nir-faux" 1763370005.demo05.apeai-nir-faux
done
out=$("$D" -c "$CONF" --once 2>"$HOME_DIR/cap.err")
like "$out" "5 message\(s\): 0 accepted, 5 rejected" "five rejected mails of one sender"
like "$out" "notices: 2 sent, 0 to retry, 0 failed, 3 waiting for the hourly cap" \
    "  two notices go, three wait for the cap (none failed)"
like "$(cat "$HOME_DIR/cap.err")" "notice [0-9]+ \(decision [0-9]+\) to a.martin@apeai34.fr waits until [0-9T:-]+Z: 2 notices sent" \
    "  the log says until when and why"
sh "$MS" wait-count "$MSD" capture@caf.test INBOX "$((c0 + 2))" 15
ok $? "  two arrive"
list=$("$B" -c "$CONF" notice list)
ok $? "balpctl notice list"
is "$(printf '%s\n' "$list" | grep -c ' pending .*a.martin@apeai34.fr .*max_per_sender_hour')" 3 \
    "  shows the three waiting, with why"
json=$("$B" -c "$CONF" notice list --json)
is "$(printf '%s' "$json" | python3 -c 'import json,sys; l=json.load(sys.stdin); print(sum(1 for n in l if n["status"] == "pending" and n["attempts"] == 0 and n["next_attempt_at"]))')" 3 \
    "  --json: three pending, untried, each with its next attempt"
unlike "$json" "BALP : votre message|Bonjour" "  never a subject nor a body"
out=$("$D" -c "$CONF" --once 2>/dev/null)
like "$out" "notices: 0 sent, 0 to retry, 0 failed$" "  within the hour nothing more goes"
# An hour later (the sent ones made an hour old, the waiting ones due).
q "UPDATE outbox SET next_attempt_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-3601 seconds') WHERE status = 'sent' AND next_attempt_at > '2001'"
make_due
out=$("$D" -c "$CONF" --once 2>/dev/null)
like "$out" "notices: 2 sent, 0 to retry, 0 failed, 1 waiting for the hourly cap" \
    "  an hour later two more go, still two in the hour"
sh "$MS" wait-count "$MSD" capture@caf.test INBOX "$((c0 + 4))" 15
ok $? "  and arrive"
q "UPDATE outbox SET next_attempt_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-3601 seconds') WHERE status = 'sent' AND next_attempt_at > '2001'"
make_due
out=$("$D" -c "$CONF" --once 2>/dev/null)
like "$out" "notices: 1 sent, 0 to retry, 0 failed$" "  and the last one the hour after"
sh "$MS" wait-count "$MSD" capture@caf.test INBOX "$((c0 + 5))" 15
ok $? "  five notices for five mails: none dropped"
is "$(q "SELECT count(*) FROM outbox WHERE status = 'failed'")" 0 "  none failed"
# An admin resends one.
sent=$(q "SELECT max(id) FROM outbox WHERE status = 'sent'")
err=$("$B" -c "$CONF" notice resend 99999 2>&1)
is $? 1 "notice resend of no notice: refused"
out=$("$B" -c "$CONF" notice resend "$sent")
ok $? "notice resend $sent"
like "$out" "notice $sent queued again as notice [0-9]+" "  says which notice it queued"
is "$(q "SELECT count(*) FROM audit WHERE action = 'notice.resend' AND actor LIKE 'admin:%' AND detail LIKE '%resends=outbox/$sent (sent)'")" 1 \
    "  audited, naming the admin and the notice"
q "UPDATE outbox SET next_attempt_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-3601 seconds') WHERE status = 'sent' AND next_attempt_at > '2001'"
out=$("$D" -c "$CONF" --once 2>/dev/null)
like "$out" "notices: 1 sent" "  balpd sends it"
sh "$MS" wait-count "$MSD" capture@caf.test INBOX "$((c0 + 6))" 15
ok $? "  and it arrives"
"$B" -c "$CONF" audit verify >/dev/null
ok $? "  the audit chain verifies (the copy recorded by notice.resend)"
resent=$(q "SELECT max(id) FROM outbox")
q "UPDATE outbox SET recipient = 'someone@else.test' WHERE id = $resent"
out=$("$B" -c "$CONF" audit verify 2>/dev/null)
like "$out" "notice $resent does not agree with audit row" \
    "  a resent notice's recipient edited by hand: verify names it"
q "UPDATE outbox SET recipient = (SELECT recipient FROM outbox WHERE id = $sent) WHERE id = $resent"

# ---- a notice that comes back is known as ours --------------------------
out=$("$SRCDIR/build/balpctl" -c "$CONF" test --json "$HOME_DIR/notice.1" 2>&1)
like "$out" '"reasons":\[[^]]*"auto_reply"' \
    "a notice sent back to the BALP is an automatic reply (X-BALP-Notice, Auto-Submitted)"

done_testing
