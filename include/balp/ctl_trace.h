/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_trace - balpctl commands for the Caf's security officer and DPO:
 *
 *   log [filters] [--json|--csv]    who sent what, about whom, when, and
 *                                   what became of it (each query traced)
 *   audit verify [--anchor HASH] | audit anchor
 *
 * Each takes the command's own argv (argv[0] is the command word) and
 * returns an exit status (see ctl.h).
 */
#ifndef BALP_CTL_TRACE_H
#define BALP_CTL_TRACE_H

#include "balp/ctl.h"
#include "balp/store_decision.h"

int	 ctl_trace_log(struct ctl *, int argc, char **argv);
int	 ctl_trace_audit(struct ctl *, int argc, char **argv);
/*
 * Appends decision d as the JSON object `log --json` prints a line of
 * (never its pseudonym): `message show --json` nests the same keys.
 */
void	 ctl_trace_decision_json(struct buf *, const struct store_decision *d);

#endif
