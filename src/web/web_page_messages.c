/* SPDX-License-Identifier: Apache-2.0 */
/*
 * web_page_messages - the messages' search and a decision's page (see
 * web_page_messages.h).
 *
 * Ownership: the NIR is read from the form's buffer (web_http wipes it)
 * into a struct nir_scan on the stack, hashed with the key (a stack
 * array), and both are wiped before the page is written.
 */
#include "balp/web_page_messages.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "balp/date.h"
#include "balp/keyfile.h"
#include "balp/log.h"
#include "balp/nir.h"
#include "balp/reason.h"
#include "balp/store_audit.h"
#include "balp/store_decision.h"
#include "balp/store_message.h"
#include "balp/store_outbox.h"
#include "balp/store_partner.h"
#include "balp/web_html.h"
#include "balp/web_layout.h"
#include "balp/web_msg.h"
#include "balp/web_page_message_act.h"

static const char *const outcomes[][2] = {
	{ "accepted", "accepté" },
	{ "rejected", "rejeté" },
	{ "quarantined", "en quarantaine" },
};

/* What the form asked, checked. */
struct query {
	struct store_decision_filter	 f;
	int32_t				 since;
	int32_t				 until;
	const char			*error;	/* a French sentence */
};

/* "—" for NULL or "", else the value escaped. */
static void
cell(struct buf *b, const char *v)
{
	if (v == NULL || *v == '\0')
		buf_puts(b, "—");
	else
		web_html_text(b, v);
}

static void
option(struct buf *b, const char *value, const char *label,
    const char *current)
{
	buf_puts(b, "<option value=\"");
	web_html_text(b, value);
	buf_puts(b, "\"");
	if (current != NULL && strcmp(current, value) == 0)
		buf_puts(b, " selected");
	buf_puts(b, ">");
	web_html_text(b, label);
	buf_puts(b, "</option>\n");
}

/* A text or date input with its label; value may be NULL. */
static void
input(struct buf *b, const char *id, const char *label, const char *type,
    const char *value)
{
	buf_puts(b, "<label for=\"");
	web_html_text(b, id);
	buf_puts(b, "\">");
	web_html_text(b, label);
	buf_puts(b, "</label>\n<input id=\"");
	web_html_text(b, id);
	buf_puts(b, "\" name=\"");
	web_html_text(b, id);
	buf_puts(b, "\" type=\"");
	web_html_text(b, type);
	buf_puts(b, "\" value=\"");
	web_html_text(b, value);
	buf_puts(b, "\" autocomplete=\"off\">\n");
}

/* The filters' fields, filled with what the form sent. */
static void
filter_fields(struct web_ctx *ctx)
{
	struct buf *b = &ctx->res->body;
	const struct rules *r = &ctx->app->conf->rules;
	const char *v;
	struct store_partner_list pl;
	size_t i;
	int k;

	input(b, "since", "Du (date de décision, incluse)", "date",
	    web_http_field(ctx->req, "since", NULL));
	input(b, "until", "Au (inclus)", "date",
	    web_http_field(ctx->req, "until", NULL));
	v = web_http_field(ctx->req, "partner", NULL);
	buf_puts(b, "<label for=\"partner\">Partenaire</label>\n"
	    "<select id=\"partner\" name=\"partner\">\n");
	option(b, "", "tous", v);
	if (store_partner_list(ctx->app->st, &pl) == STORE_OK) {
		for (i = 0; i < pl.n; i++)
			option(b, pl.v[i].id, pl.v[i].name, v);
		store_partner_list_free(&pl);
	}
	buf_puts(b, "</select>\n");
	input(b, "sender", "Expéditeur (adresse exacte)", "email",
	    web_http_field(ctx->req, "sender", NULL));
	v = web_http_field(ctx->req, "outcome", NULL);
	buf_puts(b, "<label for=\"outcome\">Issue</label>\n"
	    "<select id=\"outcome\" name=\"outcome\">\n");
	option(b, "", "toutes", v);
	for (i = 0; i < sizeof(outcomes) / sizeof(outcomes[0]); i++)
		option(b, outcomes[i][0], outcomes[i][1], v);
	buf_puts(b, "</select>\n");
	v = web_http_field(ctx->req, "reason", NULL);
	buf_puts(b, "<label for=\"reason\">Motif</label>\n"
	    "<select id=\"reason\" name=\"reason\">\n");
	option(b, "", "tous", v);
	for (k = 0; k < REASON_COUNT; k++)
		option(b, reason_code((enum reason)k),
		    reason_code((enum reason)k), v);
	buf_puts(b, "</select>\n");
	v = web_http_field(ctx->req, "type", NULL);
	buf_puts(b, "<label for=\"type\">Type de demande</label>\n"
	    "<select id=\"type\" name=\"type\">\n");
	option(b, "", "tous", v);
	for (i = 0; i < r->n_types; i++)
		option(b, r->types[i].id, r->types[i].label, v);
	buf_puts(b, "</select>\n");
}

static void
forms(struct web_ctx *ctx)
{
	struct buf *b = &ctx->res->body;

	buf_puts(b, "<h2>Rechercher</h2>\n<form class=\"stack\" "
	    "method=\"post\" action=\"/messages\">\n");
	filter_fields(ctx);
	web_layout_csrf(ctx);
	buf_puts(b, "<button type=\"submit\">Rechercher</button>\n</form>\n");
	if (!web_layout_role(ctx, "dpo"))
		return;
	/* Never a value: the NIR typed is not sent back. */
	buf_puts(b, "<h2>Rechercher par NIR</h2>\n<form class=\"stack\" "
	    "method=\"post\" action=\"/messages/search\">\n"
	    "<label for=\"nir\">NIR (15 caractères avec la clé)</label>\n"
	    "<input id=\"nir\" name=\"nir\" type=\"text\" required "
	    "autocomplete=\"off\" spellcheck=\"false\" inputmode=\"numeric\" "
	    "aria-describedby=\"nir-hint\">\n<p class=\"hint\" "
	    "id=\"nir-hint\">Le NIR n'est ni conservé ni affiché : la "
	    "recherche porte sur son pseudonyme.</p>\n");
	web_layout_csrf(ctx);
	buf_puts(b, "<button type=\"submit\">Rechercher par NIR</button>\n"
	    "</form>\n");
}

void
web_page_messages(struct web_ctx *ctx)
{
	web_layout_begin(ctx, "Messages");
	forms(ctx);
	web_layout_end(ctx);
}

/* A field, NULL when absent or empty. */
static const char *
field(struct web_ctx *ctx, const char *name)
{
	const char *v = web_http_field(ctx->req, name, NULL);

	return v != NULL && *v != '\0' ? v : NULL;
}

static void
query_read(struct web_ctx *ctx, struct query *q)
{
	const struct rules *r = &ctx->app->conf->rules;
	const char *v;
	size_t i;
	int ok;

	memset(q, 0, sizeof(*q));
	q->since = q->until = DATE_NONE;
	q->f.limit = WEB_MESSAGES_MAX;
	if ((v = field(ctx, "since")) != NULL &&
	    date_parse_any(v, &q->since) == -1)
		q->error = "La date de début n'est pas une date.";
	if ((v = field(ctx, "until")) != NULL &&
	    date_parse_any(v, &q->until) == -1)
		q->error = "La date de fin n'est pas une date.";
	if (q->since != DATE_NONE && q->until != DATE_NONE &&
	    q->since > q->until)
		q->error = "La date de début est après la date de fin.";
	/* Days are UTC days, as decided_at is (balpctl log). */
	if (q->since != DATE_NONE)
		q->f.from = (time_t)q->since * 86400;
	if (q->until != DATE_NONE)
		q->f.before = (time_t)q->until * 86400 + 86400;
	if (q->until != DATE_NONE && q->f.before == 0)
		q->f.before = -1;
	q->f.partner_id = field(ctx, "partner");
	q->f.sender = field(ctx, "sender");
	if ((v = field(ctx, "outcome")) != NULL) {
		for (i = 0, ok = 0; i < sizeof(outcomes) / sizeof(outcomes[0]);
		    i++)
			ok |= strcmp(v, outcomes[i][0]) == 0;
		if (!ok)
			q->error = "Cette issue n'existe pas.";
		q->f.outcome = v;
	}
	if ((v = field(ctx, "reason")) != NULL) {
		if (reason_from_code(v) == -1)
			q->error = "Ce motif n'existe pas.";
		q->f.reason = v;
	}
	if ((v = field(ctx, "type")) != NULL) {
		for (i = 0, ok = 0; i < r->n_types; i++)
			ok |= strcmp(v, r->types[i].id) == 0;
		if (!ok)
			q->error = "Ce type de demande n'existe pas.";
		q->f.type = v;
	}
}

/* The audit row of a search, as `balpctl log` writes it. */
static int
traced(struct web_ctx *ctx, const struct query *q, size_t rows)
{
	return store_decision_traced(ctx->app->st, ctx->actor, &q->f,
	    q->since, q->until, rows, ctx->now) == STORE_OK ? 0 : -1;
}

static void
results(struct web_ctx *ctx, const struct store_decision_list *l)
{
	struct buf *b = &ctx->res->body;
	const struct store_decision *d;
	size_t i;

	buf_printf(b, "<h2 id=\"resultats\">Résultats</h2>\n<p>%zu "
	    "décision(s)", l->n);
	if (l->n == WEB_MESSAGES_MAX)
		buf_puts(b, ", les plus récentes ; précisez la recherche pour "
		    "voir les autres");
	buf_puts(b, ".</p>\n");
	if (l->n == 0)
		return;
	buf_puts(b, "<table>\n<caption>Décisions, de la plus récente à la "
	    "plus ancienne</caption>\n<thead><tr>"
	    "<th scope=\"col\">N°</th><th scope=\"col\">Décidé le (UTC)</th>"
	    "<th scope=\"col\">Issue</th><th scope=\"col\">Type</th>"
	    "<th scope=\"col\">Partenaire</th><th scope=\"col\">Expéditeur"
	    "</th><th scope=\"col\">Motifs</th></tr></thead>\n<tbody>\n");
	for (i = 0; i < l->n; i++) {
		d = &l->v[i];
		buf_printf(b, "<tr><th scope=\"row\"><a href=\"/messages/"
		    "%" PRId64 "\">%" PRId64 "</a></th><td>", d->id, d->id);
		cell(b, d->decided_at);
		buf_puts(b, "</td><td>");
		cell(b, d->outcome);
		buf_puts(b, "</td><td>");
		cell(b, d->type);
		buf_puts(b, "</td><td>");
		cell(b, d->partner_id);
		buf_puts(b, "</td><td>");
		cell(b, d->sender);
		buf_puts(b, "</td><td>");
		cell(b, d->reasons);
		buf_puts(b, "</td></tr>\n");
	}
	buf_puts(b, "</tbody>\n</table>\n");
}

/* Runs q and writes the page: form, then results or the error. */
static void
search(struct web_ctx *ctx, struct query *q)
{
	struct store_decision_list l;
	int rc;

	memset(&l, 0, sizeof(l));
	if (q->error != NULL) {
		ctx->res->status = 400;
		web_layout_begin(ctx, "Messages");
		web_layout_error(ctx, q->error);
		forms(ctx);
		web_layout_end(ctx);
		return;
	}
	rc = store_decision_list(ctx->app->st, &q->f, &l);
	/* Who looked at whose traces is itself traced, before it is shown. */
	if (rc == STORE_OK && traced(ctx, q, l.n) == -1)
		rc = STORE_ERROR;
	web_layout_begin(ctx, "Messages");
	if (rc != STORE_OK) {
		ctx->res->status = rc == STORE_REFUSED ? 400 : 500;
		/* The store's refusals are the filters the form checks. */
		web_layout_error(ctx, rc == STORE_REFUSED ? "Un critère de la "
		    "recherche n'est pas valide : corrigez-le et cherchez de "
		    "nouveau." : web_msg_store_down(ctx, "decision list"));
		forms(ctx);
	} else {
		forms(ctx);
		results(ctx, &l);
	}
	store_decision_list_free(&l);
	web_layout_end(ctx);
}

void
web_page_messages_search(struct web_ctx *ctx)
{
	struct query q;

	query_read(ctx, &q);
	search(ctx, &q);
}

void
web_page_messages_nir(struct web_ctx *ctx)
{
	unsigned char key[KEYFILE_KEY_LEN];
	char pseudonym[KEYFILE_PSEUDONYM_LEN + 1];
	struct nir_scan scan;
	struct buf err = BUF_INIT;
	struct query q;
	const char *nir, *p;
	size_t len = 0;

	query_read(ctx, &q);
	memset(&scan, 0, sizeof(scan));
	nir = web_http_field(ctx->req, "nir", &len);
	/* As balpctl log --nir reads it: one NIR, its writings only. */
	if (nir != NULL && len < 64) {
		for (p = nir; *p != '\0'; p++)
			if (!(*p >= '0' && *p <= '9') &&
			    strchr("AaBb .-/", *p) == NULL)
				break;
		if (*p == '\0')
			nir_scan(nir, len, &scan);
	}
	if (scan.found != 1 || scan.nir[0] == '\0' || scan.invalid ||
	    scan.key_missing || scan.ambiguous) {
		sodium_memzero(&scan, sizeof(scan));
		q.error = "Ce n'est pas un NIR valide (15 caractères avec sa "
		    "clé ; espaces, points ou tirets permis).";
		search(ctx, &q);
		return;
	}
	if (keyfile_load_shared(ctx->app->conf->key_file,
	    ctx->app->conf->admin_gid, key, &err) == -1) {
		sodium_memzero(&scan, sizeof(scan));
		log_warn("NIR search: %s", buf_str(&err));
		buf_free(&err);
		q.error = "La clé des pseudonymes ne peut pas être lue : "
		    "voyez le journal de balpweb.";
		search(ctx, &q);
		return;
	}
	keyfile_pseudonym(key, scan.nir, pseudonym);
	sodium_memzero(key, sizeof(key));
	sodium_memzero(&scan, sizeof(scan));
	buf_free(&err);
	q.f.nir_pseudonym = pseudonym;
	search(ctx, &q);
	sodium_memzero(pseudonym, sizeof(pseudonym));
}

/* One row of the facts' table. */
static void
fact(struct buf *b, const char *label, const char *v)
{
	buf_puts(b, "<tr><th scope=\"row\">");
	web_html_text(b, label);
	buf_puts(b, "</th><td>");
	cell(b, v);
	buf_puts(b, "</td></tr>\n");
}

static void
message_facts(struct web_ctx *ctx, const struct store_message *m)
{
	struct buf *b = &ctx->res->body;
	const struct store_decision *d = &m->decision;
	const char *now;

	buf_puts(b, "<table>\n<caption>La décision</caption>\n<tbody>\n");
	fact(b, "Décidé le (UTC)", d->decided_at);
	fact(b, "Issue", d->outcome);
	fact(b, "Motifs", d->reasons);
	fact(b, "Type de demande", d->type);
	fact(b, "Partenaire", d->partner_id);
	fact(b, "Expéditeur", d->sender);
	fact(b, "Message-ID", d->message_id);
	fact(b, "File décidée", d->queue);
	now = m->superseded_by != 0 ? NULL : store_message_queue(m);
	if (m->superseded_by != 0) {
		buf_printf(b, "<tr><th scope=\"row\">Remplacée par</th><td>"
		    "<a href=\"/messages/%" PRId64 "\">la décision %" PRId64
		    "</a></td></tr>\n", m->superseded_by, m->superseded_by);
	} else
		fact(b, "Où est le message", now != NULL ? now :
		    "renvoyé dans la boîte de réception (nouveau tri)");
	if (d->supersedes != 0)
		buf_printf(b, "<tr><th scope=\"row\">Remplace</th><td>"
		    "<a href=\"/messages/%" PRId64 "\">la décision %" PRId64
		    "</a></td></tr>\n", d->supersedes, d->supersedes);
	buf_puts(b, "</tbody>\n</table>\n");
}

static void
message_findings(struct web_ctx *ctx, int64_t id)
{
	struct buf *b = &ctx->res->body;
	char *findings = NULL;

	if (store_decision_findings(ctx->app->st, id, &findings) != STORE_OK ||
	    findings == NULL || *findings == '\0') {
		free(findings);
		return;
	}
	buf_puts(b, "<h2>Constats</h2>\n<pre>");
	web_html_text(b, findings);
	buf_puts(b, "</pre>\n");
	free(findings);
}

static void
message_releases(struct web_ctx *ctx, const struct store_message *m)
{
	struct buf *b = &ctx->res->body;
	size_t i;

	if (m->n_releases == 0)
		return;
	buf_puts(b, "<h2>Déplacements</h2>\n<table>\n<caption>Déplacements par"
	    " un administrateur</caption>\n<thead><tr><th scope=\"col\">Le "
	    "(UTC)</th><th scope=\"col\">Par</th><th scope=\"col\">De</th>"
	    "<th scope=\"col\">Vers</th><th scope=\"col\">Motif</th></tr>"
	    "</thead>\n<tbody>\n");
	for (i = 0; i < m->n_releases; i++) {
		buf_puts(b, "<tr><td>");
		cell(b, m->releases[i].at);
		buf_puts(b, "</td><td>");
		cell(b, m->releases[i].actor);
		buf_puts(b, "</td><td>");
		cell(b, m->releases[i].from_queue);
		buf_puts(b, "</td><td>");
		cell(b, m->releases[i].to_queue);
		buf_puts(b, "</td><td>");
		cell(b, m->releases[i].reason);
		buf_puts(b, "</td></tr>\n");
	}
	buf_puts(b, "</tbody>\n</table>\n");
}

static void
message_notices(struct web_ctx *ctx, int64_t id)
{
	struct buf *b = &ctx->res->body;
	struct store_outbox_list l;
	size_t i, n = 0;

	if (store_outbox_of(ctx->app->st, id, &l) != STORE_OK)
		return;
	for (i = 0; i < l.n; i++) {
		if (n++ == 0)
			buf_puts(b, "<h2>Avis</h2>\n<table>\n<caption>Avis à "
			    "l'expéditeur</caption>\n<thead><tr><th scope="
			    "\"col\">Créé le (UTC)</th><th scope=\"col\">À"
			    "</th><th scope=\"col\">Objet</th><th scope="
			    "\"col\">État</th><th scope=\"col\">Essais</th>"
			    "</tr></thead>\n<tbody>\n");
		buf_puts(b, "<tr><td>");
		cell(b, l.v[i].created_at);
		buf_puts(b, "</td><td>");
		cell(b, l.v[i].recipient);
		buf_puts(b, "</td><td>");
		cell(b, l.v[i].subject);
		buf_puts(b, "</td><td>");
		cell(b, l.v[i].status);
		buf_printf(b, "</td><td class=\"num\">%d</td></tr>\n",
		    l.v[i].attempts);
	}
	if (n > 0)
		buf_puts(b, "</tbody>\n</table>\n");
	store_outbox_list_free(&l);
}

static void
message_audit(struct web_ctx *ctx, const struct store_message *m)
{
	struct buf *b = &ctx->res->body;
	size_t i;

	buf_puts(b, "<h2>Journal d'audit</h2>\n<table>\n<caption>Lignes "
	    "d'audit de cette décision</caption>\n<thead><tr><th scope="
	    "\"col\">N°</th><th scope=\"col\">Le (UTC)</th><th scope="
	    "\"col\">Par</th><th scope=\"col\">Action</th></tr></thead>\n"
	    "<tbody>\n");
	for (i = 0; i < m->audit.n; i++) {
		buf_printf(b, "<tr><td class=\"num\">%" PRId64 "</td><td>",
		    m->audit.v[i].id);
		cell(b, m->audit.v[i].at);
		buf_puts(b, "</td><td>");
		cell(b, m->audit.v[i].actor);
		buf_puts(b, "</td><td>");
		cell(b, m->audit.v[i].action);
		buf_puts(b, "</td></tr>\n");
	}
	buf_puts(b, "</tbody>\n</table>\n");
}

void
web_page_message(struct web_ctx *ctx)
{
	struct store_message m;
	int64_t v;
	int rc;

	if ((v = web_app_id(ctx)) == 0) {
		web_app_error(ctx, 404, "Cette décision n'existe pas.");
		return;
	}
	memset(&m, 0, sizeof(m));
	if ((rc = store_message_get(ctx->app->st, v, &m)) ==
	    STORE_NOTFOUND) {
		web_app_error(ctx, 404, "Cette décision n'existe pas.");
		return;
	}
	if (rc != STORE_OK) {
		web_app_error(ctx, 500, web_msg_store_down(ctx,
		    "decision page"));
		return;
	}
	web_layout_begin(ctx, "Décision");
	buf_printf(&ctx->res->body, "<p>Décision n° %" PRId64 " — <a href="
	    "\"/messages\">nouvelle recherche</a></p>\n", m.decision.id);
	message_facts(ctx, &m);
	message_findings(ctx, m.decision.id);
	message_releases(ctx, &m);
	message_notices(ctx, m.decision.id);
	message_audit(ctx, &m);
	/* The current decision of a message in a queue: an admin (or the
	 * dpo, who has the admin's rights) may act. */
	if ((web_layout_role(ctx, "admin") || web_layout_role(ctx, "dpo")) &&
	    m.superseded_by == 0 &&
	    store_message_queue(&m) != NULL)
		web_page_message_act_forms(ctx, m.decision.id,
		    store_message_queue(&m));
	web_layout_end(ctx);
	store_message_free(&m);
}
