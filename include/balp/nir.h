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

enum nir_status {
	NIR_FOUND,		/* exactly one valid NIR (maybe written twice) */
	NIR_MISSING,		/* nothing that looks like a NIR */
	NIR_KEY_MISSING,	/* a well-shaped 13-character NIR without key */
	NIR_INVALID,		/* something NIR-like with a wrong shape or key */
	NIR_AMBIGUOUS,		/* two different valid NIRs */
};

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
 * Looks for NIRs in text[0..len) (any bytes, NULs included; never reads
 * past len; linear time; allocates nothing, cannot fail).  On NIR_FOUND,
 * out holds the 15 characters, upper case, NUL-terminated; otherwise out
 * is "".  The first that applies: AMBIGUOUS, FOUND, KEY_MISSING, INVALID,
 * MISSING.  A valid NIR beside a date or a phone number is FOUND; a date,
 * phone number or postcode alone is MISSING; a number right after "NIR",
 * "NSS", "N° SS", "sécu"... that is no valid NIR is INVALID.
 */
enum nir_status nir_find(const char *text, size_t len, char out[NIR_LEN + 1]);

#endif
