/* SPDX-License-Identifier: Apache-2.0 */
/*
 * web_page_review - the yearly reverse review (see web_page_review.h).
 */
#include "balp/web_page_review.h"

#include <stdio.h>
#include <string.h>

#include "balp/date.h"
#include "balp/pipeline.h"
#include "balp/review_report.h"
#include "balp/store_review.h"
#include "balp/web_html.h"
#include "balp/web_layout.h"
#include "balp/web_msg.h"

static const struct {
	unsigned	 flag;
	const char	*label;
} labels[] = {
	{ REVIEW_NEVER_USED, "jamais utilisée" },
	{ REVIEW_IDLE, "inactive" },
	{ REVIEW_PAST_END, "habilitation terminée : départ à confirmer" },
	{ REVIEW_SUSPENDED, "suspendue" },
	{ REVIEW_OVER_QUOTA, "au-delà du quota" },
	{ REVIEW_CONVENTION_ENDED, "convention terminée" },
	{ REVIEW_PARTNER_SUSPENDED, "partenaire suspendu" },
};

/* The flags in words, "—" for none. */
static void
flags_cell(struct buf *b, unsigned flags)
{
	size_t i;
	int first = 1;

	for (i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		if (flags & labels[i].flag) {
			if (!first)
				buf_puts(b, " ; ");
			web_html_text(b, labels[i].label);
			first = 0;
		}
	if (first)
		buf_puts(b, "—");
}

static void
partner_section(struct web_ctx *ctx, const struct store_review_partner *pa,
    const struct review_params *rp)
{
	struct buf *b = &ctx->res->body;
	const struct store_review_person *q;
	size_t j;

	buf_puts(b, "<h2>");
	web_html_text(b, pa->partner.name);
	buf_puts(b, "</h2>\n<p>Convention : ");
	web_html_day(b, pa->partner.start, "—");
	buf_puts(b, " – ");
	web_html_day(b, pa->partner.end, "ouverte");
	buf_printf(b, " ; %zu personne(s) comptée(s) pour le quota", pa->counted);
	if (pa->partner.max_persons != STORE_NO_QUOTA)
		buf_printf(b, " sur %d", pa->partner.max_persons);
	buf_puts(b, ". À vérifier : ");
	flags_cell(b, review_report_partner_flags(pa, rp));
	buf_puts(b, "</p>\n");
	if (pa->n == 0) {
		buf_puts(b, "<p>Aucune personne habilitée.</p>\n");
		return;
	}
	buf_puts(b, "<table>\n<caption>Personnes de ");
	web_html_text(b, pa->partner.name);
	buf_puts(b, "</caption>\n<thead><tr><th scope=\"col\">Nom</th>"
	    "<th scope=\"col\">Prénom</th><th scope=\"col\">Adresse</th>"
	    "<th scope=\"col\">Début</th><th scope=\"col\">Fin</th>"
	    "<th scope=\"col\">Dernier message</th>"
	    "<th scope=\"col\">Acceptés</th><th scope=\"col\">Rejetés</th>"
	    "<th scope=\"col\">En quarantaine</th>"
	    "<th scope=\"col\">À vérifier</th></tr></thead>\n<tbody>\n");
	for (j = 0; j < pa->n; j++) {
		q = &pa->v[j];
		buf_puts(b, "<tr><th scope=\"row\">");
		web_html_text(b, q->last_name);
		buf_puts(b, "</th><td>");
		web_html_text(b, q->first_name);
		buf_puts(b, "</td><td>");
		web_html_text(b, q->email);
		buf_puts(b, "</td><td>");
		web_html_day(b, q->start, "—");
		buf_puts(b, "</td><td>");
		web_html_day(b, q->end, "—");
		buf_puts(b, "</td><td>");
		web_html_day(b, q->last_message, "aucun");
		buf_printf(b, "</td><td class=\"num\">%zu</td><td class=\"num\">"
		    "%zu</td><td class=\"num\">%zu</td><td>", q->n_accepted,
		    q->n_rejected, q->n_quarantined);
		flags_cell(b, review_report_person_flags(q, rp));
		buf_puts(b, "</td></tr>\n");
	}
	buf_puts(b, "</tbody>\n</table>\n");
}

/* The review of today into r; STORE_OK or the store's status. */
static int
review_today(struct web_ctx *ctx, struct review_params *rp,
    int32_t *year_start, struct store_review *r)
{
	rp->now = pipeline_today(ctx->now);
	rp->idle_months = REVIEW_IDLE_MONTHS;
	*year_start = review_year_start(rp->now);
	return store_review(ctx->app->st, NULL, rp->now, *year_start, r);
}

void
web_page_review(struct web_ctx *ctx)
{
	struct buf *b = &ctx->res->body;
	struct review_params rp;
	struct store_review r;
	int32_t year_start;
	size_t i;

	memset(&r, 0, sizeof(r));
	if (review_today(ctx, &rp, &year_start, &r) != STORE_OK) {
		web_app_error(ctx, 500, web_msg_store_down(ctx,
		    "review"));
		return;
	}
	web_layout_begin(ctx, "Revue annuelle des habilitations");
	buf_puts(b, "<p>Revue au ");
	web_html_day(b, rp.now, "—");
	buf_puts(b, ", année du ");
	web_html_day(b, year_start, "—");
	buf_printf(b, " ; inactive : aucun message depuis %d mois. "
	    "<a href=\"/review.csv\">Exporter (CSV)</a></p>\n",
	    rp.idle_months);
	for (i = 0; i < r.n; i++)
		partner_section(ctx, &r.v[i], &rp);
	if (r.n == 0)
		buf_puts(b, "<p>Aucun partenaire.</p>\n");
	web_layout_end(ctx);
	store_review_free(&r);
}

void
web_page_review_csv(struct web_ctx *ctx)
{
	struct review_params rp;
	struct store_review r;
	int32_t year_start;
	char name[64], d[11];

	memset(&r, 0, sizeof(r));
	if (review_today(ctx, &rp, &year_start, &r) != STORE_OK) {
		web_app_error(ctx, 500, web_msg_store_down(ctx,
		    "review CSV"));
		return;
	}
	review_report_csv(&r, &rp, year_start, &ctx->res->body);
	store_review_free(&r);
	ctx->res->content_type = "text/csv; charset=utf-8";
	date_format_iso(rp.now, d);
	snprintf(name, sizeof(name), "attachment; filename=\"revue-%s.csv\"",
	    d);
	ctx->res->disposition = buf_strdup(name);
}
