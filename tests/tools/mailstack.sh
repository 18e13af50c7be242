#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# mailstack.sh - a private, real Dovecot + Postfix on loopback for balp's
# end-to-end tests (run as root; packages from `tests/tools/deps.sh check`).
#
#   mailstack.sh start DIR
#       DIR: a fresh directory under /tmp, at most 60 characters (the unix
#       sockets live under it), e.g. from `mktemp -d /tmp/ms.XXXXXX`; it is
#       made traversable by the servers' unprivileged users.  Picks free
#       loopback ports, makes a throwaway CA and certificates, starts Dovecot
#       (IMAP with STARTTLS, IMAPS, LMTP) and Postfix (SMTP, submission with
#       STARTTLS + AUTH, SMTPS with implicit TLS + AUTH), waits until they
#       answer, and writes DIR/env (sourceable sh: the MS_* variables below).
#       Prints the start time on stderr.  On failure: the servers' log tails
#       on stderr, what was started is stopped, exit 1.
#   mailstack.sh stop DIR
#       Stops the two masters it started (by their pid files: TERM to both,
#       then waits for both and for their children; about 2-3 s, Dovecot's
#       master sleeps while its children exit).  DIR stays; the caller
#       removes it.  Nothing is ever signalled by name.
#   mailstack.sh dovecot-stop DIR / dovecot-start DIR
#       Stops Dovecot alone (by its pid file), starts it again on the same
#       ports and mail: the IMAP server going away under a client.
#   mailstack.sh lmtp-route DIR ADDRESS NEXTHOP
#       Routes mail for ADDRESS through Postfix's transport_maps to NEXTHOP
#       (lmtp:inet:127.0.0.1:PORT or lmtp:unix:PATH: balpd's LMTP, as a
#       Caf's MX would), one recipient per delivery
#       (lmtp_destination_recipient_limit), and reloads Postfix.
#   mailstack.sh wait-count DIR USER FOLDER N SECONDS
#       Waits until FOLDER (IMAP name: INBOX, BALP/RIB, ...) of USER (balp or
#       balp@caf.test) holds exactly N messages, counted in the Maildir on
#       disk (new/ + cur/).  0 when it does, 1 (with the count on stderr)
#       when SECONDS pass first.
#
# DIR/env:
#   MS_DIR MS_CA (CA certificate, PEM) MS_DOMAIN=caf.test
#   MS_HOST_GOOD=localhost  MS_ADDR_GOOD=127.0.0.1: the good certificate
#       (CN/SAN localhost, IP:127.0.0.1, signed by MS_CA)
#   MS_ADDR_WRONGNAME=127.0.0.2: the same IMAP, IMAPS, submission and SMTPS
#       ports present a certificate signed by MS_CA for
#       MS_WRONGNAME_HOST=wrong.example only
#   MS_ADDR_NOMOVE=127.0.0.4, MS_ADDR_UIDPLUS=127.0.0.5: the same IMAP
#       ports (plain; their certificate is the good one, for localhost)
#       announcing neither MOVE nor UIDPLUS, and UIDPLUS without MOVE
#   MS_ADDR_RAWLOG=127.0.0.6, MS_ADDR_NOLITPLUS=127.0.0.7: the same IMAP
#       ports (plain; the good certificate), every session's raw traffic
#       written after login to MS_RAWLOG_DIR/<address>/ (<date>-<pid>.in
#       is what the client sent, .out the server's answers, each line
#       after the time it came, "sec.usec "); 127.0.0.7 announces no
#       LITERAL+ (a client must wait for "+" before each literal), but
#       MULTIAPPEND, UIDPLUS and MOVE
#   MS_ADDR_TOOBIG=127.0.0.8, MS_ADDR_TOOBIG_NOLITPLUS=127.0.0.9: the same
#       IMAP ports (plain; the good certificate), raw traffic logged as on
#       127.0.0.6, where Dovecot refuses with a tagged NO [LIMIT] every
#       message over MS_TOOBIG_MAX bytes (its quota plugin's
#       quota_max_mail_size, loaded for these two addresses only): inside
#       a MULTIAPPEND, the whole command (RFC 3502: all or none); 127.0.0.9
#       without LITERAL+, as 127.0.0.7
#   MS_ADDR_SELFSIGNED=127.0.0.3: the same four ports present a self-signed
#       certificate for localhost, 127.0.0.1 and 127.0.0.3 (not from MS_CA)
#   (a client that connects to "localhost" but should reach a bad endpoint:
#   curl --resolve localhost:PORT:127.0.0.2; LMTP and the MX port are on
#   127.0.0.1 only)
#   MS_IMAP_PORT (plain, STARTTLS offered) MS_IMAPS_PORT MS_LMTP_PORT (Dovecot)
#   MS_SMTP_PORT   MX-style: mail for caf.test without AUTH (relay from 127/8
#                  too), STARTTLS offered
#   MS_SUBMIT_PORT submission: STARTTLS required, then AUTH PLAIN/LOGIN
#   MS_SMTPS_PORT  implicit TLS, AUTH PLAIN/LOGIN
#   MS_BALP_USER MS_AGENT_USER MS_CAPTURE_USER MS_NOTICES_USER (addresses)
#   MS_BALP_PASS_FILE MS_AGENT_PASS_FILE MS_CAPTURE_PASS_FILE
#   MS_NOTICES_PASS_FILE  (DIR/secrets/<user>.pass, 0600, no newline)
#   MS_MAILDIR_ROOT: user mail is in $MS_MAILDIR_ROOT/<local part>/Maildir
#       (Maildir++: BALP/RIB is .BALP.RIB), owned by the `mail` user
#   MS_DOVECOT_LOG MS_POSTFIX_LOG
# Mail for caf.test goes by LMTP to Dovecot; mail for any other domain is
# rewritten to capture@caf.test; nothing leaves the machine.
set -u

users="balp agent capture notices"
domain=caf.test
# The largest message Dovecot stores on MS_ADDR_TOOBIG (bytes).
toobig_max=65536

die() {
	echo "mailstack: $*" >&2
	exit 1
}

now() { date +%s%N; }

# An absolute, existing DIR; refused when too long or not traversable.
check_dir() {
	[ -n "${1:-}" ] || die "no DIR given"
	[ -d "$1" ] || die "$1: not a directory"
	dir=$(cd "$1" && pwd -P) || die "$1: cannot enter"
	if [ "${#dir}" -gt 60 ]; then
		die "$dir: ${#dir} characters, at most 60 (unix socket paths" \
		    "under it are limited); use a short folder such as" \
		    "\$(mktemp -d /tmp/ms.XXXXXX)"
	fi
}

# The servers' unprivileged users must reach DIR: every parent searchable
# by others (so /tmp/x, not /root/x).
check_traversable() {
	p=$dir
	while [ "$p" != / ]; do
		p=$(dirname "$p")
		case $(stat -c %A "$p") in
		?????????[xt]) ;;
		*) die "$dir: $p is not searchable by other users (the servers'" \
		    "unprivileged users must reach DIR); use a folder under /tmp" ;;
		esac
	done
}

# free_ports N: N distinct TCP ports free on every local address (bound
# together on 0.0.0.0 port 0, then released).
free_ports() {
	perl -MSocket -e '
		my @s;
		for (1 .. $ARGV[0]) {
			socket(my $s, PF_INET, SOCK_STREAM, 0) or die "socket: $!";
			bind($s, pack_sockaddr_in(0, INADDR_ANY)) or die "bind: $!";
			push @s, $s;
			print((unpack_sockaddr_in(getsockname($s)))[0], "\n");
		}' "$1"
}

# wait_banners SECONDS PORT=REGEX...: each port of 127.0.0.1 answers a
# greeting matching REGEX (then is told goodbye).
wait_banners() {
	perl -MIO::Socket::INET -MTime::HiRes=time,sleep -e '
		my ($t, @want) = @ARGV;
		my $end = time + $t;
		for my $w (@want) {
			my ($port, $re) = split /=/, $w, 2;
			for (;;) {
				my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1",
				    PeerPort => $port, Timeout => 1);
				if ($s) {
					my $l = <$s>;
					if (defined $l && $l =~ /$re/) {
						print $s ($l =~ /^\*/ ? "a LOGOUT\r\n" : "QUIT\r\n");
						close $s;
						last;
					}
					close $s;
				}
				die "port $port does not answer\n" if time > $end;
				sleep 0.03;
			}
		}' "$@"
}

# The certificates: a CA, a server certificate for localhost signed by it,
# one signed by it for a wrong name, one self-signed for localhost.
make_tls() {
	t=$dir/tls
	mkdir -p "$t"
	# No config defaults (Debian's adds CA:true to every req -x509).
	printf '[req]\ndistinguished_name = dn\n[dn]\n' >"$t/openssl.cnf"
	ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 7"
	# shellcheck disable=SC2086
	openssl req -config "$t/openssl.cnf" -x509 $ec \
	    -keyout "$t/ca.key" -out "$t/ca.pem" -subj "/CN=balp test CA $inst" \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" \
	    -addext "subjectKeyIdentifier=hash" &&
	leaf "good" "/CN=localhost" "DNS:localhost,IP:127.0.0.1" \
	    -CA "$t/ca.pem" -CAkey "$t/ca.key" &&
	leaf "wrongname" "/CN=wrong.example" "DNS:wrong.example" \
	    -CA "$t/ca.pem" -CAkey "$t/ca.key" &&
	leaf "selfsigned" "/CN=localhost" \
	    "DNS:localhost,IP:127.0.0.1,IP:127.0.0.3"
}

# leaf NAME SUBJECT SAN [-CA ca -CAkey key]
leaf() {
	n=$1 subj=$2 san=$3
	shift 3
	# shellcheck disable=SC2086
	openssl req -config "$t/openssl.cnf" -x509 $ec "$@" \
	    -keyout "$t/$n.key" -out "$t/$n.pem" -subj "$subj" \
	    -addext "subjectAltName=$san" \
	    -addext "basicConstraints=critical,CA:FALSE" \
	    -addext "keyUsage=critical,digitalSignature" \
	    -addext "extendedKeyUsage=serverAuth"
}

write_dovecot() {
	d=$dir/dovecot
	mkdir -p "$d" "$dir/mail"
	chown mail:mail "$dir/mail"
	chmod 0750 "$dir/mail"
	for a in 127.0.0.6 127.0.0.7 127.0.0.8 127.0.0.9; do
		mkdir -p "$dir/rawlog/$a"
		chown mail:mail "$dir/rawlog/$a"
		chmod 0750 "$dir/rawlog/$a"
	done
	: >"$d/users"
	for u in $users; do
		printf '%s@%s:{PLAIN}%s:%s:%s::%s/mail/%s::\n' "$u" "$domain" \
		    "$(cat "$dir/secrets/$u.pass")" "$mail_uid" "$mail_gid" \
		    "$dir" "$u" >>"$d/users"
	done
	chgrp dovecot "$d/users"
	chmod 0640 "$d/users"
	cat >"$d/dovecot.conf" <<EOF
# balp test mail stack (tests/tools/mailstack.sh)
instance_name = $inst
base_dir = $d/run
state_dir = $d/state
log_path = $d/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1, 127.0.0.2, 127.0.0.3, 127.0.0.4, 127.0.0.5, 127.0.0.6, 127.0.0.7, 127.0.0.8, 127.0.0.9
shutdown_clients = yes
first_valid_uid = $mail_uid
first_valid_gid = $mail_gid
mail_uid = $mail_uid
mail_gid = $mail_gid
mail_location = maildir:~/Maildir
namespace inbox {
  separator = /
  inbox = yes
}
auth_mechanisms = plain login
disable_plaintext_auth = no
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $d/users
}
userdb {
  driver = passwd-file
  args = username_format=%u $d/users
}
ssl = yes
ssl_cert = <$dir/tls/good.pem
ssl_key = <$dir/tls/good.key
local 127.0.0.2 {
  ssl_cert = <$dir/tls/wrongname.pem
  ssl_key = <$dir/tls/wrongname.key
}
local 127.0.0.3 {
  ssl_cert = <$dir/tls/selfsigned.pem
  ssl_key = <$dir/tls/selfsigned.key
}
# Servers that announce less, for the clients' fallbacks: no MOVE nor
# UIDPLUS on 127.0.0.4, UIDPLUS without MOVE on 127.0.0.5.
local 127.0.0.4 {
  protocol imap {
    imap_capability = IMAP4rev1 LITERAL+ IDLE
  }
}
local 127.0.0.5 {
  protocol imap {
    imap_capability = IMAP4rev1 LITERAL+ IDLE UIDPLUS
  }
}
# The raw IMAP traffic of the sessions on 127.0.0.6 and 127.0.0.7, for the
# tests of what a client sends (its APPEND commands); 127.0.0.7 without
# LITERAL+ (synchronizing literals only).
local 127.0.0.6 {
  protocol imap {
    rawlog_dir = $dir/rawlog/127.0.0.6
  }
}
local 127.0.0.7 {
  protocol imap {
    imap_capability = IMAP4rev1 IDLE MULTIAPPEND UIDPLUS MOVE NAMESPACE
    rawlog_dir = $dir/rawlog/127.0.0.7
  }
}
# A server that refuses a message, for the clients' handling of a NO
# inside a MULTIAPPEND: the quota plugin's largest message, and no quota
# root (nothing counted, nothing else refused).  Loaded on these two
# addresses only: the other sessions and LMTP store as before.
local 127.0.0.8 {
  protocol imap {
    mail_plugins = \$mail_plugins quota
    rawlog_dir = $dir/rawlog/127.0.0.8
    plugin {
      quota_max_mail_size = $toobig_max
    }
  }
}
local 127.0.0.9 {
  protocol imap {
    imap_capability = IMAP4rev1 IDLE MULTIAPPEND UIDPLUS MOVE NAMESPACE
    mail_plugins = \$mail_plugins quota
    rawlog_dir = $dir/rawlog/127.0.0.9
    plugin {
      quota_max_mail_size = $toobig_max
    }
  }
}
service imap-login {
  inet_listener imap {
    port = $imap_port
  }
  inet_listener imaps {
    port = $imaps_port
    ssl = yes
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $lmtp_port
  }
}
service auth {
  unix_listener auth-postfix {
    mode = 0666
  }
}
EOF
}

write_postfix() {
	p=$dir/postfix
	mkdir -p "$p" "$dir/pdata" "$dir/pqueue"
	chown postfix "$dir/pdata"
	cat >"$p/main.cf" <<EOF
# balp test mail stack (tests/tools/mailstack.sh)
compatibility_level = 3.6
queue_directory = $dir/pqueue
data_directory = $dir/pdata
maillog_file = $p/maillog
maillog_file_prefixes = $dir
syslog_name = $inst
myhostname = mx.$domain
mydomain = $domain
myorigin = \$mydomain
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
# Partner mail arrives as on the Caf's MX: from outside, delivered as it
# came (a mail without From stays without From).
local_header_rewrite_clients =
biff = no
append_dot_mydomain = no
alias_maps =
alias_database =
smtpd_banner = \$myhostname ESMTP balp test stack
virtual_mailbox_domains = $domain
virtual_alias_domains =
virtual_mailbox_maps = texthash:$p/vmailbox
virtual_alias_maps = regexp:$p/capture
virtual_transport = lmtp:inet:127.0.0.1:$lmtp_port
local_transport = error:5.1.1 no local delivery in the test stack
relay_transport = error:5.7.1 nothing leaves the test stack
default_transport = error:5.7.1 nothing leaves the test stack
smtpd_tls_cert_file = $dir/tls/good.pem
smtpd_tls_key_file = $dir/tls/good.key
smtpd_tls_security_level = may
smtpd_tls_loglevel = 0
smtp_tls_security_level = none
lmtp_tls_security_level = none
smtpd_sasl_type = dovecot
smtpd_sasl_path = $dir/dovecot/run/auth-postfix
smtpd_sasl_auth_enable = no
queue_run_delay = 2s
minimal_backoff_time = 2s
maximal_backoff_time = 10s
delay_warning_time = 0
EOF
	: >"$p/vmailbox"
	for u in $users; do
		printf '%s@%s ok\n' "$u" "$domain" >>"$p/vmailbox"
	done
	cat >"$p/capture" <<EOF
# Every address outside $domain lands in capture@$domain.
if !/@$(echo "$domain" | sed 's/\./\\./g')\$/
/./ capture@$domain
endif
EOF
	cat >"$p/master.cf" <<EOF
# service type  private unpriv  chroot  wakeup  maxproc command + args
$smtp_port inet n       -       n       -       -       smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
	# Submission and SMTPS, also on 127.0.0.2 / 127.0.0.3 with the bad
	# certificates.
	for a in 127.0.0.1:good 127.0.0.2:wrongname 127.0.0.3:selfsigned; do
		ip=${a%%:*} cert=$dir/tls/${a#*:}
		cat >>"$p/master.cf" <<EOF
$ip:$submit_port inet n - n - - smtpd
  -o syslog_name=$inst/submission
  -o smtpd_tls_cert_file=$cert.pem
  -o smtpd_tls_key_file=$cert.key
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_auth_only=yes
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
  -o smtpd_recipient_restrictions=permit_sasl_authenticated,reject
$ip:$smtps_port inet n - n - - smtpd
  -o syslog_name=$inst/smtps
  -o smtpd_tls_cert_file=$cert.pem
  -o smtpd_tls_key_file=$cert.key
  -o smtpd_tls_wrappermode=yes
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
  -o smtpd_recipient_restrictions=permit_sasl_authenticated,reject
EOF
	done
	# Postfix sleeps on config files under a second old ("hot"): date
	# them a minute back.
	touch -d "@$(($(date +%s) - 60))" "$p"/*
}

write_env() {
	{
		echo "# balp test mail stack: source me (tests/tools/mailstack.sh)"
		echo "MS_DIR='$dir'"
		echo "MS_CA='$dir/tls/ca.pem'"
		echo "MS_DOMAIN='$domain'"
		echo "MS_HOST_GOOD='localhost'"
		echo "MS_ADDR_GOOD='127.0.0.1'"
		echo "MS_ADDR_WRONGNAME='127.0.0.2'"
		echo "MS_WRONGNAME_HOST='wrong.example'"
		echo "MS_ADDR_SELFSIGNED='127.0.0.3'"
		echo "MS_ADDR_NOMOVE='127.0.0.4'"
		echo "MS_ADDR_UIDPLUS='127.0.0.5'"
		echo "MS_ADDR_RAWLOG='127.0.0.6'"
		echo "MS_ADDR_NOLITPLUS='127.0.0.7'"
		echo "MS_ADDR_TOOBIG='127.0.0.8'"
		echo "MS_ADDR_TOOBIG_NOLITPLUS='127.0.0.9'"
		echo "MS_TOOBIG_MAX='$toobig_max'"
		echo "MS_RAWLOG_DIR='$dir/rawlog'"
		echo "MS_IMAP_PORT='$imap_port'"
		echo "MS_IMAPS_PORT='$imaps_port'"
		echo "MS_LMTP_PORT='$lmtp_port'"
		echo "MS_SMTP_PORT='$smtp_port'"
		echo "MS_SUBMIT_PORT='$submit_port'"
		echo "MS_SMTPS_PORT='$smtps_port'"
		echo "MS_MAILDIR_ROOT='$dir/mail'"
		echo "MS_DOVECOT_LOG='$dir/dovecot/dovecot.log'"
		echo "MS_POSTFIX_LOG='$dir/postfix/maillog'"
		for u in $users; do
			U=$(echo "$u" | tr '[:lower:]' '[:upper:]')
			echo "MS_${U}_USER='$u@$domain'"
			echo "MS_${U}_PASS_FILE='$dir/secrets/$u.pass'"
		done
	} >"$dir/env.tmp" && mv "$dir/env.tmp" "$dir/env"
}

# pid_of FILE: the pid in a pid file, if that process lives.
pid_of() {
	[ -f "$1" ] || return 1
	pid=$(tr -dc 0-9 <"$1")
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

# children PID...: the pids whose parent is one of PID.
children() {
	perl -e '
		my %p = map { $_ => 1 } @ARGV;
		for my $f (glob "/proc/[0-9]*/stat") {
			open(my $fh, "<", $f) or next;
			my $s = <$fh> // next;
			my ($pid) = $f =~ m{/proc/(\d+)/};
			print "$pid\n" if $s =~ /\)\s+\S+\s+(\d+)/ && $p{$1};
		}' "$@"
}

# wait_gone SECONDS PID...: until every PID has exited (a zombie counts as
# exited: the masters are reparented to init, which may reap them late);
# prints those still running when time runs out.
wait_gone() {
	perl -MTime::HiRes=time,sleep -e '
		my ($t, @p) = @ARGV;
		my $end = time + $t;
		for (;;) {
			@p = grep {
				open(my $fh, "<", "/proc/$_/stat")
				    and (<$fh> // "") !~ /\)\s+[ZX]/;
			} @p;
			last if !@p || time > $end;
			sleep 0.02;
		}
		print "@p\n" if @p;' "$@"
}

do_stop() {
	pids=""
	for f in "$dir/dovecot/run/master.pid" "$dir/pqueue/pid/master.pid"; do
		m=$(pid_of "$f") && pids="$pids $m"
	done
	[ -n "$pids" ] || return 0
	# shellcheck disable=SC2086
	kids=$(children $pids)
	# shellcheck disable=SC2086
	kill -TERM $pids 2>/dev/null
	# shellcheck disable=SC2086
	left=$(wait_gone 10 $pids $kids)
	if [ -n "$left" ]; then
		echo "mailstack: still running after 10 s, killed: $left" >&2
		# shellcheck disable=SC2086
		kill -KILL $left 2>/dev/null
	fi
	return 0
}

# dovecot-stop / dovecot-start: the IMAP server goes away and comes back
# (same ports, same mail), for the tests of reconnection.
do_dovecot_stop() {
	m=$(pid_of "$dir/dovecot/run/master.pid") || die "Dovecot is not running"
	kids=$(children "$m")
	kill -TERM "$m"
	# An imap process in IDLE takes up to 10 s to say "shutting down":
	# the server goes away now, as a crash or a reboot would take it.
	# shellcheck disable=SC2086
	left=$(wait_gone 1 $m $kids)
	# shellcheck disable=SC2086
	[ -z "$left" ] || kill -TERM $left 2>/dev/null
	# shellcheck disable=SC2086
	[ -z "$(wait_gone 20 $m $kids)" ] || die "Dovecot still runs after 20 s"
}

do_dovecot_start() {
	# shellcheck disable=SC1091
	. "$dir/env"
	# A master init has not reaped yet would pass for running.
	if m=$(pid_of "$dir/dovecot/run/master.pid"); then
		[ -z "$(wait_gone 0 "$m")" ] || die "Dovecot is running"
		rm -f "$dir/dovecot/run/master.pid"
	fi
	dovecot -c "$dir/dovecot/dovecot.conf" >"$dir/dovecot/start.out" 2>&1 ||
	    { tails; die "Dovecot did not start again"; }
	wait_banners 10 "$MS_IMAP_PORT=^\\* OK" "$MS_LMTP_PORT=^220 " ||
	    { tails; die "Dovecot does not answer again"; }
}

tails() {
	for f in "$dir/dovecot/start.out" "$dir/dovecot/dovecot.log" \
	    "$dir/postfix/start.out" "$dir/postfix/maillog"; do
		[ -s "$f" ] || continue
		echo "---- $f (last lines)" >&2
		tail -n 15 "$f" >&2
	done
}

do_start() {
	t0=$(now)
	[ "$(id -u)" -eq 0 ] || die "start needs root (the servers switch users)"
	for c in dovecot postfix openssl perl; do
		command -v "$c" >/dev/null 2>&1 ||
		    die "$c missing: run sh tests/tools/deps.sh check"
	done
	check_traversable
	[ ! -e "$dir/env" ] || die "$dir already holds a stack (stop it, use a fresh DIR)"
	chmod 0755 "$dir"
	mail_uid=$(id -u mail) || die "no mail user"
	mail_gid=$(id -g mail) || die "no mail group"
	# One instance name per DIR (process titles, Dovecot's instance list).
	inst="balp-$(basename "$dir" | tr -c 'A-Za-z0-9\n' '-')-$(printf '%s' "$dir" | cksum | cut -d' ' -f1)"
	umask 077
	mkdir -p "$dir/secrets"
	for u in $users; do
		openssl rand -hex 16 | tr -d '\n' >"$dir/secrets/$u.pass"
	done
	umask 022
	make_tls >"$dir/tls.out" 2>&1 || { cat "$dir/tls.out" >&2; die "openssl failed"; }
	chmod 0644 "$dir"/tls/*.pem
	tries=0
	while :; do
		tries=$((tries + 1))
		# shellcheck disable=SC2046
		set -- $(free_ports 6)
		[ "$#" -eq 6 ] || die "could not pick free ports"
		imap_port=$1 imaps_port=$2 lmtp_port=$3 smtp_port=$4
		submit_port=$5 smtps_port=$6
		rm -rf "$dir/dovecot" "$dir/postfix" "$dir/pqueue" "$dir/pdata" \
		    "$dir/wait.out"
		write_dovecot || die "cannot write Dovecot's configuration"
		write_postfix || die "cannot write Postfix's configuration"
		# Both at once; each daemonizes once its listeners are bound.
		dovecot -c "$dir/dovecot/dovecot.conf" >"$dir/dovecot/start.out" 2>&1 &
		dv=$!
		postfix -c "$dir/postfix" start >"$dir/postfix/start.out" 2>&1 &
		pf=$!
		wait "$dv"; dv_st=$?
		wait "$pf"; pf_st=$?
		if [ "$dv_st" -eq 0 ] && [ "$pf_st" -eq 0 ] &&
		    wait_banners 10 "$imap_port=^\\* OK" "$lmtp_port=^220 " \
		    "$smtp_port=^220 " "$submit_port=^220 " 2>"$dir/wait.out"; then
			break
		fi
		if [ "$tries" -lt 3 ] && cat "$dir/dovecot/start.out" \
		    "$dir/dovecot/dovecot.log" "$dir/postfix/start.out" \
		    "$dir/postfix/maillog" 2>/dev/null | grep -q 'in use'; then
			do_stop	# a port was taken meanwhile: other ports
			continue
		fi
		[ -f "$dir/wait.out" ] && cat "$dir/wait.out" >&2
		[ "$pf_st" -eq 0 ] || echo "mailstack: postfix start failed" \
		    "(exit $pf_st; it reports on a terminal only: try" \
		    "postfix -c $dir/postfix check)" >&2
		tails
		do_stop
		die "start failed in $dir"
	done
	write_env
	t1=$(now)
	ms=$(((t1 - t0) / 1000000))
	printf 'mailstack: started in %d.%03d s (%s)\n' $((ms / 1000)) $((ms % 1000)) "$dir" >&2
}

# The on-disk Maildir++ folder of an IMAP name: INBOX is the Maildir itself,
# BALP/RIB is .BALP.RIB (non-ASCII names in modified UTF-7).
folder_dir() {
	md=$1 name=$2
	case $name in
	INBOX | inbox) echo "$md" ;;
	*)
		enc=$(perl -CA -MEncode -MMIME::Base64 -e '
			my $n = shift;
			$n =~ s{(&)|([^\x20-\x7e]+)}{
				defined $1 ? "&-" : do {
					my $b = encode_base64(encode("UTF-16BE", $2), "");
					$b =~ s/=+$//;
					$b =~ tr{/}{,};
					"&$b-";
				}
			}ge;
			print $n;' "$name")
		echo "$md/.$(printf '%s' "$enc" | tr / .)"
		;;
	esac
}

count_in() {
	find "$1/new" "$1/cur" -type f 2>/dev/null | wc -l
}

do_wait_count() {
	user=${1%%@*} folder=$2 n=$3 secs=$4
	fd=$(folder_dir "$dir/mail/$user/Maildir" "$folder")
	end=$(($(date +%s) + secs))
	while :; do
		c=$(count_in "$fd")
		[ "$c" -eq "$n" ] && return 0
		if [ "$(date +%s)" -ge "$end" ]; then
			echo "mailstack: $folder of $user holds $c messages, not $n (after $secs s)" >&2
			return 1
		fi
		sleep 0.1
	done
}

cmd=${1:-}
[ "$#" -ge 1 ] && shift
case $cmd in
start)
	[ "$#" -eq 1 ] || die "usage: mailstack.sh start DIR"
	check_dir "$1"
	do_start
	;;
stop)
	[ "$#" -eq 1 ] || die "usage: mailstack.sh stop DIR"
	check_dir "$1"
	do_stop
	;;
dovecot-stop | dovecot-start)
	[ "$#" -eq 1 ] || die "usage: mailstack.sh $cmd DIR"
	check_dir "$1"
	if [ "$cmd" = dovecot-stop ]; then do_dovecot_stop; else do_dovecot_start; fi
	;;
lmtp-route)
	[ "$#" -eq 3 ] || die "usage: mailstack.sh lmtp-route DIR ADDRESS NEXTHOP"
	check_dir "$1"
	printf '%s %s\n' "$2" "$3" >>"$dir/postfix/transport"
	postconf -c "$dir/postfix" -e \
	    "transport_maps = texthash:$dir/postfix/transport" \
	    "lmtp_destination_recipient_limit = 1" || die "postconf failed"
	postfix -c "$dir/postfix" reload >/dev/null 2>&1 || die "reload failed"
	;;
wait-count)
	[ "$#" -eq 5 ] || die "usage: mailstack.sh wait-count DIR USER FOLDER N SECONDS"
	check_dir "$1"
	do_wait_count "$2" "$3" "$4" "$5"
	;;
*)
	echo "usage: mailstack.sh start DIR | stop DIR |" \
	    "dovecot-stop DIR | dovecot-start DIR |" \
	    "lmtp-route DIR ADDRESS NEXTHOP |" \
	    "wait-count DIR USER FOLDER N SECONDS" >&2
	exit 2
	;;
esac
