#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# balpweb (issue 20) over HTTP, the real program on a free loopback port,
# curl as the client: the security headers on every response (200, 303,
# 403, 404, 405, the style sheet); signed out, every page is a 303 to
# /login; a POST without its csrf field, or with another session's, is
# 403; the login with the forced change (303 targets); each route outside
# each role is 403; five failed logins lock the account and the right
# password is then refused, every failure and the lock audited; a session
# left idle is ended; logout ends it; a name holding <script> is shown as
# text; the NIR of the triaged demo mails is in no response; the
# configuration's web group is refused at file:line when wrong; under TLS
# the cookie is __Host- and Secure, TLS 1.2 is spoken and 1.1 refused.
. "$SRCDIR/tests/tools/tap.sh"
B="$SRCDIR/build/balpctl"
D="$SRCDIR/build/balpd"
W="$SRCDIR/build/balpweb"

demo_home; ok $? "a home with two partners and their annexes"
WEB_PID=
trap '[ -n "$WEB_PID" ] && kill "$WEB_PID" 2>/dev/null; rm -rf "$HOME_DIR"' EXIT
deliver_demo "$HOME_DIR/var/Maildir"
"$D" -c "$CONF" --once >/dev/null 2>&1; ok $? "the demo mails are triaged"
DB="$HOME_DIR/var/balp.db"
q() { sqlite3 "$DB" "$1"; }

# ---- configuration ---------------------------------------------------------
cp "$CONF" "$HOME_DIR/conf/bad.conf"
printf 'web = { listen = "0.0.0.0:8443"; };\n' >>"$HOME_DIR/conf/bad.conf"
out=$("$W" -c "$HOME_DIR/conf/bad.conf" 2>&1); rc=$?
is "$rc" 2 "a non-loopback listen without TLS: exit 2"
like "$out" "bad.conf:[0-9]+: .*not a loopback address.*TLS" "refused at file:line"
cp "$CONF" "$HOME_DIR/conf/bad.conf"
printf 'web = { listen = "127.0.0.1"; session_idle_minutes = 0; };\n' \
    >>"$HOME_DIR/conf/bad.conf"
out=$("$B" -c "$HOME_DIR/conf/bad.conf" rules check 2>&1)
like "$out" "bad.conf:[0-9]+: web.listen: '127.0.0.1' is not HOST:PORT" \
    "a listen without its port, at file:line"
like "$out" "bad.conf:[0-9]+: 'session_idle_minutes' must be between 1 and" \
    "an idle limit of 0, at file:line"

# ---- accounts and the server -------------------------------------------------
PW='Correct-Horse-Battery-42'
NEW='Another-Good-Pass-77'
"$B" -c "$CONF" partner add --id xss --name '<script>alert("p")</script>' \
    --start 2025-01-01 >/dev/null
ok $? "a partner whose name holds <script>"
for u in adm:admin sup:supervisor dpo:dpo; do
	printf '%s\n' "$PW" | "$B" -c "$CONF" user add "${u%%:*}" \
	    --role "${u#*:}" >/dev/null
done
is "$(q "select count(*) from users")" 3 "three accounts, one per role"

PORT=$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'web = { listen = "127.0.0.1:%s"; };\n' "$PORT" >>"$CONF"
"$W" -c "$CONF" >"$HOME_DIR/web.log" 2>&1 &
WEB_PID=$!
wait_for "$HOME_DIR/web.log" "listening" 10; ok $? "balpweb listens"
U="http://127.0.0.1:$PORT"
J="$HOME_DIR/jar"

. "$SRCDIR/tests/tools/web_client.sh"

: >"$HOME_DIR/all"
# ---- signed out --------------------------------------------------------------
for p in / /users /partners /partners/x /messages /messages/1 /review \
    /audit /password /nowhere; do
	req "$HOME_DIR/anon" "$U$p"
	[ "$code" = 303 ] && [ "$location" = /login ] || echo "# $p: $code $location"
	headers_ok "GET $p signed out"
done
is "$HDR_BAD" 0 "signed out: every response carries the four headers"
req "$HOME_DIR/anon" "$U/users"
is "$code $location" "303 /login" "signed out, /users is a 303 to /login"
req "$HOME_DIR/anon" "$U/static/balp.css"
is "$code" 200 "the style sheet needs no session"; headers_ok css
like "$(grep -i '^Content-Type' "$HOME_DIR/h")" "text/css" "served as text/css"
req "$HOME_DIR/anon" -X DELETE "$U/"
is "$code" 405 "DELETE: 405"; headers_ok "DELETE /"

# ---- login, forced change ------------------------------------------------------
req "$J.adm" "$U/login"
is "$code" 200 "GET /login"; headers_ok "GET /login"
like "$(grep -i '^Set-Cookie' "$HOME_DIR/h")" "HttpOnly; SameSite=Strict" \
    "the login form's cookie is HttpOnly; SameSite=Strict"
req "$J.adm" --data-urlencode "login=adm" --data-urlencode "password=$PW" \
    "$U/login"
is "$code" 403 "POST /login without csrf: 403"; headers_ok "POST /login no csrf"
login "$J.adm" adm "$PW"
is "$code $location" "303 /password" "first login: 303 to /password"
headers_ok "POST /login"
cookie=$(grep -i '^Set-Cookie: balp_session=' "$HOME_DIR/h")
like "$cookie" "balp_session=[0-9a-f]{64}; Path=/; HttpOnly; SameSite=Strict" \
    "the session cookie: 256 bits, HttpOnly, SameSite=Strict"
sid=$(printf '%s' "$cookie" | sed 's/.*balp_session=\([0-9a-f]*\).*/\1/')
is "$(q "select count(*) from sessions where id_hash = '$sid'")" 0 \
    "the store holds the session's hash, not its id"
is "$(q "select count(*) from sessions")" 1 "one session stored"
req "$J.adm" "$U/"
is "$code $location" "303 /password" "until it changes, every page is a 303 to /password"
req "$J.adm" "$U/users"
is "$code $location" "303 /password" "/users too"; headers_ok "303 /password"
req "$J.adm" "$U/password"
is "$code" 200 "GET /password"
t=$(csrf_of)
req "$J.adm" --data-urlencode "current=$PW" --data-urlencode "new=$NEW" \
    --data-urlencode "confirm=$NEW" "$U/password"
is "$code" 403 "POST /password without csrf: 403"; headers_ok "POST /password no csrf"
req "$J.adm" --data-urlencode "current=wrong-password-1" \
    --data-urlencode "new=$NEW" --data-urlencode "confirm=$NEW" \
    --data-urlencode "csrf=$t" "$U/password"
is "$code" 400 "a wrong current password: 400"
req "$J.adm" --data-urlencode "current=$PW" --data-urlencode "new=short" \
    --data-urlencode "confirm=short" --data-urlencode "csrf=$t" "$U/password"
is "$code" 400 "a short new password: 400"
like "$(cat "$HOME_DIR/b")" "au moins 12 caractères" "the rule named, in French"
req "$J.adm" --data-urlencode "current=$PW" --data-urlencode "new=$NEW" \
    --data-urlencode "confirm=$NEW" --data-urlencode "csrf=$t" "$U/password"
is "$code $location" "303 /" "the change: 303 to /"
is "$(q "select must_change from users where login = 'adm'")" 0 "must_change cleared"
req "$J.adm" "$U/"
is "$code" 200 "the dashboard"; headers_ok "GET /"
like "$(cat "$HOME_DIR/b")" "<h1>Tableau de bord</h1>" "its heading"
like "$(cat "$HOME_DIR/b")" "BALP/Quarantaine</th><td class=\"num\">[0-9]+" \
    "each queue with its count"
like "$(cat "$HOME_DIR/b")" "chaîne d'audit est intacte ; vérifiée le <time>" \
    "the audit chain's state, and when it was checked"
pending=$(q "select count(*) from outbox where status = 'pending'")
like "$(cat "$HOME_DIR/b")" "En attente d'envoi : $pending<" \
    "the notices waiting ($pending, as the outbox holds)"
for u in sup dpo; do
	login "$J.$u" "$u" "$PW"; t=$(csrf_of)
	req "$J.$u" "$U/password"; t=$(csrf_of)
	req "$J.$u" --data-urlencode "current=$PW" --data-urlencode "new=$NEW" \
	    --data-urlencode "confirm=$NEW" --data-urlencode "csrf=$t" \
	    "$U/password"
	is "$code $location" "303 /" "$u: the forced change done"
done
login "$J.adm" adm "$NEW"
is "$code $location" "303 /" "a second login goes to /"

# ---- roles -----------------------------------------------------------------------
# get JAR PATH -> code; post JAR PATH (with its session's csrf) -> code
check_role() {	# check_role USER EXPECTED METHOD PATH
	if [ "$3" = GET ]; then
		req "$J.$1" "$U$4"
	else
		req "$J.$1" --data-urlencode "csrf=$(tok "$J.$1")" \
		    --data-urlencode "nir=185057800608491" "$U$4"
	fi
	headers_ok "$1 $3 $4"
	[ "$code" = "$2" ] && return 0
	echo "# $1 $3 $4: $code, expected $2"; return 1
}
bad=0
for r in "sup GET /users" "sup GET /partners" "sup GET /partners/ccas-lespignan" \
    "sup POST /partners/ccas-lespignan/annex" "sup GET /review" "sup GET /audit" \
    "sup POST /messages/search" "sup POST /users" "sup POST /messages/1/release" \
    "adm GET /review" "adm GET /audit" "adm POST /messages/search" \
    "adm POST /audit/purge" "adm GET /review.csv" "adm POST /audit/verify" \
    "sup POST /partners/ccas-lespignan/suspend"; do
	set -- $r
	check_role "$1" 403 "$2" "$3" || bad=$((bad + 1))
done
is "$bad" 0 "every route outside a role: 403 (16 cases)"
# The roles build on each other: the dpo has the admin's rights too.
bad=0
for r in "sup GET /" "adm GET /" "dpo GET /" "adm GET /users" \
    "dpo GET /users" "dpo GET /partners" "dpo GET /partners/ccas-lespignan" \
    "dpo GET /review" "dpo GET /audit" "sup GET /messages"; do
	set -- $r
	check_role "$1" 200 "$2" "$3" || bad=$((bad + 1))
done
is "$bad" 0 "inside the role: 200"
req "$J.adm" "$U/nowhere"
is "$code" 404 "an unknown path: 404"; headers_ok "404"


# ---- CSRF ------------------------------------------------------------------------
for p in /users /logout /password /messages/search /partners/x/annex; do
	req "$J.adm" --data-urlencode "login=zed" "$U$p"
	[ "$code" = 403 ] || echo "# POST $p without csrf: $code"
	headers_ok "POST $p no csrf"
done
is "$code" 403 "POST without csrf: 403 (the last of five)"
n=$(grep -c '^HTTP/1.1 403' "$HOME_DIR/all")
[ "$n" -ge 5 ]; ok $? "403 for each POST without csrf"
many=$(python3 -c 'print("&".join("f%d=x" % i for i in range(40)))')
req "$J.adm" --data "$many" "$U/users"
is "$code" 400 "a form of 40 fields: 400, not read half"; headers_ok "400"
python3 -c 'print("csrf=" + "a" * (4200 * 1024))' >"$HOME_DIR/big"
req "$J.adm" --data-binary "@$HOME_DIR/big" "$U/users"
is "$code" 413 "a form over 4 MiB: 413"; headers_ok "413"
other=$(tok "$J.sup")
req "$J.adm" --data-urlencode "csrf=$other" --data-urlencode "login=zed" \
    --data-urlencode "role=admin" --data-urlencode "password=$PW" "$U/users"
is "$code" 403 "another session's token: 403"
is "$(q "select count(*) from users where login = 'zed'")" 0 "and nothing added"

# ---- accounts through the page, a name holding markup -------------------------------
req "$J.adm" --data-urlencode "csrf=$(tok "$J.adm")" --data-urlencode "login=eve" \
    --data-urlencode "name=<script>alert(1)</script>" \
    --data-urlencode "role=supervisor" --data-urlencode "password=$PW" "$U/users"
is "$code" 200 "an account added through /users"
is "$(q "select role, must_change from users where login = 'eve'")" "supervisor|1" \
    "its row: the role, the password to change"
is "$(q "select actor || ' ' || detail from audit where action = 'user.add' and object = 'eve'")" \
    "web:adm role=supervisor" "its audit row, actor web:adm"
req "$J.adm" "$U/users"
like "$(cat "$HOME_DIR/b")" "&lt;script&gt;alert\(1\)&lt;/script&gt;" "the name shown escaped"
unlike "$(cat "$HOME_DIR/b")" "<script" "no <script> element in the page"
login "$J.eve" eve "$PW"
is "$code $location" "303 /password" "eve signs in"
req "$J.adm" --data-urlencode "csrf=$(tok "$J.adm")" "$U/users/eve/disable"
is "$code" 200 "an account disabled through /users"
is "$(q "select count(*) from sessions where user_id = (select id from users where login = 'eve')")" \
    0 "its sessions ended"
is "$(q "select detail from audit where action = 'user.logout' and object = 'eve'")" \
    disabled "with their audit row"
req "$J.eve" "$U/password"
is "$code $location" "303 /login" "the disabled account's browser is signed out"
is "$(q "select disabled from users where login = 'eve'")" 1 "disabled"
is "$(q "select actor from audit where action = 'user.disable' and object = 'eve'")" \
    "web:adm" "its audit row"

# ---- messages ----------------------------------------------------------------------
req "$J.sup" "$U/messages"
is "$code" 200 "GET /messages (supervisor)"
like "$(cat "$HOME_DIR/b")" '<label for="outcome">' "the search form, its fields labelled"
unlike "$(cat "$HOME_DIR/b")" 'name="nir"' "no NIR search for a supervisor"
req "$J.dpo" "$U/messages"
like "$(cat "$HOME_DIR/b")" '<form[^>]*action="/messages/search"' "the dpo's NIR search form"
before=$(q "select count(*) from audit where action = 'trace.query'")
req "$J.sup" --data-urlencode "csrf=$(tok "$J.sup")" --data-urlencode "outcome=rejected" \
    "$U/messages"
is "$code" 200 "a search by outcome"
n=$(q "select count(*) from decisions where outcome = 'rejected'")
is "$(grep -o 'href="/messages/[0-9]*"' "$HOME_DIR/b" | wc -l | tr -d ' ')" "$n" \
    "one link /messages/ID per rejected decision ($n)"
is "$(q "select actor || ' ' || detail from audit where action = 'trace.query' order by id desc limit 1")" \
    "web:sup outcome=rejected; rows=$n" "the search is a trace.query row, as balpctl log writes it"
req "$J.sup" --data-urlencode "csrf=$(tok "$J.sup")" --data-urlencode "outcome=nope" \
    "$U/messages"
is "$code" 400 "an outcome that does not exist: 400"
NIR='1 85 05 78 006 084 91'
want=$(printf '%s\n' "$NIR" | "$B" -c "$CONF" log --nir - --json 2>/dev/null | grep -c '"id"')
req "$J.dpo" --data-urlencode "csrf=$(tok "$J.dpo")" --data-urlencode "nir=$NIR" \
    "$U/messages/search"
is "$code" 200 "the dpo's NIR search"
got=$(grep -o 'href="/messages/[0-9]*"' "$HOME_DIR/b" | wc -l | tr -d ' ')
is "$got" "$want" "the decisions balpctl log --nir finds ($want), each a link"
[ "$got" -gt 0 ]; ok $? "(some)"
unlike "$(cat "$HOME_DIR/b")" "185057800608491|1 85 05 78|006 084 91" "the NIR is not echoed back"
like "$(q "select actor || ' ' || detail from audit where action = 'trace.query' order by id desc limit 1")" \
    "^web:dpo nir_pseudonym=[0-9a-f]{64}; rows=$want\$" "audited with its pseudonym, not the NIR"
req "$J.dpo" --data-urlencode "csrf=$(tok "$J.dpo")" --data-urlencode "nir=123" \
    "$U/messages/search"
is "$code" 400 "a NIR that is none: 400"
id=$(q "select id from decisions order by id limit 1")
req "$J.sup" "$U/messages/$id"
is "$code" 200 "GET /messages/$id"
like "$(cat "$HOME_DIR/b")" "<caption>La décision</caption>" "the decision's facts"
like "$(cat "$HOME_DIR/b")" "decision.record" "its audit rows"
id=$(q "select decision_id from outbox order by id limit 1")
req "$J.sup" "$U/messages/$id"
like "$(cat "$HOME_DIR/b")" "<caption>Avis à l'expéditeur</caption>" \
    "a rejected decision's page lists its notice"
req "$J.sup" "$U/messages/999999"
is "$code" 404 "an unknown decision: 404"
req "$J.sup" "$U/messages/1%27"
is "$code" 404 "a decision id that is no number: 404"

# ---- partners ----------------------------------------------------------------------
req "$J.adm" "$U/partners"
is "$code" 200 "GET /partners (admin)"
like "$(cat "$HOME_DIR/b")" '<a href="/partners/apeai-ouest-herault">APEAI Ouest Hérault</a>' \
    "each partner a link to its page"
like "$(cat "$HOME_DIR/b")" "&lt;script&gt;alert\(&quot;p&quot;\)&lt;/script&gt;" \
    "the partner's name holding <script> shown as text"
unlike "$(cat "$HOME_DIR/b")" "<script" "no <script> element in the page"
n=$(q "select count(*) from persons where partner_id = 'apeai-ouest-herault' and (hab_end is null or hab_end >= date('now', 'localtime'))")
like "$(cat "$HOME_DIR/b")" "<td class=\"num\">$n / 20</td>" "its quota used ($n / 20)"
req "$J.adm" "$U/partners/apeai-ouest-herault"
is "$code" 200 "GET /partners/ID"
rows=$(q "select count(*) from persons where partner_id = 'apeai-ouest-herault'")
is "$(grep -c '^<tr><th scope="row">' "$HOME_DIR/b")" "$((rows + 6))" \
    "its record (6 rows) and its $rows persons"
req "$J.adm" "$U/partners/xss"
like "$(cat "$HOME_DIR/b")" "<h2>&lt;script&gt;" "the name escaped on its page too"
req "$J.adm" "$U/partners/nope"
is "$code" 404 "an unknown partner: 404"; headers_ok "404 partner"

# ---- the annex: upload, preview, confirm, export -------------------------------------
A=apeai-ouest-herault
printf 'nom;prenom;email;fonction;date_habilitation;date_fin\nMARTIN;Anne;a.martin@apeai34.fr;AS;05/01/2025;\nDUPONT;Jean;pas-une-adresse;AS;32/01/2025;\nDURAND;Luc;l.durand@apeai34.fr;AS;01/03/2025;01/02/2025\n' \
    >"$HOME_DIR/bad.csv"
{ cat "$SRCDIR/tests/data/demo/annexe-apeai.csv"
  printf 'NOUVEAU;<script>x</script>;n.nouveau@apeai34.fr;Référente;01/12/2026;\n'; } \
    >"$HOME_DIR/good.csv"
persons=$(q "select count(*) from persons where partner_id = '$A'")
req "$J.adm" -F "csrf=$(tok "$J.adm")" -F "annex=@$HOME_DIR/bad.csv" "$U/partners/$A/annex"
is "$code" 400 "an annex with errors: 400"; headers_ok "annex 400"
like "$(cat "$HOME_DIR/b")" "<li>ligne 3 : " "each error with its line, in French"
like "$(cat "$HOME_DIR/b")" "3 erreurs" "all of them counted"
like "$(cat "$HOME_DIR/b")" "<li>ligne 3 : « pas-une-adresse » n&#39;est pas une adresse électronique" \
    "the bad address named, and what it should be"
like "$(cat "$HOME_DIR/b")" "<li>ligne 3 : la colonne « date_habilitation » contient « 32/01/2025 », qui n&#39;est pas une date ; écrivez-la JJ/MM/AAAA" \
    "the bad date, and how to write it"
like "$(cat "$HOME_DIR/b")" "<li>ligne 4 : date de fin \\(01/02/2025\\) antérieure à la date de début \\(01/03/2025\\)" \
    "an end before its start, on its line"
cp "$HOME_DIR/b" "$HOME_DIR/err-annex.html"
# balpctl says the same errors in its own words (English, its tests check them).
"$B" -c "$CONF" annex import --partner "$A" --dry-run "$HOME_DIR/bad.csv" \
    >"$HOME_DIR/ctl.out" 2>&1
like "$(cat "$HOME_DIR/ctl.out")" "line 4: date_fin '01/02/2025' is before date_habilitation '01/03/2025'" \
    "balpctl: the same check, in English"
printf '\320\317\021\340\241\261\032\341%0512d' 0 >"$HOME_DIR/old.xls"
req "$J.adm" -F "csrf=$(tok "$J.adm")" -F "annex=@$HOME_DIR/old.xls" "$U/partners/$A/annex"
is "$code" 400 "an .xls: 400"
like "$(cat "$HOME_DIR/b")" "<li>fichier : classeur Excel 97-2003 \\(.xls\\)" "the whole file refused, in French"
cp "$HOME_DIR/b" "$HOME_DIR/err-xls.html"
is "$(q "select count(*) from persons where partner_id = '$A'")" "$persons" "nothing imported"
req "$J.adm" -F "annex=@$HOME_DIR/good.csv" "$U/partners/$A/annex"
is "$code" 403 "an upload without csrf: 403"
req "$J.adm" -F "csrf=$(tok "$J.adm")" -F "annex=@$HOME_DIR/good.csv" "$U/partners/$A/annex"
is "$code" 200 "a good annex: the preview"
like "$(cat "$HOME_DIR/b")" "<li>Ajouts : 1</li>" "it counts one addition"
grep -qF '<tr><th scope="row">NOUVEAU &lt;script&gt;x&lt;/script&gt;</th><td>n.nouveau@apeai34.fr</td><td>ajout</td><td>—</td><td>habilitation du 01/12/2026, sans date de fin ; fonction : Référente</td><td class="num">5</td></tr>' \
    "$HOME_DIR/b"
ok $? "the addition a row, in French, as on a staged annex's page (web_plan)"
like "$(cat "$HOME_DIR/b")" "&lt;script&gt;x&lt;/script&gt;" "the file's values escaped"
unlike "$(cat "$HOME_DIR/b")" "<script" "no <script> element in the preview"
is "$(q "select count(*) from persons where partner_id = '$A'")" "$persons" \
    "nothing written before the confirm"
token=$(sed -n 's/.*name="token" value="\([0-9a-f]*\)".*/\1/p' "$HOME_DIR/b")
like "$token" "^[0-9a-f]{64}$" "the confirm form carries its token"
req "$J.adm" --data-urlencode "token=$token" "$U/partners/$A/annex/confirm"
is "$code" 403 "a confirm without csrf: 403"
req "$J.adm" --data-urlencode "csrf=$(tok "$J.adm")" --data-urlencode "token=$token" \
    "$U/partners/ccas-lespignan/annex/confirm"
is "$code" 400 "the token of another partner's preview: 400"
req "$J.adm" --data-urlencode "csrf=$(tok "$J.adm")" --data-urlencode "token=$token" \
    "$U/partners/$A/annex/confirm"
is "$code" 200 "the confirm imports it"
like "$(cat "$HOME_DIR/b")" "Annexe importée" "and says so"
is "$(q "select count(*) from persons where partner_id = '$A'")" "$((persons + 1))" \
    "one person more"
like "$(q "select actor || ' ' || detail from audit where action = 'annex.import' order by id desc limit 1")" \
    "^web:adm " "audited as balpctl annex import is, actor web:adm"
req "$J.adm" --data-urlencode "csrf=$(tok "$J.adm")" --data-urlencode "token=$token" \
    "$U/partners/$A/annex/confirm"
is "$code" 400 "a token serves once"
req "$J.adm" "$U/partners/$A/annex"
is "$code" 200 "the annex exported"; headers_ok "csv"
like "$(grep -i '^Content-Type' "$HOME_DIR/h")" "text/csv" "as CSV"
like "$(grep -i '^Content-Disposition' "$HOME_DIR/h")" "attachment; filename=\"annexe-$A.csv\"" \
    "as a file to save"
"$B" -c "$CONF" annex export --partner "$A" "$HOME_DIR/ctl.csv" >/dev/null
cmp -s "$HOME_DIR/b" "$HOME_DIR/ctl.csv"; ok $? "the same bytes as balpctl annex export"

# ---- release and retriage -------------------------------------------------------------
MD="$HOME_DIR/var/Maildir"
in_folder() { ls "$MD/$1/new" "$MD/$1/cur" 2>/dev/null | grep -c -- "$2"; }
qid=$(q "select id from decisions where outcome = 'quarantined' order by id limit 1")
qref=$(q "select source_ref from decisions where id = $qid")
req "$J.sup" "$U/messages/$qid"
unlike "$(cat "$HOME_DIR/b")" "/release" "a supervisor sees no release form"
req "$J.adm" "$U/messages/$qid"
like "$(cat "$HOME_DIR/b")" "action=\"/messages/$qid/release\"" "an admin sees the release form"
req "$J.adm" --data-urlencode "csrf=$(tok "$J.adm")" --data-urlencode "to=BALP/RIB" \
    "$U/messages/$qid/release"
is "$code" 400 "a release without its reason: 400"
req "$J.adm" --data-urlencode "csrf=$(tok "$J.adm")" --data-urlencode "to=BALP/RIB" \
    --data-urlencode "reason=x" --data-urlencode "notify=1" "$U/messages/$qid/release"
is "$code" 400 "a notice with a release to a queue that is no rejection: 400"
req "$J.adm" --data-urlencode "csrf=$(tok "$J.adm")" --data-urlencode "to=BALP/RIB" \
    --data-urlencode "reason=pièce vérifiée" "$U/messages/$qid/release"
is "$code $location" "303 /messages/$qid" "a quarantined message released: 303 to its page"
is "$(in_folder .BALP.RIB "$qref")" 1 "the file is in BALP/RIB"
is "$(in_folder .BALP.Quarantaine "$qref")" 0 "and no longer in the quarantine"
is "$(q "select actor || ' ' || to_queue || ' ' || reason from releases where decision_id = $qid")" \
    "web:adm BALP/RIB pièce vérifiée" "recorded as balpctl message release records it"
req "$J.adm" --data-urlencode "csrf=$(tok "$J.adm")" --data-urlencode "to=BALP/RIB" \
    --data-urlencode "reason=x" "$U/messages/$qid/release"
is "$code" 400 "released where it is already: 400"
like "$(cat "$HOME_DIR/b")" "Le message est déjà dans la file « BALP/RIB » : choisissez-en une autre." \
    "the refusal said in French, with what to do"
cp "$HOME_DIR/b" "$HOME_DIR/err-release.html"
req "$J.adm" --data-urlencode "csrf=$(tok "$J.adm")" --data-urlencode "to=BALP/Annexes" \
    --data-urlencode "reason=x" "$U/messages/$qid/release"
is "$code" 400 "released into the queue of staged annexes: 400"
like "$(cat "$HOME_DIR/b")" "triez plutôt le message de nouveau" "the way given in French"
cp "$HOME_DIR/b" "$HOME_DIR/err-release2.html"
rid=$(q "select id from decisions where outcome = 'rejected' and supersedes is null order by id desc limit 1")
rref=$(q "select source_ref from decisions where id = $rid")
req "$J.adm" --data-urlencode "csrf=$(tok "$J.adm")" "$U/messages/$rid/retriage"
is "$code" 400 "a retriage without its reason: 400"
req "$J.adm" --data-urlencode "csrf=$(tok "$J.adm")" --data-urlencode "reason=annexe corrigée" \
    "$U/messages/$rid/retriage"
is "$code $location" "303 /messages/$rid" "a retriage: 303 to its page"
is "$(ls "$MD/new" "$MD/cur" | grep -c -- "$rref.r$rid")" 1 "the file is back in the inbox as NAME.rID"
is "$(q "select actor from audit where action = 'message.retriage' and object = 'decision/$rid'")" \
    "web:adm" "audited, actor web:adm"
req "$J.adm" "$U/messages/$rid"
like "$(cat "$HOME_DIR/b")" "renvoyé dans la boîte de réception" "its page says where it is"

# ---- review and audit (dpo) -----------------------------------------------------------
req "$J.dpo" "$U/review"
is "$code" 200 "GET /review (dpo)"
like "$(cat "$HOME_DIR/b")" "<h2>APEAI Ouest Hérault</h2>" "a section per partner"
like "$(cat "$HOME_DIR/b")" "&lt;script&gt;alert" "the partner's name escaped there too"
req "$J.dpo" "$U/review.csv"
is "$code" 200 "GET /review.csv"; headers_ok "review csv"
"$B" -c "$CONF" review --format csv >"$HOME_DIR/review.csv"
cmp -s "$HOME_DIR/b" "$HOME_DIR/review.csv"; ok $? "the same bytes as balpctl review --format csv"
req "$J.dpo" "$U/audit"
is "$code" 200 "GET /audit (dpo)"
like "$(cat "$HOME_DIR/b")" "chaîne d'audit est intacte" "the chain intact"
anchor=$("$B" -c "$CONF" audit anchor)
like "$(cat "$HOME_DIR/b")" "$anchor" "its anchor, as balpctl audit anchor prints it"
req "$J.dpo" --data-urlencode "csrf=$(tok "$J.dpo")" --data-urlencode "anchor=$anchor" \
    "$U/audit/verify"
like "$(cat "$HOME_DIR/b")" "l'ancre donnée y est" "verified against its anchor"
req "$J.dpo" --data-urlencode "csrf=$(tok "$J.dpo")" \
    --data-urlencode "anchor=$(printf '%064d' 0)" "$U/audit/verify"
like "$(cat "$HOME_DIR/b")" "est rompue" "an anchor not in the chain: broken"
like "$(cat "$HOME_DIR/web.log")" "security: audit chain of .* broken" "and a security line in the log"
req "$J.dpo" --data-urlencode "csrf=$(tok "$J.dpo")" --data-urlencode "anchor=nope" \
    "$U/audit/verify"
is "$code" 400 "an anchor that is none: 400"
rows=$(q "select count(*) from decisions")
req "$J.dpo" --data-urlencode "csrf=$(tok "$J.dpo")" --data-urlencode "dry_run=0" \
    "$U/audit/purge"
like "$(cat "$HOME_DIR/b")" "Simulation de purge" "a purge without its confirmation is a simulation"
req "$J.dpo" --data-urlencode "csrf=$(tok "$J.dpo")" --data-urlencode "dry_run=0" \
    --data-urlencode "confirm=1" "$U/audit/purge"
is "$code" 200 "a confirmed purge"
like "$(cat "$HOME_DIR/b")" "Purge : rien à détruire" "nothing is due yet"
is "$(q "select count(*) from decisions")" "$rows" "and nothing went"

# ---- partner and person actions ---------------------------------------------------------
act() {	# act PATH FIELD=VALUE...: a POST with the admin's token
	path=$1; shift
	set -- --data-urlencode "csrf=$(tok "$J.adm")" $(for f in "$@"; do printf -- '--data-urlencode\n%s\n' "$f"; done)
	req "$J.adm" "$@" "$U/partners/$A/$path"
}
req "$J.adm" "$U/partners/$A"
like "$(cat "$HOME_DIR/b")" 'formaction="/partners/apeai-ouest-herault/persons/suspend"' \
    "the partner's page has the person actions"
act persons/suspend email=s.benali@apeai34.fr
is "$code" 400 "a suspension without its reason: 400"; headers_ok "400 act"
act persons/suspend email=s.benali@apeai34.fr reason=congé
is "$code $location" "303 /partners/$A" "a person suspended: 303 back to the partner"
is "$(q "select suspended from persons where email = 's.benali@apeai34.fr'")" 1 "suspended in the store"
is "$(q "select actor from audit where action = 'person.suspend' order by id desc limit 1")" \
    "web:adm" "audited as balpctl person suspend is, actor web:adm"
act persons/suspend email=s.benali@apeai34.fr reason=encore
is "$code" 400 "suspended twice: 400, the store's rule"
like "$(cat "$HOME_DIR/b")" "Cette personne n&#39;est pas suspendue de nouveau : elle l&#39;est déjà" \
    "the store's refusal said in French"
cp "$HOME_DIR/b" "$HOME_DIR/err-suspend.html"
act persons/resume email=s.benali@apeai34.fr
is "$code $location" "303 /partners/$A" "resumed"
is "$(q "select suspended from persons where email = 's.benali@apeai34.fr'")" 0 "in the store too"
act persons/suspend email=nobody@apeai34.fr reason=x
is "$code" 404 "an unknown person: 404"
like "$(cat "$HOME_DIR/b")" "Cette personne n&#39;est pas dans l&#39;annexe de ce partenaire" \
    "said in French, without the address"
unlike "$(cat "$HOME_DIR/b")" "nobody@" "the address typed is not echoed"
# A store that fails (a table gone): one French sentence, the detail logged.
q "alter table suspensions rename to suspensions_gone"
act persons/suspend email=s.benali@apeai34.fr reason=panne
is "$code" 500 "the store failing: 500"
like "$(cat "$HOME_DIR/b")" "Le registre est momentanément indisponible ; réessayez" \
    "the user reads a French sentence"
unlike "$(cat "$HOME_DIR/b")" "suspensions\\|SQL\\|sqlite" "and not the store's message"
like "$(cat "$HOME_DIR/web.log")" "console action: .*suspensions" "which went to the log"
unlike "$(cat "$HOME_DIR/web.log")" "s.benali\\|BENALI" "no name in the log"
cp "$HOME_DIR/b" "$HOME_DIR/err-store.html"
q "alter table suspensions_gone rename to suspensions"
act persons/end email=n.nouveau@apeai34.fr
is "$code $location" "303 /partners/$A" "a habilitation ended today"
is "$(q "select hab_end from persons where email = 'n.nouveau@apeai34.fr'")" \
    "$(date +%Y-%m-%d)" "its last day is today"
act suspend reason=audit
is "$code $location" "303 /partners/$A" "the partner suspended"
req "$J.adm" "$U/partners"
like "$(cat "$HOME_DIR/b")" "suspendue" "the list says so"
act resume
is "$code $location" "303 /partners/$A" "and resumed"
req "$J.sup" --data-urlencode "csrf=$(tok "$J.sup")" --data-urlencode "email=a.martin@apeai34.fr" \
    --data-urlencode "reason=x" "$U/partners/$A/persons/suspend"
is "$code" 403 "a supervisor cannot suspend a person"
req "$J.adm" "$U/partners/a%0d%0aX:y"
is "$code" 404 "an id with a line break in the path: 404"

# ---- no English on the pages of refusals -------------------------------------------
# Words of balpctl's messages that French does not use; checked on the
# text of the pages (markup, attributes and the file's values aside).
english=0
for f in "$HOME_DIR"/err-*.html; do
	words=$(sed -e 's/<[^>]*>//g' "$f" | grep -Eio "\b(cannot|refused|invalid|not|is|the|already|must|missing|required|error|line)\b" | sort -u | tr '\n' ' ')
	[ -z "$words" ] || { english=$((english + 1)); echo "# $(basename "$f"): $words"; }
done
is "$english" 0 "no English word on the error pages ($(ls "$HOME_DIR"/err-*.html | wc -l) pages)"

# ---- a password change ends the other sessions -------------------------------------
NEW2='Yet-Another-Pass-2026'
login "$J.dpo2" dpo "$NEW"
is "$code $location" "303 /" "the dpo in a second browser"
req "$J.dpo" "$U/password"; t=$(csrf_of)
req "$J.dpo" --data-urlencode "current=$NEW" --data-urlencode "new=$NEW2" \
    --data-urlencode "confirm=$NEW2" --data-urlencode "csrf=$t" "$U/password"
is "$code $location" "303 /" "the dpo changes the password"
req "$J.dpo2" "$U/"
is "$code $location" "303 /login" "the other browser is signed out"
req "$J.dpo" "$U/"
is "$code" 200 "the one that changed it is not"
is "$(q "select count(*) from audit where action = 'user.logout' and object = 'dpo' and detail = 'password'")" \
    1 "the ended session audited"
req "$J.dpo" "$U/password"; t=$(csrf_of)
req "$J.dpo" --data-urlencode "current=$NEW2" --data-urlencode "new=$NEW" \
    --data-urlencode "confirm=$NEW" --data-urlencode "csrf=$t" "$U/password"
is "$code $location" "303 /" "(and back)"

# ---- lockout ---------------------------------------------------------------------
for i in 1 2 3 4 5; do
	login "$J.lock" sup "wrong-password-$i"
done
is "$code" 200 "a fifth failure: the form again"
like "$(cat "$HOME_DIR/b")" "incorrect" "with one sentence for any failure"
is "$(q "select locked_until is not null from users where login = 'sup'")" 1 \
    "five failures lock the account"
login "$J.lock" sup "$NEW"
is "$code" 200 "locked: the right password is refused"
[ "$location" = "" ]; ok $? "and no redirect"
is "$(q "select count(*) from audit where action = 'user.login_failed' and object = 'sup' and detail = 'password'")" \
    5 "five failures audited"
is "$(q "select count(*) from audit where action = 'user.lock' and object = 'sup'")" \
    1 "the lock audited"
is "$(q "select actor from audit where action = 'user.lock'")" "web:sup" "actor web:sup"
is "$(q "select count(*) from audit where action = 'user.login_failed' and object = 'sup' and detail = 'locked'")" \
    1 "the refused right password audited"
req "$J.sup" "$U/"
is "$code" 200 "a session opened before the lock goes on"

# ---- idle expiry, logout --------------------------------------------------------------
req "$J.dpo" "$U/"
is "$code" 200 "the dpo is signed in"
q "update sessions set seen_at = seen_at - 16 * 60 where user_id = (select id from users where login = 'dpo')"
req "$J.dpo" "$U/"
is "$code $location" "303 /login" "16 minutes idle: 303 to /login"
headers_ok "expired"
is "$(q "select count(*) from audit where action = 'user.logout' and object = 'dpo' and detail = 'expired'")" \
    1 "the expiry audited"
is "$(q "select count(*) from sessions where user_id = (select id from users where login = 'dpo')")" \
    0 "and the session deleted"
login "$J.dpo" dpo "$NEW"
q "update sessions set created_at = created_at - 8 * 3600 where user_id = (select id from users where login = 'dpo')"
req "$J.dpo" "$U/"
is "$code $location" "303 /login" "8 hours after login: 303 to /login"
login "$J.old" adm "$NEW"
# The store's name of a jar's session: BLAKE2b-256 of its id's text.
sid_hash() {
	python3 -c 'import hashlib, sys
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("\t")
    if len(f) == 7 and f[5].endswith("balp_session"):
        print(hashlib.blake2b(f[6].encode(), digest_size=32).hexdigest())' "$1"
}
old_hash=$(sid_hash "$J.old")
is "$(q "select count(*) from sessions where id_hash = '$old_hash'")" 1 \
    "the stored hash is BLAKE2b-256 of the cookie's id"
q "update sessions set created_at = created_at - 9 * 3600 where id_hash = '$old_hash'"
before=$(q "select count(*) from sessions")
login "$J.new" dpo "$NEW"
is "$(q "select count(*) from sessions")" "$before" \
    "a login ends the sessions nobody came back to (one begun, one ended)"
is "$(q "select count(*) from audit where action = 'user.logout' and object = 'adm' and detail = 'expired'")" \
    1 "with its audit row"
req "$J.adm" --data-urlencode "csrf=$(tok "$J.adm")" "$U/logout"
is "$code $location" "303 /login" "logout: 303 to /login"
headers_ok logout
req "$J.adm" "$U/"
is "$code $location" "303 /login" "the session is over"
is "$(q "select count(*) from audit where action = 'user.logout' and object = 'adm' and detail = 'logout'")" \
    1 "the logout audited"

# ---- nothing secret in any response ---------------------------------------------------
is "$HDR_BAD" 0 "every response carried the four headers"
nir_seen=0
for n in 185057800608491 '1 85 05 78 006 084' 2870634172058; do
	grep -q "$n" "$HOME_DIR/all" && nir_seen=$((nir_seen + 1))
done
is "$nir_seen" 0 "no NIR of the triaged mails in any response"
grep -q -- "$PW\|$NEW" "$HOME_DIR/all" "$HOME_DIR/web.log"; is $? 1 \
    "no password in a response or the log"
"$B" -c "$CONF" audit verify >/dev/null 2>&1; ok $? "audit verify passes"
kill "$WEB_PID"; wait "$WEB_PID" 2>/dev/null; WEB_PID=

# ---- TLS -------------------------------------------------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$HOME_DIR/key.pem" -out "$HOME_DIR/cert.pem" -days 2 \
    -subj /CN=localhost >/dev/null 2>&1
grep -v '^web = ' "$CONF" >"$HOME_DIR/conf/tls.conf"
printf 'web = { listen = "192.0.2.1:8443"; tls_cert_file = "../cert.pem"; tls_key_file = "../key.pem"; };\n' \
    >>"$HOME_DIR/conf/tls.conf"
"$B" -c "$HOME_DIR/conf/tls.conf" rules check >/dev/null 2>&1
ok $? "a non-loopback listen with TLS is accepted"
PORT2=$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
grep -v '^web = ' "$CONF" >"$HOME_DIR/conf/tls.conf"
printf 'web = { listen = "127.0.0.1:%s"; tls_cert_file = "../cert.pem"; tls_key_file = "../key.pem"; };\n' \
    "$PORT2" >>"$HOME_DIR/conf/tls.conf"
"$W" -c "$HOME_DIR/conf/tls.conf" >"$HOME_DIR/web2.log" 2>&1 &
WEB_PID=$!
wait_for "$HOME_DIR/web2.log" "listening.*https" 10; ok $? "balpweb listens with TLS"
curl -sk -D "$HOME_DIR/h" -o /dev/null "https://127.0.0.1:$PORT2/login"
like "$(grep -i '^Set-Cookie' "$HOME_DIR/h")" \
    "__Host-balp_login=[0-9a-f]{64}; Path=/; HttpOnly; SameSite=Strict; Secure" \
    "under TLS the cookie is __Host- and Secure"
headers_ok "https /login"; is $? 0 "and the headers are there"
out=$(echo | openssl s_client -connect "127.0.0.1:$PORT2" -tls1_2 2>&1)
like "$out" "Protocol *: TLSv1.2" "TLS 1.2 is spoken"
out=$(echo | openssl s_client -connect "127.0.0.1:$PORT2" -tls1_1 \
    -cipher 'DEFAULT@SECLEVEL=0' 2>&1)
like "$out" "Cipher is \(NONE\)" "TLS 1.1 is refused"
out=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT2/login")
unlike "$out" "^200" "no plain HTTP on the TLS port"
kill "$WEB_PID"; wait "$WEB_PID" 2>/dev/null; WEB_PID=

# ---- a chain broken behind the store's back ------------------------------------------
q "update audit set detail = 'edited' where id = 3"
"$W" -c "$CONF" >"$HOME_DIR/web3.log" 2>&1 &
WEB_PID=$!
wait_for "$HOME_DIR/web3.log" "listening" 10; ok $? "balpweb starts on a broken chain"
like "$(cat "$HOME_DIR/web3.log")" "security: audit chain of .* broken at row 3" \
    "the break found at start is a security line"
login "$J.x" adm "$NEW"
req "$J.x" "$U/"
like "$(cat "$HOME_DIR/b")" "chaîne d'audit est rompue à la ligne 3" "the dashboard says where"
kill "$WEB_PID"; wait "$WEB_PID" 2>/dev/null; WEB_PID=
done_testing
