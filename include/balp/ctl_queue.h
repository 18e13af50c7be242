/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_queue - balpctl's view of the agents' queues:
 *
 *   queue status [--json] [--now YYYY-MM-DD]
 *
 * For every queue folder of the rules (each request type's, the rejects,
 * the quarantine; then any other queue the store still holds messages
 * in, a queue renamed since): how many messages wait there, since when
 * the oldest waits, its age in working days (workdays.h) and in calendar
 * days, the queue's SLA (conf.h: sla) and how many messages are over it.
 * A message is over its SLA when more working days than the SLA have
 * passed since it was decided (or released into the queue): with 10, one
 * decided on Monday 16 November 2026 is due by Monday 30 November and
 * overdue on Tuesday 1 December.  --now counts the ages as of another day
 * (the messages are those waiting now).
 *
 * Exit status: 0 when no message is over its SLA, 1 when some are (a cron
 * job can alert on it) or on a store error, 2 on usage.
 *
 * The counts are the store's (store_queue.h): the mailbox is not read, so
 * a message an agent answered and filed away still counts until the
 * mailbox is read too (not done yet).  The output names queues, counts,
 * dates and decision ids (for `balpctl message show ID`), never a sender,
 * a partner, a NIR or a name.
 */
#ifndef BALP_CTL_QUEUE_H
#define BALP_CTL_QUEUE_H

#include "balp/ctl.h"

int	 ctl_queue(struct ctl *, int argc, char **argv);

#endif
