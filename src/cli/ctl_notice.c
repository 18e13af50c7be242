/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_notice - balpctl notice list | resend (see ctl_notice.h).
 */
#include "balp/ctl_notice.h"
#include "balp/buf.h"
#include "balp/json.h"
#include "balp/store_outbox.h"
#include "balp/table.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
usage(void)
{
	fprintf(stderr, "usage: balpctl [-c CONF] notice list [--json] | "
	    "resend ID\n");
	return CTL_USAGE;
}

/* One notice as a JSON object: never its subject nor its body. */
static void
item_json(struct buf *b, const struct store_outbox_item *it)
{
	buf_printf(b, "{\"id\":%" PRId64 ",\"decision\":%" PRId64
	    ",\"created_at\":", it->id, it->decision_id);
	json_string(b, it->created_at);
	buf_puts(b, ",\"recipient\":");
	json_string(b, it->recipient);
	buf_puts(b, ",\"status\":");
	json_string(b, it->status);
	buf_printf(b, ",\"attempts\":%d,\"next_attempt_at\":", it->attempts);
	json_string(b, strcmp(it->status, "pending") == 0 ?
	    it->next_attempt_at : NULL);
	buf_puts(b, ",\"sent_at\":");
	json_string(b, strcmp(it->status, "sent") == 0 ?
	    it->next_attempt_at : NULL);
	buf_puts(b, ",\"last_error\":");
	json_string(b, it->last_error);
	buf_putc(b, '}');
}

static int
notice_list(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const head[] = { "ID", "QUEUED (UTC)", "STATUS",
	    "TRIES", "NEXT/SENT (UTC)", "DECISION", "RECIPIENT", "LAST ERROR" };
	struct store_outbox_list l = { NULL, 0 };
	struct buf out = BUF_INIT, id = BUF_INIT, tries = BUF_INIT,
	    dec = BUF_INIT;
	struct table t;
	const char *row[8];
	size_t i;
	int ch, json = 0, rc = CTL_OK;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'j')
			json = 1;
		else
			return usage();
	}
	if (optind != argc)
		return usage();
	if (ctl_open_store(c, 0) == -1)
		return CTL_USAGE;
	if (store_outbox_all(c->store, &l) != STORE_OK)
		return ctl_store_fail(c);
	if (json) {
		buf_puts(&out, "[");
		for (i = 0; i < l.n; i++) {
			buf_puts(&out, i > 0 ? ",\n" : "\n");
			item_json(&out, &l.v[i]);
		}
		buf_puts(&out, "\n]\n");
		rc = ctl_print(&out);
		buf_free(&out);
		store_outbox_list_free(&l);
		return rc;
	}
	if (table_init(&t, 8, head) == -1) {
		store_outbox_list_free(&l);
		ctl_error("out of memory");
		return CTL_FAILED;
	}
	for (i = 0; i < l.n && rc == CTL_OK; i++) {
		const struct store_outbox_item *it = &l.v[i];

		buf_reset(&id);
		buf_reset(&tries);
		buf_reset(&dec);
		buf_printf(&id, "%" PRId64, it->id);
		buf_printf(&tries, "%d", it->attempts);
		buf_printf(&dec, "%" PRId64, it->decision_id);
		row[0] = buf_str(&id);
		row[1] = it->created_at;
		row[2] = it->status;
		row[3] = buf_str(&tries);
		/* a failed one has no next attempt */
		row[4] = strcmp(it->status, "failed") != 0 ?
		    it->next_attempt_at : NULL;
		row[5] = buf_str(&dec);
		row[6] = it->recipient;
		row[7] = it->last_error;
		if (table_add(&t, row) == -1) {
			ctl_error("out of memory");
			rc = CTL_FAILED;
		}
	}
	if (rc == CTL_OK)
		table_print(&t, stdout);
	table_free(&t);
	buf_free(&id);
	buf_free(&tries);
	buf_free(&dec);
	store_outbox_list_free(&l);
	return rc;
}

static int
notice_resend(struct ctl *c, int argc, char **argv)
{
	char *end;
	long long v;
	int64_t new_id;

	if (argc != 2)
		return usage();
	v = strtoll(argv[1], &end, 10);
	if (*argv[1] == '\0' || *end != '\0' || v <= 0) {
		ctl_error("notice resend: '%s' is no notice id (see notice "
		    "list)", argv[1]);
		return CTL_USAGE;
	}
	if (ctl_open_store(c, 0) == -1)
		return CTL_USAGE;
	if (store_outbox_resend(c->store, (int64_t)v, c->actor, c->now,
	    &new_id) != STORE_OK)
		return ctl_store_fail(c);
	printf("notice %lld queued again as notice %" PRId64 "; balpd sends "
	    "it at its next round\n", v, new_id);
	return CTL_OK;
}

int
ctl_notice(struct ctl *c, int argc, char **argv)
{
	int rc;

	if ((rc = ctl_require_admin(c, "notice")) != CTL_OK)
		return rc;
	/* getopt names argv[0] in its errors: the whole command. */
	if (argc >= 2 && strcmp(argv[1], "list") == 0) {
		argv[1] = (char *)"notice list";
		return notice_list(c, argc - 1, argv + 1);
	}
	if (argc >= 2 && strcmp(argv[1], "resend") == 0) {
		argv[1] = (char *)"notice resend";
		return notice_resend(c, argc - 1, argv + 1);
	}
	return usage();
}
