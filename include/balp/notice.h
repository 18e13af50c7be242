/*
 * notice - the text of the notice that tells a partner what to fix, pure.
 *
 * Built only from the rules' French templates and the decision: never from
 * the message's Subject or body, which hold the beneficiary's name and NIR.
 * The one piece of the NIR a notice may echo is its 2-digit key.
 */
#ifndef BALP_NOTICE_H
#define BALP_NOTICE_H

#include <stdint.h>

#include "balp/decide.h"
#include "balp/rules.h"

/*
 * Renders subject and body (UTF-8, LF line ends) for a decision whose
 * notify flag is set.  Both are malloc'd, caller frees.  0, or -1 on ENOMEM.
 */
int	 notice_render(const struct rules *, const struct decision *,
	    int32_t today, char **subject, char **body);

#endif
