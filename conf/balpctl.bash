# bash completion for balpctl and balpd                    -*- shell-script -*-
#
# Install as /usr/share/bash-completion/completions/balpctl (and a link
# named balpd), or source it from ~/.bashrc.  Needs nothing but bash, sed
# and balpctl itself: the partner ids come from `balpctl partner list
# --json` and the queues from `balpctl rules check --json`, both printed
# one object a line so that sed reads them (no jq, no python on a server).
# A `-c CONF` already typed is used for both.

# The balpctl typed (build/balpctl, /usr/sbin/balpctl), else the one in PATH.
_balpctl_prog()
{
	local p=${COMP_WORDS[0]}

	if [[ $p == */* && -x $p ]]; then
		printf '%s\n' "$p"
	else
		printf '%s\n' balpctl
	fi
}

# Runs balpctl with the -c CONF of the command line, if any; quiet.
_balpctl_run()
{
	local prog conf="" i

	prog=$(_balpctl_prog)
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-c|--config)
			conf=${COMP_WORDS[i + 1]}
			# bash splits --config=CONF at '=' (COMP_WORDBREAKS).
			[[ $conf == "=" ]] && conf=${COMP_WORDS[i + 2]}
			# ~ is the shell's to expand, not balpctl's.
			[[ $conf == "~/"* ]] && conf=$HOME/${conf#"~/"}
			break ;;
		--config=*)
			conf=${COMP_WORDS[i]#--config=}
			break ;;
		-*) ;;
		*) break ;;
		esac
	done
	if [[ -n $conf ]]; then
		"$prog" -c "$conf" "$@" 2>/dev/null
	else
		"$prog" "$@" 2>/dev/null
	fi
}

# Partner ids: one partner a line, "id" its first key.
_balpctl_partners()
{
	_balpctl_run partner list --json |
	    sed -n 's/^{"id":"\([^"]*\)".*/\1/p'
}

# The rules' queues: one type a line, then the rejects and quarantine.
_balpctl_queues()
{
	_balpctl_run rules check --json | sed -n \
	    -e 's/^{"id":"[^"]*","queue":"\([^"]*\)".*/\1/p' \
	    -e 's/^"queue_rejects":"\([^"]*\)","queue_quarantine":"\([^"]*\)".*/\1\n\2/p'
}

_balpctl_types()
{
	_balpctl_run rules check --json |
	    sed -n 's/^{"id":"\([^"]*\)","queue":.*/\1/p'
}

# COMPREPLY = the lines of stdin that start with cur (names may hold spaces).
_balpctl_lines()
{
	local line

	COMPREPLY=()
	while IFS= read -r line; do
		[[ -n $line && $line == "$cur"* ]] && COMPREPLY+=("$line")
	done
}

_balpctl_files()
{
	compopt -o filenames 2>/dev/null
	local IFS=$'\n'
	COMPREPLY=($(compgen -f -- "$cur"))
}

_balpctl()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev="" cmd="" sub="" i ci=0
	local args=0 opts="" words

	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	COMPREPLY=()

	# The command: the first word that is neither an option nor -c's value.
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-c|--config)
			((i++))
			[[ ${COMP_WORDS[i]} == "=" ]] && ((i++)) ;;
		-*) ;;
		*) cmd=${COMP_WORDS[i]}; ci=i; break ;;
		esac
	done

	if [[ -z $cmd ]]; then
		case $prev in
		-c|--config) _balpctl_files; return ;;
		=)
			if [[ ${COMP_WORDS[COMP_CWORD - 2]} == --config ]]; then
				_balpctl_files
				return
			fi ;;
		esac
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W '-c --config --help --version' \
			    -- "$cur"))
		else
			COMPREPLY=($(compgen -W 'init partner person annex test
			    rules log message notice audit purge queue review
			    user help' \
			    -- "$cur"))
		fi
		return
	fi

	# The subcommand, for the commands that have one.
	case $cmd in
	partner) words='add list show update end suspend resume' ;;
	person) words='add list end suspend resume' ;;
	annex) words='import export pending show approve reject' ;;
	rules) words='check' ;;
	message) words='show retriage release' ;;
	notice) words='list resend' ;;
	audit) words='verify anchor' ;;
	queue) words='status' ;;
	user) words='add passwd disable list' ;;
	*) words='' ;;
	esac
	if [[ -n $words ]]; then
		if ((COMP_CWORD == ci + 1)); then
			COMPREPLY=($(compgen -W "$words" -- "$cur"))
			return
		fi
		sub=${COMP_WORDS[ci + 1]}
		ci=$((ci + 1))
	fi

	# An option's value.
	case $prev in
	--partner)
		_balpctl_lines < <(_balpctl_partners)
		return ;;
	--to)
		[[ $cmd == message ]] && _balpctl_lines < <(_balpctl_queues)
		return ;;
	--type)
		_balpctl_lines < <(_balpctl_types)
		return ;;
	--outcome)
		COMPREPLY=($(compgen -W 'accepted rejected quarantined' \
		    -- "$cur"))
		return ;;
	--format)
		COMPREPLY=($(compgen -W 'text csv' -- "$cur"))
		return ;;
	--role)
		COMPREPLY=($(compgen -W 'admin supervisor dpo' -- "$cur"))
		return ;;
	--id|--name|--siret|--start|--end|--max-persons|--last-name|\
	--first-name|--email|--job-title|--date|--reason|--at|--since|\
	--until|--sender|--nir|--limit|--now|--anchor|--idle-months|\
	--referent|--no-referent|--queue)
		return ;;
	esac

	# The words after the (sub)command that are no option, nor an
	# option's value: the operands typed so far.
	for ((i = ci + 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--partner|--to|--type|--outcome|--format|--id|--name|--siret|\
		--start|--end|--max-persons|--last-name|--first-name|--email|\
		--job-title|--date|--reason|--at|--since|--until|--sender|\
		--nir|--limit|--now|--anchor|--idle-months|--referent|\
		--no-referent|--queue|--role) ((i++)) ;;
		-*) ;;
		*) ((args++)) ;;
		esac
	done

	case "$cmd $sub" in
	"partner add") opts='--id --name --siret --start --end --max-persons
	    --referent' ;;
	"partner update") opts='--name --siret --start --end --max-persons
	    --referent --no-referent' ;;
	"partner list") opts='--json' ;;
	"partner show") opts='--json' ;;
	"partner end") opts='--date' ;;
	"partner suspend") opts='--reason --date' ;;
	"partner resume") opts='--date' ;;
	"person add") opts='--partner --last-name --first-name --email
	    --job-title --start --end' ;;
	"person list") opts='--partner --at --json' ;;
	"person end") opts='--partner --date' ;;
	"person suspend") opts='--partner --reason --date' ;;
	"person resume") opts='--partner --date' ;;
	"annex import") opts='--partner --dry-run --force' ;;
	"annex export") opts='--partner' ;;
	"annex pending") opts='--json' ;;
	"annex approve") opts='--force' ;;
	"annex reject") opts='--reason' ;;
	"test ") opts='--json --now' ;;
	"rules check") opts='--json' ;;
	"log ") opts='--since --until --partner --sender --outcome --reason
	    --type --queue --nir --limit --json --csv' ;;
	"message show") opts='--json' ;;
	"message retriage") opts='--reason' ;;
	"message release") opts='--to --reason --notify' ;;
	"notice list") opts='--json' ;;
	"notice resend") opts='' ;;
	"audit verify") opts='--anchor --json' ;;
	"purge ") opts='--dry-run --now' ;;
	"queue status") opts='--json --now' ;;
	"review ") opts='--partner --format --json --now --idle-months' ;;
	"user add") opts='--role --name' ;;
	"user list") opts='--json' ;;
	"user passwd"|"user disable") opts='' ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		return
	fi

	# Operands.
	case "$cmd $sub" in
	"partner show"|"partner update"|"partner end"|"partner suspend"|"partner resume")
		((args == 0)) && _balpctl_lines < <(_balpctl_partners) ;;
	"annex import"|"test ")
		_balpctl_files ;;
	"annex export")
		((args == 0)) && _balpctl_files ;;
	esac
}

_balpd()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=""

	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	COMPREPLY=()
	case $prev in
	-c|--config) _balpctl_files; return ;;
	esac
	COMPREPLY=($(compgen -W '-c --config --once --stats --syslog --help
	    --version' -- "$cur"))
}

complete -F _balpctl balpctl
complete -F _balpd balpd
