/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pipeline_annex - the annex mailed by a referent, after decide (see
 * include/balp/pipeline_annex.h).
 */
#include "balp/pipeline_annex.h"
#include "balp/pipeline.h"
#include "pipeline_priv.h"

#include <stdlib.h>

void
pipeline_annex_free(struct pipeline_annex *a)
{
	if (a == NULL)
		return;
	annex_rows_free(&a->rows);
	annex_plan_free(&a->plan);
	buf_free(&a->errors);
	free(a);
}
