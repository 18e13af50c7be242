/*
 * store - sqlite store of partners, annex, decisions, outbox and the
 * hash-chained audit trail (see include/balp/store.h).
 *
 * Why it looks like this:
 * - Prepared statements only: every value from outside is bound, never
 *   pasted into SQL.  The only SQL built with printf is PRAGMA user_version
 *   with an integer of our own.
 * - Every public write is BEGIN IMMEDIATE ... COMMIT with its audit row in
 *   the same transaction: the write lock is taken before the first read, so
 *   quota counts and the audit chain's "last hash" cannot be raced by a
 *   second process (the busy timeout makes it wait instead).
 * - The schema is an ordered array of migration steps; PRAGMA user_version
 *   says how many ran.  A later version appends steps, never edits one.
 * - Dates are 'YYYY-MM-DD' text so that SQL compares them as strings.
 *
 * Ownership: every result struct owns its strings (freed by its *_free);
 * the store owns its error message.  Failure: a status from enum
 * store_status, message in store_errmsg().
 */
#include "balp/store.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "balp/array.h"
#include "balp/date.h"
#include "balp/text.h"
#include "store_priv.h"

#define STORE_BUSY_TIMEOUT_MS	10000
#define EMAIL_MAX		254

struct store {
	sqlite3		*db;
	struct buf	 err;
};

/* ---- schema ----------------------------------------------------------- */

/*
 * Migration steps, in order; step i brings user_version from i to i + 1.
 * Never edit a step that shipped: append a new one.
 */
static const char *const migrations[] = {
	/* 1: the initial schema. */
	"CREATE TABLE partners ("
	"  id TEXT PRIMARY KEY,"
	"  name TEXT NOT NULL,"
	"  siret TEXT CHECK (siret IS NULL OR (length(siret) = 14"
	"    AND siret NOT GLOB '*[^0-9]*')),"
	"  convention_start TEXT,"
	"  convention_end TEXT,"
	"  suspended INTEGER NOT NULL DEFAULT 0 CHECK (suspended IN (0, 1)),"
	"  suspend_reason TEXT,"
	"  max_persons INTEGER CHECK (max_persons IS NULL OR max_persons >= 0),"
	"  created_at TEXT NOT NULL"
	");"
	"CREATE TABLE persons ("
	"  id INTEGER PRIMARY KEY,"
	"  partner_id TEXT NOT NULL REFERENCES partners(id),"
	"  last_name TEXT NOT NULL,"
	"  first_name TEXT NOT NULL,"
	"  email TEXT NOT NULL,"
	"  job_title TEXT NOT NULL DEFAULT '',"
	"  hab_start TEXT NOT NULL,"
	"  hab_end TEXT,"
	"  suspended INTEGER NOT NULL DEFAULT 0 CHECK (suspended IN (0, 1)),"
	"  suspend_reason TEXT,"
	"  created_at TEXT NOT NULL,"
	"  updated_at TEXT NOT NULL,"
	"  UNIQUE (partner_id, email)"
	");"
	"CREATE INDEX persons_email ON persons(email);"
	/* No FK on partner_id: traces must outlive any partner clean-up. */
	"CREATE TABLE decisions ("
	"  id INTEGER PRIMARY KEY,"
	"  decided_at TEXT NOT NULL,"
	"  source TEXT NOT NULL,"
	"  source_ref TEXT NOT NULL,"
	"  message_id TEXT,"
	"  sender TEXT,"
	"  partner_id TEXT,"
	"  type TEXT,"
	"  outcome TEXT NOT NULL"
	"    CHECK (outcome IN ('accepted', 'rejected', 'quarantined')),"
	"  reasons TEXT NOT NULL DEFAULT '',"
	"  queue TEXT NOT NULL,"
	"  nir_pseudonym TEXT CHECK (nir_pseudonym IS NULL OR"
	"    (length(nir_pseudonym) = 64"
	"    AND nir_pseudonym NOT GLOB '*[^0-9a-f]*')),"
	"  UNIQUE (source, source_ref)"
	");"
	"CREATE INDEX decisions_partner ON decisions(partner_id, id);"
	"CREATE INDEX decisions_sender ON decisions(sender, id);"
	"CREATE INDEX decisions_pseudonym ON decisions(nir_pseudonym);"
	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY,"
	"  decision_id INTEGER NOT NULL REFERENCES decisions(id),"
	"  created_at TEXT NOT NULL,"
	"  recipient TEXT NOT NULL,"
	"  subject TEXT NOT NULL,"
	"  body TEXT NOT NULL,"
	"  status TEXT NOT NULL DEFAULT 'pending'"
	"    CHECK (status IN ('pending', 'sent', 'failed')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt_at TEXT NOT NULL,"
	"  last_error TEXT"
	");"
	"CREATE INDEX outbox_due ON outbox(status, next_attempt_at);"
	"CREATE TABLE audit ("
	"  id INTEGER PRIMARY KEY,"
	"  at TEXT NOT NULL,"
	"  kind TEXT NOT NULL CHECK (kind IN ('decision', 'admin')),"
	"  actor TEXT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  object TEXT NOT NULL,"
	"  detail TEXT NOT NULL,"
	"  prev_hash TEXT NOT NULL,"
	"  hash TEXT NOT NULL"
	");",
};

#define N_MIGRATIONS	((int)(sizeof(migrations) / sizeof(migrations[0])))

static const char genesis_hash[] =
    "0000000000000000000000000000000000000000000000000000000000000000";

/* ---- errors and small helpers ----------------------------------------- */

static int vseterr(struct store *, int, const char *, va_list)
    __attribute__((format(printf, 3, 0)));

static int
vseterr(struct store *st, int status, const char *fmt, va_list ap)
{
	buf_reset(&st->err);
	st->err.failed = 0;
	buf_vprintf(&st->err, fmt, ap);
	return status;
}

int
store_seterr(struct store *st, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vseterr(st, status, fmt, ap);
	va_end(ap);
	return status;
}

int
store_sqlerr(struct store *st, const char *what)
{
	return store_seterr(st, STORE_ERROR, "sqlite: %s (%s)",
	    sqlite3_errmsg(st->db), what);
}

static int
oom(struct store *st)
{
	return store_seterr(st, STORE_ERROR, "out of memory");
}

const char *
store_errmsg(const struct store *st)
{
	if (st == NULL)
		return "no store";
	return buf_str(&st->err);
}

sqlite3 *
store_db(struct store *st)
{
	return st->db;
}

void
store_timestamp(time_t t, char out[21])
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) != 20)
		snprintf(out, 21, "1970-01-01T00:00:00Z");
}

void
store_date_text(int32_t day, char out[11])
{
	if (day == DATE_NONE)
		snprintf(out, 11, "(none)");
	else
		date_format_iso(day, out);
}

static int
prep(struct store *st, sqlite3_stmt **stmt, const char *sql)
{
	if (sqlite3_prepare_v2(st->db, sql, -1, stmt, NULL) != SQLITE_OK) {
		*stmt = NULL;
		return store_sqlerr(st, "prepare");
	}
	return STORE_OK;
}

static int
bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL)
		return sqlite3_bind_null(s, i);
	return sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
}

static int
bind_date(sqlite3_stmt *s, int i, int32_t day)
{
	char d[11];

	if (day == DATE_NONE)
		return sqlite3_bind_null(s, i);
	date_format_iso(day, d);
	return sqlite3_bind_text(s, i, d, 10, SQLITE_TRANSIENT);
}

static int
bind_ts(sqlite3_stmt *s, int i, time_t t)
{
	char ts[21];

	store_timestamp(t, ts);
	return sqlite3_bind_text(s, i, ts, -1, SQLITE_TRANSIENT);
}

static int32_t
col_date(sqlite3_stmt *s, int i)
{
	const char *t = (const char *)sqlite3_column_text(s, i);
	int32_t d;

	if (t == NULL || date_parse_iso(t, &d) == -1)
		return DATE_NONE;
	return d;
}

/* A copy of a text column; NULL for SQL NULL.  *fail set on ENOMEM. */
static char *
col_str(sqlite3_stmt *s, int i, int *fail)
{
	const char *t = (const char *)sqlite3_column_text(s, i);
	char *p;

	if (t == NULL)
		return NULL;
	if ((p = buf_strndup(t, (size_t)sqlite3_column_bytes(s, i))) == NULL)
		*fail = 1;
	return p;
}

/* Like col_str but "" for SQL NULL. */
static char *
col_str0(sqlite3_stmt *s, int i, int *fail)
{
	char *p;

	if (sqlite3_column_type(s, i) == SQLITE_NULL) {
		if ((p = buf_strdup("")) == NULL)
			*fail = 1;
		return p;
	}
	return col_str(s, i, fail);
}

static int
is_blank(const char *s)
{
	if (s == NULL)
		return 1;
	for (; *s != '\0'; s++)
		if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
			return 0;
	return 1;
}

/* text_clean of a C string: controls out, spaces collapsed, trimmed. */
static char *
clean(const char *s)
{
	return text_clean(s != NULL ? s : "", s != NULL ? strlen(s) : 0);
}

/* Trimmed, ASCII lower-cased copy (a lookup key, not validated). */
static char *
lower_trim(const char *s)
{
	size_t a, b;
	char *p;

	if (s == NULL)
		s = "";
	a = 0;
	b = strlen(s);
	while (a < b && (s[a] == ' ' || s[a] == '\t' || s[a] == '\r' ||
	    s[a] == '\n'))
		a++;
	while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t' ||
	    s[b - 1] == '\r' || s[b - 1] == '\n'))
		b--;
	if ((p = buf_strndup(s + a, b - a)) == NULL)
		return NULL;
	return text_ascii_lower_inplace(p);
}

static const char *
actor_or_default(const char *actor)
{
	return actor != NULL && *actor != '\0' ? actor : "unknown";
}

int
store_email_canon(const char *in, char **out)
{
	const char *at = NULL, *p;
	char *e;
	size_t n;

	*out = NULL;
	if ((e = lower_trim(in)) == NULL)
		return STORE_ERROR;
	n = strlen(e);
	if (n == 0 || n > EMAIL_MAX)
		goto bad;
	for (p = e; *p != '\0'; p++) {
		if (*p <= ' ' || *p >= 0x7f || strchr("\"(),:;<>[\\]", *p))
			goto bad;
		if (*p == '@') {
			if (at != NULL)
				goto bad;
			at = p;
		}
	}
	/* local@domain.tld: non-empty local, dotted domain, no empty label. */
	if (at == NULL || at == e || at[1] == '\0' || at[1] == '.' ||
	    e[n - 1] == '.' || strchr(at, '.') == NULL || strstr(at, "..") ||
	    e[0] == '.' || at[-1] == '.')
		goto bad;
	*out = e;
	return STORE_OK;
bad:
	free(e);
	return STORE_REFUSED;
}

/* ---- transactions ----------------------------------------------------- */

static int
exec(struct store *st, const char *sql, const char *what)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return store_sqlerr(st, what);
	return STORE_OK;
}

int
store_tx_begin(struct store *st)
{
	return exec(st, "BEGIN IMMEDIATE", "begin");
}

int
store_tx_commit(struct store *st)
{
	if (exec(st, "COMMIT", "commit") != STORE_OK) {
		store_tx_rollback(st);
		return STORE_ERROR;
	}
	return STORE_OK;
}

void
store_tx_rollback(struct store *st)
{
	/* After some errors sqlite already rolled back: nothing to undo. */
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Ends a write: commit if rc is OK, else roll back; returns rc. */
static int
tx_end(struct store *st, int rc)
{
	if (rc == STORE_OK)
		return store_tx_commit(st);
	store_tx_rollback(st);
	return rc;
}

/* ---- opening and migrations ------------------------------------------- */

static int
user_version(struct store *st, int *v)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = prep(st, &s, "PRAGMA user_version")) != STORE_OK)
		return rc;
	if (sqlite3_step(s) != SQLITE_ROW) {
		rc = store_sqlerr(st, "user_version");
		sqlite3_finalize(s);
		return rc;
	}
	*v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return STORE_OK;
}

static int
migrate(struct store *st)
{
	char sql[64];
	int v, rc;

	for (;;) {
		if ((rc = user_version(st, &v)) != STORE_OK)
			return rc;
		if (v > N_MIGRATIONS)
			return store_seterr(st, STORE_ERROR, "database schema "
			    "version %d is newer than this program's (%d)", v,
			    N_MIGRATIONS);
		if (v == N_MIGRATIONS)
			return STORE_OK;
		if ((rc = store_tx_begin(st)) != STORE_OK)
			return rc;
		/* Another process may have migrated while we waited. */
		if ((rc = user_version(st, &v)) != STORE_OK)
			return tx_end(st, rc);
		if (v >= N_MIGRATIONS) {
			store_tx_rollback(st);
			continue;
		}
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if ((rc = exec(st, migrations[v], "migration")) == STORE_OK)
			rc = exec(st, sql, "migration");
		if (rc != STORE_OK) {
			store_seterr(st, STORE_ERROR, "migration to schema "
			    "version %d failed: %s", v + 1,
			    sqlite3_errmsg(st->db));
			return tx_end(st, STORE_ERROR);
		}
		if ((rc = tx_end(st, STORE_OK)) != STORE_OK)
			return rc;
	}
}

/* Runs a PRAGMA and checks its one-row answer when want is not NULL. */
static int
pragma(struct store *st, const char *sql, const char *want)
{
	sqlite3_stmt *s;
	const char *got;
	int rc, step;

	if ((rc = prep(st, &s, sql)) != STORE_OK)
		return rc;
	step = sqlite3_step(s);
	if (step != SQLITE_ROW && step != SQLITE_DONE) {
		rc = store_sqlerr(st, sql);
	} else if (want != NULL) {
		got = step == SQLITE_ROW ?
		    (const char *)sqlite3_column_text(s, 0) : NULL;
		if (got == NULL || text_ascii_casecmp(got, want) != 0)
			rc = store_seterr(st, STORE_ERROR, "%s: got '%s', "
			    "expected '%s'", sql, got ? got : "", want);
	}
	sqlite3_finalize(s);
	return rc;
}

static int
configure(struct store *st)
{
	int rc;

	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, STORE_BUSY_TIMEOUT_MS);
	/* No schema tampering through SQL, no functions from the schema. */
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0,
	    (int *)NULL);
	if ((rc = pragma(st, "PRAGMA journal_mode = WAL", "wal")) != STORE_OK ||
	    (rc = pragma(st, "PRAGMA foreign_keys = ON", NULL)) != STORE_OK ||
	    (rc = pragma(st, "PRAGMA foreign_keys", "1")) != STORE_OK ||
	    (rc = pragma(st, "PRAGMA synchronous = FULL", NULL)) != STORE_OK ||
	    /* Purged rows must not linger in free pages. */
	    (rc = pragma(st, "PRAGMA secure_delete = ON", NULL)) != STORE_OK)
		return rc;
	return STORE_OK;
}

int
store_open(const char *path, struct store **out, struct buf *err)
{
	struct store *st;
	int fd, flags;

	*out = NULL;
	if (path == NULL || *path == '\0') {
		if (err != NULL)
			buf_printf(err, "store: no database path");
		return STORE_ERROR;
	}
	/* Create it ourselves: sqlite would use 0644 minus the umask. */
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd >= 0) {
		close(fd);
	} else if (errno != EEXIST) {
		if (err != NULL)
			buf_printf(err, "%s: %s", path, strerror(errno));
		return STORE_ERROR;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		if (err != NULL)
			buf_printf(err, "out of memory");
		return STORE_ERROR;
	}
	buf_init(&st->err);
	flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW;
#ifdef SQLITE_OPEN_EXRESCODE
	flags |= SQLITE_OPEN_EXRESCODE;
#endif
	if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
		if (err != NULL)
			buf_printf(err, "%s: %s", path, st->db != NULL ?
			    sqlite3_errmsg(st->db) : "cannot open");
		store_close(st);
		return STORE_ERROR;
	}
	if (configure(st) != STORE_OK || migrate(st) != STORE_OK) {
		if (err != NULL)
			buf_printf(err, "%s: %s", path, store_errmsg(st));
		store_close(st);
		return STORE_ERROR;
	}
	*out = st;
	return STORE_OK;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	if (st->db != NULL)
		sqlite3_close_v2(st->db);
	buf_free(&st->err);
	free(st);
}

int
store_schema_version(struct store *st)
{
	int v;

	return user_version(st, &v) == STORE_OK ? v : -1;
}

int
store_schema_latest(void)
{
	return N_MIGRATIONS;
}

/* ---- audit chain ------------------------------------------------------ */

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
audit_hash(const char *prev, size_t prevlen, const struct audit_fields *a,
    char out[STORE_HASH_HEX_LEN + 1])
{
	crypto_generichash_state h;
	unsigned char md[32];
	char id[32];
	int i;

	crypto_generichash_init(&h, NULL, 0, sizeof(md));
	crypto_generichash_update(&h, (const unsigned char *)prev, prevlen);
	snprintf(id, sizeof(id), "%" PRId64, a->id);
	hash_field(&h, id, strlen(id));
	for (i = 0; i < 6; i++)
		hash_field(&h, a->f[i], a->n[i]);
	crypto_generichash_final(&h, md, sizeof(md));
	sodium_bin2hex(out, STORE_HASH_HEX_LEN + 1, md, sizeof(md));
}

int
store_audit_append(struct store *st, const char *kind, const char *actor,
    const char *action, const char *object, const char *detail, time_t now)
{
	struct audit_fields a;
	sqlite3_stmt *s;
	char prev[STORE_HASH_HEX_LEN + 1], hash[STORE_HASH_HEX_LEN + 1];
	char at[21];
	const char *p;
	int rc, i;

	if (sodium_init() < 0)
		return store_seterr(st, STORE_ERROR, "libsodium init failed");
	if ((rc = prep(st, &s, "SELECT id, hash FROM audit "
	    "ORDER BY id DESC LIMIT 1")) != STORE_OK)
		return rc;
	memcpy(prev, genesis_hash, sizeof(prev));
	a.id = 1;
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		a.id = sqlite3_column_int64(s, 0) + 1;
		p = (const char *)sqlite3_column_text(s, 1);
		snprintf(prev, sizeof(prev), "%s", p != NULL ? p : "");
		break;
	case SQLITE_DONE:
		break;
	default:
		rc = store_sqlerr(st, "audit head");
		sqlite3_finalize(s);
		return rc;
	}
	sqlite3_finalize(s);

	store_timestamp(now, at);
	a.f[0] = at;
	a.f[1] = kind;
	a.f[2] = actor_or_default(actor);
	a.f[3] = action;
	a.f[4] = object != NULL ? object : "";
	a.f[5] = detail != NULL ? detail : "";
	for (i = 0; i < 6; i++)
		a.n[i] = strlen(a.f[i]);
	audit_hash(prev, strlen(prev), &a, hash);

	if ((rc = prep(st, &s, "INSERT INTO audit (id, at, kind, actor, "
	    "action, object, detail, prev_hash, hash) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) != STORE_OK)
		return rc;
	sqlite3_bind_int64(s, 1, a.id);
	for (i = 0; i < 6; i++)
		bind_text(s, i + 2, a.f[i]);
	bind_text(s, 8, prev);
	bind_text(s, 9, hash);
	rc = sqlite3_step(s) == SQLITE_DONE ? STORE_OK :
	    store_sqlerr(st, "audit insert");
	sqlite3_finalize(s);
	return rc;
}

int
store_audit_verify(struct store *st, int64_t *first_bad_id)
{
	struct audit_fields a;
	sqlite3_stmt *s;
	char expect[STORE_HASH_HEX_LEN + 1], hash[STORE_HASH_HEX_LEN + 1];
	const char *prev, *stored;
	size_t prevlen;
	int step, i, broken = 0;

	*first_bad_id = 0;
	a.id = 0;
	if (sodium_init() < 0) {
		store_seterr(st, STORE_ERROR, "libsodium init failed");
		return -1;
	}
	if (prep(st, &s, "SELECT id, at, kind, actor, action, object, detail, "
	    "prev_hash, hash FROM audit ORDER BY id") != STORE_OK)
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
		prev = (const char *)sqlite3_column_text(s, 7);
		prevlen = (size_t)sqlite3_column_bytes(s, 7);
		stored = (const char *)sqlite3_column_text(s, 8);
		if (prev == NULL || stored == NULL ||
		    prevlen != STORE_HASH_HEX_LEN ||
		    memcmp(prev, expect, STORE_HASH_HEX_LEN) != 0) {
			broken = 1;
			break;
		}
		audit_hash(prev, prevlen, &a, hash);
		if ((size_t)sqlite3_column_bytes(s, 8) != STORE_HASH_HEX_LEN ||
		    memcmp(stored, hash, STORE_HASH_HEX_LEN) != 0) {
			broken = 1;
			break;
		}
		memcpy(expect, hash, sizeof(expect));
	}
	if (broken) {
		*first_bad_id = a.id;
		store_seterr(st, STORE_OK, "audit chain broken at row %" PRId64,
		    a.id);
		sqlite3_finalize(s);
		return 1;
	}
	if (step != SQLITE_DONE) {
		store_sqlerr(st, "audit verify");
		sqlite3_finalize(s);
		return -1;
	}
	sqlite3_finalize(s);
	return 0;
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

int
store_audit_list(struct store *st, const char *kind, size_t limit,
    struct store_audit_list *out)
{
	sqlite3_stmt *s;
	size_t cap = 0;
	int rc, step;

	out->v = NULL;
	out->n = 0;
	if ((rc = prep(st, &s, "SELECT id, at, kind, actor, action, object, "
	    "detail, prev_hash, hash FROM audit WHERE ?1 IS NULL OR kind = ?1 "
	    "ORDER BY id DESC LIMIT ?2")) != STORE_OK)
		return rc;
	bind_text(s, 1, kind);
	sqlite3_bind_int64(s, 2, limit ? (sqlite3_int64)limit : -1);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (ARRAY_RESERVE(out->v, cap, out->n) ||
		    audit_from_row(s, &out->v[out->n++]) == -1) {
			rc = oom(st);
			break;
		}
	}
	if (rc == STORE_OK && step != SQLITE_DONE)
		rc = store_sqlerr(st, "audit list");
	sqlite3_finalize(s);
	if (rc != STORE_OK)
		store_audit_list_free(out);
	return rc;
}

/* ---- partners --------------------------------------------------------- */

#define PARTNER_COLS "id, name, siret, convention_start, convention_end, " \
	"suspended, suspend_reason, max_persons, created_at"

static int
partner_from_row(sqlite3_stmt *s, struct store_partner *p)
{
	int fail = 0;

	memset(p, 0, sizeof(*p));
	p->id = col_str0(s, 0, &fail);
	p->name = col_str0(s, 1, &fail);
	p->siret = col_str(s, 2, &fail);
	p->start = col_date(s, 3);
	p->end = col_date(s, 4);
	p->suspended = sqlite3_column_int(s, 5) != 0;
	p->suspend_reason = col_str(s, 6, &fail);
	p->max_persons = sqlite3_column_type(s, 7) == SQLITE_NULL ?
	    STORE_NO_QUOTA : sqlite3_column_int(s, 7);
	p->created_at = col_str0(s, 8, &fail);
	if (fail) {
		store_partner_free(p);
		return -1;
	}
	return 0;
}

void
store_partner_free(struct store_partner *p)
{
	free(p->id);
	free(p->name);
	free(p->siret);
	free(p->suspend_reason);
	free(p->created_at);
	memset(p, 0, sizeof(*p));
}

void
store_partner_list_free(struct store_partner_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		store_partner_free(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int
store_partner_get(struct store *st, const char *id, struct store_partner *out)
{
	sqlite3_stmt *s;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = prep(st, &s, "SELECT " PARTNER_COLS " FROM partners "
	    "WHERE id = ?")) != STORE_OK)
		return rc;
	bind_text(s, 1, id != NULL ? id : "");
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		rc = partner_from_row(s, out) == 0 ? STORE_OK : oom(st);
		break;
	case SQLITE_DONE:
		rc = store_seterr(st, STORE_NOTFOUND, "no partner '%s'",
		    id != NULL ? id : "");
		break;
	default:
		rc = store_sqlerr(st, "partner get");
	}
	sqlite3_finalize(s);
	return rc;
}

int
store_partner_list(struct store *st, struct store_partner_list *out)
{
	sqlite3_stmt *s;
	size_t cap = 0;
	int rc, step;

	out->v = NULL;
	out->n = 0;
	if ((rc = prep(st, &s, "SELECT " PARTNER_COLS " FROM partners "
	    "ORDER BY id")) != STORE_OK)
		return rc;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (ARRAY_RESERVE(out->v, cap, out->n) ||
		    partner_from_row(s, &out->v[out->n]) == -1) {
			rc = oom(st);
			break;
		}
		out->n++;
	}
	if (rc == STORE_OK && step != SQLITE_DONE)
		rc = store_sqlerr(st, "partner list");
	sqlite3_finalize(s);
	if (rc != STORE_OK)
		store_partner_list_free(out);
	return rc;
}

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

int
store_partner_add(struct store *st, const struct store_partner_spec *p,
    const char *actor, time_t now)
{
	struct buf detail = BUF_INIT;
	sqlite3_stmt *s = NULL;
	char siret[15], d1[11], d2[11], *name = NULL;
	int rc;

	if (p->id == NULL || *p->id == '\0')
		return store_seterr(st, STORE_REFUSED, "partner id required");
	if (is_blank(p->name))
		return store_seterr(st, STORE_REFUSED, "partner '%s': name "
		    "required", p->id);
	if (p->siret != NULL && !is_blank(p->siret) &&
	    siret_norm(p->siret, siret) == -1)
		return store_seterr(st, STORE_REFUSED, "partner '%s': siret "
		    "'%s' is not 14 digits", p->id, p->siret);
	if (p->start != DATE_NONE && p->end != DATE_NONE && p->end < p->start) {
		store_date_text(p->start, d1);
		store_date_text(p->end, d2);
		return store_seterr(st, STORE_REFUSED, "partner '%s': "
		    "convention end %s is before its start %s", p->id, d2, d1);
	}
	if (p->max_persons < STORE_NO_QUOTA)
		return store_seterr(st, STORE_REFUSED, "partner '%s': "
		    "max_persons %d is negative", p->id, p->max_persons);
	if ((name = clean(p->name)) == NULL)
		return oom(st);

	if ((rc = store_tx_begin(st)) != STORE_OK)
		goto out;
	if ((rc = prep(st, &s, "INSERT INTO partners (id, name, siret, "
	    "convention_start, convention_end, max_persons, created_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?)")) != STORE_OK)
		goto end;
	bind_text(s, 1, p->id);
	bind_text(s, 2, name);
	bind_text(s, 3, p->siret != NULL && !is_blank(p->siret) ? siret : NULL);
	bind_date(s, 4, p->start);
	bind_date(s, 5, p->end);
	if (p->max_persons == STORE_NO_QUOTA)
		sqlite3_bind_null(s, 6);
	else
		sqlite3_bind_int(s, 6, p->max_persons);
	bind_ts(s, 7, now);
	if (sqlite3_step(s) != SQLITE_DONE) {
		if (sqlite3_extended_errcode(st->db) ==
		    SQLITE_CONSTRAINT_PRIMARYKEY)
			rc = store_seterr(st, STORE_EXISTS, "partner '%s' "
			    "already exists", p->id);
		else
			rc = store_sqlerr(st, "partner add");
		goto end;
	}
	store_date_text(p->start, d1);
	store_date_text(p->end, d2);
	buf_printf(&detail, "name=%s; siret=%s; start=%s; end=%s; "
	    "max_persons=", name, p->siret != NULL && !is_blank(p->siret) ?
	    siret : "(none)", d1, d2);
	if (p->max_persons == STORE_NO_QUOTA)
		buf_puts(&detail, "(none)");
	else
		buf_printf(&detail, "%d", p->max_persons);
	if (detail.failed) {
		rc = oom(st);
		goto end;
	}
	rc = store_audit_append(st, "admin", actor, "partner.add", p->id,
	    buf_str(&detail), now);
end:
	sqlite3_finalize(s);
	rc = tx_end(st, rc);
out:
	free(name);
	buf_free(&detail);
	return rc;
}

/* Steps a bound write statement; STORE_OK or an sqlite error. */
static int
step_done(struct store *st, sqlite3_stmt *s, const char *what)
{
	int rc;

	rc = sqlite3_step(s) == SQLITE_DONE ? STORE_OK :
	    store_sqlerr(st, what);
	sqlite3_finalize(s);
	return rc;
}

int
store_partner_end(struct store *st, const char *id, int32_t end,
    const char *actor, time_t now)
{
	struct store_partner cur;
	sqlite3_stmt *s;
	char d0[11], d1[11], detail[64];
	int rc;

	if (end == DATE_NONE)
		return store_seterr(st, STORE_REFUSED, "partner '%s': end date "
		    "required", id);
	if ((rc = store_tx_begin(st)) != STORE_OK)
		return rc;
	if ((rc = store_partner_get(st, id, &cur)) != STORE_OK)
		return tx_end(st, rc);
	store_date_text(cur.end, d0);
	store_date_text(end, d1);
	if (cur.start != DATE_NONE && end < cur.start) {
		store_date_text(cur.start, d0);
		rc = store_seterr(st, STORE_REFUSED, "partner '%s': end %s is "
		    "before the convention start %s", id, d1, d0);
		goto out;
	}
	if ((rc = prep(st, &s, "UPDATE partners SET convention_end = ? "
	    "WHERE id = ?")) != STORE_OK)
		goto out;
	bind_date(s, 1, end);
	bind_text(s, 2, id);
	if ((rc = step_done(st, s, "partner end")) != STORE_OK)
		goto out;
	snprintf(detail, sizeof(detail), "end: %s -> %s", d0, d1);
	rc = store_audit_append(st, "admin", actor, "partner.end", id, detail,
	    now);
out:
	store_partner_free(&cur);
	return tx_end(st, rc);
}

static int
partner_set_suspended(struct store *st, const char *id, int suspend,
    const char *reason, const char *actor, time_t now)
{
	struct store_partner cur;
	struct buf detail = BUF_INIT;
	sqlite3_stmt *s;
	char *why = NULL;
	int rc;

	if (suspend && is_blank(reason))
		return store_seterr(st, STORE_REFUSED, "partner '%s': a reason "
		    "is required to suspend", id);
	if (suspend && (why = clean(reason)) == NULL)
		return oom(st);
	if ((rc = store_tx_begin(st)) != STORE_OK)
		goto done;
	if ((rc = store_partner_get(st, id, &cur)) != STORE_OK) {
		rc = tx_end(st, rc);
		goto done;
	}
	if (cur.suspended == suspend) {
		rc = store_seterr(st, STORE_REFUSED, "partner '%s' is %s",
		    id, suspend ? "already suspended" : "not suspended");
		goto out;
	}
	if ((rc = prep(st, &s, "UPDATE partners SET suspended = ?, "
	    "suspend_reason = ? WHERE id = ?")) != STORE_OK)
		goto out;
	sqlite3_bind_int(s, 1, suspend);
	bind_text(s, 2, why);
	bind_text(s, 3, id);
	if ((rc = step_done(st, s, "partner suspend")) != STORE_OK)
		goto out;
	if (suspend)
		buf_printf(&detail, "reason=%s", why);
	else
		buf_printf(&detail, "was suspended: %s",
		    cur.suspend_reason ? cur.suspend_reason : "");
	rc = detail.failed ? oom(st) : store_audit_append(st, "admin", actor,
	    suspend ? "partner.suspend" : "partner.resume", id,
	    buf_str(&detail), now);
out:
	store_partner_free(&cur);
	rc = tx_end(st, rc);
done:
	free(why);
	buf_free(&detail);
	return rc;
}

int
store_partner_suspend(struct store *st, const char *id, const char *reason,
    const char *actor, time_t now)
{
	return partner_set_suspended(st, id, 1, reason, actor, now);
}

int
store_partner_resume(struct store *st, const char *id, const char *actor,
    time_t now)
{
	return partner_set_suspended(st, id, 0, NULL, actor, now);
}

int
store_partner_set_max_persons(struct store *st, const char *id,
    int max_persons, const char *actor, time_t now)
{
	struct store_partner cur;
	sqlite3_stmt *s;
	char detail[64], o[16], n[16];
	int rc;

	if (max_persons < STORE_NO_QUOTA)
		return store_seterr(st, STORE_REFUSED, "partner '%s': "
		    "max_persons %d is negative", id, max_persons);
	if ((rc = store_tx_begin(st)) != STORE_OK)
		return rc;
	if ((rc = store_partner_get(st, id, &cur)) != STORE_OK)
		return tx_end(st, rc);
	if ((rc = prep(st, &s, "UPDATE partners SET max_persons = ? "
	    "WHERE id = ?")) != STORE_OK)
		goto out;
	if (max_persons == STORE_NO_QUOTA)
		sqlite3_bind_null(s, 1);
	else
		sqlite3_bind_int(s, 1, max_persons);
	bind_text(s, 2, id);
	if ((rc = step_done(st, s, "partner quota")) != STORE_OK)
		goto out;
	if (cur.max_persons == STORE_NO_QUOTA)
		snprintf(o, sizeof(o), "(none)");
	else
		snprintf(o, sizeof(o), "%d", cur.max_persons);
	if (max_persons == STORE_NO_QUOTA)
		snprintf(n, sizeof(n), "(none)");
	else
		snprintf(n, sizeof(n), "%d", max_persons);
	snprintf(detail, sizeof(detail), "max_persons: %s -> %s", o, n);
	rc = store_audit_append(st, "admin", actor, "partner.quota", id,
	    detail, now);
out:
	store_partner_free(&cur);
	return tx_end(st, rc);
}

/* ---- persons ---------------------------------------------------------- */

#define PERSON_COLS "id, partner_id, last_name, first_name, email, " \
	"job_title, hab_start, hab_end, suspended, suspend_reason, " \
	"created_at, updated_at"

static int
person_from_row(sqlite3_stmt *s, struct store_person *p)
{
	int fail = 0;

	memset(p, 0, sizeof(*p));
	p->id = sqlite3_column_int64(s, 0);
	p->partner_id = col_str0(s, 1, &fail);
	p->last_name = col_str0(s, 2, &fail);
	p->first_name = col_str0(s, 3, &fail);
	p->email = col_str0(s, 4, &fail);
	p->job_title = col_str0(s, 5, &fail);
	p->start = col_date(s, 6);
	p->end = col_date(s, 7);
	p->suspended = sqlite3_column_int(s, 8) != 0;
	p->suspend_reason = col_str(s, 9, &fail);
	p->created_at = col_str0(s, 10, &fail);
	p->updated_at = col_str0(s, 11, &fail);
	if (fail) {
		store_person_free(p);
		return -1;
	}
	return 0;
}

void
store_person_free(struct store_person *p)
{
	free(p->partner_id);
	free(p->last_name);
	free(p->first_name);
	free(p->email);
	free(p->job_title);
	free(p->suspend_reason);
	free(p->created_at);
	free(p->updated_at);
	memset(p, 0, sizeof(*p));
}

void
store_person_list_free(struct store_person_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		store_person_free(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int
store_person_list(struct store *st, const char *partner_id, int32_t at,
    struct store_person_list *out)
{
	sqlite3_stmt *s;
	size_t cap = 0;
	int rc, step;

	out->v = NULL;
	out->n = 0;
	if ((rc = prep(st, &s, "SELECT " PERSON_COLS " FROM persons "
	    "WHERE (?1 IS NULL OR partner_id = ?1) AND (?2 IS NULL OR "
	    "(hab_start <= ?2 AND (hab_end IS NULL OR hab_end >= ?2) AND "
	    "suspended = 0)) "
	    "ORDER BY partner_id, last_name, first_name, email, id"))
	    != STORE_OK)
		return rc;
	bind_text(s, 1, partner_id);
	bind_date(s, 2, at);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (ARRAY_RESERVE(out->v, cap, out->n) ||
		    person_from_row(s, &out->v[out->n]) == -1) {
			rc = oom(st);
			break;
		}
		out->n++;
	}
	if (rc == STORE_OK && step != SQLITE_DONE)
		rc = store_sqlerr(st, "person list");
	sqlite3_finalize(s);
	if (rc != STORE_OK)
		store_person_list_free(out);
	return rc;
}

/* Persons of a partner habilitated on today or later, not suspended. */
static int
count_active(struct store *st, const char *partner_id, int32_t today,
    int *n)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = prep(st, &s, "SELECT count(*) FROM persons WHERE "
	    "partner_id = ? AND suspended = 0 AND "
	    "(hab_end IS NULL OR hab_end >= ?)")) != STORE_OK)
		return rc;
	bind_text(s, 1, partner_id);
	bind_date(s, 2, today);
	if (sqlite3_step(s) == SQLITE_ROW) {
		*n = sqlite3_column_int(s, 0);
		rc = STORE_OK;
	} else {
		rc = store_sqlerr(st, "quota count");
	}
	sqlite3_finalize(s);
	return rc;
}

/* Refuses when `adding` more active persons would pass the quota. */
static int
quota_check(struct store *st, const struct store_partner *pa, int32_t today,
    int adding)
{
	char d[11];
	int n = 0, rc;

	if (pa->max_persons == STORE_NO_QUOTA || adding == 0)
		return STORE_OK;
	if ((rc = count_active(st, pa->id, today, &n)) != STORE_OK)
		return rc;
	if (n + adding > pa->max_persons) {
		store_date_text(today, d);
		return store_seterr(st, STORE_REFUSED, "partner '%s' quota "
		    "exceeded: %d persons habilitated on %s or later, the "
		    "quota is %d", pa->id, n + adding, d, pa->max_persons);
	}
	return STORE_OK;
}

int
store_person_insert(struct store *st, const struct store_person_spec *p,
    time_t now, int64_t *id)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = prep(st, &s, "INSERT INTO persons (partner_id, last_name, "
	    "first_name, email, job_title, hab_start, hab_end, created_at, "
	    "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?8)")) != STORE_OK)
		return rc;
	bind_text(s, 1, p->partner_id);
	bind_text(s, 2, p->last_name);
	bind_text(s, 3, p->first_name);
	bind_text(s, 4, p->email);
	bind_text(s, 5, p->job_title != NULL ? p->job_title : "");
	bind_date(s, 6, p->start);
	bind_date(s, 7, p->end);
	bind_ts(s, 8, now);
	if (sqlite3_step(s) != SQLITE_DONE) {
		if (sqlite3_extended_errcode(st->db) ==
		    SQLITE_CONSTRAINT_UNIQUE)
			rc = store_seterr(st, STORE_EXISTS, "'%s' is already "
			    "in the annex of partner '%s'", p->email,
			    p->partner_id);
		else if (sqlite3_extended_errcode(st->db) ==
		    SQLITE_CONSTRAINT_FOREIGNKEY)
			rc = store_seterr(st, STORE_NOTFOUND, "no partner "
			    "'%s'", p->partner_id);
		else
			rc = store_sqlerr(st, "person insert");
	} else if (id != NULL) {
		*id = sqlite3_last_insert_rowid(st->db);
	}
	sqlite3_finalize(s);
	return rc;
}

int
store_person_update(struct store *st, int64_t id, const char *last_name,
    const char *first_name, const char *job_title, int32_t start,
    int32_t end, time_t now)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = prep(st, &s, "UPDATE persons SET last_name = ?, "
	    "first_name = ?, job_title = ?, hab_start = ?, hab_end = ?, "
	    "updated_at = ? WHERE id = ?")) != STORE_OK)
		return rc;
	bind_text(s, 1, last_name);
	bind_text(s, 2, first_name);
	bind_text(s, 3, job_title != NULL ? job_title : "");
	bind_date(s, 4, start);
	bind_date(s, 5, end);
	bind_ts(s, 6, now);
	sqlite3_bind_int64(s, 7, id);
	return step_done(st, s, "person update");
}

int
store_person_set_end(struct store *st, int64_t id, int32_t end, time_t now)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = prep(st, &s, "UPDATE persons SET hab_end = ?, "
	    "updated_at = ? WHERE id = ?")) != STORE_OK)
		return rc;
	bind_date(s, 1, end);
	bind_ts(s, 2, now);
	sqlite3_bind_int64(s, 3, id);
	return step_done(st, s, "person end");
}

/* "partner/email": the audit object of a person. */
static void
person_object(struct buf *b, const char *partner_id, const char *email)
{
	buf_reset(b);
	buf_printf(b, "%s/%s", partner_id, email);
}

int
store_person_add(struct store *st, const struct store_person_spec *in,
    int32_t today, const char *actor, time_t now, int64_t *id)
{
	struct store_person_spec p;
	struct store_partner pa;
	struct buf obj = BUF_INIT, detail = BUF_INIT;
	char *email = NULL, *last = NULL, *first = NULL, *job = NULL;
	char d1[11], d2[11];
	const char *pid = in->partner_id != NULL ? in->partner_id : "";
	int rc;

	memset(&pa, 0, sizeof(pa));
	if (is_blank(in->email))
		return store_seterr(st, STORE_REFUSED, "email required");
	if ((rc = store_email_canon(in->email, &email)) != STORE_OK)
		return rc == STORE_REFUSED ? store_seterr(st, rc, "'%s' is "
		    "not an email address (local@domain.tld)", in->email) :
		    oom(st);
	if (is_blank(in->last_name) || is_blank(in->first_name)) {
		rc = store_seterr(st, STORE_REFUSED, "%s: last and first "
		    "names are required", email);
		goto done;
	}
	if (in->start == DATE_NONE) {
		rc = store_seterr(st, STORE_REFUSED, "%s: habilitation start "
		    "date required", email);
		goto done;
	}
	store_date_text(in->start, d1);
	store_date_text(in->end, d2);
	if (in->end != DATE_NONE && in->end < in->start) {
		rc = store_seterr(st, STORE_REFUSED, "%s: end %s is before "
		    "start %s", email, d2, d1);
		goto done;
	}
	if ((last = clean(in->last_name)) == NULL ||
	    (first = clean(in->first_name)) == NULL ||
	    (job = clean(in->job_title)) == NULL) {
		rc = oom(st);
		goto done;
	}
	p = *in;
	p.partner_id = pid;
	p.email = email;
	p.last_name = last;
	p.first_name = first;
	p.job_title = job;

	if ((rc = store_tx_begin(st)) != STORE_OK)
		goto done;
	if ((rc = store_partner_get(st, pid, &pa)) != STORE_OK)
		goto out;
	if ((rc = quota_check(st, &pa, today,
	    p.end == DATE_NONE || p.end >= today)) != STORE_OK)
		goto out;
	if ((rc = store_person_insert(st, &p, now, id)) != STORE_OK)
		goto out;
	person_object(&obj, pid, email);
	buf_printf(&detail, "last_name=%s; first_name=%s; job_title=%s; "
	    "start=%s; end=%s", last, first, job, d1, d2);
	rc = obj.failed || detail.failed ? oom(st) :
	    store_audit_append(st, "admin", actor, "person.add",
	    buf_str(&obj), buf_str(&detail), now);
out:
	store_partner_free(&pa);
	rc = tx_end(st, rc);
done:
	free(email);
	free(last);
	free(first);
	free(job);
	buf_free(&obj);
	buf_free(&detail);
	return rc;
}

int
store_person_get(struct store *st, const char *partner_id, const char *email,
    struct store_person *out)
{
	struct store_person extra;
	struct buf others = BUF_INIT;
	sqlite3_stmt *s;
	char *key;
	int rc, step, n = 0;

	memset(out, 0, sizeof(*out));
	if ((key = lower_trim(email)) == NULL)
		return oom(st);
	if ((rc = prep(st, &s, "SELECT " PERSON_COLS " FROM persons "
	    "WHERE email = ?1 AND (?2 IS NULL OR partner_id = ?2) "
	    "ORDER BY partner_id")) != STORE_OK)
		goto done;
	bind_text(s, 1, key);
	bind_text(s, 2, partner_id);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == 0) {
			if (person_from_row(s, out) == -1) {
				rc = oom(st);
				break;
			}
			buf_puts(&others, out->partner_id);
		} else {
			if (person_from_row(s, &extra) == -1) {
				rc = oom(st);
				break;
			}
			buf_printf(&others, ", %s", extra.partner_id);
			store_person_free(&extra);
		}
		n++;
	}
	if (rc == STORE_OK && step != SQLITE_DONE)
		rc = store_sqlerr(st, "person get");
	else if (rc == STORE_OK && n == 0 && partner_id != NULL)
		rc = store_seterr(st, STORE_NOTFOUND, "no person '%s' in the "
		    "annex of partner '%s'", key, partner_id);
	else if (rc == STORE_OK && n == 0)
		rc = store_seterr(st, STORE_NOTFOUND, "no person '%s'", key);
	else if (rc == STORE_OK && n > 1)
		rc = store_seterr(st, STORE_REFUSED, "'%s' is in the annex of "
		    "several partners (%s): name the partner (--partner)", key,
		    buf_str(&others));
	sqlite3_finalize(s);
	if (rc != STORE_OK)
		store_person_free(out);
done:
	free(key);
	buf_free(&others);
	return rc;
}

int
store_person_end(struct store *st, const char *partner_id, const char *email,
    int32_t end, const char *actor, time_t now)
{
	struct store_person cur;
	struct buf obj = BUF_INIT;
	char d0[11], d1[11], detail[64];
	int rc;

	if (end == DATE_NONE)
		return store_seterr(st, STORE_REFUSED, "end date required");
	if ((rc = store_tx_begin(st)) != STORE_OK)
		return rc;
	if ((rc = store_person_get(st, partner_id, email, &cur)) != STORE_OK)
		return tx_end(st, rc);
	if ((rc = store_person_set_end(st, cur.id, end, now)) != STORE_OK)
		goto out;
	store_date_text(cur.end, d0);
	store_date_text(end, d1);
	snprintf(detail, sizeof(detail), "end: %s -> %s", d0, d1);
	person_object(&obj, cur.partner_id, cur.email);
	rc = obj.failed ? oom(st) : store_audit_append(st, "admin", actor,
	    "person.end", buf_str(&obj), detail, now);
out:
	store_person_free(&cur);
	buf_free(&obj);
	return tx_end(st, rc);
}

static int
person_set_suspended(struct store *st, const char *partner_id,
    const char *email, int suspend, const char *reason, int32_t today,
    const char *actor, time_t now)
{
	struct store_person cur;
	struct store_partner pa;
	struct buf obj = BUF_INIT, detail = BUF_INIT;
	sqlite3_stmt *s;
	char *why = NULL;
	int rc;

	memset(&pa, 0, sizeof(pa));
	if (suspend && is_blank(reason))
		return store_seterr(st, STORE_REFUSED, "a reason is required "
		    "to suspend");
	if (suspend && (why = clean(reason)) == NULL)
		return oom(st);
	if ((rc = store_tx_begin(st)) != STORE_OK)
		goto done;
	if ((rc = store_person_get(st, partner_id, email, &cur)) != STORE_OK) {
		rc = tx_end(st, rc);
		goto done;
	}
	if (cur.suspended == suspend) {
		rc = store_seterr(st, STORE_REFUSED, "'%s' of partner '%s' is "
		    "%s", cur.email, cur.partner_id, suspend ?
		    "already suspended" : "not suspended");
		goto out;
	}
	if (!suspend) {
		if ((rc = store_partner_get(st, cur.partner_id, &pa))
		    != STORE_OK)
			goto out;
		if ((rc = quota_check(st, &pa, today,
		    cur.end == DATE_NONE || cur.end >= today)) != STORE_OK)
			goto out;
	}
	if ((rc = prep(st, &s, "UPDATE persons SET suspended = ?, "
	    "suspend_reason = ?, updated_at = ? WHERE id = ?")) != STORE_OK)
		goto out;
	sqlite3_bind_int(s, 1, suspend);
	bind_text(s, 2, why);
	bind_ts(s, 3, now);
	sqlite3_bind_int64(s, 4, cur.id);
	if ((rc = step_done(st, s, "person suspend")) != STORE_OK)
		goto out;
	person_object(&obj, cur.partner_id, cur.email);
	if (suspend)
		buf_printf(&detail, "reason=%s", why);
	else
		buf_printf(&detail, "was suspended: %s",
		    cur.suspend_reason ? cur.suspend_reason : "");
	rc = obj.failed || detail.failed ? oom(st) : store_audit_append(st,
	    "admin", actor, suspend ? "person.suspend" : "person.resume",
	    buf_str(&obj), buf_str(&detail), now);
out:
	store_person_free(&cur);
	store_partner_free(&pa);
	rc = tx_end(st, rc);
done:
	free(why);
	buf_free(&obj);
	buf_free(&detail);
	return rc;
}

int
store_person_suspend(struct store *st, const char *partner_id,
    const char *email, const char *reason, const char *actor, time_t now)
{
	return person_set_suspended(st, partner_id, email, 1, reason,
	    DATE_NONE, actor, now);
}

int
store_person_resume(struct store *st, const char *partner_id,
    const char *email, int32_t today, const char *actor, time_t now)
{
	return person_set_suspended(st, partner_id, email, 0, NULL, today,
	    actor, now);
}

/* ---- habilitations ---------------------------------------------------- */

void
store_habilitations_free(struct store_habilitations *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		free(h->owned[i]);
	free(h->owned);
	free(h->v);
	h->v = NULL;
	h->owned = NULL;
	h->n = 0;
}

int
store_habilitations(struct store *st, const char *email,
    struct store_habilitations *out)
{
	struct habilitation *hb;
	sqlite3_stmt *s;
	size_t cap = 0, ocap = 0;
	char *key;
	int rc, step, fail = 0;

	out->v = NULL;
	out->owned = NULL;
	out->n = 0;
	if ((key = lower_trim(email)) == NULL)
		return oom(st);
	if ((rc = prep(st, &s, "SELECT p.partner_id, pa.convention_start, "
	    "pa.convention_end, pa.suspended, p.hab_start, p.hab_end, "
	    "p.suspended FROM persons p JOIN partners pa "
	    "ON pa.id = p.partner_id WHERE p.email = ? "
	    "ORDER BY p.partner_id")) != STORE_OK) {
		free(key);
		return rc;
	}
	bind_text(s, 1, key);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (ARRAY_RESERVE(out->v, cap, out->n) ||
		    ARRAY_RESERVE(out->owned, ocap, out->n)) {
			rc = oom(st);
			break;
		}
		hb = &out->v[out->n];
		out->owned[out->n] = col_str0(s, 0, &fail);
		if (fail) {
			rc = oom(st);
			break;
		}
		hb->partner_id = out->owned[out->n];
		hb->convention_start = col_date(s, 1);
		hb->convention_end = col_date(s, 2);
		hb->partner_suspended = sqlite3_column_int(s, 3) != 0;
		hb->start = col_date(s, 4);
		hb->end = col_date(s, 5);
		hb->person_suspended = sqlite3_column_int(s, 6) != 0;
		out->n++;
	}
	if (rc == STORE_OK && step != SQLITE_DONE)
		rc = store_sqlerr(st, "habilitations");
	sqlite3_finalize(s);
	free(key);
	if (rc != STORE_OK)
		store_habilitations_free(out);
	return rc;
}

/* ---- decisions -------------------------------------------------------- */

#define DECISION_COLS "id, decided_at, source, source_ref, message_id, " \
	"sender, partner_id, type, outcome, reasons, queue, nir_pseudonym"

static int
decision_from_row(sqlite3_stmt *s, struct store_decision *d)
{
	int fail = 0;

	memset(d, 0, sizeof(*d));
	d->id = sqlite3_column_int64(s, 0);
	d->decided_at = col_str0(s, 1, &fail);
	d->source = col_str0(s, 2, &fail);
	d->source_ref = col_str0(s, 3, &fail);
	d->message_id = col_str(s, 4, &fail);
	d->sender = col_str(s, 5, &fail);
	d->partner_id = col_str(s, 6, &fail);
	d->type = col_str(s, 7, &fail);
	d->outcome = col_str0(s, 8, &fail);
	d->reasons = col_str0(s, 9, &fail);
	d->queue = col_str0(s, 10, &fail);
	d->nir_pseudonym = col_str(s, 11, &fail);
	if (fail) {
		store_decision_free(d);
		return -1;
	}
	return 0;
}

void
store_decision_free(struct store_decision *d)
{
	free(d->decided_at);
	free(d->source);
	free(d->source_ref);
	free(d->message_id);
	free(d->sender);
	free(d->partner_id);
	free(d->type);
	free(d->outcome);
	free(d->reasons);
	free(d->queue);
	free(d->nir_pseudonym);
	memset(d, 0, sizeof(*d));
}

void
store_decision_list_free(struct store_decision_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		store_decision_free(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int
is_hex64(const char *s)
{
	size_t i;

	for (i = 0; i < STORE_HASH_HEX_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[i] == '\0';
}

/* "code,code" for the set; -1 if a bit names no reason. */
static int
reasons_text(reason_set set, struct buf *b)
{
	int r;

	buf_add(b, "", 0);
	for (r = 0; r < 32; r++) {
		if (!(set & REASON_BIT(r)))
			continue;
		if (r >= REASON_COUNT || reason_code((enum reason)r) == NULL)
			return -1;
		if (b->len > 0)
			buf_putc(b, ',');
		buf_puts(b, reason_code((enum reason)r));
	}
	return 0;
}

static int
decision_insert(struct store *st, const struct store_decision_spec *d,
    const char *sender, const char *reasons, time_t now, int64_t *id)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = prep(st, &s, "INSERT INTO decisions (decided_at, source, "
	    "source_ref, message_id, sender, partner_id, type, outcome, "
	    "reasons, queue, nir_pseudonym) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) != STORE_OK)
		return rc;
	bind_ts(s, 1, now);
	bind_text(s, 2, d->source);
	bind_text(s, 3, d->source_ref);
	bind_text(s, 4, d->message_id);
	bind_text(s, 5, sender);
	bind_text(s, 6, d->partner_id);
	bind_text(s, 7, d->type);
	bind_text(s, 8, outcome_name(d->outcome));
	bind_text(s, 9, reasons);
	bind_text(s, 10, d->queue);
	bind_text(s, 11, d->nir_pseudonym);
	if (sqlite3_step(s) != SQLITE_DONE) {
		if (sqlite3_extended_errcode(st->db) ==
		    SQLITE_CONSTRAINT_UNIQUE)
			rc = store_seterr(st, STORE_EXISTS, "message %s:%s "
			    "was already decided", d->source, d->source_ref);
		else
			rc = store_sqlerr(st, "decision insert");
	} else {
		*id = sqlite3_last_insert_rowid(st->db);
	}
	sqlite3_finalize(s);
	return rc;
}

static int
outbox_insert(struct store *st, int64_t decision_id,
    const struct store_notice *n, time_t now)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = prep(st, &s, "INSERT INTO outbox (decision_id, created_at, "
	    "recipient, subject, body, status, attempts, next_attempt_at) "
	    "VALUES (?, ?2, ?, ?, ?, 'pending', 0, ?2)")) != STORE_OK)
		return rc;
	sqlite3_bind_int64(s, 1, decision_id);
	bind_ts(s, 2, now);
	bind_text(s, 3, n->recipient);
	bind_text(s, 4, n->subject);
	bind_text(s, 5, n->body);
	return step_done(st, s, "outbox insert");
}

int
store_decision_record(struct store *st, const struct store_decision_spec *d,
    const struct store_notice *notice, const char *actor, time_t now,
    int64_t *idp)
{
	struct buf reasons = BUF_INIT, detail = BUF_INIT, obj = BUF_INIT;
	char *sender = NULL;
	int64_t id = 0;
	int rc;

	if (is_blank(d->source) || is_blank(d->source_ref))
		return store_seterr(st, STORE_REFUSED, "decision: source and "
		    "source_ref required");
	if (is_blank(d->queue))
		return store_seterr(st, STORE_REFUSED, "decision: queue "
		    "required");
	if (outcome_name(d->outcome) == NULL)
		return store_seterr(st, STORE_REFUSED, "decision: bad "
		    "outcome %d", (int)d->outcome);
	/* Never let anything but a pseudonym reach this column. */
	if (d->nir_pseudonym != NULL && !is_hex64(d->nir_pseudonym))
		return store_seterr(st, STORE_REFUSED, "decision: the NIR "
		    "pseudonym must be 64 lower-case hex digits");
	if (notice != NULL && (is_blank(notice->recipient) ||
	    notice->subject == NULL || notice->body == NULL))
		return store_seterr(st, STORE_REFUSED, "decision: a notice "
		    "needs a recipient, a subject and a body");
	if (reasons_text(d->reasons, &reasons) == -1) {
		buf_free(&reasons);
		return store_seterr(st, STORE_REFUSED, "decision: unknown "
		    "reason bit in 0x%" PRIx32, (uint32_t)d->reasons);
	}
	if (d->sender != NULL && (sender = lower_trim(d->sender)) == NULL) {
		rc = oom(st);
		goto done;
	}

	if ((rc = store_tx_begin(st)) != STORE_OK)
		goto done;
	if ((rc = decision_insert(st, d, sender, buf_str(&reasons), now, &id))
	    != STORE_OK)
		goto out;
	if (notice != NULL &&
	    (rc = outbox_insert(st, id, notice, now)) != STORE_OK)
		goto out;
	buf_printf(&obj, "decision/%" PRId64, id);
	buf_printf(&detail, "source=%s; ref=%s; outcome=%s; reasons=%s; "
	    "type=%s; partner=%s; sender=%s; queue=%s; notice=%s", d->source,
	    d->source_ref, outcome_name(d->outcome), buf_str(&reasons),
	    d->type ? d->type : "(none)",
	    d->partner_id ? d->partner_id : "(none)",
	    sender ? sender : "(none)", d->queue, notice ? "yes" : "no");
	rc = obj.failed || detail.failed || reasons.failed ? oom(st) :
	    store_audit_append(st, "decision", actor, "decision.record",
	    buf_str(&obj), buf_str(&detail), now);
out:
	rc = tx_end(st, rc);
	if (rc == STORE_OK && idp != NULL)
		*idp = id;
done:
	free(sender);
	buf_free(&reasons);
	buf_free(&detail);
	buf_free(&obj);
	return rc;
}

int
store_decision_find(struct store *st, const char *source,
    const char *source_ref, struct store_decision *out)
{
	sqlite3_stmt *s;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = prep(st, &s, "SELECT " DECISION_COLS " FROM decisions "
	    "WHERE source = ? AND source_ref = ?")) != STORE_OK)
		return rc;
	bind_text(s, 1, source);
	bind_text(s, 2, source_ref);
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		rc = decision_from_row(s, out) == 0 ? STORE_OK : oom(st);
		break;
	case SQLITE_DONE:
		rc = store_seterr(st, STORE_NOTFOUND, "no decision for %s:%s",
		    source ? source : "", source_ref ? source_ref : "");
		break;
	default:
		rc = store_sqlerr(st, "decision find");
	}
	sqlite3_finalize(s);
	return rc;
}

int
store_decision_list(struct store *st, const struct store_decision_filter *f,
    struct store_decision_list *out)
{
	sqlite3_stmt *s;
	char *sender = NULL;
	size_t cap = 0;
	int rc, step;

	out->v = NULL;
	out->n = 0;
	if (f != NULL && f->sender != NULL &&
	    (sender = lower_trim(f->sender)) == NULL)
		return oom(st);
	if ((rc = prep(st, &s, "SELECT " DECISION_COLS " FROM decisions "
	    "WHERE (?1 IS NULL OR partner_id = ?1) AND "
	    "(?2 IS NULL OR sender = ?2) ORDER BY id DESC LIMIT ?3"))
	    != STORE_OK) {
		free(sender);
		return rc;
	}
	bind_text(s, 1, f != NULL ? f->partner_id : NULL);
	bind_text(s, 2, sender);
	sqlite3_bind_int64(s, 3, f != NULL && f->limit ?
	    (sqlite3_int64)f->limit : -1);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (ARRAY_RESERVE(out->v, cap, out->n) ||
		    decision_from_row(s, &out->v[out->n]) == -1) {
			rc = oom(st);
			break;
		}
		out->n++;
	}
	if (rc == STORE_OK && step != SQLITE_DONE)
		rc = store_sqlerr(st, "decision list");
	sqlite3_finalize(s);
	free(sender);
	if (rc != STORE_OK)
		store_decision_list_free(out);
	return rc;
}

/* ---- outbox ----------------------------------------------------------- */

void
store_outbox_list_free(struct store_outbox_list *l)
{
	struct store_outbox_item *it;
	size_t i;

	for (i = 0; i < l->n; i++) {
		it = &l->v[i];
		free(it->created_at);
		free(it->recipient);
		free(it->subject);
		free(it->body);
		free(it->status);
		free(it->next_attempt_at);
		free(it->last_error);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int
store_outbox_pending(struct store *st, time_t now, size_t limit,
    struct store_outbox_list *out)
{
	struct store_outbox_item *it;
	sqlite3_stmt *s;
	size_t cap = 0;
	int rc, step, fail = 0;

	out->v = NULL;
	out->n = 0;
	if ((rc = prep(st, &s, "SELECT id, decision_id, created_at, "
	    "recipient, subject, body, status, attempts, next_attempt_at, "
	    "last_error FROM outbox WHERE status = 'pending' AND "
	    "next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?"))
	    != STORE_OK)
		return rc;
	bind_ts(s, 1, now);
	sqlite3_bind_int64(s, 2, limit ? (sqlite3_int64)limit : -1);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (ARRAY_RESERVE(out->v, cap, out->n)) {
			rc = oom(st);
			break;
		}
		it = &out->v[out->n++];
		it->id = sqlite3_column_int64(s, 0);
		it->decision_id = sqlite3_column_int64(s, 1);
		it->created_at = col_str0(s, 2, &fail);
		it->recipient = col_str0(s, 3, &fail);
		it->subject = col_str0(s, 4, &fail);
		it->body = col_str0(s, 5, &fail);
		it->status = col_str0(s, 6, &fail);
		it->attempts = sqlite3_column_int(s, 7);
		it->next_attempt_at = col_str0(s, 8, &fail);
		it->last_error = col_str(s, 9, &fail);
		if (fail) {
			rc = oom(st);
			break;
		}
	}
	if (rc == STORE_OK && step != SQLITE_DONE)
		rc = store_sqlerr(st, "outbox pending");
	sqlite3_finalize(s);
	if (rc != STORE_OK)
		store_outbox_list_free(out);
	return rc;
}

static int
outbox_changed(struct store *st, int64_t id)
{
	if (sqlite3_changes(st->db) == 0)
		return store_seterr(st, STORE_NOTFOUND, "no pending notice %"
		    PRId64, id);
	return STORE_OK;
}

int
store_outbox_sent(struct store *st, int64_t id, time_t now)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = prep(st, &s, "UPDATE outbox SET status = 'sent', "
	    "attempts = attempts + 1, next_attempt_at = ? "
	    "WHERE id = ? AND status = 'pending'")) != STORE_OK)
		return rc;
	bind_ts(s, 1, now);
	sqlite3_bind_int64(s, 2, id);
	if ((rc = step_done(st, s, "outbox sent")) != STORE_OK)
		return rc;
	return outbox_changed(st, id);
}

int
store_outbox_failed(struct store *st, int64_t id, const char *error,
    time_t retry_at)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = prep(st, &s, "UPDATE outbox SET attempts = attempts + 1, "
	    "last_error = ?, status = CASE WHEN ?2 IS NULL THEN 'failed' "
	    "ELSE 'pending' END, next_attempt_at = coalesce(?2, "
	    "next_attempt_at) WHERE id = ?3 AND status = 'pending'"))
	    != STORE_OK)
		return rc;
	bind_text(s, 1, error != NULL ? error : "");
	if (retry_at == (time_t)-1)
		sqlite3_bind_null(s, 2);
	else
		bind_ts(s, 2, retry_at);
	sqlite3_bind_int64(s, 3, id);
	if ((rc = step_done(st, s, "outbox failed")) != STORE_OK)
		return rc;
	return outbox_changed(st, id);
}
