/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_test - `balpctl test [--json] [--now DATE] FILE...`: decides each
 * file exactly as the daemon would (same parse, same annex lookup, same
 * decide), with no side effect, as of the day --now.
 */
#ifndef BALP_CTL_TEST_H
#define BALP_CTL_TEST_H

#include "balp/ctl.h"

int	 ctl_test(struct ctl *, int argc, char **argv);

#endif
