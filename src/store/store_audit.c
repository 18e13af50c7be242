/* SPDX-License-Identifier: Apache-2.0 */
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
/* What a purge row says of the rows it destroyed (store_purge.c). */
#define AUDIT_PURGE_ACTION	"audit.purge"
#define AUDIT_PURGE_ROWS	"audit_rows="
#define AUDIT_PURGE_IDS		"audit_ids="

void
store_audit_key(struct store *st, const unsigned char key[STORE_AUDIT_KEY_LEN])
{
	free(st->audit_key_path);
	st->audit_key_path = NULL;
	memcpy(st->audit_key, key, sizeof(st->audit_key));
	st->has_audit_key = 1;
	st->audit_key_held = 1;
}

int
store_audit_key_load(struct store *st, const char *path, gid_t admin_gid,
    struct buf *err)
{
	unsigned char key[STORE_AUDIT_KEY_LEN];
	char *copy;

	/* Read once now so that a bad file fails the caller at start. */
	if (keyfile_load_shared(path, admin_gid, key, err) == -1)
		return -1;
	sodium_memzero(key, sizeof(key));
	if ((copy = strdup(path)) == NULL) {
		buf_puts(err, "out of memory");
		return -1;
	}
	sodium_memzero(st->audit_key, sizeof(st->audit_key));
	free(st->audit_key_path);
	st->audit_key_path = copy;
	st->audit_key_gid = admin_gid;
	st->has_audit_key = 1;
	st->audit_key_held = 0;
	return 0;
}

/*
 * The key in st->audit_key until store_audit_key_drop: read from its
 * file (read(2) into a buffer keyfile wipes) unless already there.
 * STORE_OK, or STORE_ERROR naming the file.
 */
static int
audit_key_take(struct store *st)
{
	struct buf err = BUF_INIT;
	int rc = STORE_OK;

	if (!st->has_audit_key)
		return store_seterr(st, STORE_ERROR, "audit key not loaded");
	if (st->audit_key_held)
		return STORE_OK;
	if (keyfile_load_shared(st->audit_key_path, st->audit_key_gid,
	    st->audit_key, &err) == -1)
		rc = store_seterr(st, STORE_ERROR, "%s", buf_str(&err));
	else
		st->audit_key_held = 1;
	buf_free(&err);
	return rc;
}

void
store_audit_key_drop(struct store *st)
{
	if (st->audit_key_path == NULL || !st->audit_key_held)
		return;
	sodium_memzero(st->audit_key, sizeof(st->audit_key));
	st->audit_key_held = 0;
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

static void
hash_final_hex(crypto_generichash_state *h, char out[STORE_HASH_HEX_LEN + 1])
{
	unsigned char md[32];

	crypto_generichash_final(h, md, sizeof(md));
	sodium_memzero(h, sizeof(*h));
	sodium_bin2hex(out, STORE_HASH_HEX_LEN + 1, md, sizeof(md));
}

static void
hash_id(crypto_generichash_state *h, int64_t id)
{
	char s[32];

	snprintf(s, sizeof(s), "%" PRId64, id);
	hash_field(h, s, strlen(s));
}

/* The frozen hash of the rows from before schema 5, without a key. */
static void
audit_hash_legacy(const char *prev, size_t prevlen,
    const struct audit_fields *a, char out[STORE_HASH_HEX_LEN + 1])
{
	crypto_generichash_state h;
	int i;

	crypto_generichash_init(&h, NULL, 0, 32);
	crypto_generichash_update(&h, (const unsigned char *)prev, prevlen);
	hash_id(&h, a->id);
	for (i = 0; i < 6; i++)
		hash_field(&h, a->f[i], a->n[i]);
	hash_final_hex(&h, out);
}

/* A keyed row's content: what a purge destroys, its hash staying. */
static void
audit_content_hash(const unsigned char *key, const struct audit_fields *a,
    char out[STORE_HASH_HEX_LEN + 1])
{
	crypto_generichash_state h;
	int i;

	crypto_generichash_init(&h, key, STORE_AUDIT_KEY_LEN, 32);
	for (i = 0; i < 6; i++)
		hash_field(&h, a->f[i], a->n[i]);
	hash_final_hex(&h, out);
}

/* A keyed row's link: the previous hash, its id and its content's hash. */
static void
audit_link_hash(const unsigned char *key, const char *prev, size_t prevlen,
    int64_t id, const char *content, char out[STORE_HASH_HEX_LEN + 1])
{
	crypto_generichash_state h;

	crypto_generichash_init(&h, key, STORE_AUDIT_KEY_LEN, 32);
	crypto_generichash_update(&h, (const unsigned char *)prev, prevlen);
	hash_id(&h, id);
	hash_field(&h, content, strlen(content));
	hash_final_hex(&h, out);
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
	char hash[STORE_HASH_HEX_LEN + 1], content[STORE_HASH_HEX_LEN + 1];
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
	audit_content_hash(st->audit_key, &a, content);
	audit_link_hash(st->audit_key, st->head_hash, strlen(st->head_hash),
	    a.id, content, hash);

	if ((rc = stmt_get(st, STMT_AUDIT_INSERT, "INSERT INTO audit (id, at, "
	    "kind, actor, action, object, detail, prev_hash, hash, keyed, "
	    "content_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)", &s)) !=
	    STORE_OK)
		return rc;
	bind_int64(st, s, 1, a.id, &rc);
	for (i = 0; i < 6; i++)
		bind_text(st, s, i + 2, a.f[i], &rc);
	bind_text(st, s, 8, st->head_hash, &rc);
	bind_text(st, s, 9, hash, &rc);
	bind_text(st, s, 10, content, &rc);
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

	if ((rc = audit_key_take(st)) != STORE_OK)
		return rc;
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

int
store_audit_note(struct store *st, const char *actor, const char *action,
    const char *object, const char *detail, time_t now)
{
	int rc;

	if ((rc = store_tx_begin(st)) != STORE_OK)
		return rc;
	rc = store_audit_append(st, "admin", actor, action, object, detail,
	    now);
	return store_tx_end(st, rc);
}

/*
 * By its object, not its action alone: no index has the action, and the
 * notifier asks for its last digest.sent every round (object "sla"), which
 * read the table back from its newest row to the last digest, a day of
 * audit rows (4,400 on a Caf of 200,000 decisions in six months), or
 * all of it before the first digest.
 */
int
store_audit_last_detail(struct store *st, const char *object,
    const char *action, char **detail)
{
	sqlite3_stmt *s;
	int rc, fail = 0;

	*detail = NULL;
	if ((rc = stmt_get(st, STMT_AUDIT_LAST, "SELECT detail FROM audit "
	    "WHERE object = ?1 AND action = ?2 ORDER BY id DESC LIMIT 1", &s))
	    != STORE_OK)
		return rc;
	bind_text(st, s, 1, object, &rc);
	bind_text(st, s, 2, action, &rc);
	if (rc == STORE_OK) {
		switch (sqlite3_step(s)) {
		case SQLITE_ROW:
			if ((*detail = col_str0(s, 0, &fail)) == NULL || fail)
				rc = store_oom(st);
			break;
		case SQLITE_DONE:
			break;
		default:
			rc = store_sqlerr(st, "audit last");
		}
	}
	stmt_done(s);
	return rc;
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
	case STORE_AUDIT_PURGE:
		return "the rows emptied in the name of a purge do not match "
		    "what its purge row says (rows emptied by hand)";
	case STORE_AUDIT_ANCHOR:
		return "the anchor is not in the chain: rows were cut from its "
		    "end, or it was rewritten";
	case STORE_AUDIT_RECORD:
		return "a row of the decisions, the outbox, the retriages or "
		    "the releases does not agree with the audit row that "
		    "recorded it: the table was edited by hand";
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

/*
 * The rows one audit.purge row destroyed (their `purged` names it): their
 * ids hashed in order, compared with what the purge row says when the
 * walk reaches it.
 */
struct purge_set {
	int64_t				 checkpoint;
	int64_t				 first_id;
	int64_t				 n;
	crypto_generichash_state	 h;
};

struct audit_walk {
	struct store			*st;
	struct store_audit_report	*r;
	char				 expect[STORE_HASH_HEX_LEN + 1];
	int				 seen_keyed;
	int				 from_mark;	/* not whole */
	struct purge_set		*sets;
	size_t				 nsets, cap;
};

static void
ids_init(crypto_generichash_state *h)
{
	crypto_generichash_init(h, NULL, 0, 32);
}

static void
ids_add(crypto_generichash_state *h, int64_t id)
{
	hash_id(h, id);
}

static void
ids_final(crypto_generichash_state *h,
    char out[STORE_HASH_HEX_LEN + 1])
{
	hash_final_hex(h, out);
}

/* The set of purge row c, made on first use; NULL when out of memory. */
static struct purge_set *
purge_set_of(struct audit_walk *w, int64_t c, int64_t id)
{
	struct purge_set *p;
	size_t i;

	for (i = 0; i < w->nsets; i++)
		if (w->sets[i].checkpoint == c)
			return &w->sets[i];
	if (ARRAY_RESERVE(w->sets, w->cap, w->nsets))
		return NULL;
	p = &w->sets[w->nsets++];
	p->checkpoint = c;
	p->first_id = id;
	p->n = 0;
	ids_init(&p->h);
	return p;
}

/* The number after "name=" in a detail ("a=1; b=2"), -1 if none. */
static long long
detail_number(const char *detail, const char *name)
{
	const char *p = strstr(detail, name);

	if (p == NULL || (p != detail && p[-1] != ' '))
		return -1;
	p += strlen(name);
	if (*p < '0' || *p > '9')
		return -1;
	return strtoll(p, NULL, 10);
}

/* A purge row: its count and digest against the rows that name it. */
static int
check_purge_row(struct audit_walk *w, const struct audit_fields *a)
{
	char digest[STORE_HASH_HEX_LEN + 1];
	const char *ids;
	long long n = detail_number(a->f[5], AUDIT_PURGE_ROWS);
	int64_t have = 0;
	size_t i;

	ids = strstr(a->f[5], AUDIT_PURGE_IDS);
	for (i = 0; i < w->nsets && w->sets[i].checkpoint != a->id; i++)
		;
	if (i < w->nsets) {
		have = w->sets[i].n;
		ids_final(&w->sets[i].h, digest);
		w->sets[i] = w->sets[--w->nsets];
	} else {
		crypto_generichash_state h;

		ids_init(&h);
		ids_final(&h, digest);
	}
	if (n != have || ids == NULL || strncmp(ids + strlen(AUDIT_PURGE_IDS),
	    digest, STORE_HASH_HEX_LEN) != 0)
		return STORE_AUDIT_PURGE;
	return STORE_AUDIT_INTACT;
}

/*
 * check_row's answers besides a break: no key to check with, out of
 * memory, a walk from a mark that must be done whole.
 */
#define WALK_NOKEY	(-1)
#define WALK_NOMEM	(-2)
#define WALK_WHOLE	(-3)

/* A keyed row: its content (unless purged) and its link. */
static int
check_keyed(struct audit_walk *w, sqlite3_stmt *s,
    const struct audit_fields *a, const char *prev, size_t prevlen,
    char hash[STORE_HASH_HEX_LEN + 1])
{
	struct store_audit_report *r = w->r;
	struct purge_set *ps;
	const char *stored = (const char *)sqlite3_column_text(s, 8);
	const char *content = (const char *)sqlite3_column_text(s, 10);
	char marker[48], mine[STORE_HASH_HEX_LEN + 1];
	int64_t purged = sqlite3_column_int64(s, 11);
	int i;

	if (!w->st->has_audit_key)
		return WALK_NOKEY;
	/* The first keyed row after old ones names them. */
	if (!w->seen_keyed && r->legacy_rows > 0) {
		snprintf(marker, sizeof(marker), AUDIT_KEYED_DETAIL "%" PRId64,
		    r->legacy_rows);
		if (a->id != r->legacy_rows + 1 ||
		    strcmp(a->f[3], AUDIT_KEYED_ACTION) != 0 ||
		    strcmp(a->f[5], marker) != 0)
			return STORE_AUDIT_LEGACY;
	}
	w->seen_keyed = 1;
	if (content == NULL || (size_t)sqlite3_column_bytes(s, 10) !=
	    STORE_HASH_HEX_LEN)
		return STORE_AUDIT_EDITED;
	if (purged != 0) {
		/* Destroyed by a purge row after it, and emptied. */
		if (purged <= a->id)
			return STORE_AUDIT_PURGE;
		for (i = 0; i < 6; i++)
			if (i != 1 && a->n[i] != 0)
				return STORE_AUDIT_EDITED;
		if ((ps = purge_set_of(w, purged, a->id)) == NULL)
			return WALK_NOMEM;
		ids_add(&ps->h, a->id);
		ps->n++;
	} else {
		audit_content_hash(w->st->audit_key, a, mine);
		if (memcmp(mine, content, STORE_HASH_HEX_LEN) != 0)
			return STORE_AUDIT_EDITED;
	}
	audit_link_hash(w->st->audit_key, prev, prevlen, a->id, content, hash);
	if (stored == NULL || (size_t)sqlite3_column_bytes(s, 8) !=
	    STORE_HASH_HEX_LEN || memcmp(stored, hash, STORE_HASH_HEX_LEN) != 0)
		return STORE_AUDIT_EDITED;
	if (purged == 0 && strcmp(a->f[3], AUDIT_PURGE_ACTION) == 0)
		return w->from_mark ? WALK_WHOLE : check_purge_row(w, a);
	return STORE_AUDIT_INTACT;
}

/* The break in row a (read from s), STORE_AUDIT_INTACT, or a WALK_*. */
static int
check_row(struct audit_walk *w, sqlite3_stmt *s, const struct audit_fields *a,
    char hash[STORE_HASH_HEX_LEN + 1])
{
	const char *prev, *stored;
	size_t prevlen;

	prev = (const char *)sqlite3_column_text(s, 7);
	prevlen = (size_t)sqlite3_column_bytes(s, 7);
	if (a->id != w->r->head_id + 1)
		return STORE_AUDIT_GAP;
	if (prev == NULL || prevlen != STORE_HASH_HEX_LEN ||
	    memcmp(prev, w->expect, STORE_HASH_HEX_LEN) != 0)
		return STORE_AUDIT_LINK;
	if (sqlite3_column_int(s, 9) != 0)
		return check_keyed(w, s, a, prev, prevlen, hash);
	if (w->seen_keyed || a->id > w->r->legacy_rows)
		return STORE_AUDIT_UNKEYED;
	audit_hash_legacy(prev, prevlen, a, hash);
	stored = (const char *)sqlite3_column_text(s, 8);
	if (stored == NULL || (size_t)sqlite3_column_bytes(s, 8) !=
	    STORE_HASH_HEX_LEN || memcmp(stored, hash, STORE_HASH_HEX_LEN) != 0)
		return STORE_AUDIT_EDITED;
	return STORE_AUDIT_INTACT;
}

/*
 * Is the mark's row still there with its hash?  1 yes, 0 no, -1 error.
 * (Its content is not checked: the whole walk does.)
 */
static int
mark_holds(struct store *st, const struct store_audit_mark *m)
{
	sqlite3_stmt *s;
	const char *h;
	int rc, holds = 0;

	if ((rc = stmt_get(st, STMT_AUDIT_MARK, "SELECT hash FROM audit "
	    "WHERE id = ?1", &s)) != STORE_OK)
		return -1;
	bind_int64(st, s, 1, m->id, &rc);
	switch (rc == STORE_OK ? sqlite3_step(s) : SQLITE_MISUSE) {
	case SQLITE_ROW:
		h = (const char *)sqlite3_column_text(s, 0);
		holds = h != NULL && strcmp(h, m->hash) == 0;
		break;
	case SQLITE_DONE:
		break;
	default:
		if (rc == STORE_OK)
			store_sqlerr(st, "audit mark");
		holds = -1;
	}
	stmt_done(s);
	return holds;
}

/*
 * The walk of store_audit_check and store_audit_check_from: the rows
 * after from (NULL: every row), then the recorded tables' rows after
 * from's.  Intact, *to (unless NULL) is where it stopped.  0, 1, -1 as
 * store_audit_check; 2: from cannot be gone on from, walk whole.
 */
static int
walk(struct store *st, const char *anchor, const struct store_audit_mark *from,
    struct store_audit_report *r, struct store_audit_mark *to)
{
	struct audit_walk w;
	struct audit_fields a;
	sqlite3_stmt *s;
	char hash[STORE_HASH_HEX_LEN + 1];
	int rc, step, i, why = STORE_AUDIT_INTACT, anchored = 0, holds;
	size_t k;

	memset(r, 0, sizeof(*r));
	memset(&w, 0, sizeof(w));
	w.st = st;
	w.r = r;
	memcpy(r->head_hash, genesis_hash, sizeof(r->head_hash));
	memcpy(w.expect, genesis_hash, sizeof(w.expect));
	if (legacy_rows(st, &r->legacy_rows) != STORE_OK)
		return -1;
	if (from != NULL) {
		if (from->legacy_rows != r->legacy_rows ||
		    (holds = mark_holds(st, from)) == 0)
			return 2;
		if (holds == -1)
			return -1;
		w.from_mark = 1;
		w.seen_keyed = from->seen_keyed;
		r->from_id = r->head_id = from->id;
		memcpy(r->head_hash, from->hash, sizeof(r->head_hash));
		memcpy(w.expect, from->hash, sizeof(w.expect));
	}
	/* Without a key, keyed rows cannot be checked: said below. */
	if (st->has_audit_key && audit_key_take(st) != STORE_OK)
		return -1;
	if (stmt_get(st, STMT_AUDIT_ALL, "SELECT id, at, kind, actor, action, "
	    "object, detail, prev_hash, hash, keyed, content_hash, purged "
	    "FROM audit WHERE id > ?1 ORDER BY id", &s) != STORE_OK) {
		store_audit_key_drop(st);
		return -1;
	}
	rc = STORE_OK;
	bind_int64(st, s, 1, r->head_id, &rc);
	if (rc != STORE_OK) {
		stmt_done(s);
		store_audit_key_drop(st);
		return -1;
	}
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		a.id = sqlite3_column_int64(s, 0);
		for (i = 0; i < 6; i++) {
			a.f[i] = (const char *)sqlite3_column_text(s, i + 1);
			if (a.f[i] == NULL)
				a.f[i] = "";
			a.n[i] = (size_t)sqlite3_column_bytes(s, i + 1);
		}
		if ((why = check_row(&w, s, &a, hash)) < 0)
			break;
		if (why != STORE_AUDIT_INTACT) {
			r->bad_id = a.id;
			break;
		}
		r->rows++;
		if (sqlite3_column_int64(s, 11) != 0 &&
		    sqlite3_column_int(s, 9) != 0)
			r->purged_rows++;
		r->head_id = a.id;
		memcpy(r->head_hash, hash, sizeof(r->head_hash));
		memcpy(w.expect, hash, sizeof(w.expect));
		if (anchor != NULL && strcmp(anchor, hash) == 0)
			anchored = 1;
	}
	stmt_done(s);
	store_audit_key_drop(st);
	if (why == STORE_AUDIT_INTACT && w.nsets > 0) {
		/* Rows naming a purge row that never came. */
		why = STORE_AUDIT_PURGE;
		r->bad_id = w.sets[0].first_id;
		for (k = 1; k < w.nsets; k++)
			if (w.sets[k].first_id < r->bad_id)
				r->bad_id = w.sets[k].first_id;
	}
	for (k = 0; k < w.nsets; k++)
		sodium_memzero(&w.sets[k].h, sizeof(w.sets[k].h));
	free(w.sets);
	if (why == WALK_WHOLE)
		return 2;
	if (why == WALK_NOKEY) {
		store_seterr(st, STORE_ERROR, "audit key not loaded: keyed "
		    "rows cannot be verified");
		return -1;
	}
	if (why == WALK_NOMEM)
		return store_oom(st), -1;
	if (why == STORE_AUDIT_INTACT && step != SQLITE_DONE) {
		store_sqlerr(st, "audit verify");
		return -1;
	}
	if (why == STORE_AUDIT_INTACT && anchor != NULL && !anchored)
		why = STORE_AUDIT_ANCHOR;
	r->why = (enum store_audit_break)why;
	if (why == STORE_AUDIT_INTACT) {
		switch (store_audit_check_records(st, r, from != NULL ?
		    from->records : NULL, to != NULL ? to->records : NULL)) {
		case 0:
			if (to != NULL) {
				to->id = r->head_id;
				memcpy(to->hash, r->head_hash,
				    sizeof(to->hash));
				to->legacy_rows = r->legacy_rows;
				to->seen_keyed = w.seen_keyed;
			}
			return 0;
		case 1:
			store_seterr(st, STORE_OK, "audit chain broken: %s",
			    r->record);
			return 1;
		default:
			return -1;
		}
	}
	if (r->bad_id != 0)
		store_seterr(st, STORE_OK, "audit chain broken at row %" PRId64
		    ": %s", r->bad_id, store_audit_break_str(r->why));
	else
		store_seterr(st, STORE_OK, "audit chain broken: %s",
		    store_audit_break_str(r->why));
	return 1;
}

int
store_audit_check(struct store *st, const char *anchor,
    struct store_audit_report *r)
{
	return walk(st, anchor, NULL, r, NULL);
}

int
store_audit_check_from(struct store *st, struct store_audit_mark *mark,
    struct store_audit_report *r)
{
	struct store_audit_mark next;
	int rc;

	memset(&next, 0, sizeof(next));
	rc = walk(st, NULL, mark->id > 0 ? mark : NULL, r, &next);
	if (rc == 2) {
		memset(&next, 0, sizeof(next));
		rc = walk(st, NULL, NULL, r, &next);
	}
	if (rc == 0)
		*mark = next;
	return rc;
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

/* ---- purge ------------------------------------------------------------ */

/*
 * The rows a purge destroys (?1 traces_before, ?2 hab_before); `keyed`
 * is left to the statements, which want the keyed rows or the others.
 * The rows about the decision of a staged annex kept (its mail's, and
 * its notices': store_priv.h) stay with it; a staged annex destroyed
 * takes its annex.stage, annex.approve and annex.reject rows (their
 * detail starts with "staged=ID;").
 */
#define AUDIT_PURGE_WHERE \
	"purged = 0 AND action <> '" AUDIT_PURGE_ACTION "' AND (" \
	"(at < ?1 AND (kind = 'decision' OR object LIKE 'decision/%' OR " \
	"action LIKE 'trace.%') AND object NOT IN (SELECT 'decision/' || " \
	"k.decision_id FROM " STAGED_KEPT_DECISIONS " k) AND object NOT IN " \
	"(SELECT 'outbox/' || o.id FROM outbox o WHERE o.decision_id IN " \
	STAGED_KEPT_DECISIONS ")) OR " \
	"(action IN ('annex.stage', 'annex.approve', 'annex.reject') AND " \
	"EXISTS (SELECT 1 FROM " STAGED_OLD " g WHERE substr(audit.detail, " \
	"1, length('staged=' || g.id || ';')) = 'staged=' || g.id || ';')) " \
	"OR " \
	"(kind = 'admin' AND action LIKE 'person.%' AND object IN (" \
	"SELECT partner_id || '/' || email FROM persons " \
	"WHERE hab_end IS NOT NULL AND hab_end < ?2)))"

int
store_audit_purge(struct store *st, const char *traces_before,
    const char *hab_before, const char *detail, int dry_run,
    const char *actor, time_t now, int64_t *rows, int64_t *kept)
{
	crypto_generichash_state h;
	sqlite3_stmt *s;
	struct buf d = BUF_INIT;
	char digest[STORE_HASH_HEX_LEN + 1], last[STORE_HASH_HEX_LEN + 1];
	int64_t checkpoint;
	const char *p;
	int rc, step;

	*rows = *kept = 0;
	if ((rc = stmt_get(st, STMT_AUDIT_PURGE_KEPT, "SELECT count(*) FROM "
	    "audit WHERE keyed = 0 AND " AUDIT_PURGE_WHERE, &s)) != STORE_OK)
		return rc;
	bind_text(st, s, 1, traces_before, &rc);
	bind_text(st, s, 2, hab_before, &rc);
	if (rc == STORE_OK && sqlite3_step(s) == SQLITE_ROW)
		*kept = sqlite3_column_int64(s, 0);
	else if (rc == STORE_OK)
		rc = store_sqlerr(st, "purge: old audit rows");
	stmt_done(s);
	if (rc != STORE_OK)
		return rc;
	/* The ids, in order, hashed as store_audit_check hashes them. */
	if ((rc = stmt_get(st, STMT_AUDIT_PURGE_IDS, "SELECT id, hash FROM "
	    "audit WHERE keyed = 1 AND " AUDIT_PURGE_WHERE " ORDER BY id", &s))
	    != STORE_OK)
		return rc;
	bind_text(st, s, 1, traces_before, &rc);
	bind_text(st, s, 2, hab_before, &rc);
	ids_init(&h);
	memcpy(last, genesis_hash, sizeof(last));
	while (rc == STORE_OK && (step = sqlite3_step(s)) == SQLITE_ROW) {
		ids_add(&h, sqlite3_column_int64(s, 0));
		p = (const char *)sqlite3_column_text(s, 1);
		snprintf(last, sizeof(last), "%s", p != NULL ? p : "");
		(*rows)++;
	}
	if (rc == STORE_OK && step != SQLITE_DONE)
		rc = store_sqlerr(st, "purge: audit rows");
	stmt_done(s);
	ids_final(&h, digest);
	if (rc != STORE_OK || dry_run)
		return rc;
	buf_printf(&d, "%s; " AUDIT_PURGE_ROWS "%" PRId64 "; " AUDIT_PURGE_IDS
	    "%s; last_purged=%s", detail, *rows, digest, last);
	if (d.failed) {
		buf_free(&d);
		return store_oom(st);
	}
	rc = store_audit_append(st, "admin", actor, AUDIT_PURGE_ACTION,
	    "store", buf_str(&d), now);
	buf_free(&d);
	if (rc != STORE_OK)
		return rc;
	checkpoint = st->head_id;
	/* kind stays: the schema wants one, and it tells nothing. */
	if ((rc = stmt_get(st, STMT_AUDIT_PURGE_EMPTY, "UPDATE audit SET "
	    "at = '', actor = '', action = '', object = '', detail = '', "
	    "purged = ?3 WHERE keyed = 1 AND id < ?3 AND " AUDIT_PURGE_WHERE,
	    &s)) != STORE_OK)
		return rc;
	bind_text(st, s, 1, traces_before, &rc);
	bind_text(st, s, 2, hab_before, &rc);
	bind_int64(st, s, 3, checkpoint, &rc);
	if (rc != STORE_OK) {
		stmt_done(s);
		return rc;
	}
	return step_done(st, s, "purge: audit rows", NULL);
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
