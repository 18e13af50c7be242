/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conf_rules - the rules file (balp.rules(5)) into struct rules: queues,
 * request types, subject words, attachments and the notice texts, each
 * checked as conf_load() checks the configuration (conf_priv.h).
 */
#include "conf_priv.h"

#include "balp/reason.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int
valid_type_id(const char *id)
{
	const char *p;

	if (*id == '\0' || strlen(id) > 40)
		return 0;
	for (p = id; *p != '\0'; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) ||
		    *p == '_' || *p == '-'))
			return 0;
	return 1;
}

static void
load_types(struct conf_loader *l, const config_setting_t *list, struct rules *r)
{
	static const char *const keys[] = { "id", "label", "queue", "keywords",
	    "needs_attachment", "min_age_months", "annex_update", NULL };
	static const char *const needs_keys[] = { "types", "extensions", NULL };
	const struct request_type *annex_type = NULL;
	const config_setting_t *e, *needs;
	struct request_type *t;
	long long months;
	size_t i, k, n;

	if (list == NULL) {
		conf_lerr(l, NULL, "missing 'request_types'");
		return;
	}
	if (!config_setting_is_list(list)) {
		conf_lerr(l, list,
		    "'request_types' must be a list ( {...}, {...} )");
		return;
	}
	n = (size_t)config_setting_length(list);
	if (n == 0) {
		conf_lerr(l, list,
		    "'request_types' is empty: nothing could be accepted");
		return;
	}
	if ((r->types = calloc(n, sizeof(*r->types))) == NULL) {
		conf_lerr(l, list, "out of memory");
		return;
	}
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(list, (unsigned)i);
		t = &r->types[r->n_types++];
		wordlist_init(&t->keywords);
		wordlist_init(&t->needs_types);
		wordlist_init(&t->needs_extensions);
		if (!config_setting_is_group(e)) {
			conf_lerr(l, e,
			    "request type %zu must be a group { ... }", i + 1);
			continue;
		}
		conf_check_keys(l, e, keys, "a request type");
		conf_get_string(l, e, "id", 1, &t->id);
		conf_get_string(l, e, "label", 1, &t->label);
		conf_get_string(l, e, "queue", 1, &t->queue);
		conf_get_words(l, e, "keywords", 1, &t->keywords);
		if (t->id != NULL && !valid_type_id(t->id))
			conf_lerr(l, e,
			    "type id '%s': use lower-case letters, digits,"
			    " '-' or '_'", t->id);
		for (k = 0; t->id != NULL && k + 1 < r->n_types; k++)
			if (r->types[k].id != NULL &&
			    strcmp(r->types[k].id, t->id) == 0)
				conf_lerr(l, e, "type id '%s' is defined twice",
				    t->id);
		if (t->queue != NULL && !conf_valid_folder(t->queue))
			conf_lerr(l, e, "queue '%s' is not a valid folder name"
			    " (letters, digits, space, '-', '_', '/')", t->queue);
		/* Accepted mail filed among rejected or quarantined mail
		 * would be read as such by the agents. */
		if (t->queue != NULL && ((r->queue_rejects != NULL &&
		    strcmp(t->queue, r->queue_rejects) == 0) ||
		    (r->queue_quarantine != NULL &&
		    strcmp(t->queue, r->queue_quarantine) == 0)))
			conf_lerr(l, conf_member(e, "queue"),
			    "request type '%s': its"
			    " queue '%s' is the %s folder; give it a queue of"
			    " its own", t->id != NULL ? t->id : "?", t->queue,
			    strcmp(t->queue, r->queue_rejects) == 0 ?
			    "rejects" : "quarantine");
		if ((needs = conf_member(e, "needs_attachment")) != NULL) {
			if (!config_setting_is_group(needs))
				conf_lerr(l, needs,
				    "'needs_attachment' must be a group"
				    " { types = [...]; extensions = [...]; }");
			conf_check_keys(l, needs, needs_keys,
			    "needs_attachment");
			conf_get_words(l, needs, "types", 0, &t->needs_types);
			conf_get_words(l, needs, "extensions", 0,
			    &t->needs_extensions);
		}
		months = 0;
		conf_get_int(l, e, "min_age_months", 0, 120, &months);
		t->min_age_months = (int)months;
		conf_get_bool(l, e, "annex_update", &t->annex_update);
		if (!t->annex_update)
			continue;
		/* Its file is what needs_attachment describes: one is needed. */
		if (t->needs_types.n == 0 && t->needs_extensions.n == 0)
			conf_lerr(l, conf_member(e, "annex_update"),
			    "request type '%s':"
			    " an annex_update type needs needs_attachment {"
			    " types; extensions; } describing the annex file"
			    " (csv, xlsx, ods)", t->id != NULL ? t->id : "?");
		if (t->min_age_months > 0)
			conf_lerr(l, conf_member(e, "min_age_months"),
			    "request type"
			    " '%s': an annex_update type has no date rule",
			    t->id != NULL ? t->id : "?");
		/* One annex per partner: two kinds of update would be one. */
		if (annex_type != NULL)
			conf_lerr(l, conf_member(e, "annex_update"),
			    "request type '%s':"
			    " '%s' is already the annex_update type",
			    t->id != NULL ? t->id : "?",
			    annex_type->id != NULL ? annex_type->id : "?");
		else
			annex_type = t;
	}
}

static void
load_notices(struct conf_loader *l, const config_setting_t *g, struct rules *r)
{
	static const char *const keys[] = { "subject", "intro", "outro",
	    "reasons", "acknowledgment", "annex", NULL };
	static const char *const ack_keys[] = { "subject", "body", NULL };
	static const char *const annex_keys[] = { "outro", "approved",
	    "rejected", NULL };
	const config_setting_t *g2;
	const config_setting_t *reasons, *m;
	const char *name;
	int i, code;

	if (g == NULL) {
		conf_lerr(l, NULL,
		    "missing 'notices' (the French notice templates)");
		return;
	}
	conf_check_keys(l, g, keys, "notices");
	conf_get_string(l, g, "subject", 1, &r->notices.subject);
	conf_get_string(l, g, "intro", 1, &r->notices.intro);
	conf_get_string(l, g, "outro", 1, &r->notices.outro);
	if ((m = conf_member(g, "acknowledgment")) != NULL) {
		conf_check_keys(l, m, ack_keys, "acknowledgment");
		conf_get_string(l, m, "subject", 1, &r->notices.ack_subject);
		conf_get_string(l, m, "body", 1, &r->notices.ack_body);
	}
	/* The annex by mail: its notices are the referent's (annex_notice.h). */
	if ((m = conf_member(g, "annex")) != NULL) {
		conf_check_keys(l, m, annex_keys, "notices.annex");
		conf_get_string(l, m, "outro", 1, &r->notices.annex_outro);
		if ((g2 = conf_member(m, "approved")) != NULL) {
			conf_check_keys(l, g2, ack_keys,
			    "notices.annex.approved");
			conf_get_string(l, g2, "subject", 1,
			    &r->notices.annex_approved_subject);
			conf_get_string(l, g2, "body", 1,
			    &r->notices.annex_approved_body);
		} else
			conf_lerr(l, m,
			    "notices.annex needs approved { subject;"
			    " body; }");
		if ((g2 = conf_member(m, "rejected")) != NULL) {
			conf_check_keys(l, g2, ack_keys,
			    "notices.annex.rejected");
			conf_get_string(l, g2, "subject", 1,
			    &r->notices.annex_rejected_subject);
			conf_get_string(l, g2, "body", 1,
			    &r->notices.annex_rejected_body);
		} else
			conf_lerr(l, m,
			    "notices.annex needs rejected { subject;"
			    " body; }");
	}
	if ((reasons = conf_member(g, "reasons")) == NULL) {
		conf_lerr(l, g, "missing 'reasons' in notices");
		return;
	}
	for (i = 0; (m = config_setting_get_elem(reasons, (unsigned)i)) != NULL;
	    i++) {
		name = config_setting_name(m);
		if (name == NULL || (code = reason_from_code(name)) < 0) {
			conf_lerr(l, m, "'%s' is not a reason code", name ?
			    name : "?");
			continue;
		}
		conf_get_string(l, reasons, name, 1, &r->notices.reason[code]);
	}
	/* Every reason that can reach a partner needs its own sentence:
	 * the list is reason.h's, so a new code is checked as it comes. */
	for (code = 0; code < REASON_COUNT; code++) {
		if (!reason_notified(code))
			continue;
		if (r->notices.reason[code] == NULL)
			conf_lerr(l, reasons, "no notice text for reason '%s'",
			    reason_code(code));
	}
}

int
conf_load_rules(struct conf_loader *l, const char *path, struct rules *r)
{
	static const char *const top[] = { "queues", "request_types", "subject",
	    "attachments", "notices", NULL };
	static const char *const queue_keys[] = { "rejects", "quarantine",
	    NULL };
	static const char *const subject_keys[] = { "stop_words",
	    "date_markers", NULL };
	static const char *const att_keys[] = { "max_message_size",
	    "forbidden_types", "forbidden_extensions", "archives_forbidden",
	    "archive_types", "archive_extensions", NULL };
	const config_setting_t *root, *q, *s, *a;
	char *dir, *slash;
	config_t cfg;
	int before = l->errors;
	size_t i;
	const char *saved = l->file;

	l->file = path;
	config_init(&cfg);
	/* Without its folder, "@include" would read from the cwd. */
	if ((dir = buf_strdup(path)) == NULL) {
		conf_lerr(l, NULL, "out of memory");
		goto out;
	}
	if ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		config_set_include_dir(&cfg, dir);
	}
	free(dir);
	if (access(path, R_OK) == -1) {
		conf_lerr(l, NULL, "cannot read the rules file");
		goto out;
	}
	if (config_read_file(&cfg, path) != CONFIG_TRUE) {
		conf_read_error(l, &cfg, path);
		goto out;
	}
	root = config_root_setting(&cfg);
	conf_check_keys(l, root, top, "the rules");

	if ((r->queue_rejects = buf_strdup("BALP/Rejets")) == NULL ||
	    (r->queue_quarantine = buf_strdup("BALP/Quarantaine")) == NULL) {
		conf_lerr(l, NULL, "out of memory");
		goto out;
	}
	if ((q = conf_member(root, "queues")) != NULL) {
		conf_check_keys(l, q, queue_keys, "queues");
		conf_get_string(l, q, "rejects", 0, &r->queue_rejects);
		conf_get_string(l, q, "quarantine", 0, &r->queue_quarantine);
	}
	/* NULL only after an allocation failure, reported already. */
	if (r->queue_rejects != NULL && !conf_valid_folder(r->queue_rejects))
		conf_lerr(l, q, "rejects queue '%s' is not a valid folder name",
		    r->queue_rejects);
	if (r->queue_quarantine != NULL &&
	    !conf_valid_folder(r->queue_quarantine))
		conf_lerr(l, q,
		    "quarantine queue '%s' is not a valid folder name",
		    r->queue_quarantine);
	if (r->queue_rejects != NULL && r->queue_quarantine != NULL &&
	    strcmp(r->queue_rejects, r->queue_quarantine) == 0)
		conf_lerr(l, q, "the rejects and the quarantine are one folder"
		    " ('%s'): a spoofed mail would be read as a plain"
		    " rejection", r->queue_rejects);

	load_types(l, conf_member(root, "request_types"), r);

	if ((s = conf_member(root, "subject")) != NULL) {
		conf_check_keys(l, s, subject_keys, "subject");
		conf_get_words(l, s, "stop_words", 0, &r->stop_words);
		conf_get_words(l, s, "date_markers", 0, &r->date_markers);
	}

	r->max_message_size = 15ULL * 1024 * 1024;
	if ((a = conf_member(root, "attachments")) != NULL) {
		conf_check_keys(l, a, att_keys, "attachments");
		conf_get_size(l, a, "max_message_size", &r->max_message_size);
		/* Larger messages must still be read whole to be judged. */
		if (r->max_message_size > (128ULL << 20))
			conf_lerr(l, conf_member(a, "max_message_size"),
			    "'max_message_size'"
			    " may not exceed 128M (messages up to twice that are"
			    " read whole to be judged)");
		conf_get_words(l, a, "forbidden_types", 0, &r->forbidden_types);
		conf_get_words(l, a, "forbidden_extensions", 0,
		    &r->forbidden_extensions);
		conf_get_bool(l, a, "archives_forbidden",
		    &r->archives_forbidden);
		conf_get_words(l, a, "archive_types", 0, &r->archive_types);
		conf_get_words(l, a, "archive_extensions", 0,
		    &r->archive_extensions);
	}
	load_notices(l, conf_member(root, "notices"), r);
	for (i = 0; i < r->n_types; i++)
		if (r->types[i].annex_update &&
		    r->notices.annex_approved_body == NULL &&
		    conf_member(root, "notices") != NULL &&
		    conf_member(conf_member(root, "notices"), "annex") == NULL)
			conf_lerr(l, conf_member(root, "notices"),
			    "request type '%s' is"
			    " an annex_update type: notices.annex { outro;"
			    " approved { subject; body; }; rejected { subject;"
			    " body; }; } is needed", r->types[i].id != NULL ?
			    r->types[i].id : "?");
out:
	config_destroy(&cfg);
	l->file = saved;
	return l->errors == before ? 0 : -1;
}
