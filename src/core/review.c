/* SPDX-License-Identifier: Apache-2.0 */
/*
 * review - the flags of the yearly reverse review (see review.h).
 */
#include "balp/review.h"
#include "balp/date.h"
#include "balp/json.h"

#include <stddef.h>

/* Report order: what a person must confirm first, then the partner's. */
static const struct {
	unsigned	 bit;
	const char	*name;
} flags[] = {
	{ REVIEW_NEVER_USED, "never_used" },
	{ REVIEW_IDLE, "idle" },
	{ REVIEW_PAST_END, "past_end" },
	{ REVIEW_SUSPENDED, "suspended" },
	{ REVIEW_OVER_QUOTA, "over_quota" },
	{ REVIEW_CONVENTION_ENDED, "convention_ended" },
	{ REVIEW_PARTNER_SUSPENDED, "suspended" },
};

#define N_FLAGS	(sizeof(flags) / sizeof(flags[0]))

int32_t
review_year_start(int32_t now)
{
	return now - (REVIEW_YEAR_DAYS - 1);
}

int32_t
review_idle_before(const struct review_params *rp)
{
	return date_add_months(rp->now, -rp->idle_months);
}

unsigned
review_person(const struct review_person_facts *p,
    const struct review_params *rp)
{
	unsigned f = 0;
	/*
	 * A person whose first period starts after the review day could not
	 * have written yet: not "never used", nor idle.
	 */
	int started = p->first_start != DATE_NONE && p->first_start <= rp->now;

	if (started && !p->used)
		f |= REVIEW_NEVER_USED;
	/* Idle says the use stopped: it needs a use. */
	if (p->used && p->last_message != DATE_NONE &&
	    p->last_message < review_idle_before(rp))
		f |= REVIEW_IDLE;
	/* The end day is valid: ended from the day after. */
	if (p->end != DATE_NONE && p->end < rp->now)
		f |= REVIEW_PAST_END;
	if (p->suspended)
		f |= REVIEW_SUSPENDED;
	return f;
}

unsigned
review_partner(const struct review_partner_facts *p,
    const struct review_params *rp)
{
	unsigned f = 0;

	if (p->max_persons >= 0 && p->counted > (size_t)p->max_persons)
		f |= REVIEW_OVER_QUOTA;
	if (p->convention_end != DATE_NONE && p->convention_end < rp->now)
		f |= REVIEW_CONVENTION_ENDED;
	if (p->suspended)
		f |= REVIEW_PARTNER_SUSPENDED;
	return f;
}

const char *
review_flag_name(unsigned flag)
{
	size_t i;

	for (i = 0; i < N_FLAGS; i++)
		if (flags[i].bit == flag)
			return flags[i].name;
	return NULL;
}

unsigned
review_flag_at(size_t i)
{
	return i < N_FLAGS ? flags[i].bit : 0;
}

int
review_flags_join(struct buf *b, unsigned set, const char *sep, int json)
{
	size_t i;
	int first = 1;

	for (i = 0; i < N_FLAGS; i++) {
		if ((set & flags[i].bit) == 0)
			continue;
		if (!first)
			buf_puts(b, sep);
		first = 0;
		if (json)
			json_string(b, flags[i].name);
		else
			buf_puts(b, flags[i].name);
	}
	return b->failed ? -1 : 0;
}
