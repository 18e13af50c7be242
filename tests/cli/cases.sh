#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# balpctl test --json over the case corpus (tests/data/cases): realistic
# partner mails, each decided as of 2026-11-23 with the outcome, type,
# partner and reasons of tests/data/cases/expected.tsv.  Every JSON line
# must carry the keys of the contract (docs/contracts.md) in their order,
# and its queue must follow the outcome.  Then the MIME corpus (tests/data/mime):
# every file is decided, and those its README marks as broken are
# quarantined as malformed.
. "$SRCDIR/tests/tools/tap.sh"
B="$SRCDIR/build/balpctl"
CASES="$SRCDIR/tests/data/cases"
MIME="$SRCDIR/tests/data/mime"
NOW=2026-11-23

# The demo partners and annexes, plus what the cases need around the day
# of processing: a person habilitated from tomorrow, one whose last day is
# today, one whose first day is today, one the Caf suspended, and three
# partners whose convention is not in force (not started, ended, suspended).
demo_home
ok $? "demo home (two partners, their annexes)"
setup_failed=""
setup() {
	"$B" -c "$CONF" "$@" >/dev/null || setup_failed="$setup_failed [$*]"
}
setup person add --partner apeai-ouest-herault --last-name NGUYEN \
    --first-name Linh --email l.nguyen@apeai34.fr \
    --job-title "Éducatrice spécialisée" --start 2026-11-24
setup person add --partner apeai-ouest-herault --last-name VIDAL \
    --first-name Thomas --email t.vidal@apeai34.fr \
    --job-title "Moniteur éducateur" --start 2025-09-01
# Suspended before the day the cases are decided (a decision reads the
# suspension in force on its day).
setup person suspend t.vidal@apeai34.fr --date 2026-11-02 \
    --reason "poste de travail compromis, en attente de vérification"
setup person add --partner ccas-lespignan --last-name FERRAND \
    --first-name Michel --email m.ferrand@mairie-lespignan.fr \
    --job-title "Agent social" --start 2025-06-01 --end 2026-11-23
setup person add --partner ccas-lespignan --last-name CASTEL \
    --first-name Pauline --email p.castel@mairie-lespignan.fr \
    --job-title "Conseillère ESF" --start 2026-11-23
setup partner add --id ccas-cazouls --name "CCAS de Cazouls-lès-Béziers" \
    --start 2027-01-01
setup annex import --partner ccas-cazouls "$CASES/annexe-ccas-cazouls.csv"
setup partner add --id mds-beziers \
    --name "Maison des solidarités de Béziers" --start 2024-01-01 \
    --end 2026-06-30
setup annex import --partner mds-beziers "$CASES/annexe-mds-beziers.csv"
setup partner add --id asso-solidarite-biterroise \
    --name "Solidarité biterroise" --start 2025-03-01
setup annex import --partner asso-solidarite-biterroise \
    "$CASES/annexe-solidarite-biterroise.csv"
setup partner suspend asso-solidarite-biterroise --date 2026-11-02 \
    --reason "convention en cours de révision"
is "$setup_failed" "" "the extra persons and partners are set up"
out=$("$B" -c "$CONF" person list --at "$NOW" 2>&1)
like "$out" "p.castel@mairie-lespignan.fr" "the extra persons are in the annex"

# Too big to commit: RIB mails with a scan of about 16 MiB, and two at the
# limit (15M = 15 MiB: exactly, and one byte over).  The padding is an
# epilogue of empty lines after the closing boundary.
GEN="$HOME_DIR/gen"
mkdir -p "$GEN"
gen_big() {	# FILE FROM-ADDRESS SIZE|"" RAW-BYTES [HEAD-FILE]
	f=$1 addr=$2 size=$3 raw=$4 head=${5:-} dom=${2#*@}
	bd="------------9f2c4e1a7b3d5c8e0a6f4b21"
	{
		printf 'Return-Path: <%s>\n' "$addr"
		printf 'Authentication-Results: mx.caf.test;\n'
		printf '\tspf=pass smtp.mailfrom=%s;\n' "$addr"
		printf '\tdkim=pass header.d=%s header.s=s2025;\n' "$dom"
		printf '\tdmarc=pass (p=quarantine) header.from=%s\n' "$dom"
		printf 'Received: from smtp.%s (smtp.%s [192.0.2.25])\n' "$dom" "$dom"
		printf '\tby mx.caf.test (Postfix) with ESMTPS id 4XsGg68Lp7z2oPq\n'
		printf '\tfor <balp@caf.test>; Fri, 20 Nov 2026 11:11:11 +0100\n'
		printf 'Message-ID: <big.%s>\n' "$addr"
		printf 'Date: Fri, 20 Nov 2026 11:11:11 +0100\n'
		printf 'MIME-Version: 1.0\nUser-Agent: Mozilla Thunderbird\n'
		printf 'To: balp@caf.test\nFrom: %s\n' "$addr"
		printf 'Subject: RIB - MERCIER Hugo - 1 85 05 78 006 084 91\n'
		printf 'Content-Type: multipart/mixed; boundary="%s"\n\n' "$bd"
		printf 'This is a multi-part message in MIME format.\n'
		printf -- '--%s\nContent-Type: text/plain; charset=UTF-8; format=flowed\n' "$bd"
		printf 'Content-Transfer-Encoding: 8bit\n\n'
		printf 'Bonjour,\n\nci-joint le RIB de M. Mercier, scanné en couleur.\n\n'
		printf -- '--%s\nContent-Type: application/pdf; name="RIB_Mercier.pdf"\n' "$bd"
		printf 'Content-Disposition: attachment; filename="RIB_Mercier.pdf"\n'
		printf 'Content-Transfer-Encoding: base64\n\n'
		if [ -n "$head" ]; then
			{ cat "$head"; head -c "$raw" /dev/zero; } | base64 -w 76
		else
			{ printf '%%PDF-1.7\n'; head -c "$raw" /dev/zero; } |
			    base64 -w 76
		fi
		printf -- '--%s--\n' "$bd"
	} >"$f"
	if [ -n "$size" ]; then
		pad=$((size - $(wc -c <"$f")))
		head -c "$pad" /dev/zero | tr '\0' '\n' >>"$f"
	fi
}
mib15=$((15 * 1024 * 1024))
gen_big "$GEN/gen-trop-gros.eml" a.martin@apeai34.fr "" 12500000
gen_big "$GEN/gen-trop-gros-inconnu.eml" m.dubois@autre-asso.fr "" 12500000
gen_big "$GEN/gen-taille-limite.eml" a.martin@apeai34.fr "$mib15" 11500000
gen_big "$GEN/gen-taille-limite-plus-un.eml" a.martin@apeai34.fr \
    $((mib15 + 1)) 11500000
# Past the scan budget (16 MiB): a clean 20 MB scan is too large, not
# forbidden; an executable whose head shows it is still forbidden.
gen_big "$GEN/gen-pdf-20-mo.eml" a.martin@apeai34.fr "" 20971520
gen_big "$GEN/gen-exe-20-mo.eml" a.martin@apeai34.fr "" 20971520 \
    "$SRCDIR/tests/data/content/program.exe"
is "$(wc -c <"$GEN/gen-taille-limite.eml")" "$mib15" \
    "a generated mail of exactly 15 MiB"
is "$(wc -c <"$GEN/gen-taille-limite-plus-un.eml")" "$((mib15 + 1))" \
    "a generated mail of 15 MiB and one byte"

json=$("$B" -c "$CONF" test --json --now "$NOW" "$CASES"/*.eml "$GEN"/*.eml)
is $? 0 "test --json exits 0: every case was decided"
nfiles=$(ls "$CASES"/*.eml "$GEN"/*.eml | wc -l)
is "$(printf '%s\n' "$json" | grep -c '^{')" "$nfiles" "one JSON line per case"

# The value of a key in a JSON line: a string without its quotes, null, or
# a reasons array as "a,b" ("-" when empty or null, as expected.tsv does).
field() {
	printf '%s' "$1" | sed -n "s/.*\"$2\":\(null\|\"[^\"]*\"\).*/\1/p" |
	    sed 's/^"//; s/"$//; s/^null$/-/'
}
reasons() {
	r=$(printf '%s' "$1" | sed -n 's/.*"reasons":\[\([^]]*\)\].*/\1/p' |
	    tr -d '"')
	printf '%s' "${r:--}"
}

# Every case as expected.tsv says.
ncases=0
while IFS='	' read -r f o t p r; do
	case $f in "#"* | "") continue ;; esac
	ncases=$((ncases + 1))
	line=$(printf '%s\n' "$json" | grep -F "/$f\",")
	if [ -z "$line" ]; then
		ok 1 "case $f: decided"
		continue
	fi
	got="$(field "$line" outcome) $(field "$line" type) $(field "$line" partner) $(reasons "$line")"
	is "$got" "$o $t $p $r" "case $f: $o $t $p $r"
done <"$CASES/expected.tsv"
is "$ncases" "$nfiles" "expected.tsv has one line per case"

# The contract: exactly these keys, in this order.
re='^\{"file":"([^"\\]|\\.)*","outcome":"(accepted|rejected|quarantined)","type":(null|"[a-z0-9_-]+"),"queue":"[^"]+","partner":(null|"[a-z0-9-]+"),"sender":(null|"([^"\\]|\\.)*"),"reasons":\[("[a-z_]+"(,"[a-z_]+")*)?\]\}$'
bad=$(printf '%s\n' "$json" | grep -Ev "$re")
is "$bad" "" "every JSON line has the keys file,outcome,type,queue,partner,sender,reasons in order"

# The queue follows the outcome: the type's queue (read from rules/) when
# accepted, the rejects or quarantine folder otherwise.
RULES="$HOME_DIR/rules/balp.rules"
queues=$(awk -F'"' '/^[ \t]*id[ \t]*=/ { id = $2 }
	/^[ \t]*queue[ \t]*=/ { print id "=" $2 }
	/^[ \t]*rejects[ \t]*=/ { print "rejected=" $2 }
	/^[ \t]*quarantine[ \t]*=/ { print "quarantined=" $2 }' "$RULES")
like "$queues" "^rib=BALP/RIB" "the queues are read from rules/"
badq=""
nl='
'
while IFS= read -r line; do
	[ -n "$line" ] || continue
	o=$(field "$line" outcome)
	case $o in
	accepted) key=$(field "$line" type) ;;
	*) key=$o ;;
	esac
	want=$(printf '%s\n' "$queues" | sed -n "s#^$key=##p")
	q=$(field "$line" queue)
	if [ -z "$want" ] || [ "$q" != "$want" ]; then
		badq="$badq$(field "$line" file): $o queue $q, expected ${want:-?}$nl"
	fi
done <<EOF
$json
EOF
is "$badq" "" "every queue follows the outcome (type's queue, BALP/Rejets, BALP/Quarantaine)"

# The MIME corpus: every file decided, exit 0; the broken ones malformed.
json=$("$B" -c "$CONF" test --json --now "$NOW" "$MIME"/*.eml)
is $? 0 "MIME corpus: test --json exits 0"
nmime=$(ls "$MIME"/*.eml | wc -l)
is "$(printf '%s\n' "$json" | grep -c '^{')" "$nmime" "MIME corpus: one JSON line per file"
missing=""
for f in "$MIME"/*.eml; do
	n=$(printf '%s\n' "$json" | grep -cF "\"file\":\"$f\",")
	[ "$n" -eq 1 ] || missing="$missing $(basename "$f")($n)"
done
is "$missing" "" "MIME corpus: every file decided exactly once"
bad=$(printf '%s\n' "$json" | grep -Ev "$re")
is "$bad" "" "MIME corpus: every JSON line has the contract's keys in order"
broken=$(sed -n '/^Malformed:/,/^$/p' "$MIME/README.md" |
    grep -o '`[a-z0-9-]*`' | tr -d '`')
like "$(echo $broken)" "no-from .*garbage" "the README lists the broken files"
for b in $broken; do
	line=$(printf '%s\n' "$json" | grep -F "/$b.eml\",")
	got="$(field "$line" outcome) $(reasons "$line")"
	like "$got" "^quarantined (.*,)?malformed(,.*)?$" "MIME corpus: $b is quarantined as malformed"
done

rm -rf "$HOME_DIR"
done_testing
