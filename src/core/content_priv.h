/* SPDX-License-Identifier: Apache-2.0 */
/*
 * content_priv - what the content checks' files share and nobody else
 * uses (as src/store/store_priv.h): the PDF decryption of
 * content_pdf_crypt.c, for content_pdf.c.
 */
#ifndef BALP_CONTENT_PRIV_H
#define BALP_CONTENT_PRIV_H

#include <stddef.h>

#include "balp/content.h"

/* An encrypted PDF opened with the empty user password. */
struct pdf_crypt {
	int		 r;		/* the handler's revision, 2 to 6 */
	int		 aes;		/* AES (AESV2, AESV3), else RC4 */
	size_t		 keylen;
	unsigned char	 key[32];	/* the file key */
};

/*
 * 1 and *c filled when b[0..n)'s /Encrypt dictionary is the Standard
 * handler's, revision 2 to 6, and the empty user password opens it (an
 * owner password only: any reader opens it without asking); 0 otherwise
 * (a real user password, another handler, a dictionary not found or not
 * read).
 */
int	 pdf_crypt_open(const unsigned char *b, size_t n, struct pdf_crypt *c);

/*
 * The decrypted data of object num gen's stream s[0..n): a malloc'd
 * buffer (caller frees) and its length in *outlen; NULL on ENOMEM or
 * for AES data that is no whole number of blocks.
 */
unsigned char *pdf_crypt_stream(const struct pdf_crypt *c, unsigned long num,
	    unsigned long gen, const unsigned char *s, size_t n,
	    size_t *outlen);

#endif
