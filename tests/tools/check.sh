#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# check.sh - runs every test of balp (make check) and ends with the line
# "N passed, N failed".  Unit tests run twice: plain and under ASan+UBSan.
# Logs of each suite are kept in build/test-logs/.
set -u
SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)
cd "$SRCDIR" || exit 2
logs=build/test-logs
mkdir -p "$logs"
pass=0
fail=0
FUZZ_SECONDS=${FUZZ_SECONDS:-60}

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

# A cmocka binary: counts from its "[  PASSED  ] N test(s)." and
# "[  FAILED  ] N test(s)" lines; a crash without them counts as a failure.
run_cmocka() {
	name=$1 bin=$2
	log="$logs/$(echo "$name" | tr / _).log"
	"$bin" >"$log" 2>&1
	status=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' "$log" | tail -n 1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:/\1/p' "$log" | tail -n 1)
	p=${p:-0}
	f=${f:-0}
	if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1	# crashed, or a sanitizer report after the tests
	fi
	pass=$((pass + p))
	fail=$((fail + f))
	printf '%-34s %4d passed, %d failed\n' "$name" "$p" "$f"
	[ "$f" -eq 0 ] || sed -n '/FAILED\|ERROR\|Sanitizer\|runtime error/p' "$log" | head -n 20
}

# A TAP script: counts its "ok" and "not ok" lines.
run_tap() {
	name=$1 script=$2
	log="$logs/$(echo "$name" | tr / _).log"
	SRCDIR="$SRCDIR" sh "$script" >"$log" 2>&1
	status=$?
	p=$(grep -c '^ok ' "$log")
	f=$(grep -c '^not ok ' "$log")
	if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
	fi
	pass=$((pass + p))
	fail=$((fail + f))
	printf '%-34s %4d passed, %d failed\n' "$name" "$p" "$f"
	[ "$f" -eq 0 ] || grep -A3 '^not ok \|^#' "$log" | head -n 40
}

for bin in build/tests/test_*; do
	[ -x "$bin" ] && run_cmocka "unit/$(basename "$bin")" "$bin"
done
for bin in build/asan/tests/test_*; do
	[ -x "$bin" ] && run_cmocka "asan/$(basename "$bin")" "$bin"
done
for script in tests/cli/*.sh tests/e2e/*.sh tests/web/*.sh; do
	[ -f "$script" ] || continue
	run_tap "$(basename "$(dirname "$script")")/$(basename "$script" .sh)" "$script"
done

# The HTML parts of the bundled mails, one file each in $1, as seeds for
# fuzz_html: the part's body up to the next boundary line, quoted-printable
# decoded (soft breaks joined, =XX as the byte), other encodings as they are.
html_seeds() {
	mkdir -p "$1"
	for mail in tests/data/mime/*.eml tests/data/cases/*.eml; do
		[ -f "$mail" ] || continue
		LC_ALL=C awk -v out="$1/$(basename "$mail" .eml)" '
		BEGIN {
			for (i = 1; i < 256; i++)
				byte[sprintf("%02X", i)] = sprintf("%c", i)
		}
		{ sub(/\r$/, "") }
		state == 0 && tolower($0) ~ /^content-type:[ \t]*text\/html/ {
			state = 1; qp = 0; n++; next
		}
		state == 1 && tolower($0) ~ /^content-transfer-encoding:.*quoted-printable/ {
			qp = 1
		}
		state == 1 && $0 == "" { state = 2; next }
		state == 2 && /^--/ { state = 0; next }
		state == 2 {
			line = $0; soft = 0
			if (qp && sub(/=$/, "", line))
				soft = 1
			while (qp && match(line, /=[0-9A-Fa-f][0-9A-Fa-f]/)) {
				h = toupper(substr(line, RSTART + 1, 2))
				printf "%s%s", substr(line, 1, RSTART - 1), byte[h] \
				    > (out "-" n ".html")
				line = substr(line, RSTART + 3)
			}
			printf "%s%s", line, soft ? "" : "\n" > (out "-" n ".html")
		}' "$mail"
	done
}

# fuzz_sheet: the XML entries of the bundled spreadsheets, each after the
# byte that tells the target which entry it is (tests/fuzz/fuzz_sheet.c).
sheet_seeds() {
	mkdir -p "$1"
	python3 - "$1" tests/data/annex/*.xlsx tests/data/annex/*.ods <<'PY'
import os, sys, zipfile
modes = {"xl/worksheets/sheet1.xml": 0, "xl/sharedStrings.xml": 1,
         "xl/styles.xml": 2, "content.xml": 3}
for path in sys.argv[2:]:
    try:
        z = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        continue
    for name, mode in modes.items():
        try:
            data = z.read(name)
        except (KeyError, zipfile.BadZipFile, OSError):
            continue
        if len(data) > 1 << 20:
            continue
        out = os.path.join(sys.argv[1], "%s-%d" % (os.path.basename(path), mode))
        with open(out, "wb") as f:
            f.write(bytes([mode]) + data)
PY
}

# The fuzzers (parse+decide, annex files, HTML to text, content checks): any crash, leak or
# UB report is a failure.
for bin in build/fuzz/fuzz_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	corpus="build/fuzz-corpus/$name"
	mkdir -p "$corpus"
	log="$logs/$(echo "$name" | tr / _).log"
	# Seeds: the bundled inputs of the parser each target exercises.
	case $name in
	fuzz_annex) seeds="tests/data/annex" ;;
	fuzz_content) seeds="tests/data/content" ;;
	fuzz_annex_wire) seeds="tests/data/annex_wire" ;;
	fuzz_sheet)
		seeds="build/fuzz-seeds/fuzz_sheet"
		rm -rf "$seeds"
		sheet_seeds "$seeds"
		;;
	fuzz_html)
		seeds="build/fuzz-seeds/fuzz_html"
		rm -rf "$seeds"
		html_seeds "$seeds"
		;;
	*) seeds="tests/data/mime tests/data/demo/Maildir/new" ;;
	esac
	[ -d tests/data/cases ] && [ "$name" = fuzz_decide ] && seeds="$seeds tests/data/cases"
	# shellcheck disable=SC2086
	if "$bin" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
	    -artifact_prefix=build/ "$corpus" $seeds >"$log" 2>&1; then
		pass=$((pass + 1))
		printf '%-34s %4d passed, 0 failed (%s s, %s runs)\n' "fuzz/$name" 1 \
		    "$FUZZ_SECONDS" "$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log")"
	else
		fail=$((fail + 1))
		printf '%-34s %4d passed, 1 failed\n' "fuzz/$name" 0
		tail -n 30 "$log"
	fi
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
