/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_referent - a partner's BALP referents (convention art. 6): the
 * addresses that send the Caf the updates of the partner's annex.  A
 * partner has none, one or several; a referent need not be habilitated.
 * They are set by store_partner_add (spec.referents) and changed by
 * store_partner_update (both audited there); this module reads them.
 *
 * Errors, ownership: as store.h says.
 */
#ifndef BALP_STORE_REFERENT_H
#define BALP_STORE_REFERENT_H

#include <stddef.h>

#include "balp/store.h"

struct store_referent_list {
	char	**v;		/* canonical emails, in order */
	size_t	  n;
};

/* The referents of partner_id, by email; none is STORE_OK with n = 0. */
int	 store_referent_list(struct store *, const char *partner_id,
	    struct store_referent_list *out);
/*
 * The partners (ids, in order) of which email (canonical) is a referent:
 * what the gateway hands decide() for a mail of the annex (decide.h).
 */
int	 store_referent_partners(struct store *, const char *email,
	    struct store_referent_list *out);
void	 store_referent_list_free(struct store_referent_list *);

#endif
