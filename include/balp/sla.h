/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sla - what waits in each queue folder and what waits too long (contract
 * 3.3: escalation after 10 working days), for `balpctl queue status` and
 * balpd's daily digest to the supervisors (sla.digest_to).
 *
 * The store gives each queue's messages with the time each waits since
 * (store_queue.h); here each time becomes a local day (the day an agent
 * saw it arrive, as pipeline_today() gives the day of processing), its
 * age the working days from that day to today (workdays.h), and the SLA
 * is the configuration's.  Nothing here names a sender, a partner or a
 * beneficiary: queue names, counts, days and decision ids.
 *
 * Ownership: a struct sla_report owns its rows and the store's list
 * (sla_report_free).
 */
#ifndef BALP_SLA_H
#define BALP_SLA_H

#include <stddef.h>
#include <stdint.h>

#include "balp/buf.h"
#include "balp/conf.h"
#include "balp/store.h"
#include "balp/store_queue.h"

struct sla_queue {
	const char		*name;		/* the rules' or the store's */
	int			 in_rules;
	unsigned		 sla;		/* working days; 0 = none */
	const struct store_queue *q;		/* NULL: nothing waiting */
	int32_t			 oldest_day;
	int64_t			 oldest_wd;	/* working days */
	int64_t			 oldest_days;	/* calendar days */
	size_t			 overdue;
	/* The first n_ids of the overdue, oldest first (then by id):
	 * all of them, or the max_ids sla_report was asked. */
	int64_t			*overdue_ids;
	size_t			 n_ids;
	/* What the mailbox holds there, -1 if not read (sla_report leaves
	 * it to the caller: balpctl queue status asks the source). */
	int64_t			 in_mailbox;
};

struct sla_report {
	int32_t			 today;
	struct sla_queue	*v;	/* the rules' queues, then the store's */
	size_t			 n;
	size_t			 waiting;
	size_t			 overdue;
	struct store_queue_list	 store;
};

/* Decision ids a digest lists per queue: the rest is counted. */
#define SLA_DIGEST_IDS	50

/*
 * The queues as of today, with the first max_ids overdue ids of each
 * queue (SIZE_MAX: all; `balpctl queue status --json` lists them all, its
 * table IDS_SHOWN, the digest SLA_DIGEST_IDS).  Counted on the store's
 * index (store_queue_overdue): its cost grows with the ids asked, not
 * with six months of decisions.  0, or -1 with err set (nothing to free).
 */
int	 sla_report(struct store *, const struct balp_conf *, int32_t today,
	    size_t max_ids, struct sla_report *out, struct buf *err);
/*
 * The same figures without the overdue ids (each overdue_ids NULL): the
 * console's dashboard.
 */
int	 sla_summary(struct store *, const struct balp_conf *, int32_t today,
	    struct sla_report *out, struct buf *err);
/*
 * The same with every overdue id, from each decision read
 * (store_queue_status): the reference sla_report is checked against
 * (test_sla), seconds on a million decisions.
 */
int	 sla_report_every(struct store *, const struct balp_conf *,
	    int32_t today, struct sla_report *out, struct buf *err);
void	 sla_report_free(struct sla_report *);

/*
 * The supervisors' digest of the overdue messages (French, plain text, LF
 * line ends): per queue over its SLA, how many, the oldest one's age and
 * the decision ids (what `balpctl message show` takes).  subject and body
 * are malloc'd, caller frees.  0, or -1 on ENOMEM.
 */
int	 sla_digest(const struct sla_report *, char **subject, char **body);

#endif
