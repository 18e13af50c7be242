/*
 * ctl_test - balpctl test (see ctl_test.h).  The JSON shape is a contract
 * (docs/contracts.md): one object per line, keys in this order, null for
 * an unknown type or partner.
 */
#include "balp/ctl_test.h"
#include "balp/json.h"
#include "balp/buf.h"
#include "balp/reason.h"
#include "balp/table.h"
#include "balp/triage.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int
read_file(const char *path, size_t max, char **data, size_t *len,
    uint64_t *size)
{
	struct stat st;
	FILE *fp;
	char *p;
	size_t want;

	if ((fp = fopen(path, "rb")) == NULL)
		return -1;
	if (fstat(fileno(fp), &st) == -1 || !S_ISREG(st.st_mode)) {
		fclose(fp);
		errno = EINVAL;
		return -1;
	}
	want = (uint64_t)st.st_size < max ? (size_t)st.st_size : max;
	if ((p = malloc(want + 1)) == NULL) {
		fclose(fp);
		return -1;
	}
	*len = fread(p, 1, want, fp);
	p[*len] = '\0';
	fclose(fp);
	*data = p;
	*size = (uint64_t)st.st_size;
	return 0;
}

static void
print_json(const char *file, const struct triage_result *res)
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
	buf_puts(&b, "]}\n");
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
	struct triage t;
	struct triage_result res;
	struct table table;
	struct buf err = BUF_INIT, reasons = BUF_INIT;
	int json = 0, ch, rc = CTL_OK, i;
	int32_t today = c->today;
	char *data;
	size_t len;
	uint64_t size;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'j')
			json = 1;
		else if (ch == 'n') {
			if (ctl_date("--now", optarg, &today) == -1)
				return CTL_USAGE;
		} else
			{ fprintf(stderr, "usage: balpctl [-c CONF] %s\n", u); return CTL_USAGE; }
	}
	if (optind >= argc)
		{ fprintf(stderr, "usage: balpctl [-c CONF] %s\n", u); return CTL_USAGE; }
	if (ctl_open_store(c, 0) == -1)
		return CTL_USAGE;
	memset(&t, 0, sizeof(t));
	t.conf = &c->conf;
	t.store = c->store;
	t.today = today;
	t.now = c->now;
	t.actor = c->actor;
	if (!json && table_init(&table, 6, head) == -1)
		return CTL_FAILED;
	for (i = optind; i < argc; i++) {
		if (read_file(argv[i], TRIAGE_READ_MAX, &data, &len, &size) == -1) {
			ctl_error("%s: %s", argv[i], strerror(errno));
			rc = CTL_FAILED;
			continue;
		}
		buf_reset(&err);
		if (triage_decide(&t, data, len, size, &res, &err) < 0) {
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
		triage_result_free(&res);
		free(data);
	}
	if (!json) {
		table_print(&table, stdout);
		table_free(&table);
	}
	buf_free(&err);
	buf_free(&reasons);
	return rc;
}
