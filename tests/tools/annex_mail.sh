# SPDX-License-Identifier: Apache-2.0
# annex_mail.sh - mails of a partner's referent carrying annex files, for
# the tests of the annex by mail (tests/cli/annex_mail.sh, tests/e2e/*.sh).
# Sourced (POSIX sh).
#
#   annex_mail FROM SUBJECT [FILE NAME TYPE]... > x.eml
#
# A multipart/mixed mail from FROM (its domain authenticated by
# mx.caf.test, as a trusted MX would say) with a short French text and
# each FILE attached base64 as NAME of Content-Type TYPE.

annex_mail() {
	am_from=$1
	am_subject=$2
	shift 2
	am_domain=${am_from#*@}
	am_b="=_annex_$$_$(date +%s)"
	printf 'Authentication-Results: mx.caf.test; dmarc=pass header.from=%s;\r\n' "$am_domain"
	printf '\tdkim=pass header.d=%s; spf=pass smtp.mailfrom=%s\r\n' "$am_domain" "$am_from"
	printf 'From: Referente BALP <%s>\r\n' "$am_from"
	printf 'To: balp@caf.test\r\n'
	printf 'Subject: %s\r\n' "$am_subject"
	printf 'Date: %s\r\n' "$(LC_ALL=C date -R)"
	printf 'Message-ID: <annex.%s.%s@%s>\r\n' "$$" "$(date +%s%N)" "$am_domain"
	printf 'MIME-Version: 1.0\r\n'
	printf 'Content-Type: multipart/mixed; boundary="%s"\r\n\r\n' "$am_b"
	printf -- '--%s\r\n' "$am_b"
	printf 'Content-Type: text/plain; charset=utf-8\r\n'
	printf 'Content-Transfer-Encoding: 8bit\r\n\r\n'
	printf 'Bonjour,\r\n\r\nVeuillez trouver ci-joint la liste des personnes habilitées.\r\n\r\nLa référente BALP\r\n'
	while [ $# -ge 3 ]; do
		printf -- '--%s\r\n' "$am_b"
		printf 'Content-Type: %s; name="%s"\r\n' "$3" "$2"
		printf 'Content-Disposition: attachment; filename="%s"\r\n' "$2"
		printf 'Content-Transfer-Encoding: base64\r\n\r\n'
		base64 -w 76 "$1" | sed 's/$/\r/'
		shift 3
	done
	printf -- '--%s--\r\n' "$am_b"
}
