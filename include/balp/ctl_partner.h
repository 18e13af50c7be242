/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_partner - balpctl partner update: every field of partner add
 * changed after the fact, and the partner's BALP referents (the other
 * partner commands are in ctl_admin.h).  Exit statuses as ctl.h says.
 */
#ifndef BALP_CTL_PARTNER_H
#define BALP_CTL_PARTNER_H

#include "balp/ctl.h"

/* argv[0] is "partner update". */
int	 ctl_partner_update(struct ctl *, int argc, char **argv);

#endif
