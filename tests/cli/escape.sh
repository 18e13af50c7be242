#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# What balpctl prints from mail or from an annex goes through one escaper
# (issue 17, point 7): a sender, a file name or a name carrying a CSI (raw
# or C1), a right-to-left override or invalid UTF-8 is printed escaped,
# never as the bytes that would drive the admin's terminal.
. "$SRCDIR/tests/tools/tap.sh"
B="$SRCDIR/build/balpctl"
D="$SRCDIR/build/balpd"

demo_home; ok $? "a home with two partners and their annexes"
MD="$HOME_DIR/var/Maildir"
q() { sqlite3 "$HOME_DIR/var/balp.db" "$1"; }

# The bytes an attacker would use, and how each must show.
ESC=$(printf '\033')
CSI=$(printf '\302\233')		# U+009B, CSI on a terminal
RLO=$(printf '\342\200\256')		# U+202E, right-to-left override
LRI=$(printf '\342\201\246')		# U+2066, left-to-right isolate
BAD=$(printf '\377')			# no UTF-8 at all
# No raw control, C1, bidi override or invalid byte in a text.
raw() { printf '%s' "$1" | LC_ALL=C grep -c "$ESC\|$CSI\|$RLO\|$LRI\|$BAD"; }

# A mail whose sender and file name carry all of them.
name="1763379999.x${CSI}2J${RLO}gpj.exe${BAD}.host"
{
	printf 'Return-Path: <pirate%s@autre-asso.fr>\n' "$RLO"
	printf 'Message-ID: <esc1@autre-asso.fr>\n'
	printf 'Date: Sat, 21 Nov 2026 09:14:00 +0100\n'
	printf 'From: Pirate <pirate%s%s[2J@autre-asso.fr>\n' "$RLO" "$CSI"
	printf 'To: balp@caf.test\n'
	printf 'Subject: RIB %s[31m DUPONT %s\n' "$CSI" "$RLO"
	printf 'Content-Type: text/plain; charset=UTF-8\n\nBonjour\n'
} >"$MD/tmp/$name"
mv "$MD/tmp/$name" "$MD/new/"
"$D" -c "$CONF" --once >/dev/null 2>&1; ok $? "the hostile mail is triaged"
id=$(q "select id from decisions where message_id = 'esc1@autre-asso.fr'")
ok "$([ -n "$id" ]; echo $?)" "it has a decision ($id)"
sender=$(q "select sender from decisions where id = $id")
is "$(raw "$sender")" 1 "the store keeps the sender as it came (with its controls)"

out=$("$B" -c "$CONF" log --limit 100)
is "$(raw "$out")" 0 "log prints no control, bidi override or invalid byte"
like "$out" 'pirate\\u202e\\u009b\[2j@autre-asso.fr' "log shows the sender escaped"
like "$out" 'x\\u009b2J\\u202egpj.exe\\xff.host' "and the file name escaped"
out=$("$B" -c "$CONF" message show "$id")
is "$(raw "$out")" 0 "message show prints none either"
like "$out" 'sender +pirate\\u202e\\u009b\[2j@autre-asso.fr' "it shows the sender escaped"
like "$out" 'message +.*x\\u009b2J\\u202egpj.exe\\xff.host' "and the file name"
out=$("$B" -c "$CONF" test "$MD"/.BALP.*/new/*gpj.exe*)
is "$(raw "$out")" 0 "test prints the file name escaped"
like "$out" 'gpj.exe\\xff' "as \\xNN for the invalid byte"
json=$("$B" -c "$CONF" log --json --limit 100)
printf '%s' "$json" | python3 -c 'import json,sys; json.load(sys.stdin)'
ok $? "log --json stays valid JSON"

# An annex whose names carry a bidi override and a C1 control.
csv="$HOME_DIR/annexe-hostile.csv"
{
	printf 'Nom;Prénom;Email;Fonction;Date habilitation;Date fin\n'
	printf 'MARTIN;Anne;a.martin@apeai34.fr;Assistante sociale;05/01/2025;\n'
	printf 'ROUX;Julien;j.roux@apeai34.fr;Éducateur spécialisé;2025-03-01;31/08/2026\n'
	printf 'BENALI;Sarah;s.benali@apeai34.fr;Conseillère en économie sociale et familiale;01/09/2026;\n'
	printf 'NOIR%sTE;Eve%s;e.noir@apeai34.fr;Stagiaire%s;01/01/2026;\n' \
	    "$RLO" "$LRI" "$RLO"
} >"$csv"
out=$("$B" -c "$CONF" annex import --partner apeai-ouest-herault "$csv")
ok $? "the annex is imported"
is "$(raw "$out")" 0 "the import's plan prints the names escaped"
like "$out" 'NOIR\\u202eTE Eve\\u2066' "naming them escaped"
out=$("$B" -c "$CONF" person list --partner apeai-ouest-herault)
is "$(raw "$out")" 0 "person list prints no bidi control"
like "$out" 'NOIR\\u202eTE' "the name shows escaped"
out=$("$B" -c "$CONF" partner show apeai-ouest-herault)
is "$(raw "$out")" 0 "partner show neither"
out=$("$B" -c "$CONF" review --now 2026-12-01 2>&1)
is "$(raw "$out")" 0 "review neither"

# Long values hold their column: cut with an ellipsis, whole in --json.
long_name="DE LA ROCHEFOUCAULD-MONTMORENCY-LAVAL"
long_job="Conseillère en économie sociale et familiale"
"$B" -c "$CONF" person add --partner apeai-ouest-herault --email l.long@apeai34.fr \
    --last-name "$long_name" --first-name Lou --job-title "$long_job" \
    --start 2026-01-01 >/dev/null; ok $? "a person with a long name"
out=$("$B" -c "$CONF" person list --partner apeai-ouest-herault)
line=$(printf '%s\n' "$out" | grep l.long@)
like "$line" ' DE LA ROCHEFOUCAULD… Lou +l\.long@apeai34\.fr +Conseillère en économie… 2026-01-01 ' \
    "NOM and FONCTION are cut to their column with an ellipsis"
chars() { python3 -c 'import sys; print(sys.argv[1].index(sys.argv[2]))' "$@"; }
is "$(chars "$line" l.long@)" "$(chars "$(printf '%s\n' "$out" | head -1)" EMAIL)" \
    "EMAIL starts under its header"
json=$("$B" -c "$CONF" person list --partner apeai-ouest-herault --json)
like "$json" "\"last_name\":\"$long_name\"" "--json has the whole name"
like "$json" "\"job_title\":\"$long_job\"" "and the whole job title"
done_testing
