/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store - opening the sqlite store, its configuration and schema
 * migrations, and the value helpers the store's files share (see
 * include/balp/store.h).  Errors, the statement cache, the checked binds
 * and columns and the transactions are store_sql.c's; the other parts
 * (store_audit.c, store_partner.c, store_decision.c...): docs/store.md.
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
 * Ownership: the store owns its error message; helpers returning strings
 * say who frees them (store_priv.h).  Failure: a status from enum
 * store_status, message in store_errmsg().
 */
#include "balp/store.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "balp/date.h"
#include "balp/text.h"
#include "store_priv.h"

#define STORE_BUSY_TIMEOUT_MS	10000

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
	/*
	 * 2: a habilitation is a list of periods (DESIGN.md: importing
	 * someone who had been ended opens a new period beside the old one,
	 * and `person list --at` answers for any past day).  Each person
	 * row's dates become its first period; the row keeps the dates of
	 * its latest period, which the quota, the lists and the export
	 * read.  No audit row: the chain is left exactly as it was.
	 */
	"CREATE TABLE hab_periods ("
	"  id INTEGER PRIMARY KEY,"
	"  person_id INTEGER NOT NULL REFERENCES persons(id),"
	"  hab_start TEXT NOT NULL,"
	"  hab_end TEXT,"
	"  created_at TEXT NOT NULL"
	");"
	"CREATE INDEX hab_periods_person ON hab_periods(person_id, hab_start);"
	"INSERT INTO hab_periods (person_id, hab_start, hab_end, created_at)"
	"  SELECT id, hab_start, hab_end, created_at FROM persons ORDER BY id;",
	/*
	 * 3: messages an admin acts on (store_message.h).  A retriage sends
	 * a message back to the inbox under a new name; the decision taken
	 * on that name supersedes the old one.  A release moves a message
	 * to another queue on an admin's word.
	 */
	"ALTER TABLE decisions ADD COLUMN supersedes INTEGER"
	"  REFERENCES decisions(id);"
	"CREATE TABLE retriages ("
	"  id INTEGER PRIMARY KEY,"
	"  decision_id INTEGER NOT NULL UNIQUE REFERENCES decisions(id),"
	"  source TEXT NOT NULL,"
	"  new_ref TEXT NOT NULL,"
	"  at TEXT NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  reason TEXT NOT NULL,"
	"  UNIQUE (source, new_ref)"
	");"
	"CREATE TABLE releases ("
	"  id INTEGER PRIMARY KEY,"
	"  decision_id INTEGER NOT NULL REFERENCES decisions(id),"
	"  at TEXT NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  from_queue TEXT NOT NULL,"
	"  to_queue TEXT NOT NULL,"
	"  reason TEXT NOT NULL"
	");"
	"CREATE INDEX releases_decision ON releases(decision_id, id);"
	"CREATE INDEX decisions_message_id ON decisions(message_id, id);",
	/*
	 * 4: the second key of a decision (docs/imap.md): a keyed hash of
	 * the message's header section, so that a message the source names
	 * anew (an IMAP UIDVALIDITY change) is not decided twice.  Unique
	 * among first decisions; an admin's retriage decides it again.
	 */
	"ALTER TABLE decisions ADD COLUMN header_key TEXT CHECK ("
	"  header_key IS NULL OR (length(header_key) = 64"
	"  AND header_key NOT GLOB '*[^0-9a-f]*'));"
	"CREATE UNIQUE INDEX decisions_header_key ON decisions(header_key)"
	"  WHERE header_key IS NOT NULL AND supersedes IS NULL;",
	/*
	 * 5: the audit chain is keyed (docs/store.md, "The audit chain"):
	 * rows from now on are hashed with the audit key, their content
	 * apart from their link, so that a purge can destroy a row's content
	 * and leave the chain verifiable (purged: the id of the audit.purge
	 * row that destroyed it).  The rows written before stay as they
	 * were, verified without the key; how many they are is kept here,
	 * and the first keyed row repeats it under the key.
	 */
	"ALTER TABLE audit ADD COLUMN keyed INTEGER NOT NULL DEFAULT 0"
	"  CHECK (keyed IN (0, 1));"
	"ALTER TABLE audit ADD COLUMN content_hash TEXT;"
	"ALTER TABLE audit ADD COLUMN purged INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE audit_keying (legacy_rows INTEGER NOT NULL);"
	"INSERT INTO audit_keying SELECT coalesce(max(id), 0) FROM audit;",
	/*
	 * 6: what a decision's reasons found, part by part
	 * (store_decision.h, docs/store.md): which parts were not inspected
	 * and why, what each forbidden part holds.  Never a file name nor a
	 * Subject: no NIR, no beneficiary name.  A row only for decisions
	 * that found something; purged with its decision.
	 */
	"CREATE TABLE decision_findings ("
	"  decision_id INTEGER PRIMARY KEY REFERENCES decisions(id),"
	"  findings TEXT NOT NULL"
	");",
	/*
	 * 7: a partner's BALP referents (convention art. 6: the one
	 * who sends the annex's updates), one row per address; and the
	 * indexes the lookups by decision need: superseded_by() and the
	 * retriage's checks ask who supersedes a decision, store_audit_of()
	 * and audit verify ask for the rows about one object.
	 */
	"CREATE TABLE partner_referents ("
	"  id INTEGER PRIMARY KEY,"
	"  partner_id TEXT NOT NULL REFERENCES partners(id),"
	"  email TEXT NOT NULL,"
	"  created_at TEXT NOT NULL,"
	"  UNIQUE (partner_id, email)"
	");"
	"CREATE INDEX partner_referents_email ON partner_referents(email);"
	"CREATE INDEX decisions_supersedes ON decisions(supersedes)"
	"  WHERE supersedes IS NOT NULL;"
	"CREATE INDEX audit_object ON audit(object, id);",
	/*
	 * 8: suspensions keep their history, like the habilitation
	 * periods (`person list --at` and a decision answer for the day
	 * asked): a person's, and a partner's, from its first day to its
	 * last (NULL: open), with its reason.  The suspended/suspend_reason
	 * columns stay as the open one's, which the lists and the quota
	 * read.  A suspension of before this step becomes an open one from
	 * the day of its audit row (person.suspend, partner.suspend), else
	 * (a purged row) the day of the person row's last change or the
	 * partner's creation.  No audit row: the chain is left as it was.
	 */
	"CREATE TABLE suspensions ("
	"  id INTEGER PRIMARY KEY,"
	"  person_id INTEGER NOT NULL REFERENCES persons(id),"
	"  first_day TEXT NOT NULL,"
	"  last_day TEXT,"
	"  reason TEXT NOT NULL,"
	"  created_at TEXT NOT NULL,"
	"  resumed_at TEXT"
	");"
	"CREATE INDEX suspensions_person ON suspensions(person_id, first_day);"
	"INSERT INTO suspensions (person_id, first_day, reason, created_at)"
	"  SELECT p.id, coalesce((SELECT substr(a.at, 1, 10) FROM audit a"
	"  WHERE a.action = 'person.suspend' AND a.object = p.partner_id ||"
	"  '/' || p.email ORDER BY a.id DESC LIMIT 1),"
	"  substr(p.updated_at, 1, 10)), coalesce(p.suspend_reason, ''),"
	"  p.updated_at FROM persons p WHERE p.suspended = 1 ORDER BY p.id;"
	"CREATE TABLE partner_suspensions ("
	"  id INTEGER PRIMARY KEY,"
	"  partner_id TEXT NOT NULL REFERENCES partners(id),"
	"  first_day TEXT NOT NULL,"
	"  last_day TEXT,"
	"  reason TEXT NOT NULL,"
	"  created_at TEXT NOT NULL,"
	"  resumed_at TEXT"
	");"
	"CREATE INDEX partner_suspensions_partner ON"
	"  partner_suspensions(partner_id, first_day);"
	"INSERT INTO partner_suspensions (partner_id, first_day, reason,"
	"  created_at)"
	"  SELECT pa.id, coalesce((SELECT substr(a.at, 1, 10) FROM audit a"
	"  WHERE a.action = 'partner.suspend' AND a.object = pa.id"
	"  ORDER BY a.id DESC LIMIT 1), substr(pa.created_at, 1, 10)),"
	"  coalesce(pa.suspend_reason, ''), pa.created_at FROM partners pa"
	"  WHERE pa.suspended = 1 ORDER BY pa.id;",
	/*
	 * 9 (issue 20): the console's accounts (store_user.h).  The
	 * login is unique whatever its case (alice and Alice would be one
	 * person to the eye); the password is only ever its Argon2id string
	 * (crypto_pwhash_str); failures and locked_until are for the
	 * console's lockout.  Not a table audit verify compares: the audit
	 * rows (user.add, user.passwd, user.disable) name the login and the
	 * role, never the hash.
	 */
	"CREATE TABLE users ("
	"  id INTEGER PRIMARY KEY,"
	"  login TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	"  name TEXT NOT NULL DEFAULT '',"
	"  role TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'dpo')),"
	"  password_hash TEXT NOT NULL,"
	"  must_change INTEGER NOT NULL DEFAULT 1,"
	"  disabled INTEGER NOT NULL DEFAULT 0,"
	"  failures INTEGER NOT NULL DEFAULT 0,"
	"  locked_until TEXT,"
	"  created_at TEXT NOT NULL,"
	"  updated_at TEXT NOT NULL"
	");",
	/*
	 * 10 (issue 19): the envelope of a message taken over LMTP (the
	 * decision's source is "lmtp"): MAIL FROM and the RCPTs Postfix
	 * gave, one row per such decision, purged with it.  Addresses of a
	 * partner's staff and of the BALP only.
	 */
	"CREATE TABLE decision_envelopes ("
	"  decision_id INTEGER PRIMARY KEY REFERENCES decisions(id),"
	"  sender TEXT NOT NULL,"
	"  recipients TEXT NOT NULL"
	");",
	/*
	 * 11 (issue 21): annexes mailed by a partner's referent, staged
	 * until an admin approves or rejects them (store_staged.h): the
	 * file's rows (the partner's own staff list), its digest, its diff
	 * against the annex in force when staged (rendered, counted, and
	 * keyed by its changes), who sent it, the decision of its mail (no
	 * foreign key: a purge of the traces keeps the staged record), and
	 * who approved or rejected it, when and why.
	 */
	"CREATE TABLE staged_annexes ("
	"  id INTEGER PRIMARY KEY,"
	"  partner_id TEXT NOT NULL REFERENCES partners(id),"
	"  sender TEXT NOT NULL,"
	"  decision_id INTEGER NOT NULL,"
	"  received_at TEXT NOT NULL,"
	"  file_digest TEXT NOT NULL,"
	"  encoding TEXT NOT NULL,"
	"  n_rows INTEGER NOT NULL,"
	"  errors TEXT,"
	"  added INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL,"
	"  ended INTEGER NOT NULL,"
	"  unchanged INTEGER NOT NULL,"
	"  new_periods INTEGER NOT NULL,"
	"  force_needed INTEGER NOT NULL,"
	"  diff TEXT NOT NULL,"
	"  plan_key TEXT NOT NULL,"
	"  status TEXT NOT NULL DEFAULT 'pending'"
	"    CHECK (status IN ('pending', 'approved', 'rejected')),"
	"  decided_by TEXT,"
	"  decided_at TEXT,"
	"  reason TEXT"
	");"
	"CREATE INDEX staged_annexes_status ON staged_annexes(status, id);"
	"CREATE TABLE staged_annex_rows ("
	"  staged_id INTEGER NOT NULL REFERENCES staged_annexes(id),"
	"  line INTEGER NOT NULL,"
	"  last_name TEXT NOT NULL,"
	"  first_name TEXT NOT NULL,"
	"  email TEXT NOT NULL,"
	"  job_title TEXT NOT NULL,"
	"  start_day TEXT NOT NULL,"
	"  end_day TEXT,"
	"  PRIMARY KEY (staged_id, line)"
	");",
	/*
	 * 12 (issue 20): the console's sessions (store_session.h), each kept
	 * as the hash of its id, never the id; times in seconds since the
	 * epoch, for the idle and absolute expiry.  failures_since opens the
	 * lockout's fifteen minutes.  Deleting an account is not done (it is
	 * disabled), so a session never outlives its user row.
	 */
	"CREATE TABLE sessions ("
	"  id_hash TEXT PRIMARY KEY,"
	"  user_id INTEGER NOT NULL REFERENCES users(id),"
	"  created_at INTEGER NOT NULL,"
	"  seen_at INTEGER NOT NULL"
	");"
	"CREATE INDEX sessions_user ON sessions(user_id);"
	"ALTER TABLE users ADD COLUMN failures_since TEXT;"
	/* A decision's page lists its notices (store_outbox_of). */
	"CREATE INDEX outbox_decision ON outbox(decision_id);",
	/*
	 * 13 (issue 20): the console's indexes.  The dashboard counts each
	 * queue's messages and finds its oldest by decisions_queue
	 * (store_queue_summary), instead of reading every decision of six
	 * months (4.5 s on a million, tests/bench/web.sh); a search by a
	 * period alone reads that period by decisions_decided
	 * (store_decision_list), not the table from its newest row.
	 */
	/* (parenthesised: clang takes two literals for a missed comma) */
	("CREATE INDEX decisions_queue ON decisions(queue, decided_at);"
	"CREATE INDEX decisions_decided ON decisions(decided_at);"),
	/*
	 * 14: a message's decisions by its header key, the latest first
	 * (store_decision_find_by_key, asked for every new message at
	 * delivery time and by the drain).  The unique index of 4 holds
	 * first decisions only, so it cannot answer "header_key = ?": the
	 * query read the whole table from its newest row, for every new
	 * message (0.4 ms a message with 4,000 decisions, growing with
	 * them; tests/bench/lmtp.sh's runs got slower one after another).
	 */
	"CREATE INDEX decisions_header_key_all ON decisions(header_key, id)"
	"  WHERE header_key IS NOT NULL;",
	/*
	 * 15: a staged annex's changes as staged, value by value (its
	 * plan: kind, file line, email, the fields an update changes, the
	 * values after and before), so that the console says them in
	 * French (web_plan.h) and balpctl in English: `diff` holds only
	 * balpctl's text.  changes_kept is 1 for an annex staged since; one
	 * staged before has its diff alone.  The unchanged persons are not
	 * kept (counted in `unchanged`).  Purged with their staged annex.
	 */
	"ALTER TABLE staged_annexes ADD COLUMN changes_kept INTEGER NOT NULL"
	"  DEFAULT 0;"
	"CREATE TABLE staged_annex_changes ("
	"  staged_id INTEGER NOT NULL REFERENCES staged_annexes(id),"
	"  seq INTEGER NOT NULL,"
	"  kind TEXT NOT NULL"
	"    CHECK (kind IN ('add', 'update', 'end', 'new_period')),"
	"  line INTEGER NOT NULL,"
	"  email TEXT NOT NULL,"
	"  changed INTEGER NOT NULL,"
	"  last_name TEXT NOT NULL,"
	"  first_name TEXT NOT NULL,"
	"  job_title TEXT NOT NULL,"
	"  start_day TEXT,"
	"  end_day TEXT,"
	"  old_last_name TEXT,"
	"  old_first_name TEXT,"
	"  old_job_title TEXT,"
	"  old_start_day TEXT,"
	"  old_end_day TEXT,"
	"  PRIMARY KEY (staged_id, seq)"
	");",
};

#define N_MIGRATIONS	((int)(sizeof(migrations) / sizeof(migrations[0])))

/* ---- shared helpers ----------------------------------------------------- */

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

int
is_blank(const char *s)
{
	if (s == NULL)
		return 1;
	for (; *s != '\0'; s++)
		if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
			return 0;
	return 1;
}

char *
clean(const char *s)
{
	return text_clean(s != NULL ? s : "", s != NULL ? strlen(s) : 0);
}

char *
lower_trim(const char *s)
{
	return text_lower_trim(s);
}

const char *
actor_or_default(const char *actor)
{
	return actor != NULL && *actor != '\0' ? actor : "unknown";
}

int
store_email_canon(const char *in, char **out)
{
	int rc;

	if ((rc = text_email_canon(in, out)) == -1)
		return STORE_ERROR;
	return rc == 0 ? STORE_OK : STORE_REFUSED;
}

int
store_access_explain(const char *path, int errnum, const char *admin_group,
    struct buf *err)
{
	struct passwd *pw;
	struct group *gr;
	struct stat sb;
	char *dir, *p;
	const char *what = path;

	if (errnum == ENOENT)
		return 0;
	if (errnum != EACCES && errnum != EPERM) {
		buf_printf(err, "%s: %s", path, strerror(errnum));
		return 1;
	}
	/* The first folder on the way this user cannot enter. */
	if ((dir = strdup(path)) != NULL) {
		for (p = strchr(dir + 1, '/'); p != NULL;
		    p = strchr(p + 1, '/')) {
			*p = '\0';
			if (access(dir, X_OK) == -1 && errno == EACCES) {
				what = dir;
				break;
			}
			*p = '/';
		}
	}
	buf_printf(err, "permission denied: %s", what);
	if (stat(what, &sb) == 0) {
		gr = getgrgid(sb.st_gid);
		buf_printf(err, " (mode %04o, group %s)",
		    (unsigned)(sb.st_mode & 07777), gr != NULL ? gr->gr_name :
		    "?");
	}
	pw = getpwuid(getuid());
	buf_printf(err, " is closed to '%s': ", pw != NULL ? pw->pw_name :
	    "this user");
	if (admin_group != NULL)
		buf_printf(err, "the store is for root and the members of "
		    "group '%s' (access.admin_group)", admin_group);
	else
		buf_printf(err, "the store is its owner's (access.admin_group "
		    "is not set)");
	if (what != path)
		buf_printf(err, "; it holds %s", path);
	free(dir);
	return 1;
}

/* ---- opening and migrations ------------------------------------------- */

/* One-shot statements (configuration): prepared once per connection. */
static int
exec(struct store *st, const char *sql, const char *what)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return store_sqlerr(st, what);
	return STORE_OK;
}

static int
user_version(struct store *st, int *v)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = stmt_get(st, STMT_USER_VERSION, "PRAGMA user_version", &s))
	    != STORE_OK)
		return rc;
	if (sqlite3_step(s) == SQLITE_ROW)
		*v = sqlite3_column_int(s, 0);
	else
		rc = store_sqlerr(st, "user_version");
	stmt_done(s);
	return rc;
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
			return store_tx_end(st, rc);
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
			return store_tx_end(st, STORE_ERROR);
		}
		if ((rc = store_tx_end(st, STORE_OK)) != STORE_OK)
			return rc;
	}
}

/* Runs a PRAGMA and checks its one-row answer when want is not NULL. */
static int
pragma(struct store *st, const char *sql, const char *want)
{
	sqlite3_stmt *s;
	const char *got;
	int rc = STORE_OK, step;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		sqlite3_finalize(s);
		return store_sqlerr(st, sql);
	}
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
configure(struct store *st, int readonly)
{
	sqlite3_stmt *s;
	int rc;

	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, STORE_BUSY_TIMEOUT_MS);
	/* No schema tampering through SQL, no functions from the schema. */
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0,
	    (int *)NULL);
	/*
	 * WAL with synchronous FULL: every COMMIT is durable (one fdatasync
	 * of the log), which the pipeline relies on before moving a message.
	 */
	/* Read-only: the mode is the file's, an old store's may not be WAL. */
	if ((rc = readonly ? pragma(st, "PRAGMA journal_mode", NULL) :
	    pragma(st, "PRAGMA journal_mode = WAL", "wal")) != STORE_OK ||
	    (rc = pragma(st, "PRAGMA foreign_keys = ON", NULL)) != STORE_OK ||
	    (rc = pragma(st, "PRAGMA foreign_keys", "1")) != STORE_OK ||
	    (rc = pragma(st, "PRAGMA synchronous = FULL", NULL)) != STORE_OK ||
	    (rc = pragma(st, "PRAGMA synchronous", "2")) != STORE_OK ||
	    /* Purged rows must not linger in free pages. */
	    (rc = pragma(st, "PRAGMA secure_delete = ON", NULL)) != STORE_OK)
		return rc;
	/* See store_tx_rollback: it must never have to prepare. */
	return stmt_get(st, STMT_ROLLBACK, "ROLLBACK", &s);
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
	if (sodium_init() < 0) {
		if (err != NULL)
			buf_printf(err, "store: libsodium init failed");
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
	if (configure(st, 0) != STORE_OK || migrate(st) != STORE_OK) {
		if (err != NULL)
			buf_printf(err, "%s: %s", path, store_errmsg(st));
		store_close(st);
		return STORE_ERROR;
	}
	*out = st;
	return STORE_OK;
}

int
store_open_readonly(const char *path, struct store **out, struct buf *err)
{
	struct store *st;
	int v = -1, flags;

	*out = NULL;
	if (path == NULL || *path == '\0' || sodium_init() < 0) {
		if (err != NULL)
			buf_printf(err, "store: no database path");
		return STORE_ERROR;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		if (err != NULL)
			buf_printf(err, "out of memory");
		return STORE_ERROR;
	}
	buf_init(&st->err);
	flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW;
#ifdef SQLITE_OPEN_EXRESCODE
	flags |= SQLITE_OPEN_EXRESCODE;
#endif
	if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK ||
	    configure(st, 1) != STORE_OK || user_version(st, &v) != STORE_OK) {
		if (err != NULL)
			buf_printf(err, "%s: %s", path, st->db == NULL ?
			    "cannot open" : buf_str(&st->err)[0] != '\0' ?
			    store_errmsg(st) : sqlite3_errmsg(st->db));
		store_close(st);
		return STORE_ERROR;
	}
	if (v != N_MIGRATIONS) {
		if (err != NULL && v < N_MIGRATIONS)
			buf_printf(err, "%s: the store is at schema version %d, "
			    "this program's is %d: run `balpctl init` to "
			    "upgrade it (this command only reads it)", path, v,
			    N_MIGRATIONS);
		else if (err != NULL)
			buf_printf(err, "%s: database schema version %d is "
			    "newer than this program's (%d)", path, v,
			    N_MIGRATIONS);
		store_close(st);
		return STORE_REFUSED;
	}
	*out = st;
	return STORE_OK;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	stmt_finalize_all(st);
	if (st->db != NULL)
		sqlite3_close_v2(st->db);
	sodium_memzero(st->audit_key, sizeof(st->audit_key));
	free(st->audit_key_path);
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
