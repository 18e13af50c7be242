/*
 * attachment - the attachment policy, pure.
 *
 * Forbidden: a part whose MIME type is in the forbidden list, or whose
 * file name's last extension is (double extensions like "rib.pdf.exe" are
 * judged by the last one); archives too when the rules say so.  Needed:
 * a request type may require an attachment of given types/extensions
 * (a RIB needs a PDF or an image).
 */
#ifndef BALP_ATTACHMENT_H
#define BALP_ATTACHMENT_H

#include "balp/facts.h"
#include "balp/rules.h"

/* 1 if this part may not enter the BALP. */
int	 attachment_forbidden(const struct rules *, const struct part_facts *);

/* 1 if this part satisfies the type's attachment requirement. */
int	 attachment_fulfils(const struct request_type *,
	    const struct part_facts *);

/* The lower-case extension after the last '.', or "" (points into name). */
const char *attachment_extension(const char *filename);

#endif
