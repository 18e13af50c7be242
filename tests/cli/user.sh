#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# balpctl user (issue 20, point 2): the console's accounts.  The password
# comes from the first line of stdin and never goes anywhere but its
# Argon2id hash: not in the database file nor its WAL, not in an audit
# row, not on stdout or stderr.  A password that breaks a rule is refused
# with the rule named (exit 2); an unknown role too; list and --json say
# what the table holds, never the hash; disable and passwd change the
# row; the commands are for access.admin_group; audit verify still passes.
. "$SRCDIR/tests/tools/tap.sh"
B="$SRCDIR/build/balpctl"
GROUP=staff

new_home
trap 'rm -rf "$HOME_DIR"' EXIT
"$B" -c "$CONF" init >/dev/null; ok $? "a fresh store"
DB="$HOME_DIR/var/balp.db"
q() { sqlite3 "$DB" "$1"; }
PW='Correct-Horse-Battery-42'
PW2='trés bon mot de passe'
ALL="$HOME_DIR/outputs"
: >"$ALL"
run() {	# run STDIN ARGS...: out, err, rc; every output kept in $ALL
	input=$1; shift
	printf '%s\n' "$input" | "$B" -c "$CONF" "$@" >"$HOME_DIR/o" \
	    2>"$HOME_DIR/e"
	rc=$?
	out=$(cat "$HOME_DIR/o"); err=$(cat "$HOME_DIR/e")
	cat "$HOME_DIR/o" "$HOME_DIR/e" >>"$ALL"
}

# ---- add ---------------------------------------------------------------------
run "$PW" user add alice --role admin --name "Alice Martin"
is "$rc" 0 "user add with the password on stdin"
like "$out" "alice added \\(admin\\).*must change" "says it, and that it must change"
is "$(q "select login, name, role, must_change, disabled from users")" \
    "alice|Alice Martin|admin|1|0" "the row: login, name, role, must change"
like "$(q "select password_hash from users where login = 'alice'")" \
    '^\$argon2id\$v=19\$m=[0-9]+,t=[0-9]+,p=1\$' "the hash is an \$argon2id\$ string"
verify=$(python3 - "$DB" "$PW" <<'PY'
import sqlite3, sys
try:
    from argon2 import PasswordHasher
except ImportError:
    print("skip"); sys.exit(0)
h = sqlite3.connect(sys.argv[1]).execute(
    "select password_hash from users where login='alice'").fetchone()[0]
print("ok" if PasswordHasher().verify(h, sys.argv[2]) else "bad")
PY
)
[ "$verify" = skip ] || is "$verify" ok "python's argon2 verifies it"

run "$PW2" user add bob --role supervisor
is "$rc" 0 "a password of 12 characters with an accent (22 bytes)"
run "trés courte" user add carol --role dpo
is "$rc" 2 "11 characters (13 bytes) refused, exit 2"
like "$err" "carol: the password is shorter than 12 characters" "the rule named"
printf 'correct horse\tbattery\n' | "$B" -c "$CONF" user add carol \
    --role dpo >"$HOME_DIR/o" 2>"$HOME_DIR/e"
is $? 2 "a password with a tab refused, exit 2"
like "$(cat "$HOME_DIR/e")" "control character" "the rule named"
cat "$HOME_DIR/o" "$HOME_DIR/e" >>"$ALL"
run "carol.dupont" user add carol.dupont --role dpo
is "$rc" 2 "the login as password refused"
like "$err" "is the login" "the rule named"
run "" user add carol --role dpo
is "$rc" 2 "no password on stdin refused"
run "$PW" user add carol --role root
is "$rc" 2 "an unknown role refused, exit 2"
like "$err" "--role: 'root' is not admin, supervisor or dpo" "naming the roles"
run "$PW" user add "caro l" --role dpo
is "$rc" 2 "a login with a space refused"
run "$PW" user add carol
is "$rc" 2 "no --role: usage"
run "$PW" user add ALICE --role dpo
is "$rc" 1 "a second ALICE refused (logins are one whatever the case)"
like "$err" "'alice' exists already" "saying so"
is "$(q "select count(*) from users")" 2 "two accounts, nothing else written"
is "$(q "select count(*) from audit where action = 'user.add'")" 2 \
    "one user.add audit row each"
is "$(q "select actor || ' ' || object || ' ' || detail from audit where action = 'user.add' order by id limit 1")" \
    "admin:root alice role=admin" "actor, login and role in the audit row"

# ---- list ----------------------------------------------------------------------
run "" user list
is "$rc" 0 "user list"
like "$out" "^LOGIN +ROLE +STATE +MUST CHANGE +CREATED \\(UTC\\) +NAME" "its header"
like "$out" "alice +admin +active +yes +20[0-9-]+T[0-9:]+Z +Alice Martin" "alice's line"
unlike "$out" "argon2" "no hash"
run "" user list --json
is "$rc" 0 "user list --json"
printf '%s' "$out" | python3 -m json.tool >/dev/null; ok $? "valid JSON"
is "$(printf '%s' "$out" | python3 -c 'import json,sys
for u in json.load(sys.stdin):
    print(u["login"], u["role"], u["state"], u["must_change"], u["name"], sorted(u))')" \
"alice admin active True Alice Martin ['created_at', 'login', 'must_change', 'name', 'role', 'state', 'updated_at']
bob supervisor active True  ['created_at', 'login', 'must_change', 'name', 'role', 'state', 'updated_at']" \
    "each account's fields, and no other"
is "$(printf '%s' "$out" | python3 -c 'import json,sys
print(" ".join(u["login"] + "=" + u["created_at"] for u in json.load(sys.stdin)))')" \
    "$(q "select group_concat(login || '=' || created_at, ' ') from (select * from users order by login)")" \
    "the same as the table"

# ---- disable, passwd ---------------------------------------------------------
run "" user disable bob
is "$rc" 0 "user disable"
is "$(q "select disabled from users where login = 'bob'")" 1 "bob disabled"
run "" user disable bob
is "$rc" 1 "disabling him again refused"
run "" user disable nobody-here
is "$rc" 1 "an unknown login refused"
like "$err" "no console account 'nobody-here'" "saying so"
run "" user list --json
like "$out" '"login":"bob"[^}]*"state":"disabled"' "list says disabled"
q "update users set locked_until = '2999-01-01T00:00:00Z' where login = 'alice'"
run "" user list --json
like "$out" '"login":"alice"[^}]*"state":"locked"' "a lock in force: locked"
q "update users set locked_until = '2000-01-01T00:00:00Z' where login = 'alice'"
run "" user list --json
like "$out" '"login":"alice"[^}]*"state":"active"' "a lock run out: active"
old=$(q "select password_hash from users where login = 'alice'")
q "update users set must_change = 0 where login = 'alice'"
run "$PW2" user passwd alice
is "$rc" 0 "user passwd"
new=$(q "select password_hash from users where login = 'alice'")
[ "$old" != "$new" ]; ok $? "a new hash"
is "$(q "select must_change from users where login = 'alice'")" 1 \
    "set by an admin: must change again"
is "$(q "select coalesce(locked_until, 'none') from users where login = 'alice'")" \
    none "the lock cleared"
run "short" user passwd alice
is "$rc" 2 "a short new password refused, exit 2"
is "$(q "select password_hash from users where login = 'alice'")" "$new" \
    "the hash unchanged"
run "$PW" user passwd nobody-here
is "$rc" 1 "passwd of an unknown login refused"
is "$(q "select group_concat(action, ' ') from (select action from audit where action like 'user.%' order by id)")" \
    "user.add user.add user.disable user.passwd" "one audit row per change"

# ---- the passwords are nowhere -----------------------------------------------
for f in "$DB" "$DB-wal" "$ALL"; do
	[ -e "$f" ] || continue
	for p in "$PW" "$PW2" "Correct-Horse" "trés courte"; do
		grep -aqF -- "$p" "$f"; is $? 1 "'$p' nowhere in $(basename "$f")"
	done
done
is "$(q "select count(*) from audit where detail like '%argon2%' or detail like '%Horse%' or detail like '%mot de passe%'")" \
    0 "no password nor hash in the audit rows"

# ---- the audit still verifies ------------------------------------------------
run "" audit verify
is "$rc" 0 "audit verify passes after the user commands"
like "$out" "audit chain intact" "the chain intact"

# ---- outside access.admin_group --------------------------------------------------
if [ "$(id -u)" -eq 0 ] && getent group "$GROUP" >/dev/null &&
    command -v setpriv >/dev/null &&
    ! id -nG nobody | tr ' ' '\n' | grep -qx "$GROUP"; then
	printf 'access = {\n\tadmin_group = "%s";\n};\n' "$GROUP" >>"$CONF"
	"$B" -c "$CONF" init >/dev/null; ok $? "init with admin_group = $GROUP"
	chmod o+x "$HOME_DIR"
	n=$(q "select count(*) from audit")
	for cmd in "user list" "user disable alice" "user passwd alice" \
	    "user add dave --role dpo"; do
		# shellcheck disable=SC2086
		out=$(printf '%s\n' "$PW" | setpriv --reuid=nobody \
		    --regid=nogroup --clear-groups "$B" -c "$CONF" $cmd 2>&1)
		is $? 1 "$cmd: refused to nobody"
		like "$out" "user is for the members of group '$GROUP'" "naming the group"
	done
	is "$(q "select count(*) from audit")" "$n" "nothing written"
	is "$(q "select disabled from users where login = 'alice'")" 0 \
	    "alice still enabled"
	out=$(setpriv --reuid=nobody --regid=nogroup --groups="$GROUP" \
	    "$B" -c "$CONF" user list 2>&1)
	is $? 0 "a member of $GROUP lists the accounts"
else
	ok 0 "# SKIP admin_group: needs root, group $GROUP and setpriv"
fi
done_testing
