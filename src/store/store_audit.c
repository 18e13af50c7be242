/*
 * store_audit - the hash-chained audit trail (see include/balp/store_audit.h
 * and docs/store.md): append inside the caller's transaction, verify, list.
 *
 * Why the chain: a row edited or deleted behind the store's back (raw
 * sqlite) is seen by store_audit_check, from that row on; why the key:
 * without it, whoever edits a row can hash the chain again.  The unkeyed
 * definition is frozen: rows written before schema 5 must still verify.
 *
 * Ownership: lists own their strings (store_audit_list_free).  Failure: a
 * status, message in store_errmsg().
 */
#include "balp/store_audit.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "balp/array.h"
#include "balp/keyfile.h"
#include "store_priv.h"

/* ---- audit chain ------------------------------------------------------ */

static const char genesis_hash[] =
    "0000000000000000000000000000000000000000000000000000000000000000";

/* The first keyed row after rows from before the key names them. */
#define AUDIT_KEYED_ACTION	"audit.keyed"
#define AUDIT_KEYED_DETAIL	"legacy_rows="

void
store_audit_key(struct store *st, const unsigned char key[STORE_AUDIT_KEY_LEN])
{
	memcpy(st->audit_key, key, sizeof(st->audit_key));
	st->has_audit_key = 1;
}

int
store_audit_key_load(struct store *st, const char *path, struct buf *err)
{
	unsigned char key[STORE_AUDIT_KEY_LEN];

	if (keyfile_load(path, key, err) == -1)
		return -1;
	store_audit_key(st, key);
	sodium_memzero(key, sizeof(key));
	return 0;
}

static void
hash_field(crypto_generichash_state *h, const char *s, size_t n)
{
	char len[32];

	/* Netstring framing: "<len>:<bytes>," - no two rows serialize alike. */
	snprintf(len, sizeof(len), "%zu:", n);
	crypto_generichash_update(h, (const unsigned char *)len, strlen(len));
	crypto_generichash_update(h, (const unsigned char *)s, n);
	crypto_generichash_update(h, (const unsigned char *)",", 1);
}

struct audit_fields {
	int64_t		 id;
	const char	*f[6];	/* at, kind, actor, action, object, detail */
	size_t		 n[6];
};

/* key NULL: the unkeyed hash of the rows from before schema 5. */
static void
audit_hash(const unsigned char *key, const char *prev, size_t prevlen,
    const struct audit_fields *a, char out[STORE_HASH_HEX_LEN + 1])
{
	crypto_generichash_state h;
	unsigned char md[32];
	char id[32];
	int i;

	crypto_generichash_init(&h, key, key != NULL ? STORE_AUDIT_KEY_LEN : 0,
	    sizeof(md));
	crypto_generichash_update(&h, (const unsigned char *)prev, prevlen);
	snprintf(id, sizeof(id), "%" PRId64, a->id);
	hash_field(&h, id, strlen(id));
	for (i = 0; i < 6; i++)
		hash_field(&h, a->f[i], a->n[i]);
	crypto_generichash_final(&h, md, sizeof(md));
	sodium_memzero(&h, sizeof(h));
	sodium_bin2hex(out, STORE_HASH_HEX_LEN + 1, md, sizeof(md));
}

/*
 * The chain's head under the write lock: read from the table on the first
 * append of a transaction, then carried from row to row.  A batch of N
 * decisions reads it once, not N times.
 */
static int
audit_head(struct store *st)
{
	sqlite3_stmt *s;
	const char *p;
	int rc;

	/* Outside a transaction the head could move under us. */
	if ((rc = store_tx_required(st, "audit append")) != STORE_OK)
		return rc;
	if (st->head_known)
		return STORE_OK;
	if ((rc = stmt_get(st, STMT_AUDIT_HEAD, "SELECT id, hash, keyed FROM "
	    "audit ORDER BY id DESC LIMIT 1", &s)) != STORE_OK)
		return rc;
	st->head_id = 0;
	st->head_keyed = 0;
	memcpy(st->head_hash, genesis_hash, sizeof(st->head_hash));
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		st->head_id = sqlite3_column_int64(s, 0);
		p = (const char *)sqlite3_column_text(s, 1);
		/* As stored, even if tampered: verify is where it shows. */
		snprintf(st->head_hash, sizeof(st->head_hash), "%s",
		    p != NULL ? p : "");
		st->head_keyed = sqlite3_column_int(s, 2) != 0;
		st->head_known = 1;
		break;
	case SQLITE_DONE:
		st->head_known = 1;
		break;
	default:
		rc = store_sqlerr(st, "audit head");
	}
	stmt_done(s);
	return rc;
}

static int
audit_insert(struct store *st, const char *kind, const char *actor,
    const char *action, const char *object, const char *detail,
    const char *at)
{
	struct audit_fields a;
	sqlite3_stmt *s;
	char hash[STORE_HASH_HEX_LEN + 1];
	int rc, i;

	a.id = st->head_id + 1;
	a.f[0] = at;
	a.f[1] = kind;
	a.f[2] = actor_or_default(actor);
	a.f[3] = action;
	a.f[4] = object != NULL ? object : "";
	a.f[5] = detail != NULL ? detail : "";
	for (i = 0; i < 6; i++)
		a.n[i] = strlen(a.f[i]);
	audit_hash(st->audit_key, st->head_hash, strlen(st->head_hash), &a,
	    hash);

	if ((rc = stmt_get(st, STMT_AUDIT_INSERT, "INSERT INTO audit (id, at, "
	    "kind, actor, action, object, detail, prev_hash, hash, keyed) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)", &s)) != STORE_OK)
		return rc;
	bind_int64(st, s, 1, a.id, &rc);
	for (i = 0; i < 6; i++)
		bind_text(st, s, i + 2, a.f[i], &rc);
	bind_text(st, s, 8, st->head_hash, &rc);
	bind_text(st, s, 9, hash, &rc);
	if (rc != STORE_OK) {
		stmt_done(s);
		return rc;
	}
	if ((rc = step_done(st, s, "audit insert", NULL)) != STORE_OK)
		return rc;
	st->head_id = a.id;
	st->head_keyed = 1;
	memcpy(st->head_hash, hash, sizeof(st->head_hash));
	return STORE_OK;
}

int
store_audit_append(struct store *st, const char *kind, const char *actor,
    const char *action, const char *object, const char *detail, time_t now)
{
	char at[21], legacy[48];
	int rc;

	if (!st->has_audit_key)
		return store_seterr(st, STORE_ERROR, "audit key not loaded");
	if ((rc = audit_head(st)) != STORE_OK)
		return rc;
	store_timestamp(now, at);
	/*
	 * The first keyed row after rows from before the key says, under
	 * the key, how many they are: audit_keying alone could be raised to
	 * pass rows re-hashed without the key as old ones.
	 */
	if (st->head_id > 0 && !st->head_keyed) {
		snprintf(legacy, sizeof(legacy), AUDIT_KEYED_DETAIL "%" PRId64,
		    st->head_id);
		if ((rc = audit_insert(st, "admin", actor, AUDIT_KEYED_ACTION,
		    "audit", legacy, at)) != STORE_OK)
			return rc;
	}
	return audit_insert(st, kind, actor, action, object, detail, at);
}

const char *
store_audit_break_str(enum store_audit_break why)
{
	switch (why) {
	case STORE_AUDIT_INTACT:
		return "intact";
	case STORE_AUDIT_EDITED:
		return "its content does not match its hash: the row was edited";
	case STORE_AUDIT_LINK:
		return "it does not follow the row before it: rows were "
		    "inserted, moved or deleted";
	case STORE_AUDIT_GAP:
		return "rows before it were deleted";
	case STORE_AUDIT_UNKEYED:
		return "it was hashed without the audit key";
	case STORE_AUDIT_LEGACY:
		return "the count of rows from before the audit key was changed";
	case STORE_AUDIT_ANCHOR:
		return "the anchor is not in the chain: rows were cut from its "
		    "end, or it was rewritten";
	}
	return "broken";
}

/* Rows from before schema 5, as the migration counted them. */
static int
legacy_rows(struct store *st, int64_t *n)
{
	sqlite3_stmt *s;
	int rc;

	*n = 0;
	if ((rc = stmt_get(st, STMT_AUDIT_LEGACY, "SELECT legacy_rows FROM "
	    "audit_keying", &s)) != STORE_OK)
		return rc;
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		*n = sqlite3_column_int64(s, 0);
		break;
	case SQLITE_DONE:
		break;
	default:
		rc = store_sqlerr(st, "audit legacy rows");
	}
	stmt_done(s);
	return rc;
}

/* The break in row a (read from s), or STORE_AUDIT_INTACT; -1: no key. */
static int
check_row(struct store *st, sqlite3_stmt *s, const struct audit_fields *a,
    const char *expect, int64_t expect_id, int *seen_keyed,
    struct store_audit_report *r, char hash[STORE_HASH_HEX_LEN + 1])
{
	const char *prev, *stored;
	char marker[48];
	size_t prevlen;
	int keyed;

	prev = (const char *)sqlite3_column_text(s, 7);
	prevlen = (size_t)sqlite3_column_bytes(s, 7);
	stored = (const char *)sqlite3_column_text(s, 8);
	keyed = sqlite3_column_int(s, 9) != 0;
	if (a->id != expect_id)
		return STORE_AUDIT_GAP;
	if (prev == NULL || stored == NULL ||
	    prevlen != STORE_HASH_HEX_LEN ||
	    memcmp(prev, expect, STORE_HASH_HEX_LEN) != 0)
		return STORE_AUDIT_LINK;
	if (keyed) {
		if (!st->has_audit_key)
			return -1;
		/* The first keyed row after old ones names them. */
		if (!*seen_keyed && r->legacy_rows > 0) {
			snprintf(marker, sizeof(marker), AUDIT_KEYED_DETAIL
			    "%" PRId64, r->legacy_rows);
			if (a->id != r->legacy_rows + 1 ||
			    strcmp(a->f[3], AUDIT_KEYED_ACTION) != 0 ||
			    strcmp(a->f[5], marker) != 0)
				return STORE_AUDIT_LEGACY;
		}
		*seen_keyed = 1;
	} else if (*seen_keyed || a->id > r->legacy_rows)
		return STORE_AUDIT_UNKEYED;
	audit_hash(keyed ? st->audit_key : NULL, prev, prevlen, a, hash);
	if ((size_t)sqlite3_column_bytes(s, 8) != STORE_HASH_HEX_LEN ||
	    memcmp(stored, hash, STORE_HASH_HEX_LEN) != 0)
		return STORE_AUDIT_EDITED;
	return STORE_AUDIT_INTACT;
}

int
store_audit_check(struct store *st, const char *anchor,
    struct store_audit_report *r)
{
	struct audit_fields a;
	sqlite3_stmt *s;
	char expect[STORE_HASH_HEX_LEN + 1], hash[STORE_HASH_HEX_LEN + 1];
	int step, i, why = STORE_AUDIT_INTACT, seen_keyed = 0, anchored = 0;

	memset(r, 0, sizeof(*r));
	memcpy(r->head_hash, genesis_hash, sizeof(r->head_hash));
	if (legacy_rows(st, &r->legacy_rows) != STORE_OK)
		return -1;
	if (stmt_get(st, STMT_AUDIT_ALL, "SELECT id, at, kind, actor, action, "
	    "object, detail, prev_hash, hash, keyed FROM audit ORDER BY id",
	    &s) != STORE_OK)
		return -1;
	memcpy(expect, genesis_hash, sizeof(expect));
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		a.id = sqlite3_column_int64(s, 0);
		for (i = 0; i < 6; i++) {
			a.f[i] = (const char *)sqlite3_column_text(s, i + 1);
			if (a.f[i] == NULL)
				a.f[i] = "";
			a.n[i] = (size_t)sqlite3_column_bytes(s, i + 1);
		}
		why = check_row(st, s, &a, expect, r->head_id + 1, &seen_keyed,
		    r, hash);
		if (why == -1) {
			stmt_done(s);
			store_seterr(st, STORE_ERROR, "audit key not loaded: "
			    "keyed rows cannot be verified");
			return -1;
		}
		if (why != STORE_AUDIT_INTACT) {
			r->bad_id = a.id;
			break;
		}
		r->rows++;
		r->head_id = a.id;
		memcpy(r->head_hash, hash, sizeof(r->head_hash));
		memcpy(expect, hash, sizeof(expect));
		if (anchor != NULL && strcmp(anchor, hash) == 0)
			anchored = 1;
	}
	stmt_done(s);
	if (why == STORE_AUDIT_INTACT && step != SQLITE_DONE) {
		store_sqlerr(st, "audit verify");
		return -1;
	}
	if (why == STORE_AUDIT_INTACT && anchor != NULL && !anchored)
		why = STORE_AUDIT_ANCHOR;
	r->why = (enum store_audit_break)why;
	if (why == STORE_AUDIT_INTACT)
		return 0;
	if (r->bad_id != 0)
		store_seterr(st, STORE_OK, "audit chain broken at row %" PRId64
		    ": %s", r->bad_id, store_audit_break_str(r->why));
	else
		store_seterr(st, STORE_OK, "audit chain broken: %s",
		    store_audit_break_str(r->why));
	return 1;
}

int
store_audit_verify(struct store *st, int64_t *first_bad_id)
{
	struct store_audit_report r;
	int rc;

	rc = store_audit_check(st, NULL, &r);
	*first_bad_id = rc == 1 ? r.bad_id : 0;
	return rc;
}

static int
audit_from_row(sqlite3_stmt *s, struct store_audit_row *r)
{
	int fail = 0;

	r->id = sqlite3_column_int64(s, 0);
	r->at = col_str0(s, 1, &fail);
	r->kind = col_str0(s, 2, &fail);
	r->actor = col_str0(s, 3, &fail);
	r->action = col_str0(s, 4, &fail);
	r->object = col_str0(s, 5, &fail);
	r->detail = col_str0(s, 6, &fail);
	r->prev_hash = col_str0(s, 7, &fail);
	r->hash = col_str0(s, 8, &fail);
	return fail ? -1 : 0;
}

void
store_audit_list_free(struct store_audit_list *l)
{
	struct store_audit_row *r;
	size_t i;

	for (i = 0; i < l->n; i++) {
		r = &l->v[i];
		free(r->at);
		free(r->kind);
		free(r->actor);
		free(r->action);
		free(r->object);
		free(r->detail);
		free(r->prev_hash);
		free(r->hash);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* Rows of one statement (its binds done) into out; frees on failure. */
static int
audit_rows(struct store *st, sqlite3_stmt *s, int rc,
    struct store_audit_list *out, const char *what)
{
	size_t cap = 0;
	int step = SQLITE_DONE;

	while (rc == STORE_OK && (step = sqlite3_step(s)) == SQLITE_ROW) {
		if (ARRAY_RESERVE(out->v, cap, out->n) ||
		    audit_from_row(s, &out->v[out->n++]) == -1) {
			rc = store_oom(st);
			break;
		}
	}
	if (rc == STORE_OK && step != SQLITE_DONE)
		rc = store_sqlerr(st, what);
	stmt_done(s);
	if (rc != STORE_OK)
		store_audit_list_free(out);
	return rc;
}

int
store_audit_list(struct store *st, const char *kind, size_t limit,
    struct store_audit_list *out)
{
	sqlite3_stmt *s;
	int rc;

	out->v = NULL;
	out->n = 0;
	if ((rc = stmt_get(st, STMT_AUDIT_LIST, "SELECT id, at, kind, actor, "
	    "action, object, detail, prev_hash, hash FROM audit "
	    "WHERE ?1 IS NULL OR kind = ?1 ORDER BY id DESC LIMIT ?2", &s))
	    != STORE_OK)
		return rc;
	bind_text(st, s, 1, kind, &rc);
	bind_int64(st, s, 2, limit ? (int64_t)limit : -1, &rc);
	return audit_rows(st, s, rc, out, "audit list");
}

int
store_audit_of(struct store *st, const char *object,
    struct store_audit_list *out)
{
	sqlite3_stmt *s;
	int rc;

	out->v = NULL;
	out->n = 0;
	if ((rc = stmt_get(st, STMT_AUDIT_OF, "SELECT id, at, kind, actor, "
	    "action, object, detail, prev_hash, hash FROM audit "
	    "WHERE object = ?1 ORDER BY id", &s)) != STORE_OK)
		return rc;
	bind_text(st, s, 1, object, &rc);
	return audit_rows(st, s, rc, out, "audit of an object");
}
