/* SPDX-License-Identifier: Apache-2.0 */
/*
 * web_page_dashboard - the dashboard (see web_page_dashboard.h).
 */
#include "balp/web_page_dashboard.h"

#include <inttypes.h>
#include <string.h>

#include "balp/log.h"
#include "balp/pipeline.h"
#include "balp/sla.h"
#include "balp/store_audit.h"
#include "balp/store_decision.h"
#include "balp/store_outbox.h"
#include "balp/store_staged.h"
#include "balp/web_audit_watch.h"
#include "balp/web_html.h"
#include "balp/web_layout.h"
#include "balp/web_msg.h"

/* Working days before the SLA from which a queue shows "bientôt dû". */
#define SLA_WARN_DAYS	2

static void
queues(struct web_ctx *ctx)
{
	struct buf *b = &ctx->res->body, err = BUF_INIT;
	struct sla_report r;
	const struct sla_queue *q;
	const char *cls, *label;
	size_t i;

	buf_puts(b, "<h2>Files</h2>\n");
	if (sla_summary(ctx->app->st, ctx->app->conf, pipeline_today(ctx->now),
	    &r, &err) == -1) {
		log_warn("dashboard queues: %s", buf_str(&err));
		web_layout_error(ctx, WEB_MSG_STORE_DOWN);
		buf_free(&err);
		return;
	}
	buf_printf(b, "<p>%zu message(s) en attente, dont %zu en retard sur "
	    "leur délai.</p>\n", r.waiting, r.overdue);
	buf_puts(b, "<table>\n<caption>Messages en attente par file "
	    "(âges en jours ouvrés)</caption>\n<thead><tr>"
	    "<th scope=\"col\">File</th><th scope=\"col\">Messages</th>"
	    "<th scope=\"col\">Plus ancien (jours ouvrés)</th>"
	    "<th scope=\"col\">Délai (jours ouvrés)</th>"
	    "<th scope=\"col\">En retard</th>"
	    "<th scope=\"col\">État</th></tr></thead>\n<tbody>\n");
	for (i = 0; i < r.n; i++) {
		q = &r.v[i];
		if (q->overdue > 0) {
			cls = "sla-late";
			label = "En retard";
		} else if (q->q != NULL && q->sla > 0 &&
		    q->oldest_wd + SLA_WARN_DAYS >= (int64_t)q->sla) {
			cls = "sla-warn";
			label = "Bientôt dû";
		} else {
			cls = "sla-ok";
			label = "Dans les délais";
		}
		buf_puts(b, "<tr class=\"");
		web_html_text(b, cls);
		buf_puts(b, "\"><th scope=\"row\">");
		web_html_text(b, q->name);
		buf_printf(b, "</th><td class=\"num\">%zu</td>",
		    q->q != NULL ? q->q->count : (size_t)0);
		if (q->q != NULL)
			buf_printf(b, "<td class=\"num\">%" PRId64 "</td>",
			    q->oldest_wd);
		else
			buf_puts(b, "<td>—</td>");
		if (q->sla > 0)
			buf_printf(b, "<td class=\"num\">%u</td>", q->sla);
		else
			buf_puts(b, "<td>aucun</td>");
		buf_printf(b, "<td class=\"num\">%zu</td><td>", q->overdue);
		web_html_text(b, label);
		buf_puts(b, "</td></tr>\n");
	}
	buf_puts(b, "</tbody>\n</table>\n");
	sla_report_free(&r);
}

static void
notices(struct web_ctx *ctx)
{
	struct buf *b = &ctx->res->body;
	size_t pending = 0, failed = 0;

	buf_puts(b, "<h2>Avis aux expéditeurs</h2>\n");
	if (store_outbox_count(ctx->app->st, &pending, &failed) != STORE_OK) {
		web_layout_error(ctx, web_msg_store_down(ctx,
		    "dashboard"));
		return;
	}
	buf_printf(b, "<ul>\n<li>En attente d'envoi : %zu</li>\n",
	    pending);
	if (failed > 0)
		buf_puts(b, "<li class=\"error\">");
	else
		buf_puts(b, "<li>");
	buf_printf(b, "En échec définitif : %zu</li>\n</ul>\n", failed);
}

/*
 * The annexes referents mailed, waiting for an admin (docs/annex-mail.md):
 * their count for every role, the link to them for those who decide.
 */
static void
staged(struct web_ctx *ctx)
{
	struct buf *b = &ctx->res->body;
	struct store_staged_list l;

	buf_puts(b, "<h2>Annexes reçues par courriel</h2>\n");
	if (store_staged_list(ctx->app->st, 1, &l) != STORE_OK) {
		web_layout_error(ctx, web_msg_store_down(ctx,
		    "dashboard"));
		return;
	}
	buf_printf(b, "<p>En attente d'approbation : %zu", l.n);
	if (l.n > 0 && !web_layout_role(ctx, "supervisor"))
		buf_puts(b, " (<a href=\"/annexes\">les voir</a>)");
	buf_puts(b, "</p>\n");
	store_staged_list_free(&l);
}

static void
audit(struct web_ctx *ctx)
{
	struct web_app *app = ctx->app;
	struct buf *b = &ctx->res->body;
	struct web_audit_state s;
	char at[21];

	buf_puts(b, "<h2>Journal d'audit</h2>\n");
	if (app->audit_watch != NULL)
		web_audit_watch_get(app->audit_watch, &s);
	else {
		s.state = store_audit_verify(app->st, &s.bad);
		s.at = ctx->now;
	}
	store_timestamp(s.at, at);
	if (s.state == 0)
		buf_puts(b, "<p class=\"ok\" role=\"status\">La chaîne d'audit "
		    "est intacte");
	else if (s.state == 1)
		buf_printf(b, "<p class=\"error\" role=\"alert\">La chaîne "
		    "d'audit est rompue à la ligne %" PRId64 " : voyez la page "
		    "Audit ou <code>balpctl audit verify</code>", s.bad);
	else
		buf_puts(b, "<p class=\"error\" role=\"alert\">La chaîne "
		    "d'audit n'a pas pu être vérifiée (voyez le journal de "
		    "balpweb)");
	buf_puts(b, " ; vérifiée le <time>");
	web_html_text(b, at);
	buf_puts(b, "</time> (UTC).</p>\n");
}

static void
last_pass(struct web_ctx *ctx)
{
	struct buf *b = &ctx->res->body;
	struct store_decision_filter f;
	struct store_decision_list l;

	buf_puts(b, "<h2>Dernier passage</h2>\n");
	memset(&f, 0, sizeof(f));
	f.limit = 1;
	if (store_decision_list(ctx->app->st, &f, &l) != STORE_OK) {
		web_layout_error(ctx, web_msg_store_down(ctx,
		    "dashboard"));
		return;
	}
	if (l.n == 0)
		buf_puts(b, "<p>Aucun message décidé pour l'instant.</p>\n");
	else {
		buf_puts(b, "<p>Dernière décision enregistrée : <time>");
		web_html_text(b, l.v[0].decided_at);
		buf_puts(b, "</time> (UTC).</p>\n");
	}
	store_decision_list_free(&l);
}

void
web_page_dashboard(struct web_ctx *ctx)
{
	web_layout_begin(ctx, "Tableau de bord");
	queues(ctx);
	notices(ctx);
	staged(ctx);
	audit(ctx);
	last_pass(ctx);
	web_layout_end(ctx);
}
