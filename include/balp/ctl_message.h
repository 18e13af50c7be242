/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_message - balpctl commands on one decided message:
 *
 *   message show ID|MESSAGE-ID
 *   message retriage ID|MESSAGE-ID [--reason TEXT]
 *   message release ID|MESSAGE-ID --to QUEUE --reason TEXT [--notify]
 *
 * show: the decision, its reasons, where the message is now, what an
 * admin did to it and its audit rows.  retriage: the message goes back to
 * the inbox (as NAME.rID) and the next pass decides it afresh; the new
 * decision names the one it supersedes.  release: an admin's override
 * (a quarantined message judged safe): moved to QUEUE, recorded with the
 * admin and the reason; no notice is sent unless --notify (to the
 * rejects only: the rejection notice of the decision's reasons).  ID is a decision id (balpctl
 * log shows them); a Message-ID names its most recent decision.
 */
#ifndef BALP_CTL_MESSAGE_H
#define BALP_CTL_MESSAGE_H

#include "balp/ctl.h"

int	 ctl_message(struct ctl *, int argc, char **argv);

#endif
