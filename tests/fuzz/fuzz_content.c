/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_content - libFuzzer target over the content checks (content.h):
 * the zip and OLE directory walks, the PDF scan with its bounded inflate,
 * markup and hidden-file detection, the winmail.dat walk, the base64
 * decoder.  The first byte
 * picks the type libmagic is said to have given, the rest is the part.
 * Beyond crashes, leaks and undefined behaviour it checks the promises:
 * only known bits, and the decoder writes no more than it may.  The
 * limits are small so that the bounds themselves are reached.  Seeded by
 * `make check` with tests/data/content.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "balp/content.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct content_limits lim = { 64, 16, (size_t)4 << 20, 64 };

/* The files of a winmail.dat, inspected untyped (no libmagic here). */
static unsigned
nested(const unsigned char *b, size_t len, void *arg)
{
	(void)arg;
	return content_inspect(b, len, NULL, 1, &lim);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const types[] = { NULL, "application/pdf",
	    "application/zip", "application/msword", "text/plain",
	    "text/html", "image/jpeg", "application/octet-stream",
	    "application/x-dosexec", "application/gzip" };
	const unsigned char *b;
	unsigned char *out;
	const char *t;
	size_t n, cap, used;
	unsigned f;

	if (size == 0)
		return 0;
	t = types[data[0] % (sizeof(types) / sizeof(types[0]))];
	b = data + 1;
	n = size - 1;
	f = content_inspect(b, n, t, data[0] & 0x80, &lim);
	if ((f & ~CONTENT_ALL) != 0)
		abort();
	f = content_tnef(b, n, &lim, nested, NULL);
	if ((f & ~CONTENT_ALL) != 0)
		abort();
	f = content_text_hidden(b, n) | content_markup(b, n);
	if ((f & ~CONTENT_ALL) != 0)
		abort();
	(void)content_mismatch(t, f, t, (const char *)b, n < 8 ? n : 8);
	/* the decoder: an exact-size buffer, so ASan sees any overrun */
	cap = n / 4 * 3 + 3;
	if ((out = malloc(cap)) == NULL)
		return 0;
	if (content_b64_decode((const char *)b, n, out, cap, &used) > cap ||
	    used > n)
		abort();
	cap = data[0];
	if (cap <= n / 4 * 3 + 3 &&
	    content_b64_decode((const char *)b, n, out, cap, NULL) > cap)
		abort();
	free(out);
	return 0;
}
