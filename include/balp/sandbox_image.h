/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sandbox_image - what of the zygote's image its workers inherit
 * (docs/sandbox.md).
 *
 * The parser's program links libetpan, libmagic, zlib and nettle; the
 * dynamic loader also maps what those depend on for features a parser
 * never uses (libetpan's GnuTLS, SASL, Berkeley DB and their own
 * dependencies: a dozen libraries, a hundred mappings).  A worker
 * forked with them pays for copying and tearing down every mapping, and
 * a taken-over worker finds their code to reuse.  sandbox_image_trim()
 * marks the mappings of every library the program does not name itself
 * (DT_NEEDED) MADV_DONTFORK: workers are forked without them.  The
 * program, its direct libraries, the dynamic loader, the vDSO and what is
 * loaded later (iconv's modules, at warm-up) are kept.
 *
 * Workers must then be forked with _Fork(), not fork(): fork() runs the
 * libraries' pthread_atfork handlers in the child (p11-kit has one),
 * whose code the child no longer maps.
 *
 * Not done when LD_PRELOAD is set (valgrind, a sanitizer's preload: the
 * preloaded objects are needed and named nowhere).  Call it in the
 * zygote, once, before the warm-up; not in a process that goes on using
 * the libraries it trims (it itself keeps them: only its children lose
 * them).
 */
#ifndef BALP_SANDBOX_IMAGE_H
#define BALP_SANDBOX_IMAGE_H

#include "balp/buf.h"

/*
 * Returns how many libraries were trimmed (0 when nothing was done), or
 * -1 with a message in err (err may be NULL) when a mapping could not be
 * marked (what was marked stays marked: workers then carry what is left).
 */
int	 sandbox_image_trim(struct buf *err);

#endif
