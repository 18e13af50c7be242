/* SPDX-License-Identifier: Apache-2.0 */
/*
 * secret - a password kept in a file of its own, readable by its owner
 * only (the IMAP and SMTP accounts of the gateway).
 *
 * Errors go to err as one line naming the file, never its content.
 */
#ifndef BALP_SECRET_H
#define BALP_SECRET_H

#include "balp/buf.h"

/*
 * Reads the password in path into *out (caller frees with secret_free).
 * Refuses a file that is not regular, that group or others may read or
 * write (mode & 077), that is empty, larger than 4 KiB, or holds a NUL,
 * CR or LF other than one final line end (dropped).  0, or -1 with err set.
 */
int	 secret_read(const char *path, char **out, struct buf *err);

/* Wipes and frees a secret; fine on NULL. */
void	 secret_free(char *);

#endif
