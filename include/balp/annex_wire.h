/* SPDX-License-Identifier: Apache-2.0 */
/*
 * annex_wire - what the sandboxed worker that reads a referent's annex
 * file answers (mime_annex.c), as bytes, and back: the file's rows or its
 * errors, and the file itself (its digest is the store's, computed by the
 * gateway: the worker links no libsodium).  Pure.
 *
 * The answer is the worker's, which may be anyone's after a hostile file:
 * annex_wire_get() checks every length against what is left and against
 * bounds (rows, strings, errors, file), every string for a control
 * character (the reader removes them: only a newline, between errors),
 * and fails on anything else.
 *
 * Ownership: annex_wire_get fills rows (annex_rows_free), errors and file
 * (buf_free): the caller's.
 */
#ifndef BALP_ANNEX_WIRE_H
#define BALP_ANNEX_WIRE_H

#include <stddef.h>

#include "balp/annex_file.h"
#include "balp/buf.h"

/* Bounds of an answer (a real annex is a few hundred rows, some KB). */
#define ANNEX_WIRE_MAX_FILE	((size_t)8 << 20)
#define ANNEX_WIRE_MAX_ROWS	((size_t)100000)
#define ANNEX_WIRE_MAX_STRING	((size_t)4096)
#define ANNEX_WIRE_MAX_ERRORS	((size_t)4 << 20)
/* The most an answer within those bounds can take, for the sandbox. */
#define ANNEX_WIRE_MAX_ANSWER	((size_t)48 << 20)

/*
 * Appends the answer: rows (NULL when the file had errors), errors (one
 * "line N: ...\n" each; "" when none), unreadable (1: the file is a
 * spreadsheet whose container could not be read as a whole: cut, corrupt,
 * a zip bomb, entities; dangerous or broken, not a referent's mistake) and
 * the file's bytes.  0, or -1 on ENOMEM or past a bound.
 */
int	 annex_wire_put(const struct annex_rows *rows, const char *errors,
	    int unreadable, const char *file, size_t file_len, struct buf *out);
/*
 * Reads an answer: 0 with rows (n = 0 when the file had errors), errors
 * (empty when none), *unreadable and file filled; -1 on any inconsistency (all three
 * freed).  rows->encoding points to static storage whatever the answer
 * said (an encoding outside the known list is "unknown").
 */
int	 annex_wire_get(const char *data, size_t len, struct annex_rows *rows,
	    struct buf *errors, int *unreadable, struct buf *file);

#endif
