/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_queue - balpctl queue status (see ctl_queue.h).
 *
 * The ages and the SLA are sla.c's (shared with balpd's daily digest and
 * the console's dashboard: counted on the store's index); here they are
 * printed.  Only the ids printed are read: IDS_SHOWN per queue for the
 * table, every one for --json.
 */
#include "balp/ctl_queue.h"
#include "balp/buf.h"
#include "balp/date.h"
#include "balp/json.h"
#include "balp/sla.h"
#include "balp/source.h"
#include "balp/source_registry.h"
#include "balp/table.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Decision ids listed per overdue queue in the table's notes; --json
 * lists them all. */
#define IDS_SHOWN	20

static int
usage(void)
{
	fprintf(stderr, "usage: balpctl [-c CONF] queue status [--json] "
	    "[--now YYYY-MM-DD]\n");
	return CTL_USAGE;
}

/* 0, or -1 on ENOMEM (nothing printed). */
static int
print_json(const struct sla_queue *rows, size_t n, int32_t today, size_t waiting,
    size_t overdue)
{
	struct buf b = BUF_INIT;
	char day[11];
	size_t i, k;
	int rc;

	buf_printf(&b, "{\"as_of\":\"%s\",\"waiting\":%zu,\"overdue\":%zu,"
	    "\"queues\":[", ctl_day(today, day), waiting, overdue);
	for (i = 0; i < n; i++) {
		const struct sla_queue *r = &rows[i];

		buf_puts(&b, i > 0 ? ",{\"queue\":" : "{\"queue\":");
		json_string(&b, r->name);
		buf_printf(&b, ",\"in_rules\":%s,\"waiting\":%zu,",
		    r->in_rules ? "true" : "false", r->q ? r->q->count : 0);
		if (r->in_mailbox >= 0)
			buf_printf(&b, "\"in_mailbox\":%" PRId64 ",",
			    r->in_mailbox);
		else
			buf_puts(&b, "\"in_mailbox\":null,");
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
		for (k = 0; k < r->n_ids; k++)
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
print_notes(const struct sla_queue *rows, size_t n, int32_t today, size_t waiting,
    size_t overdue)
{
	char day[11];
	size_t i, k, others = 0;

	printf("\nas of %s: %zu waiting, %zu over their SLA\n",
	    ctl_day(today, day), waiting, overdue);
	for (i = 0; i < n; i++) {
		const struct sla_queue *r = &rows[i];

		others += !r->in_rules;
		if (r->overdue == 0)
			continue;
		printf("%s: %zu over %u working days: decision%s", r->name,
		    r->overdue, r->sla, r->overdue > 1 ? "s" : "");
		for (k = 0; k < r->n_ids && k < IDS_SHOWN; k++)
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
print_table(const struct sla_queue *rows, size_t n)
{
	static const char *const head[] = { "QUEUE", "WAITING", "OLDEST SINCE",
	    "AGE (WORKING DAYS)", "AGE (DAYS)", "SLA (WORKING DAYS)",
	    "OVERDUE", "IN MAILBOX" };
	struct table t;
	struct buf cell[8];
	const char *row[8];
	char day[11];
	size_t i, k;
	int rc = 0;

	if (table_init(&t, 8, head) == -1)
		return -1;
	for (k = 0; k < 8; k++)
		buf_init(&cell[k]);
	for (i = 0; i < n && rc == 0; i++) {
		const struct sla_queue *r = &rows[i];

		for (k = 0; k < 8; k++)
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
		if (r->in_mailbox >= 0)
			buf_printf(&cell[7], "%" PRId64, r->in_mailbox);
		for (k = 0; k < 8; k++) {
			if (cell[k].failed)
				rc = -1;
			row[k] = cell[k].len > 0 ? buf_str(&cell[k]) : NULL;
		}
		if (rc == 0)
			rc = table_add(&t, row);
	}
	if (rc == 0)
		table_print(&t, stdout);
	for (k = 0; k < 8; k++)
		buf_free(&cell[k]);
	table_free(&t);
	return rc;
}

/*
 * What the mailbox holds in each queue folder, beside the store's count:
 * a message an agent answered and filed elsewhere, or deleted, leaves the
 * folder but not the record.  A source that cannot be reached (an IMAP
 * server down) leaves the counts unknown and says why in *why.
 */
static void
mailbox_counts(struct ctl *c, struct sla_report *r, struct buf *why)
{
	struct source src;
	size_t i, n;

	if (source_registry_open(&c->conf.source, 0, &src, why) == -1)
		return;
	for (i = 0; i < r->n; i++) {
		if (src.ops->count(src.state, r->v[i].name, &n, why) == -1)
			break;
		r->v[i].in_mailbox = (int64_t)n;
	}
	if (i < r->n)
		for (i = 0; i < r->n; i++)
			r->v[i].in_mailbox = -1;
	src.ops->close(src.state);
}

int
ctl_queue(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "now", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	struct sla_report r;
	struct buf err = BUF_INIT, why = BUF_INIT;
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
	if (sla_report(c->store, &c->conf, today, json ? SIZE_MAX : IDS_SHOWN,
	    &r, &err) == -1) {
		ctl_error("%s", buf_str(&err));
		buf_free(&err);
		return CTL_FAILED;
	}
	mailbox_counts(c, &r, &why);
	if (json ? print_json(r.v, r.n, today, r.waiting, r.overdue) :
	    print_table(r.v, r.n))
		ctl_error("out of memory");
	else {
		if (!json)
			print_notes(r.v, r.n, today, r.waiting, r.overdue);
		if (why.len > 0)
			fprintf(stderr, "balpctl: the mailbox was not read "
			    "(%s): the store's counts only\n", buf_str(&why));
		rc = r.overdue > 0 ? CTL_FAILED : CTL_OK;
	}
	sla_report_free(&r);
	buf_free(&why);
	return rc;
}
