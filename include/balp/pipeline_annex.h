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

#include "balp/annex.h"
#include "balp/annex_file.h"
#include "balp/buf.h"

struct pipeline_annex {
	struct annex_rows	 rows;		/* the file's rows, when valid */
	struct annex_plan	 plan;		/* against the annex in force */
	int			 planned;	/* plan filled */
	struct buf		 errors;	/* "line N: ...\n" each; empty: none */
};

void	 pipeline_annex_free(struct pipeline_annex *);

#endif
