#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The staged annexes in the console (issues 20 and 21, docs/annex-mail.md):
# referents' annex mails staged by balpd --once, then over HTTP against
# the real balpweb with curl: the dashboard counts them, the partner's
# page lists them, /annexes/ID shows the diff row by row, the changes
# balpctl annex show prints in English said in French, one table row per
# person (added, ended, dates changed, details changed, a new period), no
# English word left (a staff name holding <script>, from an .xlsx, shown
# as text); approve applies it (audited web:adm as balpctl's command audits
# its admin, the acknowledgment queued to the referent); reject without a
# reason is refused, with one it queues the notice; an approval after a
# conflicting import is refused with the reason; a list that ends every
# active person is approved only with force=1; a supervisor gets 403,
# a POST without csrf 403; the security headers on every new page.
. "$SRCDIR/tests/tools/tap.sh"
. "$SRCDIR/tests/tools/annex_mail.sh"
. "$SRCDIR/tests/tools/web_client.sh"
B="$SRCDIR/build/balpctl"
D="$SRCDIR/build/balpd"
W="$SRCDIR/build/balpweb"
DATA="$SRCDIR/tests/data/annex"
P=apeai-ouest-herault
REF=referente@apeai34.fr
XLSX=application/vnd.openxmlformats-officedocument.spreadsheetml.sheet
SUBJ="Mise à jour de l'annexe BALP"

demo_home; ok $? "a home with two partners and their annexes"
WEB_PID=
trap '[ -n "$WEB_PID" ] && kill "$WEB_PID" 2>/dev/null; rm -rf "$HOME_DIR"' EXIT
"$B" -c "$CONF" partner update "$P" --referent "$REF" >/dev/null
ok $? "the partner's referent"
DB="$HOME_DIR/var/balp.db"
q() { sqlite3 "$DB" "$1"; }
MD="$HOME_DIR/var/Maildir"
mkdir -p "$MD/new" "$MD/cur" "$MD/tmp"
n=0
deliver() {	# deliver NAME < mail
	n=$((n + 1))
	cat >"$MD/tmp/$n.$1"
	mv "$MD/tmp/$n.$1" "$MD/new/17700000$n.$1"
}

# The referent's spreadsheet, PETIT renamed <script>alert(1)</script> in
# its shared strings (a CSV holding markup is refused as HTML hidden in
# text: docs/content.md; a cell of an .xlsx is text).
python3 - "$DATA/good_semicolon_fr.xlsx" "$HOME_DIR/script.xlsx" <<'EOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as zi, \
        zipfile.ZipFile(sys.argv[2], "w", zipfile.ZIP_DEFLATED) as zo:
    for it in zi.infolist():
        data = zi.read(it.filename)
        if it.filename == "xl/sharedStrings.xml":
            data = data.replace(b">PETIT<",
                                b">&lt;script&gt;alert(1)&lt;/script&gt;<")
        zo.writestr(it, data)
EOF
ok $? "an .xlsx whose staff name holds <script>"
annex_mail "$REF" "$SUBJ" "$HOME_DIR/script.xlsx" annexe.xlsx "$XLSX" |
    deliver approve
annex_mail "$REF" "$SUBJ" "$DATA/good_semicolon_fr.csv" annexe.csv text/csv |
    deliver reject
annex_mail "$REF" "$SUBJ" "$DATA/good_semicolon_fr.ods" annexe.ods \
    application/vnd.oasis.opendocument.spreadsheet | deliver conflict
# Against the demo annex: details changed (MARTIN's first name and job),
# a new period (ROUX ended on 31/08/2026), a date_fin set (BENALI), an
# addition.
printf '%s\n' 'nom;prenom;email;fonction;date_habilitation;date_fin' \
    'MARTIN;Anne-Marie;a.martin@apeai34.fr;Assistante sociale principale;05/01/2025;' \
    'ROUX;Julien;j.roux@apeai34.fr;Éducateur spécialisé;01/10/2026;' \
    'BENALI;Sarah;s.benali@apeai34.fr;Conseillère en économie sociale et familiale;01/09/2026;31/12/2027' \
    'LEBLANC;Léa;l.leblanc@apeai34.fr;Assistante sociale;01/12/2026;' \
    >"$HOME_DIR/kinds.csv"
annex_mail "$REF" "$SUBJ" "$HOME_DIR/kinds.csv" annexe.csv text/csv |
    deliver kinds
out=$("$D" -c "$CONF" --once 2>&1); ok $? "balpd --once"
like "$out" "4 message\(s\): 4 accepted" "four referent's mails accepted"
staged() {	# staged NAME: the id of the annex staged from mail NAME
	q "select g.id from staged_annexes g join decisions d on d.id = g.decision_id where d.source_ref like '%.$1'"
}
A1=$(staged approve); R1=$(staged reject); C1=$(staged conflict)
K1=$(staged kinds)
is "$(q "select count(*) from staged_annexes where status = 'pending'")" 4 \
    "four staged, pending"

# ---- the console -----------------------------------------------------------------
PW='Correct-Horse-Battery-42'
NEW='Another-Good-Pass-77'
for u in adm:admin sup:supervisor dpo:dpo; do
	printf '%s\n' "$PW" | "$B" -c "$CONF" user add "${u%%:*}" \
	    --role "${u#*:}" >/dev/null
done
PORT=$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'web = { listen = "127.0.0.1:%s"; };\n' "$PORT" >>"$CONF"
"$W" -c "$CONF" >"$HOME_DIR/web.log" 2>&1 &
WEB_PID=$!
wait_for "$HOME_DIR/web.log" "listening" 10; ok $? "balpweb listens"
U="http://127.0.0.1:$PORT"
J="$HOME_DIR/jar"
for u in adm sup dpo; do
	first_login "$J.$u" "$u" "$PW" "$NEW"
	is "$code $location" "303 /" "$u signed in"
done
page() { cat "$HOME_DIR/b"; }

# ---- the dashboard and the partner's page ---------------------------------------
req "$J.adm" "$U/"
like "$(page)" "<h2>Annexes reçues par courriel</h2>" "the dashboard's section"
like "$(page)" "En attente d'approbation : 4 \(<a href=\"/annexes\">" \
    "four waiting for approval, a link to them (admin)"
req "$J.sup" "$U/"
like "$(page)" "En attente d'approbation : 4</p>" "a supervisor sees the count"
unlike "$(page)" 'href="/annexes' "and no link"
req "$J.adm" "$U/annexes"
is "$code" 200 "GET /annexes"; headers_ok "GET /annexes"
is "$(grep -o 'href="/annexes/[0-9]*"' "$HOME_DIR/b" | sort -u | wc -l | tr -d ' ')" 4 \
    "each pending one a link"
req "$J.adm" "$U/partners/$P"
is "$code" 200 "GET /partners/$P"; headers_ok "GET /partners/ID"
like "$(page)" "<caption>Annexes en attente d'approbation \(4\)</caption>" \
    "its page lists the four pending annexes"
like "$(page)" "<a href=\"/annexes/$A1\">n° $A1 : voir les différences</a></th><td>$REF</td><td><time>[0-9-]+T[0-9:]+Z</time></td><td class=\"num\">0</td><td class=\"num\">2</td><td class=\"num\">1</td><td class=\"num\">1</td><td>oui</td>" \
    "each: its link to the diff, sender, received at, age, added/ended/changed, applies"
req "$J.adm" "$U/partners/ccas-lespignan"
like "$(page)" "Aucune annexe en attente d'approbation" "none on another partner's page"

# ---- one staged annex: the changes balpctl annex show prints, in French ----------
# row WHAT CELLS...: the page has the table row of these cells (the first
# the row's header: the person), exactly.
row() {
	what=$1; shift
	r="<tr><th scope=\"row\">$1</th>"; shift
	for c in "$@"; do
		case "$c" in
		[0-9]*) r="$r<td class=\"num\">$c</td>" ;;
		*) r="$r<td>$c</td>" ;;
		esac
	done
	grep -qF "$r</tr>" "$HOME_DIR/b"
	ok $? "$what"
}
# The changes' table alone.
changes() { sed -n '/<caption>Changements<\/caption>/,/<\/table>/p' "$HOME_DIR/b"; }
# None of annex_plan_render's words (add, update, end, new period,
# from, to, at, (none), ->, the CSV's column names), nor an ISO day.
english='(^|[^[:alpha:]_])(add|update|end|new|period|from|to|at|none|unchanged|added|updated|ended|last|one)([^[:alpha:]_]|$)|->|date_fin|date_habilitation|prenom|[0-9]{4}-[0-9]{2}-[0-9]{2}'
TODAY=$(date +%d/%m/%Y)
# The file's format, as the console says it (web_plan_format).
for f in "$R1:CSV (UTF-8)" "$C1:tableur OpenDocument (.ods)"; do
	req "$J.adm" "$U/annexes/${f%%:*}"
	grep -qF "<th scope=\"row\">Format lu</th><td>${f#*:}</td>" "$HOME_DIR/b"
	ok $? "its format read, in French: ${f#*:}"
done
req "$J.adm" "$U/annexes/$A1"
is "$code" 200 "GET /annexes/$A1"; headers_ok "GET /annexes/ID"
grep -qF '<th scope="row">Format lu</th><td>tableur Excel (.xlsx)</td>' "$HOME_DIR/b"
ok $? "its format read, in French: tableur Excel (.xlsx)"
"$B" -c "$CONF" annex show "$A1" | sed '1,/^diff against the annex in force today:$/d' \
    >"$HOME_DIR/show.txt"
is "$(wc -l <"$HOME_DIR/show.txt" | tr -d ' ')" 5 "annex show: four changes and the counts"
like "$(sed -n 1p "$HOME_DIR/show.txt")" "^~ update a\.martin@apeai34\.fr: date_habilitation 2025-01-05 -> 2026-01-05$" \
    "balpctl keeps its English"
is "$(changes | grep -c '<tr><th scope="row">')" 4 "the page: the same four changes, a row each"
like "$(changes)" '<th scope="col">Personne</th><th scope="col">Adresse</th><th scope="col">Changement</th><th scope="col">Avant</th><th scope="col">Après</th><th scope="col">Ligne</th>' \
    "under French column headings"
row "dates changed: the field, before and after, JJ/MM/AAAA" "MARTIN Anne" \
    a.martin@apeai34.fr "modification : date d&#39;habilitation" \
    "date d&#39;habilitation : 05/01/2025" "date d&#39;habilitation : 05/01/2026" 2
row "added, with its dates and job title" "DURAND Paul" p.durand@apeai34.fr \
    ajout — "habilitation du 15/03/2025 au 31/12/2026 ; fonction : Éducateur spécialisé" 3
row "the staff name holding <script> shown as text" \
    "&lt;script&gt;alert(1)&lt;/script&gt; Claire" c.petit@apeai34.fr \
    ajout — "habilitation du 01/09/2024, sans date de fin" 4
row "ended: missing from the list, its habilitation ends today" "BENALI Sarah" \
    s.benali@apeai34.fr "fin d'habilitation (absente de la liste)" \
    "habilitation du 01/09/2026, sans date de fin" \
    "habilitation du 01/09/2026 au $TODAY" —
counted() {	# counted WHAT "Ajouts : 2" ...: each count on the page
	what=$1; shift
	bad=0
	for c in "$@"; do
		grep -qF "<li>$c</li>" "$HOME_DIR/b" ||
		    { bad=$((bad + 1)); echo "# not counted: $c"; }
	done
	is "$bad" 0 "$what"
}
counted "the counts, in French" "Ajouts : 2" "Modifications : 1" "Fins : 1" \
    "Inchangés : 0" "Nouvelles périodes : 0"
unlike "$(changes)" "$english" "no English word in the changes"
unlike "$(page)" "<code>|~ update|\+ add|- end|added, |unchanged" "nor anywhere on the page"
unlike "$(page)" "<script" "no <script> element in the page"
like "$(page)" "<td>$REF</td>" "the sender"
like "$(page)" 'action="/annexes/'"$A1"'/approve"' "the approve form"
like "$(page)" 'action="/annexes/'"$A1"'/reject"' "the reject form"
like "$(page)" '<label for="reason">' "its reason labelled"
is "$(sed -n '/action="\/annexes\//,/<\/form>/p' "$HOME_DIR/b" | grep -c 'name="csrf" value="[0-9a-f]\{64\}"')" 2 \
    "both forms carry the csrf field"
req "$J.dpo" "$U/annexes/$A1"
is "$code" 200 "the dpo holds the admin's rights: 200"
dec=$(q "select decision_id from staged_annexes where id = $A1")
req "$J.adm" "$U/messages/$dec"
like "$(page)" "Son annexe attend l'approbation : <a href=\"/annexes/$A1\">" \
    "its mail's page links to it"
unlike "$(page)" "action=\"/messages/$dec/re" "instead of release and retriage (refused while pending)"
req "$J.adm" "$U/annexes/999"
is "$code" 404 "an unknown staged annex: 404"; headers_ok "404"
req "$J.adm" "$U/annexes/x1"
is "$code" 404 "an id that is no number: 404"

# The other kinds: details changed, a new period, a date_fin set.
req "$J.adm" "$U/annexes/$K1"
is "$code" 200 "GET /annexes/$K1"
is "$(changes | grep -c '<tr><th scope="row">')" 4 "its four changes, a row each"
row "details changed: each field, before and after" "MARTIN Anne-Marie" \
    a.martin@apeai34.fr "modification : prénom, fonction" \
    "prénom : Anne ; fonction : Assistante sociale" \
    "prénom : Anne-Marie ; fonction : Assistante sociale principale" 2
row "a new period: the one that ended, the new one" "ROUX Julien" \
    j.roux@apeai34.fr "nouvelle période d'habilitation" \
    "habilitation du 01/03/2025 au 31/08/2026 (terminée)" \
    "habilitation du 01/10/2026, sans date de fin" 3
row "an end date set: none before" "BENALI Sarah" s.benali@apeai34.fr \
    "modification : date de fin" "date de fin : aucune" \
    "date de fin : 31/12/2027" 4
row "added, open-ended" "LEBLANC Léa" l.leblanc@apeai34.fr ajout — \
    "habilitation du 01/12/2026, sans date de fin ; fonction : Assistante sociale" 5
counted "its counts" "Ajouts : 1" "Modifications : 2" "Fins : 0" \
    "Inchangés : 0" "Nouvelles périodes : 1"
unlike "$(changes)" "$english" "no English word in its changes"
"$B" -c "$CONF" annex show "$K1" >"$HOME_DIR/show.txt"
like "$(cat "$HOME_DIR/show.txt")" "\+ new period j\.roux@apeai34\.fr \(ROUX Julien, from 2026-10-01; the last one ended 2026-08-31\)" \
    "balpctl says the same new period in English"

# ---- roles and csrf ----------------------------------------------------------------
bad=0
for p in /annexes "/annexes/$A1"; do
	req "$J.sup" "$U$p"
	headers_ok "sup GET $p"
	[ "$code" = 403 ] || { bad=$((bad + 1)); echo "# sup GET $p: $code"; }
done
for p in approve reject; do
	req "$J.sup" --data-urlencode "csrf=$(tok "$J.sup")" \
	    --data-urlencode "reason=non" "$U/annexes/$A1/$p"
	headers_ok "sup POST $p"
	[ "$code" = 403 ] || { bad=$((bad + 1)); echo "# sup POST $p: $code"; }
done
is "$bad" 0 "a supervisor: 403 on the four routes"
for p in approve reject; do
	req "$J.adm" --data-urlencode "reason=non" "$U/annexes/$A1/$p"
	is "$code" 403 "POST /annexes/ID/$p without csrf: 403"; headers_ok "no csrf"
done
req "$J.adm" --data-urlencode "csrf=$(tok "$J.sup")" "$U/annexes/$A1/approve"
is "$code" 403 "with another session's token: 403"
is "$(q "select status from staged_annexes where id = $A1")" pending \
    "still pending"

# ---- approve ------------------------------------------------------------------------
# The same approval by balpctl on a copy of the home, to compare what each
# writes: the same audit rows but their actor, the same notice.
HOME2=$(mktemp -d "${TMPDIR:-/tmp}/balp-test.XXXXXX")
trap '[ -n "$WEB_PID" ] && kill "$WEB_PID" 2>/dev/null; rm -rf "$HOME_DIR" "$HOME2"' EXIT
cp -R "$HOME_DIR/conf" "$HOME_DIR/rules" "$HOME2/"
mkdir -p "$HOME2/var"
for f in "$HOME_DIR"/var/*; do
	case "$f" in *.db|*.db-wal|*.db-shm) ;; *) cp -R "$f" "$HOME2/var/" ;; esac
done
q ".backup '$HOME2/var/balp.db'"
last=$(q "select coalesce(max(id), 0) from audit")
lastout=$(q "select coalesce(max(id), 0) from outbox")
out_before=$(q "select count(*) from outbox where recipient = '$REF'")
"$B" -c "$HOME2/conf/balp.conf" annex approve "$A1" >/dev/null
ok $? "balpctl annex approve on a copy"
req "$J.adm" --data-urlencode "csrf=$(tok "$J.adm")" "$U/annexes/$A1/approve"
is "$code $location" "303 /annexes/$A1" "approve: 303 to the annex"
headers_ok "POST approve"
is "$(q "select status || ' ' || decided_by from staged_annexes where id = $A1")" \
    "approved web:adm" "approved by web:adm"
is "$(q "select count(*) from persons where partner_id = '$P' and email = 'c.petit@apeai34.fr' and last_name = '<script>alert(1)</script>'")" \
    1 "applied: the added person is in the annex"
dec=$(q "select decision_id from staged_annexes where id = $A1")
like "$(q "select actor || ' ' || detail from audit where action = 'annex.approve'")" \
    "^web:adm staged=$A1; decision=$dec; sender=$REF; file=[0-9a-f]{64}; 2 added, 1 updated, 1 ended" \
    "annex.approve: actor web:adm, the mail's decision, as balpctl writes it"
is "$(q "select count(*) from audit where action = 'annex.import' and actor = 'web:adm'")" 1 \
    "applied as an import is (annex.import, web:adm)"
rows="select action || '|' || object || '|' || detail from audit where id > $last order by id"
q "$rows" >"$HOME_DIR/web.rows"
sqlite3 "$HOME2/var/balp.db" "$rows" >"$HOME_DIR/ctl.rows"
[ -s "$HOME_DIR/web.rows" ] && cmp -s "$HOME_DIR/web.rows" "$HOME_DIR/ctl.rows"
ok $? "the same audit rows as balpctl annex approve writes ($(wc -l <"$HOME_DIR/web.rows" | tr -d ' '): person.*, annex.import, annex.approve, notice)"
is "$(q "select distinct actor from audit where id > $last")" "web:adm" "all of them by web:adm"
notice="select decision_id || '|' || recipient || '|' || subject || '|' || body from outbox where id > $lastout"
ack=$(q "$notice")
like "$ack" "^$dec[|]$REF[|]" "one acknowledgment to the referent about the mail's decision"
is "$ack" "$(sqlite3 "$HOME2/var/balp.db" "$notice")" \
    "the same acknowledgment as balpctl queues"
is "$(q "select count(*) from outbox where recipient = '$REF'")" $((out_before + 1)) \
    "the acknowledgment queued to the referent"
body=$(q "select body from outbox where recipient = '$REF' order by id desc limit 1")
like "$body" "ajout : c.petit@apeai34.fr \(<script>alert\(1\)</script> Claire\)" \
    "it lists who was added (a mail, not a page: no escaping)"
like "$body" "fin d'habilitation : s.benali@apeai34.fr" "and who was ended"
is "$(q "select decision_id from outbox where recipient = '$REF' order by id desc limit 1")" \
    "$dec" "about the mail's decision"
req "$J.adm" "$U/annexes/$A1"
like "$(page)" "<td>approuvée et appliquée</td>" "its page: approved"
like "$(page)" "<th scope=\"row\">Par</th><td>web:adm</td>" "by web:adm"
unlike "$(page)" 'action="/annexes/'"$A1"'/' "no form any more"
like "$(page)" "<h2>Changements lors de la mise en attente</h2>" \
    "its changes as staged (against the annex then)"
row "still in French, value by value (kept with it: schema 15)" "MARTIN Anne" \
    a.martin@apeai34.fr "modification : date d&#39;habilitation" \
    "date d&#39;habilitation : 05/01/2025" "date d&#39;habilitation : 05/01/2026" 2
is "$(changes | grep -c '<tr><th scope="row">')" 4 "its four changes"
unlike "$(changes)" "$english" "no English word in them"
unlike "$(page)" "<code>" "not balpctl's text"
# The list of every kind no longer applies (the annex changed): its
# changes as staged, in French.
req "$J.adm" "$U/annexes/$K1"
like "$(page)" "Ne s'applique plus telle que reçue" "another one no longer applies"
row "its changes as staged, in French" "ROUX Julien" \
    j.roux@apeai34.fr "nouvelle période d'habilitation" \
    "habilitation du 01/03/2025 au 31/08/2026 (terminée)" \
    "habilitation du 01/10/2026, sans date de fin" 3
unlike "$(changes)" "$english" "no English word in them"
req "$J.adm" --data-urlencode "csrf=$(tok "$J.adm")" "$U/annexes/$A1/approve"
is "$code" 400 "approved twice: 400"
like "$(page)" "Cette annexe est déjà approuvée \(par web:adm\) : rien n&#39;est changé." \
    "saying why, in French"

# ---- reject -------------------------------------------------------------------------
req "$J.adm" --data-urlencode "csrf=$(tok "$J.adm")" "$U/annexes/$R1/reject"
is "$code" 400 "reject without a reason: 400"; headers_ok "400 reject"
like "$(page)" "Indiquez le motif du rejet" "saying so"
req "$J.adm" --data-urlencode "csrf=$(tok "$J.adm")" --data-urlencode "reason=   " \
    "$U/annexes/$R1/reject"
is "$code" 400 "a blank reason: 400"
is "$(q "select status from staged_annexes where id = $R1")" pending "still pending"
out_before=$(q "select count(*) from outbox where recipient = '$REF'")
req "$J.adm" --data-urlencode "csrf=$(tok "$J.adm")" \
    --data-urlencode "reason=Liste en double <b>ignorée</b>" "$U/annexes/$R1/reject"
is "$code $location" "303 /annexes/$R1" "reject with a reason: 303 to the annex"
is "$(q "select status || '|' || decided_by || '|' || reason from staged_annexes where id = $R1")" \
    "rejected|web:adm|Liste en double <b>ignorée</b>" "rejected by web:adm, its reason kept"
is "$(q "select count(*) from outbox where recipient = '$REF'")" $((out_before + 1)) \
    "a notice queued to the referent"
like "$(q "select body from outbox where recipient = '$REF' order by id desc limit 1")" \
    "Liste en double <b>ignorée</b>" "giving the reason"
like "$(q "select actor || ' ' || detail from audit where action = 'annex.reject'")" \
    "^web:adm staged=$R1; decision=[0-9]+; sender=$REF; file=[0-9a-f]{64}; reason=Liste en double" \
    "annex.reject, actor web:adm"
req "$J.adm" "$U/annexes/$R1"
like "$(page)" "<td>Liste en double &lt;b&gt;ignorée&lt;/b&gt;</td>" "the reason shown as text"
unlike "$(page)" "<b>" "no markup of it"
row "a rejected one: its changes as staged, in French" "PETIT Claire" \
    c.petit@apeai34.fr ajout — "habilitation du 01/09/2024, sans date de fin" 4

# ---- approve after a conflicting import: refused with the reason ----------------------
cp "$DATA/good_semicolon_fr.csv" "$HOME_DIR/import.csv"
echo 'NOIR;Eve;e.noir@apeai34.fr;AS;01/01/2026;' >>"$HOME_DIR/import.csv"
"$B" -c "$CONF" annex import --partner "$P" --force "$HOME_DIR/import.csv" >/dev/null
ok $? "an import of another list meanwhile"
req "$J.adm" "$U/partners/$P"
like "$(page)" "<td><span class=\"error\">non : ne s'applique plus telle que reçue</span>" \
    "the partner's page says it no longer applies"
req "$J.adm" "$U/annexes/$C1"
like "$(page)" "Ne s'applique plus telle que reçue : elle est déjà décidée, ou l'annexe du partenaire a changé depuis" \
    "its page says why, in French"
unlike "$(page)" 'action="/annexes/'"$C1"'/approve"' "and offers no approval"
req "$J.adm" --data-urlencode "csrf=$(tok "$J.adm")" "$U/annexes/$C1/approve"
is "$code" 400 "approve after a conflicting import: 400"; headers_ok "400 approve"
like "$(page)" "Cette annexe n&#39;est pas approuvée, rien n&#39;est changé : elle ne s&#39;applique plus telle que reçue" \
    "refused with the reason, in French"
"$B" -c "$CONF" annex approve "$C1" >"$HOME_DIR/ctl.out" 2>&1
like "$(cat "$HOME_DIR/ctl.out")" "now: end e.noir@apeai34.fr" "balpctl names what differs (the same check)"
is "$(q "select status from staged_annexes where id = $C1")" pending "still pending"
is "$(q "select count(*) from persons where email = 'e.noir@apeai34.fr' and hab_end is null")" 1 \
    "nothing changed"
req "$J.dpo" --data-urlencode "csrf=$(tok "$J.dpo")" \
    --data-urlencode "reason=Liste dépassée" "$U/annexes/$C1/reject"
is "$code $location" "303 /annexes/$C1" "the dpo rejects it"
is "$(q "select actor from audit where action = 'annex.reject' order by id desc limit 1")" \
    "web:dpo" "actor web:dpo"

# ---- a list that ends every active person: approved only with force -------------------
printf '%s\n' 'nom;prenom;email;fonction;date_habilitation;date_fin' \
    'ZED;Zoé;z.zed@apeai34.fr;AS;01/02/2026;' >"$HOME_DIR/one.csv"
annex_mail "$REF" "$SUBJ" "$HOME_DIR/one.csv" annexe.csv text/csv | deliver force
"$D" -c "$CONF" --once >/dev/null 2>&1; ok $? "balpd --once stages a list of one"
F1=$(staged force)
is "$(q "select force_needed from staged_annexes where id = $F1")" 1 "it ends every active person"
req "$J.adm" "$U/annexes/$F1"
like "$(page)" '<input type="checkbox" id="force" name="force" value="1"> <label for="force">' \
    "its page asks to confirm the ends"
req "$J.adm" --data-urlencode "csrf=$(tok "$J.adm")" "$U/annexes/$F1/approve"
is "$code" 400 "approve without force: 400"
like "$(page)" "Cette liste met fin à 4 des 4 personnes habilitées" "saying why, in French"
is "$(q "select status from staged_annexes where id = $F1")" pending "still pending"
req "$J.adm" --data-urlencode "csrf=$(tok "$J.adm")" --data-urlencode "force=1" \
    "$U/annexes/$F1/approve"
is "$code $location" "303 /annexes/$F1" "with force=1: approved"
like "$(q "select detail from audit where action = 'annex.approve' order by id desc limit 1")" \
    "; forced\$" "annex.approve says it was forced"

req "$J.adm" --data-urlencode "csrf=$(tok "$J.adm")" \
    --data-urlencode "reason=Remplacée" "$U/annexes/$K1/reject"
is "$code $location" "303 /annexes/$K1" "the list of every kind rejected"

req "$J.adm" "$U/"
like "$(page)" "En attente d'approbation : 0</p>" "none waiting now"
is "$HDR_BAD" 0 "every response carried the four headers"
"$B" -c "$CONF" audit verify >/dev/null 2>&1; ok $? "the audit chain verifies"
kill "$WEB_PID"; wait "$WEB_PID" 2>/dev/null; WEB_PID=
done_testing
