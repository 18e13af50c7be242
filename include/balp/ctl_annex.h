/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_annex - `balpctl annex import|export`: the convention's annex of
 * habilitated persons, imported all-or-nothing as the partner's exhaustive
 * list, and exported in the same format.
 */
#ifndef BALP_CTL_ANNEX_H
#define BALP_CTL_ANNEX_H

#include "balp/ctl.h"

int	 ctl_annex(struct ctl *, int argc, char **argv);

#endif
