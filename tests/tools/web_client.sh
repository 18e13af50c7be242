# SPDX-License-Identifier: Apache-2.0
# web_client.sh - curl as the console's client, for the tests of balpweb
# over HTTP (sourced after tap.sh, POSIX sh; HOME_DIR and U set).
#
#   req JAR CURL-ARGS...     one request, cookies in JAR: headers into
#                            $HOME_DIR/h, body into $HOME_DIR/b; sets code
#                            and location; both appended to $HOME_DIR/all
#                            when that file exists
#   headers_ok WHAT          the four headers of the contract on the last
#                            response (HDR_BAD counts the misses)
#   csrf_of                  the csrf field of the last page
#   tok JAR                  a fresh csrf token of JAR's session
#   login JAR LOGIN PASSWORD the login form, then its POST
#   first_login JAR LOGIN OLD NEW   login, then the forced change

req() {
	jar=$1; shift
	curl -s -b "$jar" -c "$jar" -D "$HOME_DIR/h" -o "$HOME_DIR/b" "$@"
	# the last status line: a 100 Continue may come first
	code=$(sed -n 's/^HTTP[^ ]* \([0-9]*\).*/\1/p' "$HOME_DIR/h" | tail -n 1)
	location=$(sed -n 's/^Location: \(.*\)\r$/\1/ip' "$HOME_DIR/h")
	if [ -f "$HOME_DIR/all" ]; then
		cat "$HOME_DIR/h" "$HOME_DIR/b" >>"$HOME_DIR/all"
	fi
}

HDR_BAD=0
headers_ok() {
	grep -qi "^Content-Security-Policy: default-src 'none';.*frame-ancestors 'none'" "$HOME_DIR/h" &&
	grep -qi '^X-Content-Type-Options: nosniff' "$HOME_DIR/h" &&
	grep -qi '^Referrer-Policy: no-referrer' "$HOME_DIR/h" &&
	grep -qi '^Cache-Control: no-store' "$HOME_DIR/h" && return 0
	HDR_BAD=$((HDR_BAD + 1)); echo "# headers missing on: $*"; return 1
}

csrf_of() {
	sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' "$HOME_DIR/b" | head -n 1
}

tok() { req "$1" "$U/"; csrf_of; }

login() {
	req "$1" "$U/login"
	t=$(csrf_of)
	req "$1" --data-urlencode "login=$2" --data-urlencode "password=$3" \
	    --data-urlencode "csrf=$t" "$U/login"
}

first_login() {
	login "$1" "$2" "$3"
	req "$1" "$U/password"
	t=$(csrf_of)
	req "$1" --data-urlencode "current=$3" --data-urlencode "new=$4" \
	    --data-urlencode "confirm=$4" --data-urlencode "csrf=$t" \
	    "$U/password"
}
