/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_html - libFuzzer target over html_to_text(), the one pass over the
 * HTML a sender controls completely.  Beyond crashes, leaks and undefined
 * behaviour, it checks the promises of include/balp/html.h: the output is
 * valid UTF-8 without NUL and at most 3 bytes per input byte.  Seeded by
 * `make check` with the mails of tests/data (their HTML parts).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "balp/html.h"
#include "balp/text.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *out;
	size_t n;

	if ((out = html_to_text((const char *)data, size)) == NULL)
		return 0;		/* out of memory: allowed, not a bug */
	n = strlen(out);
	if (n > 3 * size || !text_utf8_valid(out, n))
		abort();
	free(out);
	return 0;
}
