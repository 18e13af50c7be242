/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_admin_partner - balpctl partner add | list | show | end | suspend |
 * resume (see ctl_admin.h; partner update is ctl_partner.c's).  Apart
 * from the person commands (ctl_admin_person.c), whose table and JSON
 * partner show borrows through ctl_admin_priv.h.
 *
 * Options are parsed with getopt_long, re-initialised per command
 * (optind = 0).  Every refusal is one line naming the value at fault.
 */
#include "balp/ctl_admin.h"
#include "ctl_admin_priv.h"
#include "balp/ctl_partner.h"
#include "balp/date.h"
#include "balp/json.h"
#include "balp/store_partner.h"
#include "balp/store_referent.h"

#include <ctype.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static int
valid_partner_id(const char *id)
{
	const char *p;

	if (id == NULL || !(islower((unsigned char)*id) ||
	    isdigit((unsigned char)*id)) || strlen(id) > 64)
		return 0;
	for (p = id; *p != '\0'; p++)
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) &&
		    *p != '-')
			return 0;
	return 1;
}

/* ---- partner ----------------------------------------------------------- */

static const char *
partner_state(const struct store_partner *p, int32_t today)
{
	if (p->suspended)
		return "suspended";
	if (p->start != DATE_NONE && today < p->start)
		return "not started";
	if (p->end != DATE_NONE && today > p->end)
		return "ended";
	return "in force";
}

static int
count_persons(struct ctl *c, const char *partner, int32_t at, size_t *n)
{
	struct store_person_list l = { NULL, 0 };

	if (store_person_list(c->store, partner, at, &l) != STORE_OK)
		return -1;
	*n = l.n;
	store_person_list_free(&l);
	return 0;
}

/* partner add; refs has room for one referent an argument. */
static int
partner_add_with(struct ctl *c, int argc, char **argv, const char **refs)
{
	static const struct option opts[] = {
		{ "id", required_argument, NULL, 'i' },
		{ "name", required_argument, NULL, 'n' },
		{ "siret", required_argument, NULL, 's' },
		{ "start", required_argument, NULL, 'S' },
		{ "end", required_argument, NULL, 'E' },
		{ "max-persons", required_argument, NULL, 'm' },
		{ "referent", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	const char *u = "partner add --id ID --name NAME [--siret N]"
	    " [--start DATE] [--end DATE] [--max-persons N]"
	    " [--referent EMAIL]...";
	struct store_partner_spec s = { NULL, NULL, NULL, DATE_NONE, DATE_NONE,
	    STORE_NO_QUOTA };
	size_t n_refs = 0;
	int ch, r;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'i':
			s.id = optarg;
			break;
		case 'n':
			s.name = optarg;
			break;
		case 's':
			s.siret = optarg;
			break;
		case 'S':
			if (ctl_date("--start", optarg, &s.start) == -1)
				return CTL_USAGE;
			break;
		case 'E':
			if (ctl_date("--end", optarg, &s.end) == -1)
				return CTL_USAGE;
			break;
		case 'm':
			if (ctl_count("--max-persons", optarg,
			    &s.max_persons) == -1)
				return CTL_USAGE;
			if (s.max_persons == 0) {
				ctl_error("--max-persons: 0 would refuse every"
				    " person (leave it out for no quota)");
				return CTL_USAGE;
			}
			break;
		case 'r':
			refs[n_refs++] = optarg;
			break;
		default:
			return ctl_usage(u);
		}
	}
	if (optind != argc || s.id == NULL || s.name == NULL)
		return ctl_usage(u);
	if (!valid_partner_id(s.id)) {
		ctl_error("--id: '%s' must be lower-case letters, digits and"
		    " '-' (e.g. apeai-ouest-herault)", s.id);
		return CTL_USAGE;
	}
	if (ctl_open_store(c, 0) == -1)
		return CTL_USAGE;
	if ((r = store_partner_add_referents(c->store, &s, refs, n_refs,
	    c->actor, c->now)) != STORE_OK)
		return ctl_store_fail(c);
	printf("partner %s added\n", s.id);
	return CTL_OK;
}

static int
partner_add(struct ctl *c, int argc, char **argv)
{
	const char **refs;
	int r;

	if ((refs = calloc((size_t)argc + 1, sizeof(*refs))) == NULL) {
		ctl_error("out of memory");
		return CTL_FAILED;
	}
	r = partner_add_with(c, argc, argv, refs);
	free(refs);
	return r;
}

/*
 * A partner as a JSON object, left open for partner show to add its
 * persons: the caller closes it.  persons = habilitated today.
 */
static void
partner_json(struct buf *b, const struct store_partner *p, size_t persons,
    int32_t today)
{
	buf_puts(b, "{\"id\":");
	json_string(b, p->id);
	buf_puts(b, ",\"name\":");
	json_string(b, p->name);
	buf_puts(b, ",\"siret\":");
	json_string(b, p->siret);
	buf_puts(b, ",\"start\":");
	ctl_admin_json_day(b, p->start);
	buf_puts(b, ",\"end\":");
	ctl_admin_json_day(b, p->end);
	buf_puts(b, ",\"state\":");
	ctl_admin_json_state(b, partner_state(p, today));
	buf_printf(b, ",\"suspended\":%s,\"suspend_reason\":",
	    p->suspended ? "true" : "false");
	json_string(b, p->suspended ? p->suspend_reason : NULL);
	if (p->max_persons == STORE_NO_QUOTA)
		buf_puts(b, ",\"max_persons\":null");
	else
		buf_printf(b, ",\"max_persons\":%d", p->max_persons);
	buf_printf(b, ",\"persons_today\":%zu,\"created_at\":", persons);
	json_string(b, p->created_at);
}

/* --json alone, for list and show: 1 with it, 0 without, -1 otherwise. */
static int
json_flag(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	int ch, json = 0;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'j')
			return -1;
		json = 1;
	}
	return json;
}

/*
 * partner list [--json]: the JSON is an array with one partner a line,
 * so that a shell script (the bash completion) can read it with sed.
 */
static int
partner_list(struct ctl *c, int argc, char **argv)
{
	struct store_partner_list l = { NULL, 0 };
	struct buf out = BUF_INIT;
	char a[11], b[11], q[16];
	size_t i, n;
	int json, rc;

	if ((json = json_flag(argc, argv)) == -1 || optind != argc)
		return ctl_usage("partner list [--json]");
	if (ctl_open_store(c, 0) == -1)
		return CTL_USAGE;
	if (store_partner_list(c->store, &l) != STORE_OK)
		return ctl_store_fail(c);
	if (json) {
		buf_puts(&out, "[\n");
		for (i = 0; i < l.n; i++) {
			if (count_persons(c, l.v[i].id, c->today, &n) == -1) {
				store_partner_list_free(&l);
				buf_free(&out);
				return ctl_store_fail(c);
			}
			partner_json(&out, &l.v[i], n, c->today);
			buf_puts(&out, i + 1 < l.n ? "},\n" : "}\n");
		}
		buf_puts(&out, "]\n");
		store_partner_list_free(&l);
		rc = ctl_print(&out);
		buf_free(&out);
		return rc;
	}
	printf("%-24s %-32s %-10s %-10s %-11s %s\n", "ID", "NAME", "START",
	    "END", "STATE", "PERSONS");
	for (i = 0; i < l.n; i++) {
		const struct store_partner *p = &l.v[i];

		if (count_persons(c, p->id, c->today, &n) == -1) {
			store_partner_list_free(&l);
			return ctl_store_fail(c);
		}
		if (p->max_persons == STORE_NO_QUOTA)
			snprintf(q, sizeof(q), "%zu", n);
		else
			snprintf(q, sizeof(q), "%zu/%d", n, p->max_persons);
		ctl_pad(stdout, p->id, 24);
		putchar(' ');
		ctl_cell(stdout, p->name, 32);
		printf(" %-10s %-10s %-11s %s\n", ctl_day(p->start, a),
		    ctl_day(p->end, b), partner_state(p, c->today), q);
	}
	store_partner_list_free(&l);
	return CTL_OK;
}

static int
partner_show(struct ctl *c, int argc, char **argv)
{
	struct store_partner p;
	struct store_person_list l = { NULL, 0 };
	struct store_referent_list refs = { NULL, 0 };
	struct buf out = BUF_INIT;
	char a[11], b[11];
	size_t active, i;
	int r, json;

	if ((json = json_flag(argc, argv)) == -1 || optind + 1 != argc)
		return ctl_usage("partner show ID [--json]");
	if (ctl_open_store(c, 0) == -1)
		return CTL_USAGE;
	memset(&p, 0, sizeof(p));
	if ((r = store_partner_get(c->store, argv[optind], &p)) != STORE_OK)
		return ctl_store_fail(c);
	if (count_persons(c, p.id, c->today, &active) == -1 ||
	    store_person_list(c->store, p.id, DATE_NONE, &l) != STORE_OK ||
	    store_referent_list(c->store, p.id, &refs) != STORE_OK) {
		store_person_list_free(&l);
		store_partner_free(&p);
		return ctl_store_fail(c);
	}
	if (json) {
		partner_json(&out, &p, active, c->today);
		buf_puts(&out, ",\"referents\":[");
		for (i = 0; i < refs.n; i++) {
			buf_puts(&out, i > 0 ? "," : "");
			json_string(&out, refs.v[i]);
		}
		store_referent_list_free(&refs);
		buf_puts(&out, "],\"persons\":");
		ctl_admin_persons_json(&out, &l, c->today);
		buf_puts(&out, "}\n");
		store_person_list_free(&l);
		store_partner_free(&p);
		r = ctl_print(&out);
		buf_free(&out);
		return r;
	}
	printf("id          %s\n", p.id);
	printf("name        ");
	ctl_put_escaped(stdout, p.name);
	putchar('\n');
	printf("siret       %s\n", p.siret ? p.siret : "-");
	printf("referents   %s", refs.n == 0 ? "-" : "");
	for (i = 0; i < refs.n; i++)
		printf("%s%s", i > 0 ? ", " : "", refs.v[i]);
	putchar('\n');
	store_referent_list_free(&refs);
	printf("convention  %s to %s\n", ctl_day(p.start, a), ctl_day(p.end, b));
	printf("state       %s%s%s\n", partner_state(&p, c->today),
	    p.suspend_reason ? ": " : "",
	    p.suspend_reason ? p.suspend_reason : "");
	if (p.max_persons == STORE_NO_QUOTA)
		printf("persons     %zu habilitated today (no quota)\n", active);
	else
		printf("persons     %zu habilitated today, quota %d\n", active,
		    p.max_persons);
	printf("created     %s\n\n", p.created_at);
	ctl_admin_print_persons(&l, 0, c->today);
	store_person_list_free(&l);
	store_partner_free(&p);
	return CTL_OK;
}

/* partner end|suspend|resume ID [--date D] [--reason R] */
static int
partner_change(struct ctl *c, int argc, char **argv)
{
	struct change ch;
	char day[11];
	int r;

	if (ctl_admin_parse_change(c, argc, argv, 0, &ch) == -1)
		return ctl_admin_change_usage(&ch, "partner", "ID");
	if (ctl_open_store(c, 0) == -1)
		return CTL_USAGE;
	if (strcmp(ch.what, "end") == 0)
		r = store_partner_end(c->store, ch.target, ch.date, c->actor,
		    c->now);
	else if (strcmp(ch.what, "suspend") == 0)
		r = store_partner_suspend_from(c->store, ch.target, ch.reason,
		    ch.date, c->actor, c->now);
	else
		r = store_partner_resume_on(c->store, ch.target, ch.date,
		    c->actor, c->now);
	if (r != STORE_OK)
		return ctl_store_fail(c);
	printf("partner %s: %s %s\n", ch.target, strcmp(ch.what, "end") == 0 ?
	    "convention ends on" : strcmp(ch.what, "suspend") == 0 ?
	    "suspended from" : "resumed on", ctl_day(ch.date, day));
	return CTL_OK;
}

int
ctl_admin_partner(struct ctl *c, int argc, char **argv)
{
	const char *u = "partner add|list|show|update|end|suspend|resume ...";

	if (argc < 2)
		return ctl_usage(u);
	argc--;
	argv++;
	argv[0] = ctl_admin_command_name("partner", argv[0]);
	if (strcmp(argv[0], "partner add") == 0)
		return partner_add(c, argc, argv);
	if (strcmp(argv[0], "partner list") == 0)
		return partner_list(c, argc, argv);
	if (strcmp(argv[0], "partner show") == 0)
		return partner_show(c, argc, argv);
	if (strcmp(argv[0], "partner update") == 0)
		return ctl_partner_update(c, argc, argv);
	if (strcmp(argv[0], "partner end") == 0 ||
	    strcmp(argv[0], "partner suspend") == 0 ||
	    strcmp(argv[0], "partner resume") == 0)
		return partner_change(c, argc, argv);
	return ctl_usage(u);
}
