/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conf_sla - the group "sla": the queues' deadlines (sla.h) and their
 * daily digest, read after the rules whose queues it names.
 */
#include "conf_priv.h"

#include "balp/notice.h"

#include <stdlib.h>
#include <string.h>

/* 1 if q is one of the rules' queue folders. */
static int
rules_has_queue(const struct rules *r, const char *q)
{
	size_t i;

	for (i = 0; i < r->n_types; i++)
		if (r->types[i].queue != NULL &&
		    strcmp(r->types[i].queue, q) == 0)
			return 1;
	return (r->queue_rejects != NULL && strcmp(r->queue_rejects, q) == 0) ||
	    (r->queue_quarantine != NULL &&
	    strcmp(r->queue_quarantine, q) == 0);
}

/*
 * The group "sla" { working_days; per_queue = ( { queue; working_days; },
 * ... ); } (libconfig names cannot hold the '/' of a folder, hence a
 * list).  Read after the rules: a queue named here must be one of theirs,
 * or a typo would leave the queue it meant on the default without a word.
 * check_queues is 0 when the rules did not load (their errors say enough).
 */
void
conf_load_sla(struct conf_loader *l, const config_setting_t *g,
    struct balp_conf *c, int check_queues)
{
	static const char *const keys[] = { "working_days", "per_queue",
	    "digest_to", "digest_hour", NULL };
	static const char *const queue_keys[] = { "queue", "working_days",
	    NULL };
	const config_setting_t *list, *e;
	struct conf_sla *sla = &c->sla;
	struct conf_sla_queue *q;
	size_t i, k, n;

	if (g == NULL)
		return;
	if (!config_setting_is_group(g)) {
		conf_lerr(l, g,
		    "'sla' must be a group { working_days; per_queue ="
		    " ( ... ); }");
		return;
	}
	conf_check_keys(l, g, keys, "sla");
	conf_get_unsigned(l, g, "working_days", 0, 260, &sla->working_days);
	conf_get_unsigned(l, g, "digest_hour", 0, 23, &sla->digest_hour);
	conf_get_string(l, g, "digest_to", 0, &sla->digest_to);
	if (sla->digest_to != NULL && !notice_addr_ok(sla->digest_to))
		conf_lerr(l, conf_member(g, "digest_to"),
		    "'digest_to' must be a plain "
		    "address (name@domain), not '%s'", sla->digest_to);
	if ((list = conf_member(g, "per_queue")) == NULL)
		return;
	if (!config_setting_is_list(list)) {
		conf_lerr(l, list, "'per_queue' must be a list ( { queue ="
		    " \"BALP/RIB\"; working_days = 5; }, ... )");
		return;
	}
	if ((n = (size_t)config_setting_length(list)) == 0)
		return;
	if ((sla->per_queue = calloc(n, sizeof(*sla->per_queue))) == NULL) {
		conf_lerr(l, list, "out of memory");
		return;
	}
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(list, (unsigned)i);
		if (!config_setting_is_group(e)) {
			conf_lerr(l, e, "per_queue %zu must be a group { queue;"
			    " working_days; }", i + 1);
			continue;
		}
		conf_check_keys(l, e, queue_keys, "sla.per_queue");
		q = &sla->per_queue[sla->n_per_queue];
		conf_get_string(l, e, "queue", 1, &q->queue);
		if (conf_member(e, "working_days") == NULL)
			conf_lerr(l, e, "missing setting 'working_days'");
		conf_get_unsigned(l, e, "working_days", 0, 260,
		    &q->working_days);
		if (q->queue == NULL)
			continue;
		sla->n_per_queue++;
		for (k = 0; k + 1 < sla->n_per_queue; k++)
			if (strcmp(sla->per_queue[k].queue, q->queue) == 0)
				conf_lerr(l, conf_member(e, "queue"),
				    "queue '%s' is given"
				    " twice in sla.per_queue", q->queue);
		if (check_queues && !rules_has_queue(&c->rules, q->queue))
			conf_lerr(l, conf_member(e, "queue"),
			    "sla.per_queue: '%s' is"
			    " none of the rules' queues", q->queue);
	}
}

unsigned
conf_sla_days(const struct balp_conf *c, const char *queue)
{
	size_t i;

	for (i = 0; queue != NULL && i < c->sla.n_per_queue; i++)
		if (strcmp(c->sla.per_queue[i].queue, queue) == 0)
			return c->sla.per_queue[i].working_days;
	return c->sla.working_days;
}
