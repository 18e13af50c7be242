#!/bin/sh
# Installs the Debian packages balp needs, or says the one line to run.
#   deps.sh run     what `make run` needs (build and run)
#   deps.sh check   what `make check` needs too (tests, sanitizers, fuzzer)
set -eu

run_pkgs="gcc make pkg-config libetpan-dev libsodium-dev libsqlite3-dev libconfig-dev sqlite3 libmagic-dev libmagic-mgc zlib1g-dev"
check_pkgs="$run_pkgs libcmocka-dev clang libclang-rt-14-dev valgrind"

case "${1:-run}" in
run) pkgs=$run_pkgs ;;
check) pkgs=$check_pkgs ;;
*) echo "usage: deps.sh run|check" >&2; exit 2 ;;
esac

missing=""
for p in $pkgs; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
	sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	sudo="sudo"
else
	echo "balp needs Debian packages that are not installed. Run, as root:" >&2
	echo "  apt-get install -y$missing" >&2
	exit 1
fi

echo "installing:$missing (apt-get, may take a minute)"
export DEBIAN_FRONTEND=noninteractive
# Stale or empty package lists make the first try fail: update and retry once.
if ! $sudo apt-get install -y -q $missing >/dev/null 2>&1; then
	$sudo apt-get update -q >/dev/null 2>&1 || true
	$sudo apt-get install -y -q $missing >/dev/null
fi
