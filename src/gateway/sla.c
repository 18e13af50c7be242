/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sla - queue ages against their SLA, and the supervisors' digest (see
 * include/balp/sla.h).
 */
#include "balp/sla.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "balp/date.h"
#include "balp/pipeline.h"
#include "balp/workdays.h"

/* Adds name unless it is there already (two types may share a queue). */
static void
add_name(struct sla_report *r, const char *name, int in_rules)
{
	size_t i;

	if (name == NULL)
		return;
	for (i = 0; i < r->n; i++)
		if (strcmp(r->v[i].name, name) == 0)
			return;
	memset(&r->v[r->n], 0, sizeof(r->v[r->n]));
	r->v[r->n].name = name;
	r->v[r->n].in_rules = in_rules;
	r->v[r->n].in_mailbox = -1;
	r->n++;
}

/* A message's age on today, in working days; 0 for one after today. */
static int64_t
age_wd(int32_t since_day, int32_t today)
{
	int64_t wd = workdays_between(since_day, today);

	return wd > 0 ? wd : 0;
}

/* The queue's ages and overdue messages; -1 on ENOMEM. */
static int
measure(struct sla_queue *s, int32_t today)
{
	const struct store_queue *q = s->q;
	size_t i;

	if (q == NULL || q->count == 0)
		return 0;
	s->oldest_day = pipeline_today(q->oldest);
	s->oldest_wd = age_wd(s->oldest_day, today);
	s->oldest_days = today > s->oldest_day ?
	    (int64_t)today - s->oldest_day : 0;
	if (s->sla == 0)
		return 0;
	/* Counted on the index (store_queue_overdue): the first ids given. */
	if (q->items == NULL) {
		s->overdue = q->before;
		if (q->n_before_ids == 0)
			return 0;
		if ((s->overdue_ids = calloc(q->n_before_ids,
		    sizeof(*s->overdue_ids))) == NULL)
			return -1;
		memcpy(s->overdue_ids, q->before_ids, q->n_before_ids *
		    sizeof(*s->overdue_ids));
		s->n_ids = q->n_before_ids;
		return 0;
	}
	if ((s->overdue_ids = calloc(q->count, sizeof(*s->overdue_ids))) ==
	    NULL)
		return -1;
	/* Oldest first: the overdue ones are a prefix. */
	for (i = 0; i < q->count; i++) {
		if (age_wd(pipeline_today(q->items[i].since), today) <= s->sla)
			break;
		s->overdue_ids[s->overdue++] = q->items[i].decision_id;
	}
	s->n_ids = s->overdue;
	return 0;
}

struct cut_arg {
	const struct balp_conf	*c;
	int32_t			 today;
};

/*
 * The first instant whose message is not overdue in queue name, for
 * store_queue_summary: measure()'s rule turned into a time.  A message is
 * overdue when the working days from its local day to today pass the
 * SLA; that age only falls as the day gets later, so the overdue are
 * those of the days up to some day D, and the cutoff is the local
 * midnight that starts D + 1 (found by halving: local midnights move
 * with the time zone and summer time).  0 (none) without an SLA.
 */
static time_t
overdue_cutoff(const char *name, void *arg)
{
	const struct cut_arg *a = arg;
	unsigned sla = conf_sla_days(a->c, name);
	int32_t d = a->today;
	time_t lo, hi, mid;
	int n;

	if (sla == 0)
		return 0;
	for (n = 0; age_wd(d, a->today) <= (int64_t)sla && n < 100000; n++)
		d--;
	lo = ((time_t)d + 1) * 86400 - 2 * 86400;
	hi = ((time_t)d + 1) * 86400 + 2 * 86400;
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (pipeline_today(mid) > d)
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

/*
 * every: from store_queue_status (each item read), else from
 * store_queue_overdue with max_ids ids per queue.
 */
static int
report(struct store *st, const struct balp_conf *c, int32_t today,
    struct sla_report *r, struct buf *err, int every, size_t max_ids)
{
	struct cut_arg a = { c, today };
	const struct rules *ru = &c->rules;
	size_t i;

	memset(r, 0, sizeof(*r));
	r->today = today;
	if ((every ? store_queue_status(st, &r->store) :
	    store_queue_overdue(st, overdue_cutoff, &a, max_ids, &r->store)) !=
	    STORE_OK) {
		buf_puts(err, store_errmsg(st));
		sla_report_free(r);
		return -1;
	}
	if ((r->v = calloc(ru->n_types + 2 + r->store.n, sizeof(*r->v))) ==
	    NULL)
		goto nomem;
	for (i = 0; i < ru->n_types; i++)
		add_name(r, ru->types[i].queue, 1);
	add_name(r, ru->queue_rejects, 1);
	add_name(r, ru->queue_quarantine, 1);
	for (i = 0; i < r->store.n; i++)
		add_name(r, r->store.v[i].name, 0);
	for (i = 0; i < r->n; i++) {
		r->v[i].q = store_queue_find(&r->store, r->v[i].name);
		r->v[i].sla = conf_sla_days(c, r->v[i].name);
		if (measure(&r->v[i], today) == -1)
			goto nomem;
		r->waiting += r->v[i].q != NULL ? r->v[i].q->count : 0;
		r->overdue += r->v[i].overdue;
	}
	return 0;
nomem:
	buf_puts(err, "out of memory");
	sla_report_free(r);
	return -1;
}

int
sla_report(struct store *st, const struct balp_conf *c, int32_t today,
    size_t max_ids, struct sla_report *r, struct buf *err)
{
	return report(st, c, today, r, err, 0, max_ids);
}

int
sla_summary(struct store *st, const struct balp_conf *c, int32_t today,
    struct sla_report *r, struct buf *err)
{
	return report(st, c, today, r, err, 0, 0);
}

int
sla_report_every(struct store *st, const struct balp_conf *c, int32_t today,
    struct sla_report *r, struct buf *err)
{
	return report(st, c, today, r, err, 1, 0);
}

void
sla_report_free(struct sla_report *r)
{
	size_t i;

	for (i = 0; r->v != NULL && i < r->n; i++)
		free(r->v[i].overdue_ids);
	free(r->v);
	store_queue_list_free(&r->store);
	memset(r, 0, sizeof(*r));
}

int
sla_digest(const struct sla_report *r, char **subject, char **body)
{
	struct buf s = BUF_INIT, b = BUF_INIT;
	char day[11], since[11];
	size_t i, k;

	date_format_fr(r->today, day);
	buf_printf(&s, "BALP : %zu message%s en attente au-delà du délai au %s",
	    r->overdue, r->overdue > 1 ? "s" : "", day);
	buf_printf(&b, "Bonjour,\n\nAu %s, %zu message%s de la boîte "
	    "partenaires attend%s depuis plus longtemps que le délai de "
	    "traitement de sa file (%zu message%s en attente en tout).\n",
	    day, r->overdue, r->overdue > 1 ? "s" : "",
	    r->overdue > 1 ? "ent" : "", r->waiting,
	    r->waiting > 1 ? "s" : "");
	for (i = 0; i < r->n; i++) {
		const struct sla_queue *q = &r->v[i];

		if (q->overdue == 0)
			continue;
		date_format_fr(q->oldest_day, since);
		buf_printf(&b, "\n%s : %zu en retard (délai %u jours ouvrés), "
		    "le plus ancien depuis le %s (%" PRId64 " jours ouvrés)\n"
		    "  décisions :", q->name, q->overdue, q->sla, since,
		    q->oldest_wd);
		for (k = 0; k < q->n_ids && k < SLA_DIGEST_IDS; k++)
			buf_printf(&b, "%s%" PRId64, k > 0 ? ", " : " ",
			    q->overdue_ids[k]);
		if (q->overdue > SLA_DIGEST_IDS)
			buf_printf(&b, " et %zu autres", q->overdue -
			    SLA_DIGEST_IDS);
		buf_putc(&b, '\n');
	}
	buf_puts(&b, "\n`balpctl message show ID` donne le détail d'une "
	    "décision ; `balpctl queue status` l'état des files.\n\n"
	    "-- \nbalp, passerelle de la boîte partenaires (message "
	    "automatique)\n");
	if (s.failed || b.failed) {
		buf_free(&s);
		buf_free(&b);
		return -1;
	}
	*subject = buf_detach(&s);
	*body = buf_detach(&b);
	return 0;
}
