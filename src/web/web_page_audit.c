/* SPDX-License-Identifier: Apache-2.0 */
/*
 * web_page_audit - verify, anchor, purge (see web_page_audit.h).
 */
#include "balp/web_page_audit.h"

#include <inttypes.h>
#include <string.h>

#include "balp/log.h"
#include "balp/pipeline.h"
#include "balp/store_audit.h"
#include "balp/store_purge.h"
#include "balp/web_html.h"
#include "balp/web_layout.h"
#include "balp/web_msg.h"

/* 64 lower-case hex digits: what `audit anchor` prints. */
static int
anchor_valid(const char *h)
{
	size_t i;

	if (h == NULL)
		return 0;
	for (i = 0; h[i] != '\0'; i++)
		if (!((h[i] >= '0' && h[i] <= '9') ||
		    (h[i] >= 'a' && h[i] <= 'f')))
			return 0;
	return i == STORE_HASH_HEX_LEN;
}

/* The chain checked (against anchor when not NULL), in words. */
static void
chain_state(struct web_ctx *ctx, const char *anchor)
{
	struct buf *b = &ctx->res->body;
	struct store_audit_report rep;
	int r;

	memset(&rep, 0, sizeof(rep));
	if ((r = store_audit_check(ctx->app->st, anchor, &rep)) == -1) {
		ctx->res->status = 500;
		web_layout_error(ctx, web_msg_store_down(ctx,
		    "audit check"));
		return;
	}
	if (r == 1) {
		buf_puts(b, "<p class=\"error\" role=\"alert\">La chaîne d'audit "
		    "est rompue : ");
		if (rep.why == STORE_AUDIT_RECORD)
			web_html_text(b, rep.record);
		else {
			web_html_text(b, store_audit_break_str(rep.why));
			buf_printf(b, " (ligne %" PRId64 ")", rep.bad_id != 0 ?
			    rep.bad_id : rep.head_id);
		}
		buf_puts(b, ".</p>\n");
		log_security("audit chain of %s broken: %s (found by %s)",
		    ctx->app->conf->store_path, rep.why == STORE_AUDIT_RECORD ?
		    rep.record : store_audit_break_str(rep.why), ctx->actor);
		return;
	}
	buf_printf(b, "<p class=\"ok\" role=\"status\">La chaîne d'audit est "
	    "intacte : %" PRId64 " lignes", rep.rows);
	if (rep.legacy_rows > 0)
		buf_printf(b, ", dont les %" PRId64 " premières écrites avant la "
		    "clé d'audit", rep.legacy_rows);
	if (rep.purged_rows > 0)
		buf_printf(b, ", %" PRId64 " vidées par des purges",
		    rep.purged_rows);
	if (anchor != NULL)
		buf_puts(b, " ; l'ancre donnée y est");
	buf_puts(b, ".</p>\n");
	buf_printf(b, "<p>Ancre (empreinte de la ligne %" PRId64 ", à garder "
	    "hors de cette machine) : <code class=\"anchor\">", rep.head_id);
	web_html_text(b, rep.head_hash);
	buf_puts(b, "</code></p>\n");
}

static void
forms(struct web_ctx *ctx)
{
	struct buf *b = &ctx->res->body;

	buf_puts(b, "<h2>Vérifier contre une ancre</h2>\n<form class=\"stack\" "
	    "method=\"post\" action=\"/audit/verify\">\n<label for=\"anchor\">"
	    "Ancre gardée (64 chiffres hexadécimaux)</label>\n<input "
	    "id=\"anchor\" name=\"anchor\" type=\"text\" required "
	    "pattern=\"[0-9a-f]{64}\" autocomplete=\"off\" spellcheck="
	    "\"false\">\n");
	web_layout_csrf(ctx);
	buf_printf(b, "<button type=\"submit\">Vérifier</button>\n</form>\n"
	    "<h2>Purge</h2>\n<p>Détruit les traces de décision de plus de %u "
	    "mois et les données d'habilitation %u ans après la fin de "
	    "l'habilitation, puis donne l'attestation de destruction.</p>\n"
	    "<form class=\"stack\" method=\"post\" action=\"/audit/purge\">\n"
	    "<p><input type=\"checkbox\" id=\"confirm\" name=\"confirm\" "
	    "value=\"1\"> <label for=\"confirm\">Je confirme la destruction "
	    "(sans cette case : simulation)</label></p>\n",
	    ctx->app->conf->retention_traces_months,
	    ctx->app->conf->retention_habilitation_years);
	web_layout_csrf(ctx);
	buf_puts(b, "<button type=\"submit\" name=\"dry_run\" value=\"1\" "
	    "class=\"secondary\">Simuler</button>\n<button type=\"submit\" "
	    "name=\"dry_run\" value=\"0\">Purger</button>\n</form>\n");
}

void
web_page_audit(struct web_ctx *ctx)
{
	web_layout_begin(ctx, "Audit");
	chain_state(ctx, NULL);
	forms(ctx);
	web_layout_end(ctx);
}

void
web_page_audit_verify(struct web_ctx *ctx)
{
	const char *anchor = web_http_field(ctx->req, "anchor", NULL);

	web_layout_begin(ctx, "Audit");
	if (!anchor_valid(anchor)) {
		ctx->res->status = 400;
		web_layout_error(ctx, "Une ancre est faite de 64 chiffres "
		    "hexadécimaux (ce que donne balpctl audit anchor).");
	} else
		chain_state(ctx, anchor);
	forms(ctx);
	web_layout_end(ctx);
}

/* One row of the attestation. */
static void
row(struct buf *b, const char *label, const char *v)
{
	buf_puts(b, "<tr><th scope=\"row\">");
	web_html_text(b, label);
	buf_puts(b, "</th><td>");
	web_html_text(b, v);
	buf_puts(b, "</td></tr>\n");
}

void
web_page_audit_purge(struct web_ctx *ctx)
{
	struct buf *b = &ctx->res->body;
	struct store_purge_spec spec;
	struct store_purge_report r;
	const char *dry, *confirm;
	char at[21];

	dry = web_http_field(ctx->req, "dry_run", NULL);
	confirm = web_http_field(ctx->req, "confirm", NULL);
	memset(&spec, 0, sizeof(spec));
	memset(&r, 0, sizeof(r));
	spec.today = pipeline_today(ctx->now);
	spec.traces_months = (int)ctx->app->conf->retention_traces_months;
	spec.habilitation_years =
	    (int)ctx->app->conf->retention_habilitation_years;
	/* Only an explicit, confirmed purge destroys. */
	spec.dry_run = !(dry != NULL && strcmp(dry, "0") == 0 &&
	    confirm != NULL && strcmp(confirm, "1") == 0);
	web_layout_begin(ctx, "Purge");
	if (dry != NULL && strcmp(dry, "0") == 0 && spec.dry_run)
		web_layout_error(ctx, "Cochez la confirmation pour détruire : "
		    "voici la simulation.");
	if (store_purge(ctx->app->st, &spec, ctx->actor, ctx->now, &r) !=
	    STORE_OK) {
		ctx->res->status = 500;
		web_layout_error(ctx, web_msg_store_down(ctx,
		    "purge"));
		web_layout_end(ctx);
		return;
	}
	store_timestamp(ctx->now, at);
	buf_puts(b, "<table>\n<caption>");
	web_html_text(b, spec.dry_run ? "Simulation de purge : rien n'a été "
	    "détruit" : r.checkpoint_id == 0 ? "Purge : rien à détruire" :
	    "Attestation de destruction de données - balp");
	buf_puts(b, "</caption>\n<tbody>\n");
	row(b, "Date (UTC)", at);
	row(b, "Par", ctx->actor);
	row(b, "Base", ctx->app->conf->store_path);
	buf_printf(b, "<tr><th scope=\"row\">Règle</th><td>traces de décision "
	    "de plus de %d mois (avant le ", spec.traces_months);
	web_html_text(b, r.traces_before);
	buf_printf(b, ") ; données d'habilitation %d ans après la fin de "
	    "l'habilitation (fin avant le ", spec.habilitation_years);
	web_html_text(b, r.habilitations_before);
	buf_puts(b, ")</td></tr>\n<tr><th scope=\"row\">");
	web_html_text(b, spec.dry_run ? "À détruire" : "Détruit");
	buf_printf(b, "</th><td>%" PRId64 " décisions, %" PRId64 " avis, %"
	    PRId64 " re-tris, %" PRId64 " libérations, %" PRId64 " personnes "
	    "habilitées (%" PRId64 " périodes), %" PRId64 " lignes d'audit "
	    "vidées</td></tr>\n", r.decisions, r.outbox, r.retriages,
	    r.releases, r.persons, r.periods, r.audit_rows);
	if (r.audit_kept > 0)
		buf_printf(b, "<tr><th scope=\"row\">Conservé</th><td>%" PRId64
		    " lignes d'audit antérieures à la clé d'audit</td></tr>\n",
		    r.audit_kept);
	if (r.checkpoint_id != 0) {
		buf_printf(b, "<tr><th scope=\"row\">Preuve</th><td>ligne "
		    "d'audit %" PRId64 " (audit.purge), empreinte <code>",
		    r.checkpoint_id);
		web_html_text(b, r.checkpoint_hash);
		buf_puts(b, "</code></td></tr>\n");
	}
	buf_puts(b, "</tbody>\n</table>\n<p><a href=\"/audit\">Retour à "
	    "l'audit</a></p>\n");
	web_layout_end(ctx);
}
