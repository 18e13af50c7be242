/* SPDX-License-Identifier: Apache-2.0 */
/*
 * annex - the annex of habilitated persons: plan, import, export (see
 * include/balp/annex.h for the contract; the file itself is read by
 * annex_file.c).
 *
 * Why in two steps: a partner's file is checked completely before the
 * store is touched, and every error is reported with its line, so the
 * referent fixes the whole file at once; then the comparison with the
 * store and the writes run inside ONE write transaction, so the plan shown
 * is the plan applied and a failure leaves the annex as it was.
 *
 * Ownership: plans own their strings (annex_plan_free).  Failures of
 * annex_import / annex_export are reported through store_errmsg().
 */
#include "balp/annex.h"
#include "balp/csv.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "balp/array.h"
#include "balp/date.h"
#include "balp/store_audit.h"
#include "balp/store_partner.h"
#include "balp/text.h"
#include "store_priv.h"

/* ---- the file's digest -------------------------------------------------- */

int
annex_digest(const char *data, size_t len, struct annex_rows *rows)
{
	unsigned char md[32];

	if (sodium_init() < 0)
		return -1;
	crypto_generichash(md, sizeof(md), (const unsigned char *)data, len,
	    NULL, 0);
	sodium_bin2hex(rows->digest, sizeof(rows->digest), md, sizeof(md));
	return 0;
}

/* ---- plan and import ---------------------------------------------------- */

void
annex_plan_free(struct annex_plan *plan)
{
	struct annex_change *c;
	size_t i;

	for (i = 0; i < plan->n; i++) {
		c = &plan->v[i];
		free(c->email);
		free(c->last_name);
		free(c->first_name);
		free(c->job_title);
		free(c->old_last_name);
		free(c->old_first_name);
		free(c->old_job_title);
	}
	free(plan->v);
	free(plan->partner_id);
	memset(plan, 0, sizeof(*plan));
}

static int
person_ptr_cmp(const void *a, const void *b)
{
	const struct store_person *const *x = a, *const *y = b;

	return strcmp((*x)->email, (*y)->email);
}

/* Fills the "old" side of c from the stored person; -1 on ENOMEM. */
static int
change_old(struct annex_change *c, const struct store_person *p)
{
	c->person_id = p->id;
	c->old_start = p->start;
	c->old_end = p->end;
	return (c->old_last_name = buf_strdup(p->last_name)) == NULL ||
	    (c->old_first_name = buf_strdup(p->first_name)) == NULL ||
	    (c->old_job_title = buf_strdup(p->job_title)) == NULL ? -1 : 0;
}

/* Fills the "new" side of c; -1 on ENOMEM. */
static int
change_new(struct annex_change *c, const char *email, const char *last,
    const char *first, const char *job, int32_t start, int32_t end)
{
	c->start = start;
	c->end = end;
	return (c->email = buf_strdup(email)) == NULL ||
	    (c->last_name = buf_strdup(last)) == NULL ||
	    (c->first_name = buf_strdup(first)) == NULL ||
	    (c->job_title = buf_strdup(job)) == NULL ? -1 : 0;
}

/*
 * Which period row r speaks of, for the stored person p (p's dates are
 * those of its latest period, prev_end the end of the one before).
 * Returns 1 for a new period, from *start: r starts after p's latest
 * period ended; or p had ended before today and r habilitates again,
 * from a date inside that ended period (the first habilitation, as
 * partners keep it): the new period starts on the import day, so that
 * the days p was not habilitated stay so.  Returns 0 for the latest
 * period, from *start: r's date, unless it falls on or before the end of
 * an earlier period (then it names the first habilitation and the start
 * stays as stored: periods never overlap).
 */
static int
period_of(const struct store_person *p, const struct annex_row *r,
    int32_t today, int32_t *start)
{
	*start = r->start;
	if (p->end != DATE_NONE && r->start > p->end)
		return 1;
	if (p->end != DATE_NONE && p->end < today &&
	    (r->end == DATE_NONE || r->end >= today)) {
		*start = today;
		return 1;
	}
	if (p->prev_end != DATE_NONE && r->start <= p->prev_end)
		*start = p->start;
	return 0;
}

/* Compares the store with the file: fills plan (no write). */
static int
build_plan(struct store *st, const struct annex_rows *rows,
    struct store_person_list *cur, struct annex_plan *plan)
{
	const struct store_person **idx = NULL, **hit, *kp;
	struct store_person key;
	struct annex_change *c;
	const struct annex_row *r;
	unsigned char *matched = NULL;
	size_t i;
	int rc = STORE_ERROR;

	if ((plan->v = calloc(rows->n + cur->n + 1, sizeof(*plan->v)))
	    == NULL ||
	    (idx = calloc(cur->n + 1, sizeof(*idx))) == NULL ||
	    (matched = calloc(cur->n + 1, 1)) == NULL)
		goto out;
	for (i = 0; i < cur->n; i++)
		idx[i] = &cur->v[i];
	qsort(idx, cur->n, sizeof(*idx), person_ptr_cmp);
	memset(&key, 0, sizeof(key));
	kp = &key;
	for (i = 0; i < rows->n; i++) {
		r = &rows->v[i];
		c = &plan->v[plan->n++];
		c->line = r->line;
		if (change_new(c, r->email, r->last_name, r->first_name,
		    r->job_title, r->start, r->end) == -1)
			goto out;
		key.email = r->email;
		hit = bsearch(&kp, idx, cur->n, sizeof(*idx), person_ptr_cmp);
		if (hit == NULL) {
			c->kind = ANNEX_ADD;
			plan->n_added++;
			continue;
		}
		matched[*hit - cur->v] = 1;
		if (change_old(c, *hit) == -1)
			goto out;
		switch (period_of(*hit, r, plan->today, &c->start)) {
		case 1:
			c->kind = ANNEX_NEW_PERIOD;
			c->changed = ANNEX_F_DATE_HABILITATION |
			    ANNEX_F_DATE_FIN;
			plan->n_new_period++;
			continue;
		default:
			break;
		}
		if (strcmp(c->last_name, c->old_last_name) != 0)
			c->changed |= ANNEX_F_NOM;
		if (strcmp(c->first_name, c->old_first_name) != 0)
			c->changed |= ANNEX_F_PRENOM;
		if (strcmp(c->job_title, c->old_job_title) != 0)
			c->changed |= ANNEX_F_FONCTION;
		if (c->start != c->old_start)
			c->changed |= ANNEX_F_DATE_HABILITATION;
		if (c->end != c->old_end)
			c->changed |= ANNEX_F_DATE_FIN;
		c->kind = c->changed ? ANNEX_UPDATE : ANNEX_UNCHANGED;
		if (c->changed)
			plan->n_updated++;
		else
			plan->n_unchanged++;
	}
	/* Missing from the exhaustive list: ended today, unless already. */
	for (i = 0; i < cur->n; i++) {
		const struct store_person *p = idx[i];

		/*
		 * Active: those an import could end, not ended at the end
		 * of the day (one whose last day is today is leaving).
		 */
		if (p->end == DATE_NONE || p->end > plan->today)
			plan->n_active++;
		if (matched[p - cur->v] ||
		    (p->end != DATE_NONE && p->end <= plan->today))
			continue;
		c = &plan->v[plan->n++];
		c->kind = ANNEX_END;
		c->changed = ANNEX_F_DATE_FIN;
		if (change_old(c, p) == -1 || change_new(c, p->email,
		    p->last_name, p->first_name, p->job_title, p->start,
		    plan->today) == -1)
			goto out;
		plan->n_ended++;
	}
	/*
	 * A truncated export (the header alone, the first rows) would end
	 * the rest of the partner's persons without a word: ending all of
	 * them, or more than half, waits for --force (DESIGN.md).
	 */
	plan->force_needed = plan->n_ended > 0 &&
	    (plan->n_ended == plan->n_active ||
	    plan->n_ended * 2 > plan->n_active);
	rc = STORE_OK;
out:
	if (rc != STORE_OK)
		store_seterr(st, STORE_ERROR, "out of memory");
	free(idx);
	free(matched);
	return rc;
}

/* "'a' -> 'b'" or "(none) -> 2026-12-31" for each changed field. */
static void
describe_update(struct buf *b, const struct annex_change *c)
{
	char d0[11], d1[11];
	const char *sep = "";

	if (c->changed & ANNEX_F_NOM) {
		buf_printf(b, "%snom '%s' -> '%s'", sep, c->old_last_name,
		    c->last_name);
		sep = ", ";
	}
	if (c->changed & ANNEX_F_PRENOM) {
		buf_printf(b, "%sprenom '%s' -> '%s'", sep, c->old_first_name,
		    c->first_name);
		sep = ", ";
	}
	if (c->changed & ANNEX_F_FONCTION) {
		buf_printf(b, "%sfonction '%s' -> '%s'", sep, c->old_job_title,
		    c->job_title);
		sep = ", ";
	}
	if (c->changed & ANNEX_F_DATE_HABILITATION) {
		store_date_text(c->old_start, d0);
		store_date_text(c->start, d1);
		buf_printf(b, "%sdate_habilitation %s -> %s", sep, d0, d1);
		sep = ", ";
	}
	if (c->changed & ANNEX_F_DATE_FIN) {
		store_date_text(c->old_end, d0);
		store_date_text(c->end, d1);
		buf_printf(b, "%sdate_fin %s -> %s", sep, d0, d1);
	}
}

static int
apply_plan(struct store *st, const struct annex_plan *plan,
    const struct annex_rows *rows, const char *actor, time_t now)
{
	const struct annex_change *c;
	struct store_person_spec spec;
	struct buf obj = BUF_INIT, detail = BUF_INIT;
	const char *action;
	char d1[11], d2[11];
	size_t i;
	int rc = STORE_OK;

	for (i = 0; i < plan->n && rc == STORE_OK; i++) {
		c = &plan->v[i];
		buf_reset(&obj);
		buf_reset(&detail);
		buf_printf(&obj, "%s/%s", plan->partner_id, c->email);
		switch (c->kind) {
		case ANNEX_ADD:
			memset(&spec, 0, sizeof(spec));
			spec.partner_id = plan->partner_id;
			spec.last_name = c->last_name;
			spec.first_name = c->first_name;
			spec.email = c->email;
			spec.job_title = c->job_title;
			spec.start = c->start;
			spec.end = c->end;
			rc = store_person_insert(st, &spec, now, NULL);
			store_date_text(c->start, d1);
			store_date_text(c->end, d2);
			buf_printf(&detail, "annex import line %u: "
			    "last_name=%s; first_name=%s; job_title=%s; "
			    "start=%s; end=%s",
			    c->line, c->last_name, c->first_name, c->job_title,
			    d1, d2);
			action = "person.add";
			break;
		case ANNEX_UPDATE:
			rc = store_person_update(st, c->person_id, c->last_name,
			    c->first_name, c->job_title, c->start, c->end, now);
			buf_printf(&detail, "annex import line %u: ", c->line);
			describe_update(&detail, c);
			action = "person.update";
			break;
		case ANNEX_NEW_PERIOD:
			rc = store_person_new_period(st, c->person_id,
			    c->last_name, c->first_name, c->job_title,
			    c->start, c->end, now);
			store_date_text(c->old_start, d1);
			store_date_text(c->old_end, d2);
			buf_printf(&detail, "annex import line %u: new period; "
			    "last period %s to %s; ", c->line, d1, d2);
			store_date_text(c->start, d1);
			store_date_text(c->end, d2);
			buf_printf(&detail, "last_name=%s; first_name=%s; "
			    "job_title=%s; start=%s; end=%s", c->last_name,
			    c->first_name, c->job_title, d1, d2);
			action = "person.period";
			break;
		case ANNEX_END:
			rc = store_person_set_end(st, c->person_id, c->end,
			    now);
			store_date_text(c->old_end, d1);
			store_date_text(c->end, d2);
			buf_printf(&detail, "annex import: missing from the "
			    "list; end: %s -> %s", d1, d2);
			action = "person.end";
			break;
		default:
			continue;
		}
		if (rc != STORE_OK)
			break;
		if (obj.failed || detail.failed)
			rc = store_seterr(st, STORE_ERROR, "out of memory");
		else
			rc = store_audit_append(st, "admin", actor, action,
			    buf_str(&obj), buf_str(&detail), now);
	}
	if (rc == STORE_OK) {
		buf_reset(&detail);
		store_date_text(plan->today, d1);
		buf_printf(&detail, "file=%s; encoding=%s; day=%s; rows=%zu; "
		    "%zu added, %zu updated, %zu ended, %zu unchanged, "
		    "%zu new periods%s", rows->digest, rows->encoding != NULL ?
		    rows->encoding : "UTF-8", d1, rows->n, plan->n_added,
		    plan->n_updated, plan->n_ended, plan->n_unchanged,
		    plan->n_new_period, plan->force_needed ? "; forced" : "");
		rc = detail.failed ? store_seterr(st, STORE_ERROR,
		    "out of memory") : store_audit_append(st, "admin", actor,
		    "annex.import", plan->partner_id, buf_str(&detail), now);
	}
	buf_free(&obj);
	buf_free(&detail);
	return rc;
}

int
annex_import_locked(struct store *st, const char *partner_id,
    const struct annex_rows *rows, int32_t today, int dry_run, int force,
    const char *actor, time_t now, struct annex_plan *plan)
{
	struct store_partner pa;
	struct store_person_list cur;
	int32_t *ends = NULL;
	size_t i;
	int rc;

	memset(plan, 0, sizeof(*plan));
	memset(&pa, 0, sizeof(pa));
	memset(&cur, 0, sizeof(cur));
	plan->today = today;
	if (today == DATE_NONE)
		return store_seterr(st, STORE_REFUSED, "annex import: no "
		    "import day");
	if ((plan->partner_id = buf_strdup(partner_id != NULL ? partner_id :
	    "")) == NULL)
		return store_seterr(st, STORE_ERROR, "out of memory");
	if ((rc = store_partner_get(st, plan->partner_id, &pa)) != STORE_OK ||
	    (rc = store_person_list(st, plan->partner_id, DATE_NONE, &cur))
	    != STORE_OK || (rc = build_plan(st, rows, &cur, plan)) != STORE_OK)
		goto out;
	/*
	 * The one quota rule (store_quota_check), applied to the list the
	 * partner sends: it is exhaustive, so it replaces the stored one
	 * (the persons it leaves out are ended by this import).  Its rows
	 * count whatever their state in the store, suspended included.
	 */
	if ((ends = calloc(rows->n + 1, sizeof(*ends))) == NULL) {
		rc = store_seterr(st, STORE_ERROR, "out of memory");
		goto out;
	}
	for (i = 0; i < rows->n; i++)
		ends[i] = rows->v[i].end;
	if ((rc = store_quota_check(st, &pa, today, ends, rows->n, 1))
	    != STORE_OK)
		goto out;
	if (dry_run)
		goto out;
	if (plan->force_needed && !force) {
		rc = store_seterr(st, STORE_REFUSED, "partner '%s': the file "
		    "ends %zu of its %zu active persons (%s): is it complete? "
		    "Give --force to import it", plan->partner_id,
		    plan->n_ended, plan->n_active, plan->n_ended ==
		    plan->n_active ? "all of them" : "more than half");
		goto out;
	}
	if ((rc = apply_plan(st, plan, rows, actor, now)) == STORE_OK)
		plan->applied = 1;
out:
	store_partner_free(&pa);
	store_person_list_free(&cur);
	free(ends);
	return rc;
}

int
annex_import(struct store *st, const char *partner_id,
    const struct annex_rows *rows, int32_t today, int dry_run, int force,
    const char *actor, time_t now, struct annex_plan *plan)
{
	int rc;

	memset(plan, 0, sizeof(*plan));
	/* Read and write under one write lock: the plan shown is applied. */
	if ((rc = store_tx_begin(st)) != STORE_OK)
		return rc;
	rc = annex_import_locked(st, partner_id, rows, today, dry_run, force,
	    actor, now, plan);
	if (plan->applied && (rc = store_tx_commit(st)) != STORE_OK)
		plan->applied = 0;
	else if (!plan->applied)
		store_tx_rollback(st);
	return rc;
}

const char *
annex_field_fr(unsigned bit)
{
	switch (bit) {
	case ANNEX_F_NOM:		return "nom";
	case ANNEX_F_PRENOM:		return "prénom";
	case ANNEX_F_FONCTION:		return "fonction";
	case ANNEX_F_DATE_HABILITATION:	return "date d'habilitation";
	case ANNEX_F_DATE_FIN:		return "date de fin";
	default:			return NULL;
	}
}

int
annex_plan_render(const struct annex_plan *plan, struct buf *out)
{
	const struct annex_change *c;
	char d1[11], d2[11];
	size_t i;

	for (i = 0; i < plan->n; i++) {
		c = &plan->v[i];
		switch (c->kind) {
		case ANNEX_ADD:
			store_date_text(c->start, d1);
			buf_printf(out, "+ add %s (%s %s, from %s", c->email,
			    c->last_name, c->first_name, d1);
			if (c->end != DATE_NONE) {
				store_date_text(c->end, d2);
				buf_printf(out, " to %s", d2);
			}
			buf_puts(out, ")\n");
			break;
		case ANNEX_UPDATE:
			buf_printf(out, "~ update %s: ", c->email);
			describe_update(out, c);
			buf_putc(out, '\n');
			break;
		case ANNEX_END:
			store_date_text(c->end, d1);
			buf_printf(out, "- end %s (%s %s) at %s\n", c->email,
			    c->last_name, c->first_name, d1);
			break;
		case ANNEX_NEW_PERIOD:
			store_date_text(c->start, d1);
			buf_printf(out, "+ new period %s (%s %s, from %s",
			    c->email, c->last_name, c->first_name, d1);
			if (c->end != DATE_NONE) {
				store_date_text(c->end, d2);
				buf_printf(out, " to %s", d2);
			}
			store_date_text(c->old_end, d2);
			buf_printf(out, "; the last one ended %s)\n", d2);
			break;
		case ANNEX_UNCHANGED:
			break;
		}
	}
	buf_printf(out, "%zu added, %zu updated, %zu ended, %zu unchanged",
	    plan->n_added, plan->n_updated, plan->n_ended, plan->n_unchanged);
	if (plan->n_new_period > 0)
		buf_printf(out, ", %zu new period%s", plan->n_new_period,
		    plan->n_new_period == 1 ? "" : "s");
	buf_putc(out, '\n');
	if (plan->force_needed)
		buf_printf(out, "refused without --force: it ends %zu of the "
		    "%zu active persons of %s (%s); is the file complete?\n",
		    plan->n_ended, plan->n_active, plan->partner_id,
		    plan->n_ended == plan->n_active ? "all of them" :
		    "more than half");
	return out->failed ? -1 : 0;
}

/* ---- export ------------------------------------------------------------- */

int
annex_export(struct store *st, const char *partner_id, struct buf *out)
{
	struct store_partner pa;
	struct store_person_list l;
	const struct store_person *p;
	char d[11];
	size_t i;
	int rc;

	if ((rc = store_partner_get(st, partner_id, &pa)) != STORE_OK)
		return rc;
	store_partner_free(&pa);
	if ((rc = store_person_list(st, partner_id, DATE_NONE, &l)) != STORE_OK)
		return rc;
	buf_puts(out, "nom;prenom;email;fonction;date_habilitation;date_fin"
	    "\r\n");
	for (i = 0; i < l.n; i++) {
		p = &l.v[i];
		if (p->end != DATE_NONE && p->end < p->start)
			continue;
		/* As log --csv: a name a spreadsheet would run as a formula
		 * gets a "'", which annex import drops again. */
		csv_cell_text(out, p->last_name);
		buf_putc(out, ';');
		csv_cell_text(out, p->first_name);
		buf_putc(out, ';');
		csv_cell_text(out, p->email);
		buf_putc(out, ';');
		csv_cell_text(out, p->job_title);
		buf_putc(out, ';');
		date_format_fr(p->start, d);
		buf_puts(out, d);
		buf_putc(out, ';');
		if (p->end != DATE_NONE) {
			date_format_fr(p->end, d);
			buf_puts(out, d);
		}
		buf_puts(out, "\r\n");
	}
	store_person_list_free(&l);
	if (out->failed)
		return store_seterr(st, STORE_ERROR, "out of memory");
	return STORE_OK;
}
