/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nir - finding and checking the French social security number (NIR) in a
 * Subject, pure.  See docs/nir.md for the facts it rests on.
 *
 * A NIR is 13 characters (sex, year, month, department incl. 2A/2B,
 * commune, order) and a 2-digit key = 97 - (N mod 97), with 2A read as 19
 * and 2B as 18.  Partners write it plain, grouped with spaces, dots or
 * dashes, with the key apart ("1850578006084 91", "…-91", "…/91"), behind
 * prefixes ("NIR :", "N° SS", "NSS").
 *
 * The NIR is sensitive: callers must never log it.  Only its pseudonym and
 * the key's two digits may leave the process.
 */
#ifndef BALP_NIR_H
#define BALP_NIR_H

#include <stddef.h>

#define NIR_LEN	15

/*
 * The 2-digit key of a 13-character NIR (digits, 2A/2B upper or lower
 * case), or -1 if s is not 13 characters of a valid shape.
 */
int	 nir_key(const char *s13);

/*
 * 1 if s is 15 characters forming a valid NIR (shape and key), else 0.
 * Lower-case 2a/2b accepted.
 */
int	 nir_valid(const char *s15);

/*
 * 1 if the 13 characters have a valid shape (sex, month, department,
 * order...), else 0.
 */
int	 nir_shape_valid(const char *s13);

/*
 * What nir_scan() saw in a Subject.  Several flags may be set together;
 * nothing set (seen == 0) means there is no NIR at all.
 */
struct nir_scan {
	/* The valid NIR, upper case, if it is the only number: else "". */
	char	 nir[NIR_LEN + 1];
	int	 found;		/* distinct valid NIRs, capped at 2 */
	int	 seen;		/* something NIR-shaped, valid or not */
	int	 invalid;	/* one of wrong shape or key (a letter O too) */
	int	 key_missing;	/* one of 13 characters without its key */
	int	 ambiguous;	/* two different NIR-shaped numbers */
};

/*
 * Checks every NIR-shaped number in text[0..len) (any bytes, NULs
 * included; never reads past len; linear time; allocates nothing, cannot
 * fail) and fills *out.  The same NIR written twice, in any two writings,
 * or once with and once without its key, is one number.  A valid NIR
 * beside a date, a phone number, a postcode, a SIRET or an IBAN is found
 * alone; those alone are nothing; a number right after "NIR", "NSS",
 * "N° SS", "sécu"... that is no NIR is invalid.  out->nir holds the NIR
 * only when it is the one valid number and nothing else makes the
 * Subject ambiguous.
 */
void	 nir_scan(const char *text, size_t len, struct nir_scan *out);

#endif
