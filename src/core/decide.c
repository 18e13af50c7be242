/* SPDX-License-Identifier: Apache-2.0 */
/*
 * decide - the pure decision (see decide.h).
 *
 * Order of thought: a message we cannot read is only "malformed"; anything
 * else is judged on every rule and all reasons are kept.  The outcome then
 * follows from the reasons alone (reason_outcome), so the outcome rule of
 * docs/contracts.md lives in one place.
 */
#include "balp/decide.h"
#include "balp/attachment.h"
#include "balp/auth.h"
#include "balp/classify.h"
#include "balp/content.h"
#include "balp/date.h"
#include "balp/quote.h"
#include "balp/subject.h"
#include "balp/text.h"

#include <stdlib.h>
#include <string.h>

/* Value of a structured header up to its first ';' or comment, trimmed. */
static int
header_token_is(const char *v, const char *word)
{
	size_t n = strlen(word);

	while (*v == ' ' || *v == '\t')
		v++;
	if (text_ascii_ncasecmp(v, word, n) != 0)
		return 0;
	v += n;
	while (*v == ' ' || *v == '\t')
		v++;
	return *v == '\0' || *v == ';' || *v == '(';
}

/* RFC 3834: never answer an automatic message, nor a notice of ours. */
static int
is_auto_reply(const struct msg_facts *f)
{
	const char *p;

	if (f->auto_submitted != NULL && !header_token_is(f->auto_submitted, "no"))
		return 1;
	if (f->precedence != NULL && (header_token_is(f->precedence, "bulk") ||
	    header_token_is(f->precedence, "list") ||
	    header_token_is(f->precedence, "junk")))
		return 1;
	if (f->has_return_path && f->return_path != NULL) {
		for (p = f->return_path; *p == ' ' || *p == '\t'; p++)
			;
		if (*p == '<') {
			for (p++; *p == ' ' || *p == '\t'; p++)
				;
			if (*p == '>')
				return 1;
		}
	}
	if (f->has_notice_marker || f->has_autoreply_header)
		return 1;
	if (f->top_content_type != NULL &&
	    strcmp(f->top_content_type, "multipart/report") == 0)
		return 1;
	return 0;
}

static int
in_force(int32_t start, int32_t end, int32_t today)
{
	return (start == DATE_NONE || start <= today) &&
	    (end == DATE_NONE || today <= end);
}

/* The partner's convention is in force on the day and not suspended. */
static int
partner_in_force(const struct habilitation *h, int32_t today)
{
	return !h->partner_suspended &&
	    in_force(h->convention_start, h->convention_end, today);
}

/* What one annex entry says against the sender on the day (0: nothing). */
static reason_set
entry_reasons(const struct habilitation *h, int32_t today)
{
	reason_set why = 0;

	if (h->person_suspended || h->start == DATE_NONE ||
	    (h->end != DATE_NONE && h->end < h->start))
		why |= REASON_BIT(REASON_SENDER_HABILITATION_ENDED);
	else if (h->start > today)
		why |= REASON_BIT(REASON_SENDER_NOT_YET_HABILITATED);
	else if (h->end != DATE_NONE && today > h->end)
		why |= REASON_BIT(REASON_SENDER_HABILITATION_ENDED);
	if (!partner_in_force(h, today))
		why |= REASON_BIT(REASON_PARTNER_INACTIVE);
	return why;
}

/*
 * DESIGN's order among the listings of one address: 0 it lets the mail
 * through (habilitated on the day, partner in force), 1 its partner's
 * convention is in force, 2 neither.  Lower speaks for the sender.
 */
static int
entry_rank(const struct habilitation *h, int32_t today)
{
	reason_set why = entry_reasons(h, today);

	if (why == 0)
		return 0;
	return (why & REASON_BIT(REASON_PARTNER_INACTIVE)) ? 2 : 1;
}

/*
 * 1 if a started more recently than b: the person's habilitation start,
 * then the convention's start, then the smaller partner id, so that the
 * choice never depends on the order the store lists entries in.
 * DATE_NONE is INT32_MIN: an open start is the oldest.
 */
static int
entry_newer(const struct habilitation *a, const struct habilitation *b)
{
	int c;

	if (a->start != b->start)
		return a->start > b->start;
	if (a->convention_start != b->convention_start)
		return a->convention_start > b->convention_start;
	c = strcmp(a->partner_id != NULL ? a->partner_id : "",
	    b->partner_id != NULL ? b->partner_id : "");
	return c < 0;
}

/*
 * The listing that speaks for the sender (a person may be listed by two
 * partners, or twice over time): the decision, its record and its notice
 * name its partner, and only its reasons count.
 */
static reason_set
judge_sender(const struct annex_view *annex, int32_t today,
    const char **partner_id)
{
	const struct habilitation *best = NULL, *h;
	int best_rank = 3, rank;
	size_t i;

	*partner_id = NULL;
	for (i = 0; annex != NULL && i < annex->n; i++) {
		h = &annex->v[i];
		rank = entry_rank(h, today);
		if (best == NULL || rank < best_rank ||
		    (rank == best_rank && entry_newer(h, best))) {
			best = h;
			best_rank = rank;
		}
	}
	if (best == NULL)
		return REASON_BIT(REASON_SENDER_UNKNOWN);
	*partner_id = best->partner_id;
	return entry_reasons(best, today);
}

/* Every NIR-shaped number of the Subject adds what is wrong with it. */
static reason_set
judge_nir(const char *subject, char nir[NIR_LEN + 1])
{
	struct nir_scan sc;
	reason_set why = 0;

	nir[0] = '\0';
	if (subject == NULL)
		return REASON_BIT(REASON_NIR_MISSING);
	nir_scan(subject, strlen(subject), &sc);
	if (!sc.seen)
		return REASON_BIT(REASON_NIR_MISSING);
	if (sc.key_missing)
		why |= REASON_BIT(REASON_NIR_KEY_MISSING);
	if (sc.invalid)
		why |= REASON_BIT(REASON_NIR_INVALID);
	if (sc.ambiguous)
		why |= REASON_BIT(REASON_NIR_AMBIGUOUS);
	memcpy(nir, sc.nir, NIR_LEN + 1);
	return why;
}

static reason_set
judge_attachments(const struct msg_facts *f, const struct rules *r,
    const struct request_type *type)
{
	reason_set why = 0;
	int needed, found = 0;
	size_t i;

	needed = type != NULL &&
	    (type->needs_types.n > 0 || type->needs_extensions.n > 0);
	for (i = 0; i < f->n_parts; i++) {
		if (attachment_forbidden(r, &f->parts[i]))
			why |= REASON_BIT(REASON_ATTACHMENT_FORBIDDEN);
		/* Not inspected for its size alone: too large, not forbidden. */
		if (f->parts[i].findings & CONTENT_TOO_LARGE)
			why |= REASON_BIT(REASON_TOO_LARGE);
		if (f->parts[i].findings & CONTENT_ENCRYPTED)
			why |= REASON_BIT(REASON_ATTACHMENT_ENCRYPTED);
		if (needed && attachment_fulfils(type, &f->parts[i]))
			found = 1;
	}
	if (needed && !found)
		why |= REASON_BIT(REASON_ATTACHMENT_MISSING);
	return why;
}

/*
 * The annex's update (rules' annex_update): the partner is the one the
 * sender is a referent of.  A referent of several partners cannot say
 * which annex the file is (the wrong partner's list would end everyone):
 * refused rather than guessed.  Not a referent: the habilitation's
 * listing names the partner for the record, never for a reason.
 */
static reason_set
judge_referent(const struct annex_view *annex, int32_t today,
    const char **partner_id)
{
	size_t n = annex != NULL ? annex->n_referent_of : 0;

	*partner_id = NULL;
	if (n == 1) {
		*partner_id = annex->referent_of[0];
		return 0;
	}
	if (n > 1)
		return REASON_BIT(REASON_ANNEX_PARTNER_AMBIGUOUS);
	(void)judge_sender(annex, today, partner_id);
	return REASON_BIT(REASON_ANNEX_SENDER_NOT_REFERENT);
}

/*
 * The annex file: exactly one part the type's needs_attachment describes
 * (a CSV, .xlsx or .ods by name or type, and by content), the sender's
 * own (a file inside a forwarded message is someone else's mail).  What
 * every attachment is judged for (forbidden, too large, encrypted) is
 * judged as for any mail.
 */
static reason_set
judge_annex_file(const struct msg_facts *f, const struct rules *r,
    const struct request_type *type, long *part)
{
	reason_set why = 0;
	size_t i, found = 0;

	*part = -1;
	for (i = 0; i < f->n_parts; i++) {
		if (attachment_forbidden(r, &f->parts[i]))
			why |= REASON_BIT(REASON_ATTACHMENT_FORBIDDEN);
		if (f->parts[i].findings & CONTENT_TOO_LARGE)
			why |= REASON_BIT(REASON_TOO_LARGE);
		if (f->parts[i].findings & CONTENT_ENCRYPTED)
			why |= REASON_BIT(REASON_ATTACHMENT_ENCRYPTED);
		if (f->parts[i].is_attachment &&
		    !(f->parts[i].findings & CONTENT_FORWARDED) &&
		    attachment_fulfils(type, &f->parts[i])) {
			if (found++ == 0)
				*part = (long)i;
		}
	}
	if (found == 0)
		why |= REASON_BIT(REASON_ANNEX_FILE_MISSING);
	else if (found > 1) {
		why |= REASON_BIT(REASON_ANNEX_FILE_SEVERAL);
		*part = -1;
	}
	return why;
}

/* The outcome, queue and notice from the reasons (reason_outcome). */
static void
settle(struct decision *out, const struct rules *r)
{
	out->outcome = reason_outcome(out->reasons);
	switch (out->outcome) {
	case OUTCOME_ACCEPTED:
		out->queue = out->type->queue;
		break;
	case OUTCOME_REJECTED:
		out->queue = r->queue_rejects;
		break;
	case OUTCOME_QUARANTINED:
		out->queue = r->queue_quarantine;
		break;
	}
	out->notify = out->outcome == OUTCOME_REJECTED &&
	    !(out->reasons & REASON_BIT(REASON_AUTO_REPLY));
}

void
decide_annex_refused(struct decision *d, const struct rules *r,
    enum reason why, const char *errors)
{
	d->reasons |= REASON_BIT(why);
	if (why == REASON_ANNEX_INVALID)
		d->annex_errors = errors;
	settle(d, r);
}

static const char *
domain_of(const char *addr)
{
	const char *at = addr != NULL ? strrchr(addr, '@') : NULL;

	return at != NULL ? at + 1 : "";
}

void
decide(const struct msg_facts *f, const struct annex_view *annex,
    const struct decide_ctx *ctx, struct decision *out)
{
	const struct rules *r = ctx->rules;
	const struct request_type *type = NULL;
	struct text_lazy subject, text;
	reason_set why = 0;
	char *own_copy;

	memset(out, 0, sizeof(*out));
	out->since = DATE_NONE;
	out->annex_part = -1;

	/*
	 * The type, the date and the name all read the folded Subject, the
	 * type and the date maybe the folded text: each is folded once, the
	 * text only if the Subject does not say.
	 */
	text_lazy_init(&subject, f->subject);
	/*
	 * Only what the partner wrote counts for the type and the date, not
	 * the mail it quotes (quote.h).  Without memory for the copy the
	 * text is not read at all, as when its folding fails.
	 */
	text_lazy_init(&text, quote_own_text(f->first_text, &own_copy));
	/* The type is reported whatever the outcome, even for a bad message. */
	type = classify_type_lazy(r, &subject, &text);
	/*
	 * Parts beyond the parser's limit were never examined: one of them
	 * could be the executable.  Such a message cannot be decided.
	 */
	if (f->malformed != NULL || f->from_count != 1 || f->from_addr == NULL ||
	    f->truncated_parts) {
		why = REASON_BIT(REASON_MALFORMED);
		/*
		 * Its sender's partner still, when the From could be read:
		 * for the record (log --partner), never for a reason.
		 */
		if (f->from_count == 1 && f->from_addr != NULL)
			(void)judge_sender(annex, ctx->today, &out->partner_id);
	} else {
		if (r->max_message_size > 0 && f->raw_size > r->max_message_size)
			why |= REASON_BIT(REASON_TOO_LARGE);
		if (!auth_sender_verified(f->auth_results, f->n_auth_results,
		    domain_of(f->from_addr), ctx->trusted_authserv_ids,
		    ctx->n_trusted_authserv_ids, ctx->public_suffixes))
			why |= REASON_BIT(REASON_AUTH_FAILED);
		if (is_auto_reply(f))
			why |= REASON_BIT(REASON_AUTO_REPLY);
		if (type != NULL && type->annex_update) {
			/*
			 * The annex's update: its sender is judged as a
			 * referent (who need not be habilitated), nor name
			 * nor NIR is asked, and the convention's dates do
			 * not act (an annex may come before the convention
			 * starts, or after it ended: as an import).
			 */
			why |= judge_referent(annex, ctx->today,
			    &out->partner_id);
			why |= judge_annex_file(f, r, type, &out->annex_part);
		} else {
			why |= judge_sender(annex, ctx->today,
			    &out->partner_id);

			if (type == NULL)
				why |= REASON_BIT(REASON_TYPE_UNKNOWN);
			else if (type->min_age_months > 0) {
				out->since = classify_since_lazy(r, &subject,
				    &text, ctx->today);
				if (out->since != DATE_NONE && out->since >
				    date_add_months(ctx->today,
				    -type->min_age_months))
					why |= REASON_BIT(REASON_TOO_RECENT);
			}
			why |= judge_nir(f->subject, out->nir);
			if (f->subject == NULL ||
			    !subject_has_name_lazy(&subject, r))
				why |= REASON_BIT(REASON_NAME_MISSING);
			why |= judge_attachments(f, r, type);
		}
	}
	text_lazy_free(&subject);
	text_lazy_free(&text);
	free(own_copy);

	out->reasons = why;
	out->type = type;
	settle(out, r);
}
