/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_admin - balpctl commands of the Caf's habilitation admins and DPO:
 * init, partner, person, rules check (the traces: ctl_trace.h).
 * Each takes the command's own argv (argv[0] is the command word) and
 * returns an exit status (see ctl.h).
 */
#ifndef BALP_CTL_ADMIN_H
#define BALP_CTL_ADMIN_H

#include "balp/ctl.h"

int	 ctl_admin_init(struct ctl *, int argc, char **argv);
int	 ctl_admin_partner(struct ctl *, int argc, char **argv);
int	 ctl_admin_person(struct ctl *, int argc, char **argv);
int	 ctl_admin_rules(struct ctl *, int argc, char **argv);

#endif
