#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The Debian package (issue 12), built and used without touching the host:
# dpkg-buildpackage on a copy of the tree, lintian clean, the .deb
# unpacked into a throwaway root (dpkg -x, never dpkg -i), its files and
# conffiles, then `balpctl init` and one `balpd --once` from that root on
# the demo mails as an unprivileged uid (the package's balp user does not
# exist here and is not created), and the unit checked by systemd-analyze.
. "$SRCDIR/tests/tools/tap.sh"

for t in dpkg-buildpackage dpkg-deb dh lintian; do
	if ! command -v "$t" >/dev/null 2>&1; then
		echo "1..0 # SKIP $t is missing (make check's deps.sh installs" \
		    "dpkg-dev, debhelper and lintian)"
		exit 0
	fi
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/balp-pkg.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
# The unprivileged run reads the unpacked tree: every folder on the way
# must be searchable by it.
chmod 0755 "$WORK"
TREE="$WORK/balp"
mkdir "$TREE"

# ---- build ------------------------------------------------------------------
# The tracked files (and untracked ones not ignored, for a run before the
# commit), not build/: the package builds from a clean tree.  Outside a
# checkout (a tarball): everything but build/.
if git -c safe.directory="$SRCDIR" -C "$SRCDIR" rev-parse >/dev/null 2>&1; then
	git -c safe.directory="$SRCDIR" -C "$SRCDIR" ls-files -z --cached \
	    --others --exclude-standard |
	    (cd "$SRCDIR" && xargs -0 sh -c \
	    'for f; do [ -f "$f" ] && printf "%s\0" "$f"; done' sh) |
	    tar -C "$SRCDIR" --null -T - -cf - | tar -C "$TREE" -xf -
else
	tar -C "$SRCDIR" --exclude=./build --exclude=./var -cf - . |
	    tar -C "$TREE" -xf -
fi
ok $? "a copy of the source tree"
ok "$([ -f "$TREE/debian/rules" ] && [ ! -e "$TREE/build" ]; echo $?)" \
    "with debian/, without build/"
# A git repository of the copy: what the build leaves shows in git status.
(cd "$TREE" && git init -q && git add -A &&
    git -c user.email=t@balp.test -c user.name=t commit -qm tree) \
    >/dev/null 2>&1
ok $? "(the copy committed in a git repository of its own)"
t0=$(date +%s)
(cd "$TREE" && DEB_BUILD_OPTIONS=parallel=2 timeout 600 \
    dpkg-buildpackage -us -uc -b) >"$WORK/build.log" 2>&1
st=$?
is "$(git -C "$TREE" status --porcelain)" "" \
    "dpkg-buildpackage leaves the tree clean (debian/.gitignore, .gitignore)"
secs=$(($(date +%s) - t0))
ok $st "dpkg-buildpackage -us -uc -b builds it (${secs} s)"
[ $st -eq 0 ] || tail -n 30 "$WORK/build.log" | sed 's/^/# /'
ok "$([ "$secs" -lt 180 ]; echo $?)" "in less than 3 minutes"
# -Wdate-time and -ffile-prefix-map come from dpkg-buildflags only.
like "$(cat "$WORK/build.log")" "^cc .*-Wdate-time -D_FORTIFY_SOURCE=2 .*-ffile-prefix-map=.*-c src/cli/balpd.c" \
    "with dpkg-buildflags' flags and hardening"
unlike "$(cat "$WORK/build.log")" "tests/tools/check.sh|dovecot" \
    "and without the project's make check"
DEB=$(ls "$WORK"/balp_*_*.deb 2>/dev/null | head -n 1)
ok "$([ -f "$DEB" ]; echo $?)" "a binary package balp_*.deb"
[ -f "$DEB" ] || { done_testing; exit 1; }
is "$(dpkg-deb -f "$DEB" Package Architecture | tr '\n' ' ')" \
    "Package: balp Architecture: $(dpkg --print-architecture) " \
    "named balp, for this architecture"
like "$(dpkg-deb -f "$DEB" Depends)" "adduser.*libetpan.*libsodium" \
    "its Depends: adduser and the shared libraries"

# ---- lintian ----------------------------------------------------------------
lint=$(lintian "$WORK"/balp_*.changes 2>/dev/null)
# The man pages come with issue 12's man/: until the tree has them, their
# absence is the one warning expected.
if ls "$SRCDIR"/man/*.8 >/dev/null 2>&1; then
	bad=$(printf '%s\n' "$lint" | grep '^[EW]: ')
else
	echo "# man/ has no pages yet: lintian's no-manual-page is tolerated"
	bad=$(printf '%s\n' "$lint" | grep '^[EW]: ' | grep -v ' no-manual-page ')
fi
is "$bad" "" "lintian: no error, no warning"

# ---- contents -------------------------------------------------------------
ROOT="$WORK/root"
mkdir "$ROOT" && chmod 0755 "$ROOT"
dpkg -x "$DEB" "$ROOT"; ok $? "dpkg -x into a throwaway root"
for b in balpd balpctl balpweb; do
	like "$(dpkg-deb -c "$DEB" | grep " \./usr/sbin/$b\$")" \
	    "^-rwxr-xr-x root/root " "/usr/sbin/$b, 0755 root in the .deb"
	is "$(stat -c '%a' "$ROOT/usr/sbin/$b" 2>&1)" 755 "and so unpacked"
done
like "$(dpkg-deb -c "$DEB" | grep " \./usr/libexec/balp/balp-parser\$")" \
    "^-rwxr-xr-x root/root " "/usr/libexec/balp/balp-parser (the parser's zygote), 0755"
dpkg-deb -e "$DEB" "$WORK/DEBIAN"
for f in balp.conf balp-imap.conf rules/balp.rules rules/notices.rules; do
	ok "$(grep -qx "/etc/balp/$f" "$WORK/DEBIAN/conffiles"; echo $?)" \
	    "/etc/balp/$f is a conffile"
done
conf="$ROOT/etc/balp/balp.conf"
like "$(cat "$conf")" 'path = "/var/lib/balp/balp.db"' \
    "balp.conf: the store in /var/lib/balp"
like "$(cat "$conf")" 'rules = "rules/balp.rules"' \
    "balp.conf: the rules beside it (/etc/balp/rules)"
like "$(cat "$conf")" 'path = "/var/lib/balp/Maildir"' \
    "balp.conf: the Maildir in /var/lib/balp"
unlike "$(cat "$conf" "$ROOT/etc/balp/balp-imap.conf")" '"\.\./' \
    "no path relative to the source tree is left"
UNIT=""
for u in "$ROOT/lib/systemd/system/balpd.service" \
    "$ROOT/usr/lib/systemd/system/balpd.service"; do
	[ -f "$u" ] && UNIT=$u
done
ok "$([ -n "$UNIT" ]; echo $?)" "the unit balpd.service is installed"
cmp -s "$UNIT" "$SRCDIR/conf/balpd.service"
ok $? "the same unit as the tree's conf/balpd.service"
ok "$(test ! -e "$ROOT/var/lib/balp/balp.db"; echo $?)" \
    "no store in the package: it is made on first start"
for s in postinst prerm postrm; do
	sh -n "$WORK/DEBIAN/$s"; ok $? "$s is valid sh"
done
like "$(cat "$WORK/DEBIAN/postinst")" \
    "adduser --system --group .*--home /var/lib/balp" \
    "postinst makes the balp system user"
like "$(cat "$WORK/DEBIAN/postinst")" "install -d -o balp -g balp -m 0750 /var/lib/balp" \
    "and /var/lib/balp, 0750 balp:balp"
like "$(tr '\n' ' ' <"$WORK/DEBIAN/postrm")" \
    '"\$1" = purge \]; then[[:space:]]+rm -rf /var/lib/balp' \
    "postrm removes /var/lib/balp on purge only"
unlike "$(cat "$WORK/DEBIAN/postinst")" "deb-systemd-invoke (start|restart) " \
    "postinst does not start balpd on install"
like "$(cat "$WORK/DEBIAN/prerm")" "deb-systemd-invoke stop balpd.service" \
    "prerm stops it on removal"
like "$(tr '\n' ' ' <"$WORK/DEBIAN/postinst")" \
    "adduser --system --group [^;]*--gecos \"balp web console\" balpweb" \
    "postinst makes the balpweb system user"
unlike "$(cat "$WORK/DEBIAN/postinst")" "deb-systemd-invoke (start|restart) balpweb" \
    "postinst does not start balpweb on install"
unlike "$(cat "$WORK/DEBIAN/postinst")" "deb-systemd-helper enable balpweb" \
    "nor enable it"

# ---- run from the root, unprivileged ------------------------------------------
# The package's paths pointed into the root; a uid no account has.
RUID=64123
STATE="$ROOT/var/lib/balp"
mkdir -p "$STATE" && chmod 0750 "$STATE"
TCONF="$ROOT/etc/balp/test.conf"
sed -e "s#\"/var/lib/balp/#\"$STATE/#g" -e "s#\"/etc/balp/#\"$ROOT/etc/balp/#g" \
    "$conf" >"$TCONF"
chmod 0644 "$TCONF"
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
	chown "$RUID:$RUID" "$STATE"
	as_balp() { setpriv --reuid=$RUID --regid=$RUID --clear-groups "$@"; }
	who="uid $RUID"
else
	echo "# not root: the root's programs run as uid $(id -u)"
	as_balp() { "$@"; }
	who="uid $(id -u)"
fi
B="$ROOT/usr/sbin/balpctl"
D="$ROOT/usr/sbin/balpd"
out=$(as_balp "$B" -c "$TCONF" init 2>&1); ok $? "balpctl init as $who"
like "$out" "store .*balp.db" "it makes the store"
out=$(as_balp "$B" -c "$TCONF" init 2>&1); ok $? "init again (the unit runs it at each start)"
like "$out" "key .*\(kept\)" "and it keeps the keys"
is "$(stat -c '%a' "$STATE/pseudonym.key" "$STATE/audit.key" | tr '\n' ' ')" \
    "600 600 " "the keys are 0600"
[ "$(id -u)" -eq 0 ] && is "$(stat -c '%u' "$STATE/balp.db")" "$RUID" \
    "the store is the unprivileged user's"
as_balp "$B" -c "$TCONF" partner add --id apeai-ouest-herault \
    --name "APEAI Ouest Hérault" --start 2025-01-01 --max-persons 20 \
    >/dev/null &&
as_balp "$B" -c "$TCONF" partner add --id ccas-lespignan \
    --name "CCAS de Lespignan" --start 2025-06-01 >/dev/null &&
as_balp "$B" -c "$TCONF" annex import --partner apeai-ouest-herault \
    "$SRCDIR/tests/data/demo/annexe-apeai.csv" >/dev/null &&
as_balp "$B" -c "$TCONF" annex import --partner ccas-lespignan \
    "$SRCDIR/tests/data/demo/annexe-ccas-lespignan.csv" >/dev/null
ok $? "the demo partners and annexes"
MD="$STATE/Maildir"
deliver_demo "$MD"
[ "$(id -u)" -eq 0 ] && chown -R "$RUID:$RUID" "$MD"
n=$(ls "$MD/new" | wc -l)
out=$(as_balp "$D" -c "$TCONF" --once 2>&1); ok $? "balpd --once as $who"
like "$out" "^$n message\(s\): [1-9][0-9]* accepted, [1-9][0-9]* rejected, [1-9][0-9]* quarantined" \
    "it decides the $n demo mails"
is "$(ls "$MD/new" | wc -l)" 0 "the inbox is empty"
is "$(find "$MD"/.BALP.* -type f -path '*/new/*' | wc -l)" "$n" \
    "every message is filed in a queue folder"
out=$(as_balp "$B" -c "$TCONF" audit verify 2>&1); ok $? "the audit chain verifies"

# ---- the unit ---------------------------------------------------------------
if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "# systemd-analyze is missing: the unit is not checked"
else
	# verify checks that the programs exist: the unit's own, with its
	# paths pointed at the root's programs.
	mkdir "$WORK/unit"
	sed "s#/usr/sbin/#$ROOT/usr/sbin/#g" "$UNIT" >"$WORK/unit/balpd.service"
	out=$(systemd-analyze verify --man=no "$WORK/unit/balpd.service" 2>&1)
	ok $? "systemd-analyze verify accepts the unit"
	is "$out" "" "without a complaint"
	out=$(systemd-analyze security --offline=true "$UNIT" 2>&1)
	score=$(printf '%s\n' "$out" |
	    sed -n 's/.*Overall exposure level for balpd.service: \([0-9.]*\).*/\1/p')
	echo "# systemd-analyze security: exposure $score"
	ok "$(awk -v s="$score" 'BEGIN { exit !(s != "" && s + 0 <= 2.0) }'; echo $?)" \
	    "exposure $score <= 2.0"
	# The console's unit (issue 20): its own user, the same sandbox,
	# exposure <= 2.0 too.
	WUNIT=$(dirname "$UNIT")/balpweb.service
	ok "$(test -f "$WUNIT"; echo $?)" "the unit balpweb.service is installed"
	sed "s#/usr/sbin/#$ROOT/usr/sbin/#g" "$WUNIT" >"$WORK/unit/balpweb.service"
	out=$(systemd-analyze verify --man=no "$WORK/unit/balpweb.service" 2>&1)
	ok $? "systemd-analyze verify accepts balpweb.service"
	is "$out" "" "without a complaint"
	score=$(systemd-analyze security --offline=true "$WUNIT" 2>&1 |
	    sed -n 's/.*Overall exposure level for balpweb.service: \([0-9.]*\).*/\1/p')
	echo "# systemd-analyze security balpweb.service: exposure $score"
	ok "$(awk -v s="$score" 'BEGIN { exit !(s != "" && s + 0 <= 2.0) }'; echo $?)" \
	    "balpweb.service: exposure $score <= 2.0"
	like "$(cat "$WUNIT")" "^User=balpweb" "balpweb runs as its own user"
	for d in "Type=notify" "User=balp" "ProtectSystem=strict" \
	    "ReadWritePaths=/var/lib/balp" "SystemCallFilter=@system-service" \
	    "CapabilityBoundingSet=$" "ExecReload=/bin/kill -HUP \\\$MAINPID" \
	    "ExecStartPre=/usr/sbin/balpctl -c /etc/balp/balp.conf init" \
	    "MemoryMax=" "WatchdogSec="; do
		like "$(cat "$UNIT")" "^$d" "the unit sets $d"
	done
fi

done_testing
