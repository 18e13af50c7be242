/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_annex_wire - libFuzzer target over the reading of the annex
 * reader's answer (annex_wire.h): what a worker answers after a hostile
 * file may be anything.  Any crash, leak or undefined behaviour fails;
 * an answer read is all of it (rows or errors, never both), or nothing.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "balp/annex_wire.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct annex_rows rows;
	struct buf errors = BUF_INIT, file = BUF_INIT;
	int unreadable, r;
	size_t i;

	r = annex_wire_get((const char *)data, size, &rows, &errors,
	    &unreadable, &file);
	if (r == -1 && (rows.n != 0 || errors.len != 0 || file.len != 0))
		abort();
	if (r == 0 && rows.n > 0 && (errors.len > 0 || unreadable))
		abort();
	for (i = 0; r == 0 && i < rows.n; i++)
		if (rows.v[i].email == NULL || strlen(rows.v[i].email) >
		    ANNEX_WIRE_MAX_STRING)
			abort();
	annex_rows_free(&rows);
	buf_free(&errors);
	buf_free(&file);
	return 0;
}
