/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_user - balpctl user add | passwd | disable | list: the accounts of
 * the console (issue 20, store_user.h).  A password is read from the
 * first line of standard input, never from the command line (argv is
 * world-readable in /proc).  For root and access.admin_group's members.
 * Exit statuses as ctl.h says; a password that breaks a rule is a usage
 * error (2), named.
 */
#ifndef BALP_CTL_USER_H
#define BALP_CTL_USER_H

#include "balp/ctl.h"

/* argv[0] is "user". */
int	 ctl_user(struct ctl *, int argc, char **argv);

#endif
