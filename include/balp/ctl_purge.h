/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_purge - balpctl purge [--dry-run] [--now YYYY-MM-DD]: retention.
 *
 * Destroys what the conventions say must go (store_purge.h: decision
 * traces after retention.traces_months, habilitation data
 * retention.habilitation_years after the habilitation ended) and prints
 * an attestation of destruction (monenfant art. 2): when, by whom, the
 * rule, what was destroyed (counts, never content) and the audit row that
 * proves it.  --dry-run says what would go and changes nothing.  --now
 * purges as of another day (tests, catching up).
 */
#ifndef BALP_CTL_PURGE_H
#define BALP_CTL_PURGE_H

#include "balp/ctl.h"

int	 ctl_purge(struct ctl *, int argc, char **argv);

#endif
