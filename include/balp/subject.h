/* SPDX-License-Identifier: Apache-2.0 */
/*
 * subject - the beneficiary's name in a Subject, pure.
 *
 * The convention (art. 2) asks for the beneficiary's name in the Subject.
 * A name is a word of letters (accents, inner hyphens and apostrophes
 * allowed, at least two letters) that is not a reply/forward prefix
 * (RE:, TR:, Fwd:...), not a stop word of rules/, not a request-type
 * keyword, and holds no digit (NIRs, dates, numbers are not names).
 */
#ifndef BALP_SUBJECT_H
#define BALP_SUBJECT_H

#include <stddef.h>

#include "balp/rules.h"
#include "balp/text.h"

/* 1 if the Subject names someone, else 0. */
int	 subject_has_name(const char *subject, const struct rules *);
/* The same on a Subject folded on demand (text.h), shared with classify. */
int	 subject_has_name_lazy(struct text_lazy *subject, const struct rules *);

#endif
