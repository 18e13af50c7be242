#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Commands read the secrets they use, and only those (issue 18, point 5):
# an SMTP password file that is missing or too open blocks nothing that
# never sends mail (balpctl init, log, audit verify), while balpd, which
# sends the notices, refuses to start naming the file rather than failing
# at its first notice.
. "$SRCDIR/tests/tools/tap.sh"
B="$SRCDIR/build/balpctl"
D="$SRCDIR/build/balpd"

new_home
cat >>"$CONF" <<EOC
smtp = {
	host = "localhost";
	port = 1;
	tls = "smtps";
	user = "balp";
	password_file = "smtp.pass";
};
EOC
PW="$HOME_DIR/conf/smtp.pass"

# Missing.
out=$("$B" -c "$CONF" init 2>&1); st=$?
is "$st" 0 "no SMTP password file: balpctl init still works"
unlike "$out" "smtp\.pass" "and does not mention it"
out=$("$B" -c "$CONF" log 2>&1); is $? 0 "balpctl log works"
out=$("$B" -c "$CONF" audit verify 2>&1); is $? 0 "balpctl audit verify works"
err=$("$D" -c "$CONF" --once 2>&1); st=$?
is "$st" 2 "balpd refuses to start without its SMTP password file"
like "$err" "balpd: smtp: .*/conf/smtp\.pass: cannot open the password file" \
    "naming the file"

# Too open.
printf 's3cret-smtp\n' >"$PW"
chmod 644 "$PW"
out=$("$B" -c "$CONF" log 2>&1); is $? 0 "a 0644 SMTP password file: balpctl log works"
unlike "$out" "smtp\.pass|s3cret" "and says nothing of it"
out=$("$B" -c "$CONF" partner list 2>&1); is $? 0 "balpctl partner list works"
err=$("$D" -c "$CONF" --once 2>&1); st=$?
is "$st" 2 "balpd refuses to start with a 0644 SMTP password file"
like "$err" "smtp\.pass: password file mode 0644 lets group or others read or write it \(chmod 600\)" \
    "saying why"
unlike "$err" "s3cret" "never printing the password"

# Right: balpd goes past the check (the relay on port 1 is for later).
chmod 600 "$PW"
err=$("$D" -c "$CONF" --once 2>&1); st=$?
is "$st" 0 "with a 0600 file balpd starts and makes its pass"
unlike "$err" "smtp\.pass" "the file is not complained about"

rm -rf "$HOME_DIR"
done_testing
