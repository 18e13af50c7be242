/*
 * ctl_queue - balpctl queue status (see ctl_queue.h).
 *
 * The store gives each queue's messages with the time each waits since;
 * here each time becomes a local day (the day an agent saw it arrive, as
 * pipeline_today() gives the day of processing), its age the working
 * days from that day to today, and the SLA is the configuration's.
 */
#include "balp/ctl_queue.h"
#include "balp/buf.h"
#include "balp/date.h"
#include "balp/json.h"
#include "balp/pipeline.h"
#include "balp/store_queue.h"
#include "balp/table.h"
#include "balp/workdays.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Decision ids listed per overdue queue in the table's notes; --json
 * lists them all. */
#define IDS_SHOWN	20

struct qrow {
	const char		*name;		/* the rules' or the store's */
	int			 in_rules;
	unsigned		 sla;		/* working days; 0 = none */
	const struct store_queue *q;		/* NULL: nothing waiting */
	int32_t			 oldest_day;
	int64_t			 oldest_wd;	/* working days */
	int64_t			 oldest_days;	/* calendar days */
	size_t			 overdue;
	int64_t			*overdue_ids;	/* overdue of them */
};

static int
usage(void)
{
	fprintf(stderr, "usage: balpctl [-c CONF] queue status [--json] "
	    "[--now YYYY-MM-DD]\n");
	return CTL_USAGE;
}

/* Adds name to rows unless it is there already (two types may share a
 * queue). */
static void
add_name(struct qrow *rows, size_t *n, const char *name, int in_rules)
{
	size_t i;

	if (name == NULL)
		return;
	for (i = 0; i < *n; i++)
		if (strcmp(rows[i].name, name) == 0)
			return;
	memset(&rows[*n], 0, sizeof(rows[*n]));
	rows[*n].name = name;
	rows[*n].in_rules = in_rules;
	(*n)++;
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
measure(struct qrow *r, int32_t today)
{
	const struct store_queue *q = r->q;
	size_t i;

	if (q == NULL || q->count == 0)
		return 0;
	r->oldest_day = pipeline_today(q->oldest);
	r->oldest_wd = age_wd(r->oldest_day, today);
	r->oldest_days = today > r->oldest_day ?
	    (int64_t)today - r->oldest_day : 0;
	if (r->sla == 0)
		return 0;
	if ((r->overdue_ids = calloc(q->count, sizeof(*r->overdue_ids))) ==
	    NULL)
		return -1;
	/* Oldest first: the overdue ones are a prefix. */
	for (i = 0; i < q->count; i++) {
		if (age_wd(pipeline_today(q->items[i].since), today) <= r->sla)
			break;
		r->overdue_ids[r->overdue++] = q->items[i].decision_id;
	}
	return 0;
}

/* 0, or -1 on ENOMEM (nothing printed). */
static int
print_json(const struct qrow *rows, size_t n, int32_t today, size_t waiting,
    size_t overdue)
{
	struct buf b = BUF_INIT;
	char day[11];
	size_t i, k;
	int rc;

	buf_printf(&b, "{\"as_of\":\"%s\",\"waiting\":%zu,\"overdue\":%zu,"
	    "\"queues\":[", ctl_day(today, day), waiting, overdue);
	for (i = 0; i < n; i++) {
		const struct qrow *r = &rows[i];

		buf_puts(&b, i > 0 ? ",{\"queue\":" : "{\"queue\":");
		json_string(&b, r->name);
		buf_printf(&b, ",\"in_rules\":%s,\"waiting\":%zu,",
		    r->in_rules ? "true" : "false", r->q ? r->q->count : 0);
		if (r->q != NULL)
			buf_printf(&b, "\"oldest_since\":\"%s\","
			    "\"oldest_working_days\":%" PRId64 ","
			    "\"oldest_days\":%" PRId64 ",",
			    ctl_day(r->oldest_day, day), r->oldest_wd,
			    r->oldest_days);
		else
			buf_puts(&b, "\"oldest_since\":null,"
			    "\"oldest_working_days\":null,\"oldest_days\":null,");
		if (r->sla > 0)
			buf_printf(&b, "\"sla_working_days\":%u,", r->sla);
		else
			buf_puts(&b, "\"sla_working_days\":null,");
		buf_printf(&b, "\"overdue\":%zu,\"overdue_ids\":[", r->overdue);
		for (k = 0; k < r->overdue; k++)
			buf_printf(&b, k > 0 ? ",%" PRId64 : "%" PRId64,
			    r->overdue_ids[k]);
		buf_puts(&b, "]}");
	}
	buf_puts(&b, "]}\n");
	rc = b.failed ? -1 : 0;
	if (rc == 0)
		fputs(buf_str(&b), stdout);
	buf_free(&b);
	return rc;
}

/* The notes under the table: totals, the overdue decisions by queue. */
static void
print_notes(const struct qrow *rows, size_t n, int32_t today, size_t waiting,
    size_t overdue)
{
	char day[11];
	size_t i, k, others = 0;

	printf("\nas of %s: %zu waiting, %zu over their SLA\n",
	    ctl_day(today, day), waiting, overdue);
	for (i = 0; i < n; i++) {
		const struct qrow *r = &rows[i];

		others += !r->in_rules;
		if (r->overdue == 0)
			continue;
		printf("%s: %zu over %u working days: decision%s", r->name,
		    r->overdue, r->sla, r->overdue > 1 ? "s" : "");
		for (k = 0; k < r->overdue && k < IDS_SHOWN; k++)
			printf("%s%" PRId64, k > 0 ? ", " : " ",
			    r->overdue_ids[k]);
		if (r->overdue > IDS_SHOWN)
			printf(" and %zu more (--json lists them)",
			    r->overdue - IDS_SHOWN);
		putchar('\n');
	}
	if (others > 0)
		printf("* not a queue of the rules (renamed or removed since):"
		    " its messages are counted with the default SLA\n");
}

static int
print_table(const struct qrow *rows, size_t n)
{
	static const char *const head[] = { "QUEUE", "WAITING", "OLDEST SINCE",
	    "AGE (WORKING DAYS)", "AGE (DAYS)", "SLA (WORKING DAYS)",
	    "OVERDUE" };
	struct table t;
	struct buf cell[7];
	const char *row[7];
	char day[11];
	size_t i, k;
	int rc = 0;

	if (table_init(&t, 7, head) == -1)
		return -1;
	for (k = 0; k < 7; k++)
		buf_init(&cell[k]);
	for (i = 0; i < n && rc == 0; i++) {
		const struct qrow *r = &rows[i];

		for (k = 0; k < 7; k++)
			buf_reset(&cell[k]);
		buf_puts(&cell[0], r->name);
		if (!r->in_rules)
			buf_puts(&cell[0], " *");
		buf_printf(&cell[1], "%zu", r->q != NULL ? r->q->count : 0);
		if (r->q != NULL) {
			buf_puts(&cell[2], ctl_day(r->oldest_day, day));
			buf_printf(&cell[3], "%" PRId64, r->oldest_wd);
			buf_printf(&cell[4], "%" PRId64, r->oldest_days);
		}
		if (r->sla > 0)
			buf_printf(&cell[5], "%u", r->sla);
		else
			buf_puts(&cell[5], "none");
		buf_printf(&cell[6], "%zu", r->overdue);
		for (k = 0; k < 7; k++) {
			if (cell[k].failed)
				rc = -1;
			row[k] = cell[k].len > 0 ? buf_str(&cell[k]) : NULL;
		}
		if (rc == 0)
			rc = table_add(&t, row);
	}
	if (rc == 0)
		table_print(&t, stdout);
	for (k = 0; k < 7; k++)
		buf_free(&cell[k]);
	table_free(&t);
	return rc;
}

int
ctl_queue(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "now", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	const struct rules *ru;
	struct store_queue_list l = { NULL, 0 };
	struct qrow *rows = NULL;
	size_t n = 0, i, waiting = 0, overdue = 0;
	int32_t today = c->today;
	int json = 0, ch, rc = CTL_FAILED;

	if (argc < 2 || strcmp(argv[1], "status") != 0)
		return usage();
	argc--;
	argv++;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'j')
			json = 1;
		else if (ch == 'n') {
			if (ctl_date("--now", optarg, &today) == -1)
				return CTL_USAGE;
		} else
			return usage();
	}
	if (optind != argc)
		return usage();
	if (ctl_open_store(c, 0) == -1)
		return CTL_USAGE;
	if (store_queue_status(c->store, &l) != STORE_OK) {
		ctl_error("%s", store_errmsg(c->store));
		store_queue_list_free(&l);
		return CTL_FAILED;
	}
	ru = &c->conf.rules;
	if ((rows = calloc(ru->n_types + 2 + l.n, sizeof(*rows))) == NULL) {
		ctl_error("out of memory");
		goto out;
	}
	for (i = 0; i < ru->n_types; i++)
		add_name(rows, &n, ru->types[i].queue, 1);
	add_name(rows, &n, ru->queue_rejects, 1);
	add_name(rows, &n, ru->queue_quarantine, 1);
	for (i = 0; i < l.n; i++)
		add_name(rows, &n, l.v[i].name, 0);
	for (i = 0; i < n; i++) {
		rows[i].q = store_queue_find(&l, rows[i].name);
		rows[i].sla = conf_sla_days(&c->conf, rows[i].name);
		if (measure(&rows[i], today) == -1) {
			ctl_error("out of memory");
			goto out;
		}
		waiting += rows[i].q != NULL ? rows[i].q->count : 0;
		overdue += rows[i].overdue;
	}
	if (json ? print_json(rows, n, today, waiting, overdue) :
	    print_table(rows, n)) {
		ctl_error("out of memory");
		goto out;
	}
	if (!json)
		print_notes(rows, n, today, waiting, overdue);
	rc = overdue > 0 ? CTL_FAILED : CTL_OK;
out:
	for (i = 0; rows != NULL && i < n; i++)
		free(rows[i].overdue_ids);
	free(rows);
	store_queue_list_free(&l);
	return rc;
}
