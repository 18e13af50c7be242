/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mime_annex - the annex file of a referent's mail, read as a sandboxed
 * worker reads a message (docs/annex-mail.md, docs/sandbox.md): the same
 * walk finds the part, its decoded bytes go through annex_file_parse, and
 * the rows or every error, with the file, are answered (annex_wire.h).
 * The file is hostile input like the message: it is never parsed in the
 * daemon.
 */
#include "mime_priv.h"
#include "balp/annex_file.h"
#include "balp/annex_wire.h"
#include "balp/buf.h"
#include "balp/sheet.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int
mime_annex_worker(const char *in, size_t len, uint64_t opt, struct buf *out,
    void *arg)
{
	struct buf file = BUF_INIT, errors = BUF_INIT;
	struct annex_file_errors errs = { NULL, 0 };
	struct annex_rows rows;
	size_t i;
	uint64_t heads = opt & MIME_OPT_HEADS_MASK;
	size_t index = (size_t)((opt >> MIME_OPT_INDEX_SHIFT) &
	    MIME_OPT_INDEX_MASK);
	int r, rc = -1, unreadable = 0;

	memset(&rows, 0, sizeof(rows));
	r = mime_part_bytes(in, len, arg, heads == 0 ? SIZE_MAX :
	    (size_t)(heads - 1), index, &file);
	if (r == -1)
		goto out;
	/*
	 * The errors, one a line, go to the partner's referent in the
	 * notice (annex_invalid): in French, each with what to do.
	 */
	if (r == 1)
		buf_puts(&errors, "fichier : l'annexe n'a pas pu être lue en "
		    "entier (elle dépasse ce que la Caf examine dans un "
		    "message) ; envoyez-la seule, dans un fichier plus petit.\n");
	else if (file.len > ANNEX_WIRE_MAX_FILE)
		buf_printf(&errors, "fichier : plus de %zu octets, ce n'est "
		    "pas une annexe ; envoyez la liste des personnes "
		    "habilitées seule.\n", ANNEX_WIRE_MAX_FILE);
	else if (annex_file_parse_coded(file.data != NULL ? file.data : "",
	    file.len, &rows, &errs) != 0) {
		if (errs.n == 0)
			goto out;	/* out of memory: no answer */
		/*
		 * A spreadsheet whose container the reader refused as a
		 * whole (the file, not a line): cut, corrupt, a zip bomb,
		 * entities.  Dangerous or broken rather than a referent's
		 * typo: said apart (quarantine, no notice), with the
		 * reader's technical line for the admin who looks.
		 */
		unreadable = sheet_format((const unsigned char *)file.data,
		    file.len) != SHEET_NONE && errs.v[0].line == 0 &&
		    errs.v[0].code != ANNEX_FILE_E_NOMEM;
		for (i = 0; i < errs.n; i++) {
			if (unreadable)
				annex_file_error_text(&errs.v[i], &errors);
			else
				annex_file_error_text_fr(&errs.v[i], &errors);
			buf_putc(&errors, '\n');
		}
	}
	if (errors.failed)
		goto out;
	/* The file goes back only when it is staged: its digest, for the audit. */
	rc = annex_wire_put(rows.n > 0 ? &rows : NULL, buf_str(&errors),
	    unreadable, errors.len > 0 || file.len > ANNEX_WIRE_MAX_FILE ? "" :
	    file.data, errors.len > 0 || file.len > ANNEX_WIRE_MAX_FILE ? 0 :
	    file.len, out);
out:
	annex_file_errors_free(&errs);
	annex_rows_free(&rows);
	buf_free(&file);
	buf_free(&errors);
	return rc;
}
