/* SPDX-License-Identifier: Apache-2.0 */
/*
 * breaker - the parser's circuit breaker (see include/balp/breaker.h).
 */
#include "balp/breaker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
breaker_init(struct breaker *b, unsigned threshold)
{
	memset(b, 0, sizeof(*b));
	b->threshold = threshold > 0 ? threshold : 1;
}

void
breaker_free(struct breaker *b)
{
	size_t i;

	for (i = 0; i < b->nheld; i++)
		free(b->held[i].ref);
	b->nheld = 0;
}

void
breaker_success(struct breaker *b)
{
	b->streak = 0;
	b->proven++;
	b->open = 0;
	b->backoff_s = 0;
	b->cause[0] = '\0';
}

static struct breaker_held *
find_held(struct breaker *b, const char *ref)
{
	size_t i;

	for (i = 0; i < b->nheld; i++)
		if (strcmp(b->held[i].ref, ref) == 0)
			return &b->held[i];
	return NULL;
}

static void
forget(struct breaker *b, struct breaker_held *h)
{
	free(h->ref);
	memmove(h, h + 1, (size_t)(&b->held[b->nheld] - (h + 1)) *
	    sizeof(*h));
	b->nheld--;
}

enum breaker_verdict
breaker_failure(struct breaker *b, const char *ref)
{
	struct breaker_held *h;
	char *copy;

	b->streak++;
	if ((h = find_held(b, ref)) != NULL) {
		if (b->proven > h->proven_at) {
			/* Others parse, this one fails again: it is the
			 * message, not the parser. */
			forget(b, h);
			return BREAKER_QUARANTINE;
		}
		return BREAKER_HOLD;
	}
	if ((copy = strdup(ref)) == NULL)
		return BREAKER_HOLD;
	if (b->nheld == BREAKER_HELD_MAX)
		forget(b, &b->held[0]);
	b->held[b->nheld].ref = copy;
	b->held[b->nheld].proven_at = b->proven;
	b->nheld++;
	return BREAKER_HOLD;
}

int
breaker_should_probe(const struct breaker *b)
{
	return !b->open && b->streak >= b->threshold;
}

void
breaker_trip(struct breaker *b, const char *cause, time_t now)
{
	if (!b->open)
		b->backoff_s = BREAKER_RETRY_FIRST_S;
	b->open = 1;
	b->retry_at = now + (time_t)b->backoff_s;
	(void)snprintf(b->cause, sizeof(b->cause), "%s", cause);
}

int
breaker_retry_due(const struct breaker *b, time_t now)
{
	return b->open && now >= b->retry_at;
}

void
breaker_retry_failed(struct breaker *b, time_t now)
{
	b->backoff_s = b->backoff_s * 2 > BREAKER_RETRY_MAX_S ?
	    BREAKER_RETRY_MAX_S : b->backoff_s * 2;
	if (b->backoff_s == 0)
		b->backoff_s = BREAKER_RETRY_FIRST_S;
	b->retry_at = now + (time_t)b->backoff_s;
}

int
breaker_pending(const struct breaker *b)
{
	size_t i;

	for (i = 0; i < b->nheld; i++)
		if (b->proven > b->held[i].proven_at)
			return 1;
	return 0;
}
