/* SPDX-License-Identifier: Apache-2.0 */
/*
 * review_report - the review's flags and its CSV (see
 * include/balp/review_report.h), out of balpctl's ctl_review.c so that
 * the console exports the same file.
 */
#include "balp/review_report.h"

#include "balp/csv.h"
#include "balp/date.h"
#include "balp/store_partner.h"

unsigned
review_report_person_flags(const struct store_review_person *p,
    const struct review_params *rp)
{
	struct review_person_facts f;

	f.first_start = p->first_start;
	f.end = p->end;
	f.suspended = p->suspended;
	f.used = p->used;
	f.last_message = p->last_message;
	return review_person(&f, rp);
}

unsigned
review_report_partner_flags(const struct store_review_partner *pa,
    const struct review_params *rp)
{
	struct review_partner_facts f;

	f.convention_end = pa->partner.end;
	f.suspended = pa->partner.suspended;
	f.max_persons = pa->partner.max_persons;
	f.counted = pa->counted;
	return review_partner(&f, rp);
}

/* A day, "" when none. */
static void
csv_day(struct buf *out, int32_t day)
{
	char d[11];

	if (day != DATE_NONE) {
		date_format_iso(day, d);
		buf_puts(out, d);
	}
}

static void
csv_flags(struct buf *out, unsigned flags)
{
	struct buf f = BUF_INIT;

	review_flags_join(&f, flags, ",", 0);
	if (f.failed)
		out->failed = 1;
	csv_cell_text(out, buf_str(&f));
	buf_free(&f);
}

static void
csv_partner(struct buf *out, const struct store_review_partner *pa,
    const struct review_params *rp, int32_t year_start)
{
	const struct store_partner *p = &pa->partner;

	csv_day(out, rp->now);
	buf_putc(out, ';');
	csv_day(out, year_start);
	buf_putc(out, ';');
	csv_cell_text(out, p->id);
	buf_putc(out, ';');
	csv_cell_text(out, p->name);
	buf_putc(out, ';');
	csv_day(out, p->start);
	buf_putc(out, ';');
	csv_day(out, p->end);
	buf_printf(out, ";%d;", p->suspended);
	csv_cell_text(out, p->suspended ? p->suspend_reason : NULL);
	buf_putc(out, ';');
	if (p->max_persons != STORE_NO_QUOTA)
		buf_printf(out, "%d", p->max_persons);
	buf_printf(out, ";%zu;", pa->counted);
	csv_flags(out, review_report_partner_flags(pa, rp));
	buf_putc(out, ';');
}

void
review_report_csv(const struct store_review *r,
    const struct review_params *rp, int32_t year_start, struct buf *out)
{
	const struct store_review_person *q;
	size_t i, j;

	buf_puts(out, "review_day;year_start;partner_id;partner_name;"
	    "convention_start;convention_end;partner_suspended;"
	    "partner_suspend_reason;max_persons;persons_counted;partner_flags;"
	    "nom;prenom;email;fonction;date_habilitation;date_fin;suspended;"
	    "suspend_reason;last_message;accepted;rejected;quarantined;flags"
	    "\r\n");
	for (i = 0; i < r->n; i++) {
		if (r->v[i].n == 0) {
			csv_partner(out, &r->v[i], rp, year_start);
			buf_puts(out, ";;;;;;;;;;;;\r\n");
		}
		for (j = 0; j < r->v[i].n; j++) {
			q = &r->v[i].v[j];
			csv_partner(out, &r->v[i], rp, year_start);
			csv_cell_text(out, q->last_name);
			buf_putc(out, ';');
			csv_cell_text(out, q->first_name);
			buf_putc(out, ';');
			csv_cell_text(out, q->email);
			buf_putc(out, ';');
			csv_cell_text(out, q->job_title);
			buf_putc(out, ';');
			csv_day(out, q->start);
			buf_putc(out, ';');
			csv_day(out, q->end);
			buf_printf(out, ";%d;", q->suspended);
			csv_cell_text(out, q->suspended ? q->suspend_reason : NULL);
			buf_putc(out, ';');
			csv_day(out, q->last_message);
			buf_printf(out, ";%zu;%zu;%zu;", q->n_accepted,
			    q->n_rejected, q->n_quarantined);
			csv_flags(out, review_report_person_flags(q, rp));
			buf_puts(out, "\r\n");
		}
	}
}
