#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# access.admin_group (issue 11, item 6): balpctl init gives the store's
# folder (2770), the database (0660) and the keys (0640) to the admin
# group; the trace, review and purge commands refuse whoever is neither
# root nor in it, before the store is opened; the other commands are left
# to the files' modes; a key of another group is refused; the audit actor
# names the sudo user; balpd logs auth_failed and attachment_forbidden
# decisions as "security: " lines, without a NIR.  Runs as root (chgrp,
# setpriv); the admin group is `staff`, which `nobody` is not in.
. "$SRCDIR/tests/tools/tap.sh"
B="$SRCDIR/build/balpctl"
D="$SRCDIR/build/balpd"
GROUP=staff

skip_all() { echo "1..0 # SKIP $1"; exit 0; }
[ "$(id -u)" -eq 0 ] || skip_all "needs root (chgrp, setpriv)"
getent group "$GROUP" >/dev/null ||
    skip_all "no group '$GROUP' on this system (getent group $GROUP)"
command -v setpriv >/dev/null || skip_all "no setpriv (util-linux)"
id -nG nobody | tr ' ' '\n' | grep -qx "$GROUP" &&
    skip_all "nobody is in group '$GROUP'"

demo_home; ok $? "a home with two partners and their annexes"
trap 'rm -rf "$HOME_DIR"' EXIT
V="$HOME_DIR/var"
DB="$V/balp.db"
q() { sqlite3 "$DB" "$1"; }
modes() { stat -c '%a %G' "$@"; }

# ---- without admin_group: today's modes --------------------------------------
is "$(modes "$V/pseudonym.key") $(modes "$V/audit.key")" "600 root 600 root" \
    "unset: the keys are 0600, the owner's alone"
"$B" -c "$CONF" log >/dev/null; ok $? "unset: root runs log"

# setgroup NAME: access.admin_group = NAME in the config (empty: unset).
setgroup() {
	sed -i '/^access = {/,/^};/d' "$CONF"
	[ -n "$1" ] && printf 'access = {\n\tadmin_group = "%s";\n};\n' "$1" \
	    >>"$CONF"
	return 0
}

# ---- a group that does not exist --------------------------------------------
setgroup balp-no-such-group
out=$("$B" -c "$CONF" init 2>&1); is $? 2 "init with a missing group is refused"
like "$out" "balp\\.conf:[0-9]+: access\\.admin_group: no group 'balp-no-such-group'" \
    "naming the group and the setting, at file:line"
unlike "$(modes "$V")" "staff" "nothing changed"

# ---- init with the group ----------------------------------------------------
setgroup "$GROUP"
out=$("$B" -c "$CONF" init 2>&1); ok $? "init with access.admin_group = $GROUP"
like "$out" "store .*mode 0660 group $GROUP" "init says what it did"
is "$(modes "$V")" "2770 $GROUP" "the store's folder: 2770 (setgid), group $GROUP"
is "$(modes "$DB")" "660 $GROUP" "the database: 0660, group $GROUP"
is "$(modes "$V/pseudonym.key")" "640 $GROUP" "the pseudonym key: 0640, group $GROUP"
is "$(modes "$V/audit.key")" "640 $GROUP" "the audit key: 0640, group $GROUP"
for f in "$DB-wal" "$DB-shm"; do
	[ -e "$f" ] && is "$(modes "$f")" "660 $GROUP" "$(basename "$f"): 0660"
done
"$B" -c "$CONF" init >/dev/null; ok $? "init again keeps the shared keys"
is "$(modes "$V/audit.key")" "640 $GROUP" "still 0640"

# ---- nobody, outside the group ----------------------------------------------
chmod o+x "$HOME_DIR"		# the path to conf/ and var/; var/ stays 2770
as_nobody() {
	out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    "$B" -c "$CONF" "$@" 2>&1)
	rc=$?
}
as_admin() {	# nobody, with the admin group as a supplementary group
	out=$(setpriv --reuid=nobody --regid=nogroup --groups="$GROUP" \
	    "$B" -c "$CONF" "$@" 2>&1)
	rc=$?
}
rows=$(q "select count(*) from audit")
for cmd in "log" "review" "purge --dry-run" "audit verify" "message show 1" \
    "notice list"; do
	# shellcheck disable=SC2086
	as_nobody $cmd
	is "$rc" 1 "nobody: $cmd is refused (exit 1)"
	like "$out" "^balpctl: ${cmd%% *} is for the members of group '$GROUP' \\(access\\.admin_group\\); you are 'nobody'\$" \
	    "nobody: $cmd: the message names the group, the setting and the user"
done
is "$(q "select count(*) from audit")" "$rows" "no refused command wrote an audit row"
as_nobody partner list
ok "$(test "$rc" -ne 0; echo $?)" "nobody: partner list fails on the files' modes"
unlike "$out" "is for the members" "not through the group gate"
# A store closed to the user is no missing store (issue 18 point 4).
closed="permission denied: $V \\(mode 2770, group $GROUP\\) is closed to 'nobody': the store is for root and the members of group '$GROUP' \\(access\\.admin_group\\)"
like "$out" "^balpctl: $closed; it holds $DB\$" "nobody: partner list says permission denied, the folder and the group"
unlike "$out" "no store|run .*init" "not \"no store: run init\""
as_nobody init
is "$rc" 1 "nobody: init fails"
like "$out" "^balpctl: $closed" "saying permission denied, the folder and the group, before any chown"
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$D" -c "$CONF" --once 2>&1)
ok "$(test $? -ne 0; echo $?)" "nobody: balpd fails"
like "$out" "^balpd: $closed" "saying the same"
chmod 2775 "$V"
chmod 0640 "$DB"
as_nobody partner list
like "$out" "^balpctl: permission denied: $DB \\(mode 0640, group $GROUP\\) is closed to 'nobody'" \
    "a database the user may not read: named itself"
chmod 2770 "$V"
chmod 0660 "$DB"

# ---- nobody, in the group ---------------------------------------------------
as_admin log
is "$rc" 0 "nobody with group $GROUP: log works"
like "$out" "^ID +DECIDED" "and lists"
is "$(q "select actor from audit where action = 'trace.query' order by id desc limit 1")" \
    "admin:nobody" "the trace query is audited as nobody"
as_admin audit verify
is "$rc" 0 "nobody with group $GROUP: audit verify works"
like "$out" "audit chain intact" "the chain is intact"
as_admin partner list
is "$rc" 0 "nobody with group $GROUP: partner list works"
like "$out" "apeai-ouest-herault" "and lists the partners"
is "$(find "$V" -maxdepth 1 -name 'balp.db*' ! -group "$GROUP" | wc -l)" 0 \
    "what sqlite created for nobody belongs to group $GROUP"

# ---- root, and sudo ---------------------------------------------------------
"$B" -c "$CONF" review >/dev/null; ok $? "root: review works"
"$B" -c "$CONF" purge --dry-run >/dev/null; ok $? "root: purge --dry-run works"
SUDO_USER=alice "$B" -c "$CONF" partner add --id sudo-test --name "Sudo" \
    --start 2025-01-01 >/dev/null; ok $? "root through sudo adds a partner"
is "$(q "select actor from audit where object = 'sudo-test' order by id desc limit 1")" \
    "admin:alice (sudo)" "the audit row names the sudo user"
"$B" -c "$CONF" partner end sudo-test >/dev/null; ok $? "root, no sudo, ends it"
is "$(q "select actor from audit where object = 'sudo-test' order by id desc limit 1")" \
    "admin:root" "the audit row names root"
SUDO_USER='x;y' "$B" -c "$CONF" partner add --id sudo-test2 --name "Sudo" \
    --start 2025-01-01 >/dev/null
is "$(q "select actor from audit where object = 'sudo-test2' order by id desc limit 1")" \
    "admin:root" "a SUDO_USER that is no login is ignored"

# ---- keys of the wrong group ------------------------------------------------
chgrp nogroup "$V/audit.key"
out=$("$B" -c "$CONF" audit verify 2>&1); is $? 2 "an audit key of group nogroup is refused"
like "$out" "audit\\.key: key file mode 0640 lets group 'nogroup' read it, and only the admin group '$GROUP' may" \
    "naming the group it should be"
chgrp "$GROUP" "$V/audit.key"
chmod 660 "$V/pseudonym.key"
out=$("$B" -c "$CONF" log --nir "1 85 05 78 006 084 91" 2>&1)
is $? 2 "a group-writable pseudonym key is refused (log --nir)"
like "$out" "pseudonym\\.key: key file mode 0660" "saying so"
chmod 640 "$V/pseudonym.key"
setgroup ""
out=$("$B" -c "$CONF" audit verify 2>&1); is $? 2 "unset again: a 0640 key is refused as before"
like "$out" "chmod 600" "saying chmod 600"
as_nobody log
unlike "$out" "is for the members" "unset: no group gate"
setgroup "$GROUP"

# ---- balpd's security lines -------------------------------------------------
deliver_demo "$V/Maildir"
"$D" -c "$CONF" --once >"$HOME_DIR/out" 2>"$HOME_DIR/err"; ok $? "the demo mails are triaged"
err=$(cat "$HOME_DIR/err")
sec=$(q "select source_ref from decisions where ',' || reasons || ',' like '%,auth_failed,%' or ',' || reasons || ',' like '%,attachment_forbidden,%'")
ok "$(test "$(printf '%s\n' "$sec" | grep -c .)" -ge 2; echo $?)" \
    "the demo has spoofed and dangerous mails"
is "$(printf '%s\n' "$err" | grep -c ' security: ')" \
    "$(printf '%s\n' "$sec" | grep -c .)" "one security line for each"
for ref in $sec; do
	like "$err" "balpd\\[[0-9]+\\]: security: decision msgid=[^ ]+ partner=[^ ]+ type=[^ ]+ outcome=quarantined reasons=([^ ]*,)?(auth_failed|attachment_forbidden)(,[^ ]*)? queue=BALP/Quarantaine ms=[0-9]+ file=$ref\$" \
	    "security line for $ref, with its reason"
done
for ref in $(q "select source_ref from decisions where outcome = 'accepted'"); do
	unlike "$err" "security: .* file=$ref\$" "no security line for the accepted $ref"
done
unlike "$(printf '%s\n' "$err" | grep ' security: ')" "malformed|sender_unknown" \
    "nor for the other reasons"
unlike "$err$(cat "$HOME_DIR/out")" "185057800608491|1 85 05 78 006 084 91|1\\.85\\.05|2870634172058|2A06341720" \
    "no NIR in balpd's output"

# ---- init hands nothing to the group through a symbolic link -----------------
# (issue 17 point 7): a member may write in the store's folder, so a link
# planted there must not make init chown/chmod its target.
mkdir -m 0700 "$HOME_DIR/elsewhere"
rm -rf "$V/keys"
ln -s "$HOME_DIR/elsewhere" "$V/keys"
sed -i 's#key_file = "../var/pseudonym.key";#key_file = "../var/keys/pseudonym.key";#' "$CONF"
out=$("$B" -c "$CONF" init 2>&1); is $? 1 "init with a key folder that is a planted link fails"
like "$out" "$V/keys is a symbolic link: refused" "naming the link"
is "$(modes "$HOME_DIR/elsewhere")" "700 root" "its target keeps its mode and group"
sed -i 's#key_file = "../var/keys/pseudonym.key";#key_file = "../var/pseudonym.key";#' "$CONF"
rm "$V/keys"
touch "$HOME_DIR/victim"
chmod 600 "$HOME_DIR/victim"
ln -s "$HOME_DIR/victim" "$V/audit.key.planted"
sed -i 's#audit_key_file = "../var/audit.key";#audit_key_file = "../var/audit.key.planted";#' "$CONF"
"$B" -c "$CONF" init >/dev/null 2>&1; ok "$(test $? -ne 0; echo $?)" "a key that is a link: init fails"
is "$(modes "$HOME_DIR/victim")" "600 root" "its target keeps its mode and group"
sed -i 's#audit_key_file = "../var/audit.key.planted";#audit_key_file = "../var/audit.key";#' "$CONF"
"$B" -c "$CONF" init >/dev/null; ok $? "init, the links gone, works again"

done_testing
