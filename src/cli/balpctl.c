/* SPDX-License-Identifier: Apache-2.0 */
/*
 * balpctl - the admin tool of balp.
 *
 *   balpctl [-c CONF] COMMAND [ARGS]
 *
 * -c is global and comes before the command, as with `git -C`; without it
 * conf/balp.conf.  Exit status: 0 done, 1 refused or failed, 2 usage or
 * configuration error.
 */
#include "balp/ctl.h"
#include "balp/ctl_admin.h"
#include "balp/ctl_annex.h"
#include "balp/ctl_message.h"
#include "balp/ctl_notice.h"
#include "balp/ctl_purge.h"
#include "balp/ctl_queue.h"
#include "balp/ctl_review.h"
#include "balp/ctl_test.h"
#include "balp/ctl_trace.h"
#include "balp/ctl_user.h"

#include <stdio.h>
#include <string.h>

#define DEFAULT_CONF	"conf/balp.conf"

/* From the top-level VERSION file, by the Makefile. */
#ifndef BALP_VERSION
#error "BALP_VERSION is not defined: build with make (it reads VERSION)"
#endif

static const char usage_text[] =
"usage: balpctl [-c CONF] COMMAND [ARGS]\n"
"       balpctl --version | --help\n"
"\n"
"  init                                   create the store, key, Maildir and queues\n"
"  partner add --id ID --name NAME [--siret N] [--start DATE] [--end DATE]\n"
"              [--max-persons N] [--referent EMAIL]...\n"
"  partner list [--json] | show ID [--json]\n"
"  partner update ID [--name NAME] [--siret N|none] [--start DATE|none]\n"
"              [--end DATE|none] [--max-persons N|none] [--referent EMAIL]...\n"
"              [--no-referent EMAIL]...\n"
"  partner end ID [--date DATE] | suspend ID --reason TEXT [--date DATE]\n"
"  partner resume ID [--date DATE]\n"
"  person add --partner ID --last-name NOM --first-name PRENOM --email EMAIL\n"
"             [--job-title FONCTION] [--start DATE] [--end DATE]\n"
"  person end EMAIL [--partner ID] [--date DATE]\n"
"  person suspend EMAIL [--partner ID] --reason TEXT [--date DATE]\n"
"  person resume EMAIL [--partner ID] [--date DATE]\n"
"  person list [--partner ID] [--at DATE] [--json]\n"
"  annex import --partner ID [--dry-run] [--force] FILE\n"
"  annex export --partner ID [FILE.csv]\n"
"  annex pending [--json] | show ID | approve ID [--force]\n"
"  annex reject ID --reason TEXT\n"
"  test [--json] [--now YYYY-MM-DD] FILE.eml...\n"
"  rules check [--json]\n"
"  log [--since DATE] [--until DATE] [--partner ID] [--sender EMAIL]\n"
"      [--outcome accepted|rejected|quarantined] [--reason CODE]\n"
"      [--type TYPE] [--queue QUEUE] [--nir NIR|-] [--limit N] [--json|--csv]\n"
"  message show ID|MESSAGE-ID [--json]\n"
"  message retriage ID|MESSAGE-ID [--reason TEXT]\n"
"  message release ID|MESSAGE-ID --to QUEUE --reason TEXT [--notify]\n"
"  notice list [--json] | resend ID        the outbox of notices\n"
"  audit verify [--anchor HASH] [--json]\n"
"  audit anchor\n"
"  purge [--dry-run] [--now YYYY-MM-DD]\n"
"  queue status [--json] [--now YYYY-MM-DD]\n"
"  review [--partner ID] [--format text|csv] [--json] [--now DATE]\n"
"         [--idle-months N]                 the yearly reverse review\n"
"  user add LOGIN --role admin|supervisor|dpo [--name TEXT]\n"
"  user passwd LOGIN | disable LOGIN | list [--json]\n"
"                                         the console's accounts (password:\n"
"                                         the first line of stdin)\n"
"\n"
"Dates are YYYY-MM-DD or DD/MM/YYYY.  Default CONF: " DEFAULT_CONF "\n"
"--json prints one JSON document (keys in snake_case, dates YYYY-MM-DD,\n"
"null for none).\n"
"With access.admin_group set, log, message, notice, audit, review, purge\n"
"and user are for root and that group's members.\n";

int
main(int argc, char **argv)
{
	const char *conf_path = DEFAULT_CONF, *cmd;
	struct ctl c;
	int i = 1, rc;

	while (i < argc && argv[i][0] == '-') {
		if ((strcmp(argv[i], "-c") == 0 ||
		    strcmp(argv[i], "--config") == 0) && i + 1 < argc) {
			conf_path = argv[i + 1];
			i += 2;
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			conf_path = argv[i] + 9;
			i++;
		} else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			fputs(usage_text, stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			puts("balpctl " BALP_VERSION);
			return 0;
		} else {
			fprintf(stderr, "balpctl: unknown option '%s'\n%s",
			    argv[i], usage_text);
			return 2;
		}
	}
	if (i >= argc) {
		fputs(usage_text, stderr);
		return 2;
	}
	cmd = argv[i];
	argc -= i;
	argv += i;
	ctl_init(&c, conf_path);
	if (strcmp(cmd, "init") == 0)
		rc = ctl_admin_init(&c, argc, argv);
	else if (strcmp(cmd, "partner") == 0)
		rc = ctl_admin_partner(&c, argc, argv);
	else if (strcmp(cmd, "person") == 0)
		rc = ctl_admin_person(&c, argc, argv);
	else if (strcmp(cmd, "annex") == 0)
		rc = ctl_annex(&c, argc, argv);
	else if (strcmp(cmd, "test") == 0)
		rc = ctl_test(&c, argc, argv);
	else if (strcmp(cmd, "rules") == 0)
		rc = ctl_admin_rules(&c, argc, argv);
	else if (strcmp(cmd, "log") == 0)
		rc = ctl_trace_log(&c, argc, argv);
	else if (strcmp(cmd, "message") == 0)
		rc = ctl_message(&c, argc, argv);
	else if (strcmp(cmd, "notice") == 0)
		rc = ctl_notice(&c, argc, argv);
	else if (strcmp(cmd, "audit") == 0)
		rc = ctl_trace_audit(&c, argc, argv);
	else if (strcmp(cmd, "purge") == 0)
		rc = ctl_purge(&c, argc, argv);
	else if (strcmp(cmd, "queue") == 0)
		rc = ctl_queue(&c, argc, argv);
	else if (strcmp(cmd, "review") == 0)
		rc = ctl_review(&c, argc, argv);
	else if (strcmp(cmd, "user") == 0)
		rc = ctl_user(&c, argc, argv);
	else if (strcmp(cmd, "help") == 0) {
		fputs(usage_text, stdout);
		rc = 0;
	} else {
		fprintf(stderr, "balpctl: unknown command '%s'\n%s", cmd,
		    usage_text);
		rc = 2;
	}
	ctl_free(&c);
	return rc;
}
