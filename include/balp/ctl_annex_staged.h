/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_annex_staged - `balpctl annex pending|show|approve|reject`: the
 * annexes a partner's referent mailed, staged until an admin approves
 * them (store_staged.h, docs/annex-mail.md).  argv[0] is the subcommand.
 */
#ifndef BALP_CTL_ANNEX_STAGED_H
#define BALP_CTL_ANNEX_STAGED_H

#include "balp/ctl.h"

int	 ctl_annex_staged(struct ctl *, int argc, char **argv);

#endif
