/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_purge - retention (conventions.md: Contrat 5.3.2, monenfant art.
 * 2): decision traces are destroyed after traces_months (6), habilitation
 * data habilitation_years (6) after the habilitation ended.
 *
 * One transaction destroys, before the cut-off days:
 *  - decisions (by decided_at) with their outbox rows, retriages and
 *    releases; a kept decision that superseded a destroyed one forgets it;
 *  - persons whose latest habilitation ended before the habilitation
 *    cut-off, with their habilitation periods;
 *  - annexes mailed by referents (store_staged.h) approved or rejected
 *    before the traces' cut-off, with their rows (the partner's staff
 *    list); a pending one is kept, and the decision of its mail with it
 *    (counted in staged_pending when received before the cut-off);
 *  - the content of the audit rows about them all (store_audit.h: their
 *    hashes stay, so `audit verify` stays green), after one audit row
 *    `audit.purge` saying what went: the cut-offs and the counts, never
 *    any content.
 * Partners stay (a convention is no personal data).  After the commit the
 * write-ahead log is truncated, so that the destroyed rows do not linger
 * there (the store runs with secure_delete for the database file).
 *
 * Errors, ownership: as store.h says.
 */
#ifndef BALP_STORE_PURGE_H
#define BALP_STORE_PURGE_H

#include <stdint.h>
#include <time.h>

#include "balp/store.h"

#define STORE_PURGE_TRACES_MONTHS	6
#define STORE_PURGE_HABILITATION_YEARS	6

struct store_purge_spec {
	int32_t		 today;			/* date.h day */
	int		 traces_months;
	int		 habilitation_years;
	int		 dry_run;		/* count, change nothing */
};

struct store_purge_report {
	char		 traces_before[11];	/* YYYY-MM-DD, excluded */
	char		 habilitations_before[11];
	int64_t		 decisions;
	int64_t		 outbox;
	int64_t		 retriages;
	int64_t		 releases;
	int64_t		 persons;
	int64_t		 periods;
	int64_t		 staged;		/* staged annexes */
	int64_t		 staged_rows;		/* their rows */
	int64_t		 staged_pending;	/* kept: pending, older */
	int64_t		 audit_rows;		/* emptied */
	int64_t		 audit_kept;		/* from before the audit key */
	/* The audit.purge row (0 for a dry run, or when nothing was to be
	 * destroyed: then nothing is written): the attestation's proof. */
	int64_t		 checkpoint_id;
	char		 checkpoint_hash[STORE_HASH_HEX_LEN + 1];
};

int	 store_purge(struct store *, const struct store_purge_spec *,
	    const char *actor, time_t now, struct store_purge_report *out);

#endif
