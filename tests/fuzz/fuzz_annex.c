/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_annex - libFuzzer target over the annex file parser, the other
 * parser of untrusted input (files partners send).  Any crash, leak or
 * undefined behaviour fails `make check`.  A refused file must say why.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "balp/annex_file.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct annex_rows rows = { NULL, 0, "", NULL };
	struct buf errors = BUF_INIT;
	int r;

	r = annex_file_parse((const char *)data, size, &rows, &errors);
	if (r == -1 && errors.len == 0)
		abort();
	if (r == 0 && errors.len != 0)
		abort();
	annex_rows_free(&rows);
	buf_free(&errors);
	return 0;
}
