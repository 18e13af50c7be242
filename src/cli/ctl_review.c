/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_review - `balpctl review` (see ctl_review.h).
 *
 * The store reads (store_review), review.c flags, this file formats: text
 * with one block per partner, CSV with one row per person and the
 * partner's columns repeated (a partner without a person listed gets one
 * row, its person columns empty, so that no partner flag is lost), or one
 * JSON document.  CSV and JSON are built in a buf and printed once.
 */
#include "balp/ctl_review.h"
#include "balp/date.h"
#include "balp/json.h"
#include "balp/review.h"
#include "balp/review_report.h"
#include "balp/store_partner.h"
#include "balp/store_review.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* A review looking back further than this is a typo. */
#define IDLE_MONTHS_MAX	1200

static const char usage_text[] = "review [--partner ID] [--format text|csv]"
    " [--json] [--now DATE] [--idle-months N]";

enum format { FORMAT_TEXT, FORMAT_CSV, FORMAT_JSON };

/* Per flag, how many persons or partners carry it. */
struct tally {
	size_t		 n;
	size_t		 flag[8];
};

static int
usage(void)
{
	fprintf(stderr, "usage: balpctl [-c CONF] %s\n", usage_text);
	return CTL_USAGE;
}

static void
tally_add(struct tally *t, unsigned flags)
{
	size_t i;

	t->n++;
	for (i = 0; review_flag_at(i) != 0; i++)
		if (i < sizeof(t->flag) / sizeof(t->flag[0]) &&
		    (flags & review_flag_at(i)))
			t->flag[i]++;
}

/* "never_used 1, idle 0, ..." for the flags of mask. */
static void
tally_text(struct buf *b, const struct tally *t, unsigned mask)
{
	size_t i;
	int first = 1;

	for (i = 0; review_flag_at(i) != 0; i++) {
		if ((review_flag_at(i) & mask) == 0 ||
		    i >= sizeof(t->flag) / sizeof(t->flag[0]))
			continue;
		buf_printf(b, "%s%s %zu", first ? "" : ", ",
		    review_flag_name(review_flag_at(i)), t->flag[i]);
		first = 0;
	}
}

/* "\"count\":N,\"never_used\":1,..." for the flags of mask. */
static void
tally_json(struct buf *b, const struct tally *t, unsigned mask)
{
	size_t i;

	buf_printf(b, "{\"count\":%zu", t->n);
	for (i = 0; review_flag_at(i) != 0; i++)
		if ((review_flag_at(i) & mask) != 0 &&
		    i < sizeof(t->flag) / sizeof(t->flag[0]))
			buf_printf(b, ",\"%s\":%zu",
			    review_flag_name(review_flag_at(i)), t->flag[i]);
	buf_putc(b, '}');
}

static const char *
person_state(const struct store_review_person *p, int32_t now)
{
	if (p->suspended)
		return "suspended";
	if (p->end != DATE_NONE && p->end < now)
		return "ended";
	if (p->start > now)
		return "not yet";
	return "in force";
}

static const char *
partner_state(const struct store_partner *p, int32_t now)
{
	if (p->suspended)
		return "suspended";
	if (p->start != DATE_NONE && now < p->start)
		return "not started";
	if (p->end != DATE_NONE && now > p->end)
		return "ended";
	return "in force";
}

/* ---- text ------------------------------------------------------------- */

static void
text_partner(const struct store_review_partner *pa,
    const struct review_params *rp, struct tally *persons)
{
	const struct store_partner *p = &pa->partner;
	struct tally t;
	struct buf b = BUF_INIT;
	char d1[11], d2[11];
	unsigned pf = review_report_partner_flags(pa, rp), f;
	size_t i;

	memset(&t, 0, sizeof(t));
	printf("\npartner     %s  ", p->id);
	ctl_pad(stdout, p->name, 0);
	printf("\nconvention  %s to %s\n", ctl_day(p->start, d1),
	    ctl_day(p->end, d2));
	printf("state       %s%s%s\n", partner_state(p, rp->now),
	    p->suspended && p->suspend_reason ? ": " : "",
	    p->suspended && p->suspend_reason ? p->suspend_reason : "");
	printf("persons     %zu counted for the quota on %s (suspended ones "
	    "count), ", pa->counted, ctl_day(rp->now, d1));
	if (p->max_persons == STORE_NO_QUOTA)
		printf("no quota\n");
	else
		printf("quota %d\n", p->max_persons);
	review_flags_join(&b, pf, ", ", 0);
	printf("flags       %s\n\n", b.len > 0 ? buf_str(&b) : "-");
	if (pa->n == 0)
		printf("(no person habilitated during the review year)\n");
	else
		printf("%-20s %-16s %-32s %-24s %-10s %-10s %-9s %-12s %4s "
		    "%4s %4s  %s\n", "NOM", "PRENOM", "EMAIL", "FONCTION",
		    "DEBUT", "FIN", "STATE", "LAST MESSAGE", "ACC", "REJ",
		    "QUAR", "FLAGS");
	for (i = 0; i < pa->n; i++) {
		const struct store_review_person *q = &pa->v[i];

		f = review_report_person_flags(q, rp);
		tally_add(&t, f);
		ctl_cell(stdout, q->last_name, 20);
		putchar(' ');
		ctl_cell(stdout, q->first_name, 16);
		putchar(' ');
		ctl_pad(stdout, q->email, 32);
		putchar(' ');
		ctl_cell(stdout, q->job_title[0] ? q->job_title : "-", 24);
		printf(" %-10s ", ctl_day(q->start, d1));
		printf("%-10s %-9s ", ctl_day(q->end, d2),
		    person_state(q, rp->now));
		printf("%-12s %4zu %4zu %4zu  ", ctl_day(q->last_message, d1),
		    q->n_accepted, q->n_rejected, q->n_quarantined);
		buf_reset(&b);
		review_flags_join(&b, f, ",", 0);
		if (q->suspended && q->suspend_reason != NULL)
			buf_printf(&b, " (%s)", q->suspend_reason);
		printf("%s\n", b.len > 0 ? buf_str(&b) : "-");
	}
	buf_reset(&b);
	tally_text(&b, &t, REVIEW_PERSON_FLAGS);
	printf("summary     %zu person%s: %s\n", t.n, t.n == 1 ? "" : "s",
	    buf_str(&b));
	persons->n += t.n;
	for (i = 0; i < sizeof(t.flag) / sizeof(t.flag[0]); i++)
		persons->flag[i] += t.flag[i];
	buf_free(&b);
}

static void
print_text(const struct store_review *r, const struct review_params *rp,
    int32_t year_start)
{
	struct tally partners, persons;
	struct buf b = BUF_INIT;
	char d1[11], d2[11], d3[11];
	size_t i;

	memset(&partners, 0, sizeof(partners));
	memset(&persons, 0, sizeof(persons));
	printf("Yearly review of habilitations on %s: the review year is %s "
	    "to %s; idle: no message for %d months (none since %s).\n",
	    ctl_day(rp->now, d1), ctl_day(year_start, d2), d1,
	    rp->idle_months, ctl_day(review_idle_before(rp), d3));
	printf("Persons habilitated during the year.  LAST MESSAGE: the last "
	    "day one came from them; ACC, REJ, QUAR: their messages over "
	    "the year, accepted, rejected, quarantined.\n"
	    "Flags: never_used (no message within the habilitation), idle, "
	    "past_end (the habilitation ended: the partner confirms the "
	    "departure), suspended; partners: over_quota, convention_ended, "
	    "suspended.\n");
	for (i = 0; i < r->n; i++) {
		tally_add(&partners, review_report_partner_flags(&r->v[i], rp));
		text_partner(&r->v[i], rp, &persons);
	}
	tally_text(&b, &partners, REVIEW_PARTNER_FLAGS);
	printf("\ntotal       %zu partner%s (%s); ", partners.n,
	    partners.n == 1 ? "" : "s", buf_str(&b));
	buf_reset(&b);
	tally_text(&b, &persons, REVIEW_PERSON_FLAGS);
	printf("%zu person%s (%s)\n", persons.n, persons.n == 1 ? "" : "s",
	    buf_str(&b));
	buf_free(&b);
}

/* ---- json ------------------------------------------------------------- */

static void
json_day(struct buf *out, int32_t day)
{
	char d[11];

	if (day == DATE_NONE) {
		buf_puts(out, "null");
		return;
	}
	date_format_iso(day, d);
	buf_printf(out, "\"%s\"", d);
}

static void
json_flags(struct buf *out, unsigned flags)
{
	buf_putc(out, '[');
	review_flags_join(out, flags, ",", 1);
	buf_putc(out, ']');
}

static void
json_person(struct buf *out, const struct store_review_person *q,
    const struct review_params *rp)
{
	buf_puts(out, "{\"last_name\":");
	json_string(out, q->last_name);
	buf_puts(out, ",\"first_name\":");
	json_string(out, q->first_name);
	buf_puts(out, ",\"email\":");
	json_string(out, q->email);
	buf_puts(out, ",\"job_title\":");
	json_string(out, q->job_title);
	buf_puts(out, ",\"start\":");
	json_day(out, q->start);
	buf_puts(out, ",\"end\":");
	json_day(out, q->end);
	buf_printf(out, ",\"suspended\":%s,\"suspend_reason\":",
	    q->suspended ? "true" : "false");
	json_string(out, q->suspended ? q->suspend_reason : NULL);
	buf_puts(out, ",\"last_message\":");
	json_day(out, q->last_message);
	buf_printf(out, ",\"accepted\":%zu,\"rejected\":%zu,"
	    "\"quarantined\":%zu,\"flags\":", q->n_accepted, q->n_rejected,
	    q->n_quarantined);
	json_flags(out, review_report_person_flags(q, rp));
	buf_putc(out, '}');
}

static void
print_json(const struct store_review *r, const struct review_params *rp,
    int32_t year_start, struct buf *out)
{
	const struct store_review_partner *pa;
	struct tally partners, persons, t;
	unsigned pf, f;
	size_t i, j, k;

	memset(&partners, 0, sizeof(partners));
	memset(&persons, 0, sizeof(persons));
	buf_puts(out, "{\"review_day\":");
	json_day(out, rp->now);
	buf_puts(out, ",\"year_start\":");
	json_day(out, year_start);
	buf_printf(out, ",\"idle_months\":%d,\"idle_before\":",
	    rp->idle_months);
	json_day(out, review_idle_before(rp));
	buf_puts(out, ",\"partners\":[");
	for (i = 0; i < r->n; i++) {
		pa = &r->v[i];
		pf = review_report_partner_flags(pa, rp);
		tally_add(&partners, pf);
		buf_puts(out, i > 0 ? ",{\"id\":" : "{\"id\":");
		json_string(out, pa->partner.id);
		buf_puts(out, ",\"name\":");
		json_string(out, pa->partner.name);
		buf_puts(out, ",\"convention_start\":");
		json_day(out, pa->partner.start);
		buf_puts(out, ",\"convention_end\":");
		json_day(out, pa->partner.end);
		buf_printf(out, ",\"suspended\":%s,\"suspend_reason\":",
		    pa->partner.suspended ? "true" : "false");
		json_string(out, pa->partner.suspended ?
		    pa->partner.suspend_reason : NULL);
		buf_puts(out, ",\"max_persons\":");
		if (pa->partner.max_persons == STORE_NO_QUOTA)
			buf_puts(out, "null");
		else
			buf_printf(out, "%d", pa->partner.max_persons);
		buf_printf(out, ",\"persons_counted\":%zu,\"flags\":",
		    pa->counted);
		json_flags(out, pf);
		buf_puts(out, ",\"persons\":[");
		memset(&t, 0, sizeof(t));
		for (j = 0; j < pa->n; j++) {
			f = review_report_person_flags(&pa->v[j], rp);
			tally_add(&t, f);
			if (j > 0)
				buf_putc(out, ',');
			json_person(out, &pa->v[j], rp);
		}
		buf_puts(out, "],\"summary\":");
		tally_json(out, &t, REVIEW_PERSON_FLAGS);
		buf_putc(out, '}');
		persons.n += t.n;
		for (k = 0; k < sizeof(t.flag) / sizeof(t.flag[0]); k++)
			persons.flag[k] += t.flag[k];
	}
	buf_puts(out, "],\"summary\":{\"partners\":");
	tally_json(out, &partners, REVIEW_PARTNER_FLAGS);
	buf_puts(out, ",\"persons\":");
	tally_json(out, &persons, REVIEW_PERSON_FLAGS);
	buf_puts(out, "}}\n");
}

/* ---- the command ------------------------------------------------------ */

static int
parse_months(const char *s, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 ||
	    v > IDLE_MONTHS_MAX) {
		ctl_error("--idle-months: '%s' is not a number of months "
		    "(0 to %d)", s, IDLE_MONTHS_MAX);
		return -1;
	}
	*out = (int)v;
	return 0;
}

int
ctl_review(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "partner", required_argument, NULL, 'p' },
		{ "format", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "now", required_argument, NULL, 'n' },
		{ "idle-months", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 }
	};
	struct review_params rp = { c->today, REVIEW_IDLE_MONTHS };
	struct store_review r;
	struct buf out = BUF_INIT;
	const char *partner = NULL;
	enum format fmt = FORMAT_TEXT;
	int ch, json = 0, csv = 0;
	int32_t year_start;

	if ((ch = ctl_require_admin(c, "review")) != CTL_OK)
		return ch;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			partner = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "csv") == 0)
				csv = 1;
			else if (strcmp(optarg, "text") != 0) {
				ctl_error("--format: '%s' is neither text nor "
				    "csv", optarg);
				return CTL_USAGE;
			}
			break;
		case 'j':
			json = 1;
			break;
		case 'n':
			if (ctl_date("--now", optarg, &rp.now) == -1)
				return CTL_USAGE;
			break;
		case 'i':
			if (parse_months(optarg, &rp.idle_months) == -1)
				return CTL_USAGE;
			break;
		default:
			return usage();
		}
	}
	if (optind != argc)
		return usage();
	if (json && csv) {
		ctl_error("--json and --format csv: choose one");
		return CTL_USAGE;
	}
	fmt = json ? FORMAT_JSON : csv ? FORMAT_CSV : FORMAT_TEXT;
	if (ctl_open_store(c, 0) == -1)
		return CTL_USAGE;
	year_start = review_year_start(rp.now);
	if (store_review(c->store, partner, rp.now, year_start, &r) !=
	    STORE_OK) {
		ctl_error("%s", store_errmsg(c->store));
		return CTL_FAILED;
	}
	if (fmt == FORMAT_TEXT)
		print_text(&r, &rp, year_start);
	else {
		if (fmt == FORMAT_CSV)
			review_report_csv(&r, &rp, year_start, &out);
		else
			print_json(&r, &rp, year_start, &out);
		if (out.failed) {
			ctl_error("out of memory");
			store_review_free(&r);
			buf_free(&out);
			return CTL_FAILED;
		}
		fputs(buf_str(&out), stdout);
	}
	store_review_free(&r);
	buf_free(&out);
	return CTL_OK;
}
