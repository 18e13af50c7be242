/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_annex_staged - the annexes mailed by referents, staged for an
 * admin (see ctl_annex_staged.h, docs/annex-mail.md): pending, show,
 * approve, reject.
 *
 * approve plans the staged file against the annex in force today
 * (store_staged_check), writes the referent's acknowledgment from that
 * plan, then has store_staged_approve check it again, apply it and queue
 * the acknowledgment in one transaction: if the annex moved in between,
 * the keys differ and nothing is written.
 */
#include "balp/ctl_annex_staged.h"
#include "balp/annex.h"
#include "balp/date.h"
#include "balp/json.h"
#include "balp/notice.h"
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

/* The day as the referent reads it. */
static void
day_fr(int32_t d, char out[11])
{
	if (d == DATE_NONE)
		(void)snprintf(out, 11, "-");
	else
		date_format_fr(d, out);
}

/*
 * What an approved annex changed, in French, one person a line, for the
 * referent's acknowledgment ({changes}): their own staff list.
 */
static void
changes_fr(const struct annex_plan *pl, struct buf *b)
{
	const struct annex_change *c;
	char d1[11], d2[11];
	size_t i, n = 0;

	for (i = 0; i < pl->n; i++) {
		c = &pl->v[i];
		day_fr(c->start, d1);
		day_fr(c->end, d2);
		switch (c->kind) {
		case ANNEX_ADD:
			buf_printf(b, "- ajout : %s (%s %s), habilitation du "
			    "%s%s%s\n", c->email, c->last_name, c->first_name,
			    d1, c->end != DATE_NONE ? " au " : "",
			    c->end != DATE_NONE ? d2 : "");
			break;
		case ANNEX_NEW_PERIOD:
			buf_printf(b, "- nouvelle habilitation : %s (%s %s), "
			    "du %s%s%s\n", c->email, c->last_name,
			    c->first_name, d1, c->end != DATE_NONE ? " au " :
			    "", c->end != DATE_NONE ? d2 : "");
			break;
		case ANNEX_UPDATE:
			buf_printf(b, "- modification : %s (%s %s) :%s%s%s%s%s"
			    "\n", c->email, c->last_name, c->first_name,
			    c->changed & ANNEX_F_NOM ? " nom" : "",
			    c->changed & ANNEX_F_PRENOM ? " prénom" : "",
			    c->changed & ANNEX_F_FONCTION ? " fonction" : "",
			    c->changed & ANNEX_F_DATE_HABILITATION ?
			    " date d'habilitation" : "",
			    c->changed & ANNEX_F_DATE_FIN ? " date de fin" :
			    "");
			break;
		case ANNEX_END:
			buf_printf(b, "- fin d'habilitation : %s (%s %s), au "
			    "%s\n", c->email, c->old_last_name != NULL ?
			    c->old_last_name : "", c->old_first_name != NULL ?
			    c->old_first_name : "", d2);
			break;
		case ANNEX_UNCHANGED:
			continue;
		}
		n++;
	}
	if (n == 0)
		buf_puts(b, "- aucune : la liste transmise est celle que la Caf "
		    "connaissait déjà\n");
	/* The template ends the line. */
	if (b->len > 0 && b->data[b->len - 1] == '\n')
		b->data[--b->len] = '\0';
}

/*
 * Days since it was received, on today (a pending one is kept, whatever
 * its age, until an admin decides it: docs/annex-mail.md, "Retention");
 * -1 when received_at is not a date.
 */
static long
age_days(const struct store_staged *g, int32_t today)
{
	char day[11];
	int32_t d;

	(void)snprintf(day, sizeof(day), "%s", g->received_at);
	if (date_parse_iso(day, &d) == -1)
		return -1;
	return (long)today - (long)d;
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
		age = age_days(&l.v[i], c->today);
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
	struct store_staged g;
	struct store_notice notice;
	struct annex_plan plan;
	struct buf changes = BUF_INIT, text = BUF_INIT;
	char *subject = NULL, *body = NULL;
	int64_t id;
	int ch, force = 0, rc = CTL_FAILED;

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
	memset(&plan, 0, sizeof(plan));
	if (store_staged_get(c->store, id, &g) != STORE_OK)
		return ctl_store_fail(c);
	rc = CTL_FAILED;
	if (store_staged_check(c->store, id, c->today, &plan) != STORE_OK) {
		ctl_error("annex %" PRId64 " not approved, nothing changed: %s",
		    id, store_errmsg(c->store));
		goto out;
	}
	changes_fr(&plan, &changes);
	annex_plan_free(&plan);
	if (changes.failed || notice_render_annex(&c->conf.rules, 1,
	    g.partner_id, buf_str(&changes), c->today, &subject, &body) == -1) {
		ctl_error("cannot write the acknowledgment: the rules need "
		    "notices.annex.approved (or memory ran out)");
		goto out;
	}
	notice.recipient = g.sender;
	notice.subject = subject;
	notice.body = body;
	if (store_staged_approve(c->store, id, c->today, force, &notice,
	    c->actor, c->now, &plan) != STORE_OK) {
		ctl_error("annex %" PRId64 " not approved, nothing changed: %s",
		    id, store_errmsg(c->store));
		goto out;
	}
	annex_plan_render(&plan, &text);
	ctl_put_escaped_lines(stdout, buf_str(&text));
	printf("annex %" PRId64 " of %s approved and applied; the "
	    "acknowledgment to ", id, g.partner_id);
	ctl_put_escaped(stdout, g.sender);
	printf(" is queued\n");
	rc = CTL_OK;
out:
	annex_plan_free(&plan);
	store_staged_free(&g);
	buf_free(&changes);
	buf_free(&text);
	free(subject);
	free(body);
	return rc;
}

static int
reject_cmd(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	struct store_staged g;
	struct store_notice notice;
	const char *reason = NULL;
	char *subject = NULL, *body = NULL;
	int64_t id;
	int ch, rc = CTL_FAILED;

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
	if (store_staged_get(c->store, id, &g) != STORE_OK)
		return ctl_store_fail(c);
	rc = CTL_FAILED;
	if (notice_render_annex(&c->conf.rules, 0, g.partner_id, reason,
	    c->today, &subject, &body) == -1) {
		ctl_error("cannot write the notice: the rules need "
		    "notices.annex.rejected (or memory ran out)");
		goto out;
	}
	notice.recipient = g.sender;
	notice.subject = subject;
	notice.body = body;
	if (store_staged_reject(c->store, id, reason, &notice, c->actor,
	    c->now) != STORE_OK) {
		ctl_error("annex %" PRId64 " not rejected: %s", id,
		    store_errmsg(c->store));
		goto out;
	}
	printf("annex %" PRId64 " of %s rejected, nothing changed; the notice "
	    "to ", id, g.partner_id);
	ctl_put_escaped(stdout, g.sender);
	printf(" is queued\n");
	rc = CTL_OK;
out:
	store_staged_free(&g);
	free(subject);
	free(body);
	return rc;
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
