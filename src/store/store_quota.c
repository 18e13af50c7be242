/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_quota - the quota rule, read (see include/balp/store_quota.h).
 */
#include "balp/store_quota.h"

#include "store_priv.h"

int
store_quota_used(struct store *st, const char *partner_id, int32_t today,
    size_t *count)
{
	return store_quota_count(st, partner_id, today, count);
}
