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
 */
#ifndef BALP_AUTH_H
#define BALP_AUTH_H

#include <stddef.h>

#include "balp/wordlist.h"

/* 1 if authenticated as above, else 0.  Headers are unfolded values. */
int	 auth_sender_verified(char *const *headers, size_t n_headers,
	    const char *from_domain, const char *const *trusted, size_t n_trusted,
	    const struct wordlist *public_suffixes);

/* The organisational domain of a lower-case domain: a pointer into it. */
const char *auth_org_domain(const char *domain,
	    const struct wordlist *public_suffixes);

/* 1 if a and b are aligned (relaxed, as above). */
int	 auth_aligned(const char *a, const char *b,
	    const struct wordlist *public_suffixes);

#endif
