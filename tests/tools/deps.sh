#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian packages balp needs, or says the one line to run.
#   deps.sh run     what `make run` needs (build and run)
#   deps.sh check   what `make check` needs too (tests, sanitizers, fuzzer,
#                   the private Dovecot + Postfix of the end-to-end tests,
#                   and the headless Chromium of the browser tests)
#   deps.sh bench   what `make check` needs, plus the benchmarks' peers
#                   and clients (imapfilter, GNU time, ab)
# The mail servers are installed without starting or enabling any system
# instance: Postfix is preseeded with "No configuration", a temporary
# policy-rc.d forbids starting daemons, and the boot links are disabled.
set -eu

run_pkgs="gcc make pkg-config libetpan-dev libsodium-dev libsqlite3-dev libconfig-dev sqlite3 libmagic-dev libmagic-mgc zlib1g-dev libgnutls28-dev nettle-dev libsystemd-dev libexpat1-dev libmicrohttpd-dev"
mail_pkgs="dovecot-imapd dovecot-lmtpd postfix swaks libnet-ssleay-perl curl openssl libsasl2-modules"
# The browser tests (tests/web): Debian's Chromium, its WebDriver and
# Selenium for Debian's python3; npm installs axe-core (tests/tools/axe.sh).
web_pkgs="chromium chromium-driver python3-selenium"
check_pkgs="$run_pkgs libcmocka-dev clang libclang-rt-14-dev valgrind gdb mandoc dpkg-dev debhelper lintian fakeroot $mail_pkgs $web_pkgs"
# ApacheBench (apache2-utils) for tests/bench/web.sh.
bench_pkgs="$check_pkgs imapfilter time apache2-utils"

case "${1:-run}" in
run) pkgs=$run_pkgs ;;
check) pkgs=$check_pkgs ;;
bench) pkgs=$bench_pkgs ;;
*) echo "usage: deps.sh run|check|bench" >&2; exit 2 ;;
esac

# npm: whichever the machine has (Node.js's own packages bring it); Debian's
# only when there is none.
case "${1:-run}" in
check|bench) command -v npm >/dev/null 2>&1 || pkgs="$pkgs npm" ;;
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
	case "$missing" in
	*" postfix"*)
		echo "  echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections" >&2 ;;
	esac
	echo "  apt-get install -y$missing" >&2
	exit 1
fi

# Daemons must not start during the install: a policy-rc.d that says no,
# removed afterwards only if it is ours.
policy=/usr/sbin/policy-rc.d
own_policy=""
cleanup() {
	if [ -n "$own_policy" ]; then
		$sudo rm -f "$policy"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# balp deps.sh: no daemon starts during this install\nexit 101\n' |
	    $sudo tee "$policy" >/dev/null
	$sudo chmod 755 "$policy"
	own_policy=1
fi
# No /etc/postfix/main.cf, hence no system Postfix that could start.
echo "postfix postfix/main_mailer_type select No configuration" |
    $sudo debconf-set-selections

echo "installing:$missing (apt-get, may take a minute)"
export DEBIAN_FRONTEND=noninteractive
# Stale or empty package lists make the first try fail: update and retry once.
# shellcheck disable=SC2086
if ! $sudo apt-get install -y -q $missing >/dev/null 2>&1; then
	$sudo apt-get update -q >/dev/null 2>&1 || true
	$sudo apt-get install -y -q $missing >/dev/null
fi

# The boot links the servers' packages made: off (best effort; a machine
# without systemd or sysv links just has nothing to disable).
for svc in dovecot postfix; do
	case "$missing " in
	*" $svc"*) ;;
	*) continue ;;
	esac
	if command -v systemctl >/dev/null 2>&1; then
		$sudo systemctl disable "$svc.service" >/dev/null 2>&1 || true
	fi
	if command -v update-rc.d >/dev/null 2>&1 && [ -e "/etc/init.d/$svc" ]; then
		$sudo update-rc.d "$svc" disable >/dev/null 2>&1 || true
	fi
done
