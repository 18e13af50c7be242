/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_audit - the audit trail: ONE table of hash-chained rows, appended in
 * the transaction of the change each one records (see store_priv.h), read
 * and verified here.
 *
 * Chain (docs/store.md): hash = hex(BLAKE2b-256(prev_hash || netstring(id)
 * || netstring(at, kind, actor, action, object, detail))), each field a
 * netstring "<len>:<bytes>,", the first prev_hash 64 '0'.  Since schema 5
 * the BLAKE2b is keyed with the audit key (a 0600 file, keyfile.h's
 * format): whoever can write the database but not read the key can no
 * longer edit a row and hash the chain again.  Rows written before schema
 * 5 stay unkeyed, verified as they were.
 *
 * A row edited, deleted, inserted or moved behind the store's back breaks
 * the chain from that row on.  Rows cut from the end leave a shorter chain
 * that verifies: an anchor (the head's hash, kept outside the machine)
 * is what shows them.
 *
 * Errors, ownership: as store.h says.
 */
#ifndef BALP_STORE_AUDIT_H
#define BALP_STORE_AUDIT_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "balp/buf.h"
#include "balp/store.h"

struct store_audit_row {
	int64_t		 id;
	char		*at;
	char		*kind;		/* "decision" or "admin" */
	char		*actor;
	char		*action;	/* "partner.add", "decision.record" */
	char		*object;
	char		*detail;
	char		*prev_hash;
	char		*hash;
};

struct store_audit_list {
	struct store_audit_row	*v;
	size_t			 n;
};

/*
 * The key rows are hashed with from now on; copied and kept (wiped at
 * close): for tests.  Every process that writes to the store sets a key,
 * this way or from its file (store_audit_key_load): an append without one
 * is refused (STORE_ERROR, "audit key not loaded").
 */
void	 store_audit_key(struct store *,
	    const unsigned char key[STORE_AUDIT_KEY_LEN]);
/*
 * The key from its 0600 file (keyfile_load_shared's checks: 0640 too when
 * its group is admin_gid, the configured admin group, (gid_t)-1 for
 * none): read now to check it and wiped at once, then read again at the
 * first append of each write transaction and at each store_audit_check,
 * and wiped at COMMIT, ROLLBACK or the check's end: never kept between
 * two (docs/sandbox.md, "Secrets").  0, or -1 with err set (one line
 * naming the file, never the key); a later read that fails makes that
 * write or check fail with the same line.
 */
int	 store_audit_key_load(struct store *, const char *path,
	    gid_t admin_gid, struct buf *err);

/* What store_audit_check found first. */
enum store_audit_break {
	STORE_AUDIT_INTACT = 0,
	STORE_AUDIT_EDITED,	/* the row's hash is not its content's */
	STORE_AUDIT_LINK,	/* its prev_hash is not the row before's hash:
				   rows inserted, moved, or the first deleted */
	STORE_AUDIT_GAP,	/* ids jump before it: rows deleted */
	STORE_AUDIT_UNKEYED,	/* hashed without the key in a keyed chain */
	STORE_AUDIT_LEGACY,	/* the count of rows from before the key was
				   changed */
	STORE_AUDIT_PURGE,	/* rows emptied that their purge row does
				   not list (balpctl purge): named at the
				   purge row, or at the first such row when
				   the purge row is missing */
	STORE_AUDIT_ANCHOR,	/* the anchor is not in the chain: rows cut
				   from the end, or the chain rewritten */
	STORE_AUDIT_RECORD,	/* a decision, outbox, retriage or release
				   row does not agree with the audit row
				   that recorded it (edited, inserted, or
				   kept past its purge): report.record
				   names it and the field */
};

struct store_audit_report {
	enum store_audit_break	 why;
	int64_t			 bad_id;	/* the first broken row, or 0 */
	int64_t			 rows;		/* rows read */
	int64_t			 legacy_rows;	/* unkeyed, before schema 5 */
	int64_t			 purged_rows;	/* emptied by purges */
	int64_t			 head_id;	/* the last row read */
	char			 head_hash[STORE_HASH_HEX_LEN + 1];
	/* store_audit_check_from: the row the walk went on from (0: it
	 * walked the chain whole); rows counts those after it. */
	int64_t			 from_id;
	/*
	 * STORE_AUDIT_RECORD: "decision 12 does not agree with audit row 40
	 * that recorded it: outcome is 'accepted' in the table,
	 * 'quarantined' in the audit row" (bad_id: that audit row, or 0).
	 * Never a free text an admin typed, never a NIR.
	 */
	char			 record[320];
};

/*
 * Walks the whole chain and reports the first break (r->why); the chain
 * intact, checks that every decision, outbox, retriage and release row
 * agrees with the audit row that recorded it (STORE_AUDIT_RECORD).  anchor
 * (NULL: none) is a head hash printed earlier (`balpctl audit anchor`):
 * the chain must still hold that row.  Keyed rows need the key
 * (store_audit_key).  Returns 0 if intact, 1 if broken, -1 on error
 * (store_errmsg).
 */
int	 store_audit_check(struct store *, const char *anchor,
	    struct store_audit_report *r);
/* Decisions, outbox, retriages, releases: the tables audit rows record. */
#define STORE_AUDIT_RECORD_TABLES	4

/*
 * Where a check found the chain intact, for the next to go on from
 * (balpweb's watch, every 5 minutes, where the whole chain takes seconds
 * of a core): the last row verified and its hash, and the last row of
 * each recorded table compared with its audit row.  All zero: none yet.
 */
struct store_audit_mark {
	int64_t		 id;
	char		 hash[STORE_HASH_HEX_LEN + 1];
	int64_t		 legacy_rows;	/* audit_keying's, as it was */
	int		 seen_keyed;	/* a keyed row among those verified */
	int64_t		 records[STORE_AUDIT_RECORD_TABLES];
};

/*
 * store_audit_check (no anchor) of what came since mark: the rows after
 * mark->id, the first linked to mark->hash, and the decisions, notices,
 * retriages and releases after those compared.  The chain is walked
 * whole instead (r->from_id 0) when mark is all zero, when the mark's
 * row is no longer there with that hash, when the count of rows from
 * before the key changed, and when a purge row comes after the mark (a
 * purge empties rows before it: only the whole walk checks them against
 * it).  An edit of a row before the mark, or of a recorded row already
 * compared, is not seen here: the whole walk sees it (the caller runs it
 * now and then by zeroing the mark: balpweb once a day).  Intact, *mark
 * is moved to the last row verified; broken or failed, it stays.
 * Returns as store_audit_check.
 */
int	 store_audit_check_from(struct store *, struct store_audit_mark *mark,
	    struct store_audit_report *r);
/* One line for a break, e.g. "row 12 was edited"; static. */
const char *store_audit_break_str(enum store_audit_break);
/*
 * One admin row for what changes nothing else: a trace query (action
 * "trace.query", detail its filters and row count), in its own
 * transaction.  Purged with the decision traces (store_purge.h).
 */
int	 store_audit_note(struct store *, const char *actor,
	    const char *action, const char *object, const char *detail,
	    time_t now);
/*
 * *detail (malloc'd, caller frees) = the detail of the last row about
 * object whose action is action, NULL if there is none.  Read on the
 * rows about object (index audit_object), newest first.
 */
int	 store_audit_last_detail(struct store *, const char *object,
	    const char *action, char **detail);
/*
 * store_audit_check without an anchor: 0 if intact, 1 if broken with
 * *first_bad_id the first broken row, -1 on error.
 */
int	 store_audit_verify(struct store *, int64_t *first_bad_id);
/*
 * Audit rows, most recent first; kind "admin", "decision" or NULL = both;
 * limit 0 = all.
 */
int	 store_audit_list(struct store *, const char *kind, size_t limit,
	    struct store_audit_list *out);
/* The rows about one object ("decision/42"), oldest first. */
int	 store_audit_of(struct store *, const char *object,
	    struct store_audit_list *out);
void	 store_audit_list_free(struct store_audit_list *);

#endif
