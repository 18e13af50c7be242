/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pipeline_annex - the annex mailed by a partner's referent, after decide
 * (docs/annex-mail.md): the file of an accepted mail of an annex_update
 * type is read in a fresh sandboxed worker (it is hostile input like the
 * message), checked as `balpctl annex import --dry-run` checks it, and
 * planned against the annex in force; the pass then stages it with the
 * decision (store_staged.h).  A file with errors makes the mail
 * annex_invalid (its notice lists them); a worker that crashes or times
 * out on it makes it malformed (quarantined).
 *
 * Ownership: a struct pipeline_annex is the pipeline_result's, freed by
 * pipeline_result_free() (pipeline_annex_free()).
 */
#ifndef BALP_PIPELINE_ANNEX_H
#define BALP_PIPELINE_ANNEX_H

#include <stdint.h>

#include "balp/annex.h"
#include "balp/annex_file.h"
#include "balp/buf.h"
#include "balp/decide.h"
#include "balp/source.h"

struct pipeline;
struct pipeline_result;

struct pipeline_annex {
	struct annex_rows	 rows;		/* the file's rows, when valid */
	struct annex_plan	 plan;		/* against the annex in force */
	int			 planned;	/* plan filled */
	struct buf		 errors;	/* "line N: ...\n" each; empty: none */
	/*
	 * Why the file quarantined its mail, for the decision's findings
	 * ("part 2: annex file refused whole by its reader: ..."): the
	 * reader's fixed texts, never a cell.  Empty otherwise.
	 */
	struct buf		 findings;
};

/*
 * After the first decide: a mail of an annex_update type is judged by
 * whose referent its sender is, looked up now (store_referent_partners,
 * into res->referent_of and annex) and decided again (decide is pure), so
 * that other mail pays no second query.  0, or -1 with err (the store).
 */
int	 pipeline_annex_redecide(struct pipeline *, struct pipeline_result *res,
	    struct annex_view *annex, const struct decide_ctx *ctx,
	    struct buf *err);
/*
 * After decide: an accepted mail of an annex_update type has its file read
 * (a fresh sandboxed worker, blob the message as parsed) and planned with
 * a dry run of the import; res->annex is then set, and the decision
 * becomes annex_invalid (res->annex->errors: every error, or the
 * import's refusal) or malformed (the reader crashed, timed out, or
 * answered nonsense).  Any other decision: nothing.  0, or -1 with err
 * (no worker could be had, the store failed: the message stays in the
 * inbox).
 */
int	 pipeline_annex_read(struct pipeline *, const struct source_blob *blob,
	    struct pipeline_result *res, struct buf *err);
/*
 * In the batch's transaction, after the decision's rows (decision_id):
 * stages the planned annex (store_staged_add).  Nothing for any other
 * result.  0, or -1 with err (the batch is then aborted).
 */
int	 pipeline_annex_stage(struct pipeline *,
	    const struct pipeline_result *res, int64_t decision_id,
	    struct buf *err);
void	 pipeline_annex_free(struct pipeline_annex *);

#endif
