/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_quota - the quota rule, read: how many persons of a partner count
 * against its quota (max_persons) on a day.  The rule is written once,
 * in store_partner.c (store_quota_count; see store_person_add): persons
 * not ended on that day count, suspended ones included.  For the
 * console's partners page, which shows the quota used.
 *
 * Errors: as store.h says.
 */
#ifndef BALP_STORE_QUOTA_H
#define BALP_STORE_QUOTA_H

#include <stddef.h>
#include <stdint.h>

#include "balp/store.h"

/* *count: the persons of partner_id that count on today. */
int	 store_quota_used(struct store *, const char *partner_id,
	    int32_t today, size_t *count);

#endif
