#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The man pages and `make install`: every page lint-clean (mandoc, and
# groff through `man -l` where man-db is there), with the sections a
# reader looks for; balpctl(8) naming every command and option of
# `balpctl --help`, balp.conf(5) every setting the loader accepts and
# balp.rules(5) every rules setting, so that neither can fall behind the
# code; then what `make install` puts where, with which modes, and that
# the installed configuration loads (inside a DESTDIR) and runs (an
# install whose every path is under a temporary root: init, one pass).
. "$SRCDIR/tests/tools/tap.sh"
cd "$SRCDIR" || exit 2
B="$SRCDIR/build/balpctl"
PAGES="man/balpd.8 man/balpctl.8 man/balpweb.8 man/balp.conf.5 man/balp.rules.5"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# A page as plain text: mandoc's overstrike (bold, underline) removed.
render() {
	mandoc -T ascii "$1" 2>/dev/null | sed 's/.\x08//g'
}

for page in $PAGES; do
	out=$(mandoc -T lint -W warning "$page" 2>&1)
	is "$?:$out" "0:" "$page: mandoc -T lint -W warning says nothing"
	mandoc -T utf8 "$page" >"$TMP/page" 2>"$TMP/err"
	ok $? "$page: renders with mandoc -T utf8"
	is "$(cat "$TMP/err")" "" "$page: without a word on stderr"
	if command -v man >/dev/null 2>&1; then
		out=$(MANWIDTH=80 man --warnings=w -l "$page" 2>&1 >/dev/null)
		is "$out" "" "$page: man -l (groff) renders it without a warning"
	fi
	text=$(render "$page")
	sections="NAME DESCRIPTION FILES"
	case "$page" in *.8) sections="$sections SYNOPSIS" ;; esac
	for sec in $sections "SEE ALSO"; do
		printf '%s\n' "$text" | grep -qx "$sec"
		ok $? "$page: has $sec"
	done
	# SEE ALSO names the three other pages.
	see=$(printf '%s\n' "$text" | sed -n '/^SEE ALSO$/,/^[A-Z]/p')
	for other in $PAGES; do
		[ "$other" = "$page" ] && continue
		name=$(basename "$other")
		ref="${name%.*}(${name##*.})"
		like "$see" "$(printf '%s' "$ref" | sed 's/[.()]/\\&/g')" \
		    "$page: SEE ALSO names $ref"
	done
done

# balpctl(8) against `balpctl --help`: every "COMMAND SUBCOMMAND" pair
# (partner list, audit anchor...) and every --option.
help=$("$B" --help); ok $? "balpctl --help"
ctl=$(render man/balpctl.8)
printf '%s\n' "$help" | awk '
	/^  [a-z]/ {
		sub(/   .*/, "")		# the description column
		n = split($0, w, " ")
		cmd = w[1]; print cmd
		for (i = 2; i <= n; i++)
			if (w[i] ~ /^[a-z]+$/ && (w[i - 1] == cmd || w[i - 1] == "|"))
				print cmd " " w[i]
	}' | sort -u >"$TMP/commands"
n=$(grep -c . "$TMP/commands")
ok "$(test "$n" -ge 25; echo $?)" "--help read: $n commands and subcommands"
missing=
while read -r c; do
	printf '%s\n' "$ctl" | grep -Eq "(^|[^a-z])$c([^a-z]|$)" ||
	    missing="$missing [$c]"
done <"$TMP/commands"
is "$missing" "" "balpctl.8 names every command of --help"
printf '%s\n' "$help" | grep -Eo -- '--[a-z][a-z-]*' | sort -u >"$TMP/options"
missing=
while read -r o; do
	printf '%s\n' "$ctl" | grep -Eq -- "$o([^a-z-]|$)" ||
	    missing="$missing $o"
done <"$TMP/options"
is "$missing" "" "balpctl.8 names every option of --help ($(grep -c . "$TMP/options"))"

# --json per command: every command of --help that takes it has it in its
# own item of balpctl.8 (the item's head: its first line and the option
# lines under it), not only somewhere in the page.
printf '%s\n' "$help" | awk '
	/^  [a-z]/ { flush(); line = $0; next }
	/^      +[[-]/ { line = line " " $0; next }
	{ flush() }
	END { flush() }
	function flush(   n, seg, i, w, k, cmd, sub1) {
		if (line == "") return
		sub(/   [a-z][^[]*$/, "", line)	# the description column
		n = split(line, seg, / \| /)
		split(seg[1], w, " "); cmd = w[1]
		for (i = 1; i <= n; i++) {
			k = split(seg[i], w, " ")
			if (i == 1) sub1 = (w[2] ~ /^[a-z]+$/) ? " " w[2] : ""
			else sub1 = (w[1] ~ /^[a-z]+$/) ? " " w[1] : ""
			if (seg[i] ~ /--json/) print cmd sub1
		}
		line = ""
	}' | sort -u >"$TMP/json"
n=$(grep -c . "$TMP/json")
ok "$(test "$n" -ge 10; echo $?)" "--help read: $n commands take --json"
missing=
while read -r c; do
	printf '%s\n' "$ctl" | awk -v c="$c" '
		index($0, "     " c " ") == 1 || $0 == "     " c { on = 1; print; next }
		on && /^             (\[|--)/ { print; next }
		{ on = 0 }' | grep -q -- '--json' || missing="$missing [$c]"
done <"$TMP/json"
is "$missing" "" "balpctl.8 lists --json in the item of every command that takes it"

# Setting names as the loader accepts them: the quoted names of every
# "static const char *const NAME[] = { ... NULL };" of the files given.
# Every array of that shape in the loader's files lists settings, so a
# group moved to a file of its own, or a new one, is read as it comes:
# the rules file's loader (conf_rules.c) for balp.rules(5), every other
# src/gateway/conf*.c for balp.conf(5).
settings() {
	awk '
		/static const char \*const [a-z_]+\[\] = \{/ { on = 1 }
		on {
			s = $0
			while (match(s, /"[a-z_]+"/)) {
				print substr(s, RSTART + 1, RLENGTH - 2)
				s = substr(s, RSTART + RLENGTH)
			}
		}
		on && /NULL \};/ { on = 0 }' "$@" | sort -u
}
CONF_FILES=$(ls src/gateway/conf*.c | grep -v '/conf_rules\.c$')
RULES_FILES=src/gateway/conf_rules.c
conf5=$(render man/balp.conf.5)
top=$(awk '/^conf_load\(/ { f = 1 } f && /top\[\]/ { t = 1 } t { print }
    t && /NULL \};/ { exit }' src/gateway/conf.c | grep -Eo '"[a-z_]+"' | tr -d '"')
n=$(printf '%s\n' "$top" | grep -c .)
ok "$(test "$n" -ge 14; echo $?)" "conf.c's top[] read: $n groups"
missing=
for g in $top; do
	printf '%s\n' "$conf5" | grep -Eq "^   $g\$" || missing="$missing $g"
done
is "$missing" "" "balp.conf.5 has a subsection for every top-level group of conf.c"
names=$(settings $CONF_FILES)
n=$(printf '%s\n' "$names" | grep -c .)
ok "$(test "$n" -ge 40; echo $?)" "the configuration's settings read: $n ($(echo $CONF_FILES | wc -w) files)"
missing=
for s in $names; do
	printf '%s\n' "$conf5" | grep -Eq "(^|[^a-z_])$s([^a-z_]|\$)" ||
	    missing="$missing $s"
done
is "$missing" "" "balp.conf.5 describes every setting the loader accepts"
rules5=$(render man/balp.rules.5)
names=$(settings $RULES_FILES)
n=$(printf '%s\n' "$names" | grep -c .)
ok "$(test "$n" -ge 20; echo $?)" "the rules' settings read: $n"
missing=
for s in $names; do
	printf '%s\n' "$rules5" | grep -Eq "(^|[^a-z_])$s([^a-z_]|\$)" ||
	    missing="$missing $s"
done
is "$missing" "" "balp.rules.5 describes every rules setting"
codes=$(grep -Eo '= "[a-z_]+",' src/core/reason.c | tr -d '=", ')
missing=
for c in $codes; do
	printf '%s\n' "$rules5" | grep -Eq "^ +$c( |\$)" || missing="$missing $c"
done
is "$missing" "" "balp.rules.5 lists every reason code ($(printf '%s\n' "$codes" | grep -c .))"

# make install into a packager's staging root.
D="$TMP/dest"
make -s --no-print-directory install DESTDIR="$D" PREFIX=/usr >"$TMP/log" 2>&1
ok $? "make install DESTDIR=... PREFIX=/usr"
for f in 755:usr/sbin/balpd 755:usr/sbin/balpctl \
    755:usr/libexec/balp/balp-parser \
    644:usr/share/man/man8/balpd.8 644:usr/share/man/man8/balpctl.8 \
    644:usr/share/man/man5/balp.conf.5 644:usr/share/man/man5/balp.rules.5 \
    644:etc/balp/balp.conf 644:etc/balp/balp-imap.conf \
    644:etc/balp/rules/balp.rules 644:etc/balp/rules/notices.rules \
    644:lib/systemd/system/balpd.service \
    755:usr/sbin/balpweb 644:usr/share/man/man8/balpweb.8 \
    644:lib/systemd/system/balpweb.service; do
	is "$(stat -c %a "$D/${f#*:}" 2>&1)" "${f%%:*}" "installed ${f#*:}, mode ${f%%:*}"
done
if [ -f conf/balpctl.bash ]; then
	is "$(stat -c %a "$D/usr/share/bash-completion/completions/balpctl" 2>&1)" \
	    644 "installed the bash completion, mode 644"
else
	ok 0 "no conf/balpctl.bash in this tree: no completion installed # SKIP"
fi
cmp -s build/balpctl "$D/usr/sbin/balpctl"; ok $? "the balpctl installed is the one built"
conf=$(cat "$D/etc/balp/balp.conf")
unlike "$conf" '"\.\./' "the installed balp.conf names no ../ path"
like "$conf" 'path = "/var/lib/balp/balp.db";' "its store is in /var/lib/balp"
like "$conf" 'key_file = "/var/lib/balp/pseudonym.key";' "and its key"
like "$conf" 'audit_key_file = "/var/lib/balp/audit.key";' "and its audit key"
like "$conf" 'path = "/var/lib/balp/Maildir";' "and its Maildir"
like "$conf" 'rules = "rules/balp.rules";' "its rules beside it, in /etc/balp/rules"
like "$(cat "$D/etc/balp/balp-imap.conf")" 'password_file = "/var/lib/balp/imap.pass";' \
    "balp-imap.conf's password file in /var/lib/balp"
cmp -s conf/balp.conf "$D/etc/balp/balp.conf"; is $? 1 "the tree's conf/balp.conf is left as make run uses it"
like "$(grep -c '"\.\./' conf/balp.conf)" '^[1-9]' "(which still names ../ paths)"
# The rules are named relative to the configuration: they resolve inside
# the staging root, so the installed configuration can be checked there.
out=$("$D/usr/sbin/balpctl" -c "$D/etc/balp/balp.conf" rules check 2>&1)
is $? 0 "the installed balpctl checks the installed configuration"
like "$out" "$D/etc/balp/rules/balp.rules: ok, 4 request types" "with the installed rules"
"$D/usr/sbin/balpctl" -c "$D/etc/balp/balp-imap.conf" rules check >/dev/null 2>&1
ok $? "and the installed balp-imap.conf"
# The installed balpctl finds the installed parser (../libexec/balp from
# itself, inside the staging root too): a dry run decides a demo mail.
mkdir -p "$TMP/home" && cp -R conf rules "$TMP/home/"
"$D/usr/sbin/balpctl" -c "$TMP/home/conf/balp.conf" init >/dev/null 2>&1
out=$("$D/usr/sbin/balpctl" -c "$TMP/home/conf/balp.conf" test --json \
    tests/data/demo/Maildir/new/*demo01* 2>&1)
like "$out" '"outcome":"[a-z]+"' "the installed balpctl test runs the installed balp-parser"

# The default prefix: /usr/local, its configuration in /usr/local/etc.
D2="$TMP/dest2"
make -s --no-print-directory install DESTDIR="$D2" >"$TMP/log" 2>&1
ok $? "make install DESTDIR=... (default PREFIX)"
ok "$(test -x "$D2/usr/local/sbin/balpd"; echo $?)" "balpd in /usr/local/sbin"
ok "$(test -f "$D2/usr/local/etc/balp/balp.conf"; echo $?)" "the configuration in /usr/local/etc/balp"
ok "$(test -f "$D2/usr/local/share/man/man8/balpctl.8"; echo $?)" "balpctl.8 in /usr/local/share/man"
ok "$(test -f "$D2/usr/local/lib/systemd/system/balpd.service"; echo $?)" \
    "the unit in /usr/local/lib/systemd/system"

# A configuration path install does not rewrite fails the install.
D3="$TMP/dest3"
out=$(make -s --no-print-directory install DESTDIR="$D3" PREFIX=/usr CONF_SED="-e s/x/x/" 2>&1)
ok "$(test $? -ne 0; echo $?)" "an install that would leave a ../ path fails"
like "$out" "conf/balp.conf: a relative path install does not rewrite" "saying which file"
ok "$(test ! -e "$D3/etc/balp/balp.conf"; echo $?)" "and installs no such configuration"

# Every path under a temporary root: the installed programs run on the
# installed configuration (init, then one pass), and uninstall.
R="$TMP/root"
set -- PREFIX="$R/usr" SYSCONFDIR="$R/etc" LOCALSTATEDIR="$R/var/lib/balp"
make -s --no-print-directory install "$@" >"$TMP/log" 2>&1
ok $? "make install with every path under a temporary root"
"$R/usr/sbin/balpctl" -c "$R/etc/balp/balp.conf" init >"$TMP/log" 2>&1
ok $? "balpctl init on the installed configuration"
ok "$(test -f "$R/var/lib/balp/balp.db"; echo $?)" "made the store in LOCALSTATEDIR"
ok "$(test -d "$R/var/lib/balp/Maildir/.BALP.RIB"; echo $?)" "and the Maildir's queues"
mkdir -p "$R/var/lib/balp/Maildir/new"
cp tests/data/demo/Maildir/new/* "$R/var/lib/balp/Maildir/new/"
n=$(ls tests/data/demo/Maildir/new | grep -c .)
out=$("$R/usr/sbin/balpd" -c "$R/etc/balp/balp.conf" --once 2>&1)
is $? 0 "one balpd pass on the installed configuration"
like "$out" "^$n message\\(s\\):" "which decided the $n demo mails"
make -s --no-print-directory uninstall "$@" >"$TMP/log" 2>&1
ok $? "make uninstall"
ok "$(test ! -e "$R/usr/sbin/balpd" && test ! -e "$R/usr/share/man/man8/balpd.8" &&
    test ! -e "$R/usr/lib/systemd/system/balpd.service" &&
    test ! -e "$R/usr/sbin/balpweb" &&
    test ! -e "$R/usr/lib/systemd/system/balpweb.service"; echo $?)" \
    "removes the programs, the pages and the unit"
ok "$(test -f "$R/etc/balp/balp.conf" && test -f "$R/var/lib/balp/balp.db"; echo $?)" \
    "keeps the configuration and the state"

done_testing
