/* SPDX-License-Identifier: Apache-2.0 */
/*
 * auth - sender authentication from Authentication-Results (RFC 8601), pure.
 *
 * Only headers whose authserv-id is trusted count: any other is the
 * sender's own claim.  One of them must show, for the From domain D:
 *   dmarc=pass with header.from = D; or
 *   dkim=pass with header.d (or the domain of header.i) aligned with D; or
 *   spf=pass with smtp.mailfrom (or its domain) aligned with D.
 * Aligned: same domain, or same organisational domain (the label under the
 * public suffix; multi-label suffixes such as gouv.fr come from config).
 * Domains compare ASCII case-insensitively, a trailing dot ignored.
 *
 * Reading is strict where it matters: a header that cannot be read to its
 * end is ignored as a whole; a trusted id named only in a comment does not
 * make a header trusted.  Values are bounded by their own length; any
 * length is fine (no recursion, linear time).  The MTA must strip incoming
 * headers bearing its own authserv-id (RFC 8601 section 5).
 */
#ifndef BALP_AUTH_H
#define BALP_AUTH_H

#include <stddef.h>

#include "balp/wordlist.h"

/* 1 if authenticated as above, else 0.  Headers are unfolded values. */
int	 auth_sender_verified(char *const *headers, size_t n_headers,
	    const char *from_domain, const char *const *trusted, size_t n_trusted,
	    const struct wordlist *public_suffixes);

/*
 * The organisational domain: one label under the longest suffix listed in
 * public_suffixes (entries compared as whole strings, e.g. "gouv.fr"), or
 * the last two labels when none is listed.  A pointer into domain (so a
 * trailing dot of domain is kept).  public_suffixes may be NULL.
 */
const char *auth_org_domain(const char *domain,
	    const struct wordlist *public_suffixes);

/* 1 if a and b are aligned (relaxed, as above); 0 if either is NULL/empty. */
int	 auth_aligned(const char *a, const char *b,
	    const struct wordlist *public_suffixes);

#endif
