/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_annex_staged - the annexes mailed by referents, staged for an
 * admin (see ctl_annex_staged.h, docs/annex-mail.md): pending, show,
 * approve, reject.
 *
 * approve and reject are annex_act's (annex_act.h), which the console
 * calls too: the same re-validation, transaction, audit rows and notice
 * to the referent.
 */
#include "balp/ctl_annex_staged.h"
#include "balp/annex.h"
#include "balp/annex_act.h"
#include "balp/json.h"
#include "balp/store_staged.h"
#include "balp/table.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static int
usage(void)
{
	fprintf(stderr, "usage: balpctl [-c CONF] annex pending [--json]\n"
	    "       balpctl [-c CONF] annex show ID\n"
	    "       balpctl [-c CONF] annex approve ID [--force]\n"
	    "       balpctl [-c CONF] annex reject ID --reason TEXT\n");
	return CTL_USAGE;
}

static int
parse_id(const char *s, int64_t *id)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v <= 0) {
		ctl_error("'%s' is no staged annex id (see `balpctl annex "
		    "pending`)", s);
		return -1;
	}
	*id = v;
	return 0;
}

/* One staged annex as a JSON object; errors: what re-validation says. */
static void
staged_json(struct buf *b, const struct store_staged *g, long age,
    const char *errors)
{
	buf_printf(b, "{\"id\":%" PRId64 ",\"partner\":", g->id);
	json_string(b, g->partner_id);
	buf_puts(b, ",\"sender\":");
	json_string(b, g->sender);
	buf_puts(b, ",\"received_at\":");
	json_string(b, g->received_at);
	buf_printf(b, ",\"age_days\":%ld", age);
	buf_printf(b, ",\"decision\":%" PRId64 ",\"rows\":%zu,\"added\":%zu,"
	    "\"ended\":%zu,\"changed\":%zu,\"new_periods\":%zu,"
	    "\"unchanged\":%zu,\"force_needed\":%s,\"errors\":[",
	    g->decision_id, g->n_rows, g->added, g->ended, g->updated,
	    g->new_periods, g->unchanged, g->force_needed ? "true" : "false");
	if (errors != NULL)
		json_string(b, errors);
	buf_puts(b, "]}");
}

static int
pending_cmd(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const head[] = { "ID", "PARTNER", "SENDER",
	    "RECEIVED", "AGE", "ADDED", "ENDED", "CHANGED", "ERRORS" };
	struct store_staged_list l;
	struct annex_plan plan;
	struct buf out = BUF_INIT, why = BUF_INIT;
	struct table t;
	const char *row[9];
	char n0[24], n1[24], n2[24], n3[24], n4[32];
	size_t i;
	long age;
	int ch, json = 0, r, rc = CTL_OK;

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
	if (store_staged_list(c->store, 1, &l) != STORE_OK)
		return ctl_store_fail(c);
	if (!json && table_init(&t, 9, head) == -1) {
		store_staged_list_free(&l);
		ctl_error("out of memory");
		return CTL_FAILED;
	}
	if (json)
		buf_puts(&out, "[");
	for (i = 0; i < l.n; i++) {
		/* Would it still apply today?  Said now, not at approval. */
		buf_reset(&why);
		r = store_staged_check(c->store, l.v[i].id, c->today, &plan);
		annex_plan_free(&plan);
		if (r == STORE_REFUSED)
			buf_puts(&why, store_errmsg(c->store));
		else if (r != STORE_OK) {
			rc = ctl_store_fail(c);
			break;
		}
		age = annex_act_age_days(&l.v[i], c->today);
		if (json) {
			buf_puts(&out, i > 0 ? ",\n" : "\n");
			staged_json(&out, &l.v[i], age, why.len > 0 ?
			    buf_str(&why) : NULL);
			continue;
		}
		if (age == 1)
			(void)snprintf(n4, sizeof(n4), "1 day");
		else
			(void)snprintf(n4, sizeof(n4), "%ld days", age);
		(void)snprintf(n0, sizeof(n0), "%" PRId64, l.v[i].id);
		(void)snprintf(n1, sizeof(n1), "%zu", l.v[i].added);
		(void)snprintf(n2, sizeof(n2), "%zu", l.v[i].ended);
		(void)snprintf(n3, sizeof(n3), "%zu", l.v[i].updated);
		row[0] = n0;
		row[1] = l.v[i].partner_id;
		row[2] = l.v[i].sender;
		row[3] = l.v[i].received_at;
		row[4] = n4;
		row[5] = n1;
		row[6] = n2;
		row[7] = n3;
		row[8] = why.len > 0 ? buf_str(&why) : NULL;
		table_add(&t, row);
	}
	if (rc == CTL_OK && json) {
		buf_puts(&out, l.n > 0 ? "\n]\n" : "]\n");
		rc = ctl_print(&out);
	} else if (rc == CTL_OK)
		table_print(&t, stdout);
	if (!json)
		table_free(&t);
	store_staged_list_free(&l);
	buf_free(&out);
	buf_free(&why);
	return rc;
}

static int
show_cmd(struct ctl *c, int argc, char **argv)
{
	struct store_staged g;
	struct annex_plan plan;
	struct buf text = BUF_INIT;
	int64_t id;
	int r;

	if (argc != 2)
		return usage();
	if (parse_id(argv[1], &id) == -1)
		return CTL_USAGE;
	if (ctl_open_store(c, 0) == -1)
		return CTL_USAGE;
	if ((r = store_staged_get(c->store, id, &g)) != STORE_OK)
		return ctl_store_fail(c);
	printf("staged annex %" PRId64 ": %s\n", g.id, g.status);
	printf("partner     %s\nsender      ", g.partner_id);
	ctl_put_escaped(stdout, g.sender);
	printf("\nreceived    %s (decision %" PRId64 ")\nfile        %s "
	    "(%s, %zu rows)\n", g.received_at, g.decision_id, g.digest,
	    g.encoding, g.n_rows);
	if (g.decided_by != NULL) {
		printf("%-11s %s by ", g.status, g.decided_at != NULL ?
		    g.decided_at : "");
		ctl_put_escaped(stdout, g.decided_by);
		putchar('\n');
	}
	if (g.reason != NULL) {
		printf("reason      ");
		ctl_put_escaped(stdout, g.reason);
		putchar('\n');
	}
	if (strcmp(g.status, "pending") != 0) {
		printf("diff when staged:\n");
		ctl_put_escaped_lines(stdout, g.diff);
		store_staged_free(&g);
		return CTL_OK;
	}
	/* What approving it today would do, row by row. */
	r = store_staged_check(c->store, id, c->today, &plan);
	if (r == STORE_OK) {
		annex_plan_render(&plan, &text);
		printf("diff against the annex in force today:\n");
		ctl_put_escaped_lines(stdout, buf_str(&text));
	} else if (r == STORE_REFUSED) {
		printf("no longer applies: ");
		ctl_put_escaped(stdout, store_errmsg(c->store));
		printf("\ndiff when staged:\n");
		ctl_put_escaped_lines(stdout, g.diff);
	}
	annex_plan_free(&plan);
	buf_free(&text);
	store_staged_free(&g);
	return r == STORE_OK || r == STORE_REFUSED ? CTL_OK :
	    ctl_store_fail(c);
}

static int
approve_cmd(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	struct annex_act done;
	struct buf err = BUF_INIT;
	int64_t id;
	int ch, force = 0, rc;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'f')
			force = 1;
		else
			return usage();
	}
	if (optind + 1 != argc)
		return usage();
	if (parse_id(argv[optind], &id) == -1)
		return CTL_USAGE;
	if ((rc = ctl_require_admin(c, "annex approve")) != CTL_OK)
		return rc;
	if (ctl_open_store(c, 0) == -1)
		return CTL_USAGE;
	if (annex_act_approve(c->store, &c->conf.rules, id, c->today, force,
	    c->actor, c->now, &done, &err) != STORE_OK) {
		ctl_error("%s", buf_str(&err));
		annex_act_free(&done);
		buf_free(&err);
		return CTL_FAILED;
	}
	ctl_put_escaped_lines(stdout, buf_str(&done.applied));
	printf("annex %" PRId64 " of %s approved and applied; the "
	    "acknowledgment to ", id, done.partner_id);
	ctl_put_escaped(stdout, done.sender);
	printf(" is queued\n");
	annex_act_free(&done);
	buf_free(&err);
	return CTL_OK;
}

static int
reject_cmd(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	struct annex_act done;
	struct buf err = BUF_INIT;
	const char *reason = NULL;
	int64_t id;
	int ch, rc;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'r')
			reason = optarg;
		else
			return usage();
	}
	if (optind + 1 != argc || reason == NULL)
		return usage();
	if (parse_id(argv[optind], &id) == -1)
		return CTL_USAGE;
	if ((rc = ctl_require_admin(c, "annex reject")) != CTL_OK)
		return rc;
	if (ctl_open_store(c, 0) == -1)
		return CTL_USAGE;
	if (annex_act_reject(c->store, &c->conf.rules, id, reason, c->today,
	    c->actor, c->now, &done, &err) != STORE_OK) {
		ctl_error("%s", buf_str(&err));
		annex_act_free(&done);
		buf_free(&err);
		return CTL_FAILED;
	}
	printf("annex %" PRId64 " of %s rejected, nothing changed; the notice "
	    "to ", id, done.partner_id);
	ctl_put_escaped(stdout, done.sender);
	printf(" is queued\n");
	annex_act_free(&done);
	buf_free(&err);
	return CTL_OK;
}

int
ctl_annex_staged(struct ctl *c, int argc, char **argv)
{
	if (argc < 1)
		return usage();
	if (strcmp(argv[0], "pending") == 0)
		return pending_cmd(c, argc, argv);
	if (strcmp(argv[0], "show") == 0)
		return show_cmd(c, argc, argv);
	if (strcmp(argv[0], "approve") == 0)
		return approve_cmd(c, argc, argv);
	if (strcmp(argv[0], "reject") == 0)
		return reject_cmd(c, argc, argv);
	return usage();
}
