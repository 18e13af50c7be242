/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_notice - balpctl's view of the outbox of notices:
 *
 *   notice list [--json]
 *   notice resend ID
 *
 * list: every notice, the most recent first: its id, when it was queued,
 * its status (pending, sent, failed), attempts, when it goes next (or
 * went), its decision, recipient and last error (a notice over
 * notices.max_per_sender_hour waits, pending, with why).  Never its
 * subject or body: they may name the beneficiary.  resend: a notice that
 * was sent or failed for good goes again, as a new pending notice; the
 * audit row notice.resend names the admin and both notices.  For root and
 * access.admin_group's members, as log and message are.
 */
#ifndef BALP_CTL_NOTICE_H
#define BALP_CTL_NOTICE_H

#include "balp/ctl.h"

int	 ctl_notice(struct ctl *, int argc, char **argv);

#endif
