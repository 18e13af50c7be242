/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules - plain-value policy (see rules.h).  Loading lives in src/cli/conf.c.
 */
#include "balp/rules.h"

#include <stdlib.h>
#include <string.h>

void
rules_init(struct rules *r)
{
	memset(r, 0, sizeof(*r));
	wordlist_init(&r->stop_words);
	wordlist_init(&r->date_markers);
	wordlist_init(&r->forbidden_types);
	wordlist_init(&r->forbidden_extensions);
	wordlist_init(&r->archive_types);
	wordlist_init(&r->archive_extensions);
}

static void
type_free(struct request_type *t)
{
	free(t->id);
	free(t->label);
	free(t->queue);
	wordlist_free(&t->keywords);
	wordlist_free(&t->needs_types);
	wordlist_free(&t->needs_extensions);
}

void
rules_free(struct rules *r)
{
	size_t i;

	for (i = 0; i < r->n_types; i++)
		type_free(&r->types[i]);
	free(r->types);
	free(r->queue_rejects);
	free(r->queue_quarantine);
	wordlist_free(&r->stop_words);
	wordlist_free(&r->date_markers);
	wordlist_free(&r->forbidden_types);
	wordlist_free(&r->forbidden_extensions);
	wordlist_free(&r->archive_types);
	wordlist_free(&r->archive_extensions);
	free(r->notices.subject);
	free(r->notices.intro);
	free(r->notices.outro);
	free(r->notices.ack_subject);
	free(r->notices.ack_body);
	free(r->notices.annex_outro);
	free(r->notices.annex_approved_subject);
	free(r->notices.annex_approved_body);
	free(r->notices.annex_rejected_subject);
	free(r->notices.annex_rejected_body);
	for (i = 0; i < sizeof(r->notices.reason) / sizeof(r->notices.reason[0]);
	    i++)
		free(r->notices.reason[i]);
	rules_init(r);
}

const struct request_type *
rules_type(const struct rules *r, const char *id)
{
	size_t i;

	for (i = 0; i < r->n_types; i++)
		if (strcmp(r->types[i].id, id) == 0)
			return &r->types[i];
	return NULL;
}
