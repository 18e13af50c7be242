/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_partner_update - what a partner's record may hold, checked alike
 * by partner add and partner update (name, SIRET and its key, referents),
 * and store_partner_update() itself (see include/balp/store_partner.h):
 * the partner module's second file, apart so that store_partner.c keeps
 * to partners' creation, persons and the lookups.
 *
 * Ownership: nothing allocated outlives a call but what the caller frees
 * (store_partner_name_check's copy, the referents' list).
 */
#include "balp/store_partner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balp/date.h"
#include "balp/store_referent.h"
#include "store_priv.h"

/* "12345678901234" from "123 456 789 01234"; -1 if not 14 digits. */
static int
siret_norm(const char *in, char out[15])
{
	size_t n = 0;

	for (; *in != '\0'; in++) {
		if (*in == ' ' || *in == '\t')
			continue;
		if (*in < '0' || *in > '9' || n == 14)
			return -1;
		out[n++] = *in;
	}
	out[n] = '\0';
	return n == 14 ? 0 : -1;
}

/*
 * 1 if the 14 digits carry a right key: Luhn's, as INSEE gives them; La
 * Poste's establishments share one SIREN (356000000) and are keyed by
 * their digit sum, a multiple of 5, instead.  A typo in one digit, or two
 * swapped, is caught before it is recorded as the partner's.
 */
static int
siret_key_ok(const char d[15])
{
	int i, v, sum = 0;

	for (i = 0; i < 14; i++) {
		v = d[13 - i] - '0';
		if (i % 2 == 1 && (v *= 2) > 9)
			v -= 9;
		sum += v;
	}
	if (sum % 10 == 0)
		return 1;
	if (strncmp(d, "356000000", 9) != 0)
		return 0;
	for (sum = 0, i = 0; i < 14; i++)
		sum += d[i] - '0';
	return sum % 5 == 0;
}

int
store_partner_siret_check(struct store *st, const char *id, const char *in,
    char out[15])
{
	if (siret_norm(in, out) == -1)
		return store_seterr(st, STORE_REFUSED, "partner '%s': siret "
		    "'%s' is not 14 digits", id, in);
	if (!siret_key_ok(out))
		return store_seterr(st, STORE_REFUSED, "partner '%s': siret "
		    "%s has a wrong key (its Luhn check fails: a digit "
		    "mistyped?)", id, out);
	return STORE_OK;
}

/*
 * 1 if s holds a control character (C0, DEL, or C1 written in UTF-8): a
 * name is printed in tables and notices, a control there is a mistake
 * (a pasted tab or line feed) or an attack on a terminal.
 */
static int
has_control(const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f ||
		    (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f))
			return 1;
	return 0;
}

int
store_partner_name_check(struct store *st, const char *id, const char *in,
    char **out)
{
	*out = NULL;
	if (is_blank(in))
		return store_seterr(st, STORE_REFUSED, "partner '%s': name "
		    "required", id);
	if (has_control(in))
		return store_seterr(st, STORE_REFUSED, "partner '%s': the "
		    "name has a control character (a tab, a line feed...)", id);
	if ((*out = clean(in)) == NULL)
		return store_oom(st);
	return STORE_OK;
}

void
store_strv_free(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int
store_partner_referents_canon(struct store *st, const char *id,
    const char *const *in, size_t n, char ***out)
{
	size_t i;
	int rc;

	*out = NULL;
	if (n == 0)
		return STORE_OK;
	if ((*out = calloc(n, sizeof(**out))) == NULL)
		return store_oom(st);
	for (i = 0; i < n; i++) {
		if ((rc = store_email_canon(in[i], &(*out)[i])) == STORE_OK)
			continue;
		store_strv_free(*out, n);
		*out = NULL;
		if (rc == STORE_REFUSED)
			return store_seterr(st, STORE_REFUSED, "partner '%s': "
			    "referent '%s' is not an email (local@domain.tld)",
			    id, in[i]);
		return store_oom(st);
	}
	return STORE_OK;
}

/* "field: old -> new" into b when they differ; *n counts the changes. */
static void
change_text(struct buf *b, const char *field, const char *old,
    const char *new, int *n)
{
	if (strcmp(old, new) == 0)
		return;
	buf_printf(b, "%s%s: %s -> %s", *n > 0 ? "; " : "", field, old, new);
	(*n)++;
}

static void
quota_text(int max, char out[16])
{
	if (max == STORE_NO_QUOTA)
		snprintf(out, 16, "(none)");
	else
		snprintf(out, 16, "%d", max);
}

/* The new values, checked against each other and the persons in force. */
static int
update_check(struct store *st, const struct store_partner *cur,
    const struct store_partner *to, int32_t today)
{
	char d1[11], d2[11];
	size_t count;
	int rc;

	if (to->start != DATE_NONE && to->end != DATE_NONE &&
	    to->end < to->start) {
		store_date_text(to->start, d1);
		store_date_text(to->end, d2);
		return store_seterr(st, STORE_REFUSED, "partner '%s': "
		    "convention end %s is before its start %s", cur->id, d2,
		    d1);
	}
	if (to->max_persons == STORE_NO_QUOTA ||
	    to->max_persons == cur->max_persons)
		return STORE_OK;
	if ((rc = store_quota_count(st, cur->id, today, &count)) != STORE_OK)
		return rc;
	if (count > (size_t)to->max_persons) {
		store_date_text(today, d1);
		return store_seterr(st, STORE_REFUSED, "partner '%s': a quota "
		    "of %d is below the %zu persons habilitated on %s or later "
		    "(suspended ones count): end some first", cur->id,
		    to->max_persons, count, d1);
	}
	return STORE_OK;
}

static int
partner_row_update(struct store *st, const struct store_partner *to)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = stmt_get(st, STMT_PARTNER_UPDATE, "UPDATE partners SET "
	    "name = ?, siret = ?, convention_start = ?, convention_end = ?, "
	    "max_persons = ? WHERE id = ?", &s)) != STORE_OK)
		return rc;
	bind_text(st, s, 1, to->name, &rc);
	bind_text(st, s, 2, to->siret, &rc);
	bind_date(st, s, 3, to->start, &rc);
	bind_date(st, s, 4, to->end, &rc);
	store_bind_quota(st, s, 5, to->max_persons, &rc);
	bind_text(st, s, 6, to->id, &rc);
	if (rc != STORE_OK) {
		stmt_done(s);
		return rc;
	}
	return step_done(st, s, "partner update", NULL);
}

/* The referents removed then added, each change into detail. */
static int
update_referents(struct store *st, const char *id, char **del, size_t n_del,
    char **add, size_t n_add, time_t now, struct buf *detail, int *n)
{
	size_t i;
	int rc, done;

	for (i = 0; i < n_del; i++) {
		if ((rc = store_referent_delete(st, id, del[i], &done)) !=
		    STORE_OK)
			return rc;
		if (!done)
			return store_seterr(st, STORE_NOTFOUND, "partner '%s': "
			    "%s is not one of its referents", id, del[i]);
		buf_printf(detail, "%sreferent-: %s", *n > 0 ? "; " : "",
		    del[i]);
		(*n)++;
	}
	for (i = 0; i < n_add; i++) {
		if ((rc = store_referent_insert(st, id, add[i], now, &done)) !=
		    STORE_OK)
			return rc;
		if (!done)
			continue;
		buf_printf(detail, "%sreferent+: %s", *n > 0 ? "; " : "",
		    add[i]);
		(*n)++;
	}
	return STORE_OK;
}

int
store_partner_update(struct store *st, const char *id,
    const struct store_partner_change *ch, int32_t today, const char *actor,
    time_t now, int *changed)
{
	struct store_partner cur, to;
	struct buf detail = BUF_INIT;
	char siret[15], a[16], b[16], *name = NULL, **add = NULL, **del = NULL;
	int rc, n = 0;

	memset(&cur, 0, sizeof(cur));
	if (changed != NULL)
		*changed = 0;
	if (id == NULL)
		id = "";
	if (ch->name != NULL && (rc = store_partner_name_check(st, id,
	    ch->name, &name)) != STORE_OK)
		return rc;
	if (ch->siret != NULL && *ch->siret != '\0' &&
	    (rc = store_partner_siret_check(st, id, ch->siret, siret)) !=
	    STORE_OK)
		goto out;
	rc = STORE_OK;
	if (ch->set_max_persons && ch->max_persons != STORE_NO_QUOTA &&
	    ch->max_persons < 1) {
		rc = store_seterr(st, STORE_REFUSED, "partner '%s': "
		    "max_persons must be at least 1 (suspend the partner to "
		    "refuse every person)", id);
		goto out;
	}
	if ((rc = store_partner_referents_canon(st, id, ch->add_referents,
	    ch->n_add_referents, &add)) != STORE_OK ||
	    (rc = store_partner_referents_canon(st, id, ch->del_referents,
	    ch->n_del_referents, &del)) != STORE_OK)
		goto out;
	if ((rc = store_tx_begin(st)) != STORE_OK)
		goto out;
	if ((rc = store_partner_get(st, id, &cur)) != STORE_OK)
		goto end;
	to = cur;
	if (name != NULL)
		to.name = name;
	if (ch->siret != NULL)
		to.siret = *ch->siret != '\0' ? siret : NULL;
	if (ch->set_start)
		to.start = ch->start;
	if (ch->set_end)
		to.end = ch->end;
	if (ch->set_max_persons)
		to.max_persons = ch->max_persons;
	if ((rc = update_check(st, &cur, &to, today)) != STORE_OK)
		goto end;
	change_text(&detail, "name", cur.name, to.name, &n);
	change_text(&detail, "siret", cur.siret ? cur.siret : "(none)",
	    to.siret ? to.siret : "(none)", &n);
	store_date_text(cur.start, a);
	store_date_text(to.start, b);
	change_text(&detail, "start", a, b, &n);
	store_date_text(cur.end, a);
	store_date_text(to.end, b);
	change_text(&detail, "end", a, b, &n);
	quota_text(cur.max_persons, a);
	quota_text(to.max_persons, b);
	change_text(&detail, "max_persons", a, b, &n);
	if (n > 0 && (rc = partner_row_update(st, &to)) != STORE_OK)
		goto end;
	if ((rc = update_referents(st, id, del, ch->n_del_referents, add,
	    ch->n_add_referents, now, &detail, &n)) != STORE_OK || n == 0)
		goto end;
	rc = detail.failed ? store_oom(st) : store_audit_append(st, "admin",
	    actor, "partner.update", id, buf_str(&detail), now);
	if (rc == STORE_OK && changed != NULL)
		*changed = 1;
end:
	if (n == 0 && rc == STORE_OK)
		store_tx_rollback(st);
	else
		rc = store_tx_end(st, rc);
out:
	store_partner_free(&cur);
	free(name);
	store_strv_free(add, ch->n_add_referents);
	store_strv_free(del, ch->n_del_referents);
	buf_free(&detail);
	return rc;
}
