/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_admin - balpctl's admin commands (see ctl_admin.h): what partner and
 * person share (the arguments of end|suspend|resume, a day and a state in
 * JSON; ctl_admin_priv.h) and rules check.  The commands themselves are
 * apart: init in ctl_admin_init.c, partner in ctl_admin_partner.c, person
 * in ctl_admin_person.c.
 *
 * Options are parsed with getopt_long, re-initialised per command
 * (optind = 0).  Every refusal is one line naming the value at fault.
 */
#include "balp/ctl_admin.h"
#include "ctl_admin_priv.h"
#include "balp/date.h"
#include "balp/json.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

/*
 * "partner add" for the word "add" of group "partner": getopt names
 * argv[0] in its errors ("partner add: unrecognized option '--bogus'"),
 * and the admin must see which command refused it.  A word no command
 * has is returned as it is.
 */
char *
ctl_admin_command_name(const char *group, char *word)
{
	static const char *const names[] = {
		"partner add", "partner list", "partner show", "partner end",
		"partner update",
		"partner suspend", "partner resume", "person add",
		"person list", "person end", "person suspend", "person resume",
	};
	size_t i, n = strlen(group);

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strncmp(names[i], group, n) == 0 && names[i][n] == ' ' &&
		    strcmp(names[i] + n + 1, word) == 0)
			return (char *)names[i];
	return word;
}

int
ctl_admin_parse_change(struct ctl *c, int argc, char **argv, int person,
    struct change *ch)
{
	static const struct option opts[] = {
		{ "partner", required_argument, NULL, 'p' },
		{ "date", required_argument, NULL, 'd' },
		{ "reason", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	int o;

	memset(ch, 0, sizeof(*ch));
	/* argv[0] is "partner end": the verb is its last word. */
	ch->what = strchr(argv[0], ' ') != NULL ? strchr(argv[0], ' ') + 1 :
	    argv[0];
	ch->date = c->today;
	optind = 0;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o == 'p' && person)
			ch->partner = optarg;
		else if (o == 'd') {
			/* a suspension has days: from, resumed on */
			if (ctl_date("--date", optarg, &ch->date) == -1)
				return -1;
			if (strcmp(ch->what, "end") != 0 && ch->date >
			    c->today) {
				ctl_error("--date: a suspension is recorded "
				    "from today or a day past, not %s", optarg);
				return -1;
			}
		} else if (o == 'r' && strcmp(ch->what, "suspend") == 0)
			ch->reason = optarg;
		else
			return -1;
	}
	if (optind + 1 != argc)
		return -1;
	if (strcmp(ch->what, "suspend") == 0 &&
	    (ch->reason == NULL || *ch->reason == '\0'))
		return -1;
	ch->target = argv[optind];
	return 0;
}

int
ctl_admin_change_usage(const struct change *ch, const char *noun,
    const char *opt)
{
	struct buf u = BUF_INIT;
	int rc;

	if (strcmp(ch->what, "end") == 0)
		buf_printf(&u, "%s end %s [--date DATE]", noun, opt);
	else if (strcmp(ch->what, "suspend") == 0)
		buf_printf(&u, "%s suspend %s --reason TEXT [--date DATE]",
		    noun, opt);
	else
		buf_printf(&u, "%s resume %s [--date DATE]", noun, opt);
	rc = ctl_usage(buf_str(&u));
	buf_free(&u);
	return rc;
}

/* ---- json -------------------------------------------------------------- */

/* "YYYY-MM-DD", or null for DATE_NONE. */
void
ctl_admin_json_day(struct buf *b, int32_t day)
{
	char d[11];

	if (day == DATE_NONE)
		buf_puts(b, "null");
	else
		buf_printf(b, "\"%s\"", ctl_day(day, d));
}

/*
 * A state as the table says it, as a snake_case value ("in force" ->
 * "in_force"): a script matches one word.
 */
void
ctl_admin_json_state(struct buf *b, const char *label)
{
	const char *p;

	buf_putc(b, '"');
	for (p = label; *p != '\0'; p++)
		buf_putc(b, *p == ' ' ? '_' : *p);
	buf_putc(b, '"');
}

/* ---- rules check ------------------------------------------------------- */

int
ctl_admin_rules(struct ctl *c, int argc, char **argv)
{
	const struct rules *r;
	struct buf b = BUF_INIT;
	size_t i;
	int json = 0, rc;

	if (argc == 3 && strcmp(argv[1], "check") == 0 &&
	    strcmp(argv[2], "--json") == 0)
		json = 1;
	else if (argc != 2 || strcmp(argv[1], "check") != 0)
		return ctl_usage("rules check [--json]");
	if (ctl_load_conf(c) == -1)
		return CTL_USAGE;
	r = &c->conf.rules;
	if (json) {
		/* A configuration that does not load said so above (exit 2). */
		buf_puts(&b, "{\"conf\":");
		json_string(&b, c->conf_path);
		buf_puts(&b, ",\"rules_file\":");
		json_string(&b, c->conf.rules_file);
		buf_puts(&b, ",\"types\":[");
		for (i = 0; i < r->n_types; i++) {
			buf_puts(&b, i > 0 ? ",\n{\"id\":" : "\n{\"id\":");
			json_string(&b, r->types[i].id);
			buf_puts(&b, ",\"queue\":");
			json_string(&b, r->types[i].queue);
			buf_printf(&b, ",\"keywords\":%zu,\"min_age_months\":",
			    r->types[i].keywords.n);
			/* 0: the type has no date rule. */
			if (r->types[i].min_age_months > 0)
				buf_printf(&b, "%d", r->types[i].min_age_months);
			else
				buf_puts(&b, "null");
			buf_printf(&b, ",\"annex_update\":%s}",
			    r->types[i].annex_update ? "true" : "false");
		}
		buf_puts(&b, "],\n\"queue_rejects\":");
		json_string(&b, r->queue_rejects);
		buf_puts(&b, ",\"queue_quarantine\":");
		json_string(&b, r->queue_quarantine);
		buf_puts(&b, "}\n");
		rc = ctl_print(&b);
		buf_free(&b);
		return rc;
	}
	printf("%s: ok\n%s: ok, %zu request types:\n", c->conf_path,
	    c->conf.rules_file, r->n_types);
	for (i = 0; i < r->n_types; i++)
		printf("  %-12s -> %-20s %zu keywords%s%s\n", r->types[i].id,
		    r->types[i].queue, r->types[i].keywords.n,
		    r->types[i].min_age_months > 0 ? ", date rule" : "",
		    r->types[i].annex_update ? ", annex update (referents)" :
		    "");
	printf("  rejects    -> %s\n  quarantine -> %s\n", r->queue_rejects,
	    r->queue_quarantine);
	return CTL_OK;
}
