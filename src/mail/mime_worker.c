/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mime_worker - the parse as a sandboxed worker runs it (include/balp/
 * sandbox.h, docs/sandbox.md): the worker's function, and the warm-up that
 * loads what the parse needs before the seccomp filter forbids open().
 */
#include "mime_priv.h"
#include "balp/buf.h"
#include "balp/sandbox.h"

#include <iconv.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* ------------------------------------------------------------------ */
/* The isolated parse (docs/sandbox.md)                                */

int
mime_worker(const char *in, size_t len, uint64_t opt, struct buf *out,
    void *arg)
{
	struct msg_facts f;
	char *data;
	size_t n;
	int r;

	if (opt & MIME_OPT_ANNEX)
		return mime_annex_worker(in, len, opt, out, arg);
	facts_init(&f);
	r = mime_parse_heads(in, len, arg, opt == 0 || opt - 1 > SIZE_MAX ?
	    SIZE_MAX : (size_t)(opt - 1), &f);
	data = r == 0 ? facts_serialize(&f, &n) : NULL;
	facts_free(&f);
	if (data == NULL)
		return -1;
	r = buf_add(out, data, n);
	free(data);
	return r;
}

/*
 * iconv loads its converters (gconv) on first use, per process, with
 * open(): in a worker under seccomp it cannot, and every charset would be
 * read as windows-1252.  Parsing this fixed, harmless message loads the
 * ones mail uses; done before the filter, or in a parent before it forks
 * (a worker forked from it inherits them: loading them in each fresh
 * child made isolation cost x9, tests/bench/triage.sh).
 */
static const char warm_up_msg[] =
    "From: =?ISO-8859-1?Q?Andr=E9?= <a@b.test>\n"
    "Subject: =?windows-1252?Q?=80?= =?UTF-8?B?w6k=?= =?ISO-8859-15?Q?=A4?=\n"
    "Content-Type: text/plain; charset=iso-8859-1\n"
    "Content-Transfer-Encoding: quoted-printable\n\n"
    "caf=E9\n";

static void
warm_up_parse(void)
{
	static const struct mime_limits lim = MIME_LIMITS_DEFAULT;
	struct msg_facts f;

	facts_init(&f);
	(void)mime_parse(warm_up_msg, sizeof(warm_up_msg) - 1, &lim, &f);
	facts_free(&f);
}

/*
 * Loaded is not enough in a long-lived worker: glibc unloads a converter
 * module a few releases after its last descriptor is closed (gconv_dl.c,
 * TRIES_BEFORE_UNLOAD), and the worker could not load it again.  One
 * descriptor per module the warm-up loads stays open for the life of the
 * worker, which ends with _exit (nothing to free: a daemon's own exit
 * stays leak-free under valgrind).
 */
static const char *const warm_charsets[] = {
	"ISO-8859-1", "ISO-8859-15", "WINDOWS-1252",
};
static iconv_t warm_held[sizeof(warm_charsets) / sizeof(warm_charsets[0])];

int
mime_warm_up(void *arg, struct buf *err)
{
	static int held;
	size_t i;

	(void)arg;	/* the sandbox's argument is the parser's, not ours */
	if (!held) {
		for (i = 0; i < sizeof(warm_held) / sizeof(warm_held[0]); i++)
			warm_held[i] = iconv_open("UTF-8", warm_charsets[i]);
		held = 1;
	}
	/*
	 * Without its database libmagic types nothing, and content checks
	 * would be silently weaker: no worker rather than a degraded one.
	 * Tried again at the next warm-up (the zygote's next request).
	 */
	if (mime_magic == NULL)
		mime_magic_tried = 0;	/* the cause may have been fixed */
	if (mime_magic_cookie() == NULL) {
		buf_printf(err, "libmagic's database (%s) cannot be loaded: "
		    "attachments could not be typed", getenv("MAGIC") != NULL ?
		    getenv("MAGIC") : "the system's magic.mgc, package "
		    "libmagic-mgc");
		return -1;
	}
	warm_up_parse();
	return 0;
}
