/* SPDX-License-Identifier: Apache-2.0 */
/*
 * annex - the annex of habilitated persons in the store: compare a file's
 * rows (annex_file.h reads them) with the store, import them (all or
 * nothing), export the annex.
 *
 * The file is the partner's EXHAUSTIVE list: persons missing from it are
 * ended at the import day, never deleted.
 *
 * Usage:
 *	annex_file_parse(data, len, &rows, &errors) -> rows, or every error
 *	annex_digest(data, len, &rows)              -> for the audit
 *	annex_import(st, partner, &rows, today, dry_run, force, actor, now,
 *	    &plan)
 *	annex_plan_render(&plan, &text)             -> the diff, for --dry-run
 *	annex_plan_free(&plan); annex_rows_free(&rows);
 *
 * Ownership: rows and plans own their strings; free them with
 * annex_rows_free / annex_plan_free (both accept a zeroed struct).
 */
#ifndef BALP_ANNEX_H
#define BALP_ANNEX_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "balp/annex_file.h"
#include "balp/buf.h"
#include "balp/store.h"

/*
 * Fills rows->digest with the crypto_generichash-256 of the file's bytes
 * (hex), for the audit of the import: here, not in annex_file_parse(),
 * because the sandboxed parser does not link libsodium.  0, or -1 if
 * libsodium cannot start.
 */
int	 annex_digest(const char *data, size_t len, struct annex_rows *rows);

enum annex_change_kind {
	ANNEX_ADD,		/* a new person for this partner */
	ANNEX_UPDATE,		/* in the file, some field differs */
	ANNEX_END,		/* missing from the file: ended at `today` */
	ANNEX_UNCHANGED,	/* in the file, nothing differs */
	/*
	 * In the file, and their latest habilitation period ended before
	 * the row's date_habilitation, or before the import day (then the
	 * new period starts on the import day): a new period beside it.
	 */
	ANNEX_NEW_PERIOD,
};

/* Bits of annex_change.changed, named after the CSV columns. */
#define ANNEX_F_NOM			0x01
#define ANNEX_F_PRENOM			0x02
#define ANNEX_F_FONCTION		0x04
#define ANNEX_F_DATE_HABILITATION	0x08
#define ANNEX_F_DATE_FIN		0x10
/* The last of them: the bits run from ANNEX_F_NOM, one after another. */
#define ANNEX_F_LAST			ANNEX_F_DATE_FIN
/*
 * One ANNEX_F_* bit's field in French ("prénom", "date de fin"), as the
 * referent's notice and the console say it; NULL for another value.
 */
const char	*annex_field_fr(unsigned bit);

struct annex_change {
	enum annex_change_kind	 kind;
	int64_t			 person_id;	/* 0 for ANNEX_ADD */
	unsigned		 line;		/* file line; 0 for ANNEX_END */
	unsigned		 changed;	/* ANNEX_F_* (ANNEX_UPDATE) */
	char			*email;
	/* Values after the import. */
	char			*last_name;
	char			*first_name;
	char			*job_title;
	int32_t			 start;
	int32_t			 end;		/* DATE_NONE = open */
	/*
	 * Values before it (ANNEX_UPDATE, ANNEX_END, ANNEX_UNCHANGED,
	 * ANNEX_NEW_PERIOD: the latest period, which stays as it was).
	 */
	char			*old_last_name;
	char			*old_first_name;
	char			*old_job_title;
	int32_t			 old_start;
	int32_t			 old_end;
};

struct annex_plan {
	char			*partner_id;
	int32_t			 today;		/* the import day */
	/* File rows in file order, then ANNEX_END entries by email. */
	struct annex_change	*v;
	size_t			 n;
	size_t			 n_added, n_updated, n_ended, n_unchanged;
	int			 applied;	/* 1 once written */
	size_t			 n_new_period;
	/*
	 * The partner's active persons before the import: those it could
	 * end, not ended at the end of `today` (suspended ones included);
	 * force_needed is 1 when the import ends all of them or more than
	 * half (n_ended), which only `force` lets through.
	 */
	size_t			 n_active;
	int			 force_needed;
};

/*
 * Compares rows with the partner's annex as of `today` and, unless
 * dry_run, applies the difference in ONE transaction: adds, updates
 * (names, job title, dates of the latest habilitation period), opens a
 * new period for a person whose latest one ended (ANNEX_NEW_PERIOD: the
 * old one stays, for the record), ends the persons missing from the file
 * at `today` (unless they already ended on or before it), never deletes;
 * suspensions are left as they are.  A row's date_habilitation on or
 * before the end of an earlier period names the first habilitation: the
 * latest period keeps its start (periods never overlap).  Every change
 * writes an audit row (person.add, person.update, person.period,
 * person.end) and the import one more (annex.import, with the file
 * digest, the encoding and the counts).  The partner's convention dates
 * are not checked (an annex may come before the convention starts).
 *
 * Returns STORE_OK (plan filled; applied unless dry_run); STORE_NOTFOUND
 * if the partner does not exist; STORE_REFUSED if the file habilitates
 * more persons on `today` or later (rows with no date_fin or one on or
 * after today) than the partner's max_persons (plan still filled, nothing
 * written, store_errmsg gives both numbers), or, unless force, when it
 * would end every active person of the partner or more than half of them
 * (a truncated export looks like that; store_errmsg gives the numbers and
 * names --force; a dry run is not refused for it, its plan says so:
 * force_needed); STORE_ERROR.  Nothing is written unless STORE_OK and
 * !dry_run.
 */
int	 annex_import(struct store *, const char *partner_id,
	    const struct annex_rows *, int32_t today, int dry_run, int force,
	    const char *actor, time_t now, struct annex_plan *plan);
/*
 * annex_import inside the caller's write transaction (store_tx_begin):
 * the same plan, checks and writes, without BEGIN, COMMIT or ROLLBACK;
 * plan->applied says the writes were made, for the caller to commit with
 * what else it writes (an approved staged annex: store_staged.h).  A dry
 * run only reads: it needs no transaction (a mailed annex's plan, made
 * by balpd and by `balpctl test` on a read-only store).
 */
int	 annex_import_locked(struct store *, const char *partner_id,
	    const struct annex_rows *, int32_t today, int dry_run, int force,
	    const char *actor, time_t now, struct annex_plan *plan);
void	 annex_plan_free(struct annex_plan *);

/*
 * Appends the plan as text, one line per change, then the counts:
 *	+ add a.martin@apeai34.fr (MARTIN Anne, from 2026-01-05)
 *	~ update b.durand@apeai34.fr: date_fin (none) -> 2026-12-31
 *	- end c.petit@apeai34.fr (PETIT Claire) at 2026-11-23
 *	+ new period d.roux@apeai34.fr (ROUX Denis, from 2026-12-01;
 *	  the last one ended 2026-03-31)
 *	3 added, 1 updated, 2 ended, 10 unchanged, 1 new period
 * (the last count only when there is one), then, when force_needed:
 *	refused without --force: it ends 3 of the 4 active persons ...
 * 0, or -1 if out ran out of memory.  balpctl's English; the console
 * says the same plan in French (web_plan.h).
 */
int	 annex_plan_render(const struct annex_plan *, struct buf *out);

/*
 * Appends the partner's annex as a CSV file annex_file_parse reads back to the
 * same rows: header nom;prenom;email;fonction;date_habilitation;date_fin,
 * ';' separated, CRLF, DD/MM/YYYY dates, quotes where needed; every person
 * ever habilitated (ended ones too), ordered by name.  A person ended
 * before their start (an arrival cancelled, never habilitated a day) is
 * left out: the format cannot say it, and re-importing the export leaves
 * them as they are.  STORE_OK, STORE_NOTFOUND (partner) or STORE_ERROR.
 */
int	 annex_export(struct store *, const char *partner_id, struct buf *out);

#endif
