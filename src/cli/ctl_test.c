/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_test - balpctl test (see ctl_test.h).  The JSON shape is a contract
 * (docs/contracts.md): one object per line, keys in this order, null for
 * an unknown type or partner.
 */
#include "balp/ctl_test.h"
#include "balp/json.h"
#include "balp/pipeline_annex.h"
#include "balp/buf.h"
#include "balp/reason.h"
#include "balp/table.h"
#include "balp/pipeline.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * The file as a blob the parser workers read; -1 with errno set (EISDIR
 * for a folder, EINVAL for anything else that is not a regular file).
 */
static int
open_file(const char *path, struct source_blob *blob)
{
	struct stat st;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1)
		return -1;
	if (fstat(fd, &st) == -1) {
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		return -1;
	}
	blob->fd = fd;
	blob->data = NULL;
	blob->size = (uint64_t)st.st_size;
	blob->len = blob->size < PIPELINE_READ_MAX ? (size_t)blob->size :
	    PIPELINE_READ_MAX;
	return 0;
}

/*
 * An annex mail's file (pipeline_annex.h): the diff's counts as it would
 * be staged, or its errors as `annex import` prints them.
 */
static void
annex_json(struct buf *b, const struct pipeline_annex *a)
{
	const struct annex_plan *pl = &a->plan;
	const char *p, *nl;
	struct buf line = BUF_INIT;
	int first = 1;

	buf_puts(b, ",\"annex\":{");
	if (a->planned)
		buf_printf(b, "\"rows\":%zu,\"added\":%zu,\"ended\":%zu,"
		    "\"changed\":%zu,\"new_periods\":%zu,\"unchanged\":%zu,"
		    "\"force_needed\":%s,", a->rows.n, pl->n_added, pl->n_ended,
		    pl->n_updated, pl->n_new_period, pl->n_unchanged,
		    pl->force_needed ? "true" : "false");
	buf_puts(b, "\"errors\":[");
	for (p = buf_str(&a->errors); *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p) - 1;
		buf_reset(&line);
		buf_add(&line, p, (size_t)(nl - p) + (*nl != '\n'));
		if (!first)
			buf_putc(b, ',');
		json_string(b, buf_str(&line));
		first = 0;
	}
	buf_puts(b, "]}");
	buf_free(&line);
}

static void
print_json(const char *file, const struct pipeline_result *res)
{
	const struct decision *d = &res->decision;
	struct buf b = BUF_INIT;

	buf_puts(&b, "{\"file\":");
	json_string(&b, file);
	buf_printf(&b, ",\"outcome\":\"%s\",\"type\":", outcome_name(d->outcome));
	json_string(&b, d->type != NULL ? d->type->id : NULL);
	buf_puts(&b, ",\"queue\":");
	json_string(&b, d->queue);
	buf_puts(&b, ",\"partner\":");
	json_string(&b, d->partner_id);
	buf_puts(&b, ",\"sender\":");
	json_string(&b, res->facts.from_addr);
	buf_puts(&b, ",\"reasons\":[");
	if (d->reasons != 0) {
		buf_putc(&b, '"');
		reason_join(&b, d->reasons, "\",\"");
		buf_putc(&b, '"');
	}
	buf_putc(&b, ']');
	if (res->annex != NULL)
		annex_json(&b, res->annex);
	buf_puts(&b, "}\n");
	fputs(buf_str(&b), stdout);
	buf_free(&b);
}

int
ctl_test(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "now", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const head[] = { "FILE", "OUTCOME", "TYPE", "QUEUE",
	    "PARTNER", "REASONS" };
	const char *u = "test [--json] [--now YYYY-MM-DD] FILE.eml...";
	struct sandbox_zygote *z = NULL;
	struct pipeline *p = NULL;
	struct pipeline_result res;
	struct source_blob blob = SOURCE_BLOB_INIT;
	struct table table;
	struct buf err = BUF_INIT, reasons = BUF_INIT;
	int json = 0, ch, rc = CTL_OK, i;
	int32_t today = c->today;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'j')
			json = 1;
		else if (ch == 'n') {
			if (ctl_date("--now", optarg, &today) == -1)
				return CTL_USAGE;
		} else
			return ctl_usage(u);
	}
	if (optind >= argc)
		return ctl_usage(u);
	/*
	 * The daemon's parser workers: the same parser, the same answers;
	 * their zygote forked before the store is opened, as balpd's.
	 */
	if (pipeline_zygote(&z, &err) == -1) {
		ctl_error("%s", buf_str(&err));
		buf_free(&err);
		return CTL_FAILED;
	}
	/* A dry run: it never migrates nor writes the store. */
	if (ctl_open_store_readonly(c) == -1) {
		sandbox_zygote_stop(z);
		return CTL_USAGE;
	}
	if (pipeline_open(&c->conf, c->store, z, NULL, c->actor, &p, &err) ==
	    -1) {
		ctl_error("%s", buf_str(&err));
		buf_free(&err);
		sandbox_zygote_stop(z);
		return CTL_FAILED;
	}
	pipeline_set_time(p, c->now, today);
	if (!json && table_init(&table, 6, head) == -1) {
		pipeline_close(p);
		sandbox_zygote_stop(z);
		return CTL_FAILED;
	}
	for (i = optind; i < argc; i++) {
		if (open_file(argv[i], &blob) == -1) {
			if (errno == EISDIR)
				ctl_error("%s is a folder: test takes message"
				    " files (%s/*)", argv[i], argv[i]);
			else if (errno == EINVAL)
				ctl_error("%s: not a regular file", argv[i]);
			else
				ctl_error("%s: %s", argv[i], strerror(errno));
			rc = CTL_FAILED;
			continue;
		}
		buf_reset(&err);
		if (pipeline_decide_blob(p, &blob, &res, &err) < 0) {
			ctl_error("%s: %s", argv[i], buf_str(&err));
			rc = CTL_FAILED;
		} else if (json)
			print_json(argv[i], &res);
		else {
			const struct decision *d = &res.decision;
			const char *row[6];

			buf_reset(&reasons);
			reason_join(&reasons, d->reasons, ",");
			row[0] = argv[i];
			row[1] = outcome_name(d->outcome);
			row[2] = d->type != NULL ? d->type->id : NULL;
			row[3] = d->queue;
			row[4] = d->partner_id;
			row[5] = reasons.len > 0 ? buf_str(&reasons) : NULL;
			table_add(&table, row);
		}
		pipeline_result_free(&res);
		source_blob_free(&blob);
	}
	if (!json) {
		table_print(&table, stdout);
		table_free(&table);
	}
	pipeline_close(p);
	sandbox_zygote_stop(z);
	buf_free(&err);
	buf_free(&reasons);
	return rc;
}
