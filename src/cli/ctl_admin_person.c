/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_admin_person - balpctl person add | list | end | suspend | resume
 * (see ctl_admin.h), and the persons as a table or as JSON, which partner
 * show prints too (ctl_admin_priv.h).  Apart from the partner commands
 * (ctl_admin_partner.c): a person is one line of a partner's annex.
 *
 * Options are parsed with getopt_long, re-initialised per command
 * (optind = 0).  Every refusal is one line naming the value at fault.
 */
#include "balp/ctl_admin.h"
#include "ctl_admin_priv.h"
#include "balp/date.h"
#include "balp/json.h"
#include "balp/store_partner.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char *
person_state(const struct store_person *p, int32_t today)
{
	if (p->suspended)
		return "suspended";
	if (p->end != DATE_NONE && p->end < today)
		return "ended";
	if (p->start > today)
		return "not yet";
	return "in force";
}

/* A partner's staff member as a JSON object (never a beneficiary). */
static void
person_json(struct buf *b, const struct store_person *p, int32_t today)
{
	buf_puts(b, "{\"partner\":");
	json_string(b, p->partner_id);
	buf_puts(b, ",\"last_name\":");
	json_string(b, p->last_name);
	buf_puts(b, ",\"first_name\":");
	json_string(b, p->first_name);
	buf_puts(b, ",\"email\":");
	json_string(b, p->email);
	buf_puts(b, ",\"job_title\":");
	json_string(b, p->job_title[0] != '\0' ? p->job_title : NULL);
	buf_puts(b, ",\"start\":");
	ctl_admin_json_day(b, p->start);
	buf_puts(b, ",\"end\":");
	ctl_admin_json_day(b, p->end);
	buf_puts(b, ",\"state\":");
	ctl_admin_json_state(b, person_state(p, today));
	buf_printf(b, ",\"suspended\":%s,\"suspend_reason\":",
	    p->suspended ? "true" : "false");
	json_string(b, p->suspended ? p->suspend_reason : NULL);
	buf_puts(b, ",\"created_at\":");
	json_string(b, p->created_at);
	buf_puts(b, ",\"updated_at\":");
	json_string(b, p->updated_at);
	buf_putc(b, '}');
}

/* The persons as a JSON array, one a line. */
void
ctl_admin_persons_json(struct buf *b, const struct store_person_list *l,
    int32_t today)
{
	size_t i;

	buf_puts(b, "[\n");
	for (i = 0; i < l->n; i++) {
		person_json(b, &l->v[i], today);
		buf_puts(b, i + 1 < l->n ? ",\n" : "\n");
	}
	buf_putc(b, ']');
}

void
ctl_admin_print_persons(const struct store_person_list *l, int with_partner,
    int32_t today)
{
	char a[11], b[11];
	size_t i;

	if (with_partner)
		printf("%-24s ", "PARTNER");
	printf("%-20s %-16s %-32s %-24s %-10s %-10s %s\n", "NOM", "PRENOM",
	    "EMAIL", "FONCTION", "DEBUT", "FIN", "STATE");
	for (i = 0; i < l->n; i++) {
		const struct store_person *p = &l->v[i];

		if (with_partner) {
			ctl_pad(stdout, p->partner_id, 24);
			putchar(' ');
		}
		ctl_cell(stdout, p->last_name, 20);
		putchar(' ');
		ctl_cell(stdout, p->first_name, 16);
		putchar(' ');
		ctl_pad(stdout, p->email, 32);
		putchar(' ');
		ctl_cell(stdout, p->job_title[0] ? p->job_title : "-", 24);
		printf(" %-10s %-10s %s\n", ctl_day(p->start, a),
		    ctl_day(p->end, b), person_state(p, today));
	}
}

/* ---- person ------------------------------------------------------------ */

static int
person_add(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "partner", required_argument, NULL, 'p' },
		{ "last-name", required_argument, NULL, 'l' },
		{ "first-name", required_argument, NULL, 'f' },
		{ "email", required_argument, NULL, 'e' },
		{ "job-title", required_argument, NULL, 'j' },
		{ "start", required_argument, NULL, 'S' },
		{ "end", required_argument, NULL, 'E' },
		{ NULL, 0, NULL, 0 }
	};
	const char *u = "person add --partner ID --last-name NOM --first-name"
	    " PRENOM --email EMAIL [--job-title FONCTION] [--start DATE]"
	    " [--end DATE]";
	struct store_person_spec s;
	char *email, d0[11], d1[11], d2[11];
	int32_t prev_start, prev_end;
	int ch, r;

	memset(&s, 0, sizeof(s));
	s.start = c->today;
	s.end = DATE_NONE;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			s.partner_id = optarg;
			break;
		case 'l':
			s.last_name = optarg;
			break;
		case 'f':
			s.first_name = optarg;
			break;
		case 'e':
			s.email = optarg;
			break;
		case 'j':
			s.job_title = optarg;
			break;
		case 'S':
			if (ctl_date("--start", optarg, &s.start) == -1)
				return CTL_USAGE;
			break;
		case 'E':
			if (ctl_date("--end", optarg, &s.end) == -1)
				return CTL_USAGE;
			break;
		default:
			return ctl_usage(u);
		}
	}
	if (optind != argc || s.partner_id == NULL || s.last_name == NULL ||
	    s.first_name == NULL || s.email == NULL)
		return ctl_usage(u);
	if (ctl_open_store(c, 0) == -1)
		return CTL_USAGE;
	r = store_person_habilitate(c->store, &s, c->today, c->actor, c->now,
	    NULL, &prev_start, &prev_end);
	if (r != STORE_OK)
		return ctl_store_fail(c);
	/* As stored (trimmed, lower case): what a partner's mail must match. */
	if (store_email_canon(s.email, &email) != STORE_OK) {
		ctl_error("out of memory");
		return CTL_FAILED;
	}
	if (prev_end != DATE_NONE)
		printf("person %s of %s re-habilitated from %s (previous "
		    "period %s\u2013%s)\n", email, s.partner_id,
		    ctl_day(s.start, d0), ctl_day(prev_start, d1),
		    ctl_day(prev_end, d2));
	else
		printf("person %s added to %s\n", email, s.partner_id);
	free(email);
	return CTL_OK;
}

/* person end|suspend|resume EMAIL [--partner ID] [--date D] [--reason R] */
static int
person_change(struct ctl *c, int argc, char **argv)
{
	struct change ch;
	char day[11];
	int r;

	if (ctl_admin_parse_change(c, argc, argv, 1, &ch) == -1)
		return ctl_admin_change_usage(&ch, "person",
		    "EMAIL [--partner ID]");
	if (ctl_open_store(c, 0) == -1)
		return CTL_USAGE;
	if (strcmp(ch.what, "end") == 0)
		r = store_person_end(c->store, ch.partner, ch.target, ch.date,
		    c->today, c->actor, c->now);
	else if (strcmp(ch.what, "suspend") == 0)
		r = store_person_suspend_from(c->store, ch.partner, ch.target,
		    ch.reason, ch.date, c->actor, c->now);
	else
		r = store_person_resume_on(c->store, ch.partner, ch.target,
		    ch.date, c->today, c->actor, c->now);
	if (r != STORE_OK)
		return ctl_store_fail(c);
	/* The day it takes effect: what the admin checks first. */
	printf("person %s: %s %s\n", ch.target, strcmp(ch.what, "end") == 0 ?
	    "habilitation ends on" : strcmp(ch.what, "suspend") == 0 ?
	    "suspended from" : "resumed on", ctl_day(ch.date, day));
	return CTL_OK;
}

static int
person_list(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "partner", required_argument, NULL, 'p' },
		{ "at", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const u = "person list [--partner ID] [--at DATE]"
	    " [--json]";
	struct store_person_list l = { NULL, 0 };
	struct buf out = BUF_INIT;
	const char *partner = NULL;
	int32_t at = DATE_NONE;
	int ch, json = 0, rc = CTL_OK;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'p')
			partner = optarg;
		else if (ch == 'a') {
			if (ctl_date("--at", optarg, &at) == -1)
				return CTL_USAGE;
		} else if (ch == 'j')
			json = 1;
		else
			return ctl_usage(u);
	}
	if (optind != argc)
		return ctl_usage(u);
	if (ctl_open_store(c, 0) == -1)
		return CTL_USAGE;
	if (store_person_list(c->store, partner, at, &l) != STORE_OK)
		return ctl_store_fail(c);
	/* --at: the state of that day (in force, suspended), not today's */
	if (json) {
		ctl_admin_persons_json(&out, &l, at != DATE_NONE ? at :
		    c->today);
		buf_putc(&out, '\n');
		rc = ctl_print(&out);
		buf_free(&out);
	} else
		ctl_admin_print_persons(&l, 1, at != DATE_NONE ? at : c->today);
	store_person_list_free(&l);
	return rc;
}

int
ctl_admin_person(struct ctl *c, int argc, char **argv)
{
	const char *u = "person add|end|suspend|resume|list ...";

	if (argc < 2)
		return ctl_usage(u);
	argc--;
	argv++;
	argv[0] = ctl_admin_command_name("person", argv[0]);
	if (strcmp(argv[0], "person add") == 0)
		return person_add(c, argc, argv);
	if (strcmp(argv[0], "person list") == 0)
		return person_list(c, argc, argv);
	if (strcmp(argv[0], "person end") == 0 ||
	    strcmp(argv[0], "person suspend") == 0 ||
	    strcmp(argv[0], "person resume") == 0)
		return person_change(c, argc, argv);
	return ctl_usage(u);
}
