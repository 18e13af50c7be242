# SPDX-License-Identifier: Apache-2.0
# tap.sh - a few TAP helpers for balp's shell tests (sourced, POSIX sh).
#
#   ok COND_EXIT_STATUS "description"     is GOT EXPECTED "description"
#   like GOT REGEX "description"          done_testing
#
# Each test script prints "ok N - ..." / "not ok N - ..." lines and ends
# with done_testing, which exits non-zero if anything failed.

tap_n=0
tap_failed=0

ok() {
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_failed=$((tap_failed + 1))
	fi
}

is() {
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf '#   got:      %s\n#   expected: %s\n' "$1" "$2"
	fi
}

like() {
	if printf '%s' "$1" | grep -Eq -- "$2"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf '#   got:      %s\n#   expected to match: %s\n' "$1" "$2"
	fi
}

unlike() {
	if printf '%s' "$1" | grep -Eq -- "$2"; then
		ok 1 "$3"
		printf '#   got:      %s\n#   expected not to match: %s\n' "$1" "$2"
	else
		ok 0 "$3"
	fi
}

# wait_for FILE REGEX SECONDS: until FILE matches (0) or time runs out (1).
wait_for() {
	t=0
	while [ "$t" -lt $(($3 * 10)) ]; do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		t=$((t + 1))
	done
	return 1
}

# fill DIR N PREFIX: N copies of the demo mails in DIR/new (one process),
# named PREFIX.00000.x..., each Message-ID made its own with PREFIX and
# its number (a server that knows mail by its headers must see N mails).
fill() {
	recent=$(date -d '7 days ago' +%d/%m/%Y)
	perl -e '
		my ($dir, $n, $prefix, $recent, @src) = @ARGV;
		my @m;
		for my $f (@src) {
			open(my $fh, "<", $f) or die "$f: $!";
			local $/;
			my $t = <$fh>;
			$t =~ s/\{\{RECENT\}\}/$recent/g;
			push @m, $t;
		}
		for my $i (0 .. $n - 1) {
			my $t = $m[$i % @m];
			$t =~ s/^(Message-ID:\s*<)/$1$prefix$i./mi;
			my $name = sprintf("%s.%05d.x", $prefix, $i);
			open(my $out, ">", "$dir/tmp/$name") or die "$name: $!";
			print $out $t;
			close($out);
			rename("$dir/tmp/$name", "$dir/new/$name") or die "$!";
		}' "$1" "$2" "$3" "$recent" "$SRCDIR"/tests/data/demo/Maildir/new/*
}

done_testing() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}

# A fresh balp home in a temp folder: a copy of conf/ and rules/.
# Sets HOME_DIR and CONF.
# queue_empty SECONDS: the Postfix of $PF (its config directory) flushed
# until its queue is empty, in time (the LMTP scripts).
queue_empty() {
	t=0
	while [ "$t" -lt "$1" ]; do
		postqueue -c "$PF" -p 2>/dev/null | grep -q "Mail queue is empty" &&
		    return 0
		postqueue -c "$PF" -f >/dev/null 2>&1
		sleep 1
		t=$((t + 1))
	done
	return 1
}
# A free TCP port on loopback (the kernel's pick, released at once).
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Starts the private mail stack (tests/tools/mailstack.sh) in DIR and reads
# its env (ports, users, password files); a stack that does not start
# bails the whole script out with its last lines.
stack_start() {
	sh "$SRCDIR/tests/tools/mailstack.sh" start "$1" 2>"$1.start" || {
		echo "Bail out! the mail stack did not start: $(tail -n 5 "$1.start")"
		exit 1
	}
	rm -f "$1.start"
	. "$1/env"
}

new_home() {
	HOME_DIR=$(mktemp -d "${TMPDIR:-/tmp}/balp-test.XXXXXX")
	cp -R "$SRCDIR/conf" "$SRCDIR/rules" "$HOME_DIR/"
	CONF="$HOME_DIR/conf/balp.conf"
}

# A home with the two demo partners and their annexes imported.
demo_home() {
	new_home
	"$SRCDIR/build/balpctl" -c "$CONF" init >/dev/null &&
	"$SRCDIR/build/balpctl" -c "$CONF" partner add --id apeai-ouest-herault \
	    --name "APEAI Ouest Hérault" --start 2025-01-01 --max-persons 20 \
	    >/dev/null &&
	"$SRCDIR/build/balpctl" -c "$CONF" partner add --id ccas-lespignan \
	    --name "CCAS de Lespignan" --start 2025-06-01 >/dev/null &&
	"$SRCDIR/build/balpctl" -c "$CONF" annex import --partner \
	    apeai-ouest-herault "$SRCDIR/tests/data/demo/annexe-apeai.csv" \
	    >/dev/null &&
	"$SRCDIR/build/balpctl" -c "$CONF" annex import --partner \
	    ccas-lespignan "$SRCDIR/tests/data/demo/annexe-ccas-lespignan.csv" \
	    >/dev/null
}

# Copies the demo mails into DIR (tmp/ then rename, as an MDA does), the
# "recent" date set to a week before today.
deliver_demo() {
	recent=$(date -d '7 days ago' +%d/%m/%Y)
	for f in "$SRCDIR"/tests/data/demo/Maildir/new/*; do
		sed "s#{{RECENT}}#$recent#g" "$f" >"$1/tmp/$(basename "$f")"
		mv "$1/tmp/$(basename "$f")" "$1/new/"
	done
}
