/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_partner - partners (their convention, suspension and quota) and the
 * annex of their habilitated persons; and store_habilitations(), the one
 * lookup decide() needs from them.
 *
 * Every write here is one transaction with its audit row (kind "admin").
 * Persons are never deleted: ending a habilitation sets its last day, so
 * the history stays for the six years the conventions require.  The quota
 * is one rule wherever it is checked (store_person_add, store_person_resume,
 * annex_import): see store_person_add.
 *
 * Errors, ownership and dates: as store.h says.
 */
#ifndef BALP_STORE_PARTNER_H
#define BALP_STORE_PARTNER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "balp/decide.h"
#include "balp/store.h"

#define STORE_NO_QUOTA		(-1)	/* max_persons: no quota */

/* ---- partners --------------------------------------------------------- */

struct store_partner_spec {
	const char	*id;		/* the caller validated the slug */
	const char	*name;		/* required, trimmed */
	const char	*siret;		/* NULL or 14 digits, spaces ignored */
	int32_t		 start;		/* convention start; DATE_NONE = none */
	int32_t		 end;		/* convention end; DATE_NONE = open */
	int		 max_persons;	/* >= 1, or STORE_NO_QUOTA */
};

struct store_partner {
	char		*id;
	char		*name;
	char		*siret;		/* NULL if none */
	int32_t		 start;		/* DATE_NONE if none */
	int32_t		 end;		/* DATE_NONE = open */
	int		 suspended;
	char		*suspend_reason; /* NULL unless suspended */
	int		 max_persons;	/* STORE_NO_QUOTA if none */
	char		*created_at;	/* "YYYY-MM-DDTHH:MM:SSZ" */
};

struct store_partner_list {
	struct store_partner	*v;
	size_t			 n;
};

/*
 * Adds a partner.  STORE_EXISTS if the id is taken; STORE_REFUSED for an
 * empty id or name, a name with a control character, a siret that is not
 * 14 digits or whose Luhn key is wrong, end < start, a quota below 1, or a
 * referent that is not an email.  Audit: partner.add (with the referents).
 */
int	 store_partner_add(struct store *, const struct store_partner_spec *,
	    const char *actor, time_t now);
/* The same with its BALP referents (store_referent.h), n emails. */
int	 store_partner_add_referents(struct store *,
	    const struct store_partner_spec *, const char *const *referents,
	    size_t n, const char *actor, time_t now);
/* STORE_OK and *out filled, STORE_NOTFOUND, or STORE_ERROR. */
int	 store_partner_get(struct store *, const char *id,
	    struct store_partner *out);
/* Every partner, ordered by id. */
int	 store_partner_list(struct store *, struct store_partner_list *out);
/*
 * Terminates the convention at `end` (inclusive; the last day in force).
 * Replaces any earlier end date.  STORE_REFUSED if end is before the
 * convention start (suspend the partner instead).  Audit: partner.end.
 */
int	 store_partner_end(struct store *, const char *id, int32_t end,
	    const char *actor, time_t now);
/*
 * Suspends from day (store_partner_suspend: the local day of now), with a
 * required reason, kept in the partner's history of suspensions as a
 * person's are (first day, last day, reason; never overlapping): a
 * decision of a day reads the one in force on it.  STORE_REFUSED if
 * already suspended, or from a day inside the last one.  Audit:
 * partner.suspend.
 */
int	 store_partner_suspend(struct store *, const char *id,
	    const char *reason, const char *actor, time_t now);
int	 store_partner_suspend_from(struct store *, const char *id,
	    const char *reason, int32_t day, const char *actor, time_t now);
/*
 * Resumes on day (store_partner_resume: the local day of now): the
 * suspension's last day is the day before.  STORE_REFUSED if not
 * suspended, or before the suspension started.  Audit: partner.resume.
 */
int	 store_partner_resume(struct store *, const char *id,
	    const char *actor, time_t now);
int	 store_partner_resume_on(struct store *, const char *id, int32_t day,
	    const char *actor, time_t now);
/*
 * Sets or removes (STORE_NO_QUOTA) the quota.  Persons already habilitated
 * stay even if they now exceed it; the quota refuses the next add.
 * Audit: partner.quota.
 */
int	 store_partner_set_max_persons(struct store *, const char *id,
	    int max_persons, const char *actor, time_t now);
/*
 * What partner update changes; a field not set stays as it is.
 */
struct store_partner_change {
	const char	*name;		/* NULL: unchanged */
	const char	*siret;		/* NULL: unchanged; "": removed */
	int		 set_start;	/* start: DATE_NONE removes it */
	int32_t		 start;
	int		 set_end;	/* end: DATE_NONE reopens */
	int32_t		 end;
	int		 set_max_persons; /* max_persons: STORE_NO_QUOTA */
	int		 max_persons;
	const char *const *add_referents; /* added (one there is kept) */
	size_t		 n_add_referents;
	const char *const *del_referents; /* removed: each must be one */
	size_t		 n_del_referents;
};

/*
 * Changes a partner's record in one transaction, checked as
 * store_partner_add checks it (name, siret and its key, dates, quota at
 * least 1, referents' emails); besides, a quota below the persons that
 * count on `today` (the quota rule: see store_person_add) is refused with
 * their count, and removing an address that is not a referent is
 * STORE_NOTFOUND.  *changed (may be NULL): 0 when every value was the
 * stored one (nothing written).  Audit: one partner.update row listing
 * each change as "field: old -> new", "referent+: email",
 * "referent-: email".
 */
int	 store_partner_update(struct store *, const char *id,
	    const struct store_partner_change *, int32_t today,
	    const char *actor, time_t now, int *changed);
void	 store_partner_free(struct store_partner *);
void	 store_partner_list_free(struct store_partner_list *);

/* ---- persons (the annex) ---------------------------------------------- */

struct store_person_spec {
	const char	*partner_id;
	const char	*last_name;	/* required */
	const char	*first_name;	/* required */
	const char	*email;		/* required; trimmed, lower-cased */
	const char	*job_title;	/* NULL or "" if none */
	int32_t		 start;		/* required */
	int32_t		 end;		/* DATE_NONE = open */
};

struct store_person {
	int64_t		 id;
	char		*partner_id;
	char		*last_name;
	char		*first_name;
	char		*email;		/* lower case */
	char		*job_title;	/* "" if none */
	int32_t		 start;
	int32_t		 end;		/* DATE_NONE = open */
	int		 suspended;
	char		*suspend_reason; /* NULL unless suspended */
	char		*created_at;
	char		*updated_at;
	/*
	 * start and end are those of one habilitation period (see
	 * store_person_list); prev_end is the end of the period before the
	 * latest, DATE_NONE when the latest is the first.
	 */
	int32_t		 prev_end;
};

struct store_person_list {
	struct store_person	*v;
	size_t			 n;
};

/*
 * Adds a person to a partner's annex.  STORE_NOTFOUND if the partner does
 * not exist; STORE_EXISTS if the partner already has that email;
 * STORE_REFUSED for a missing field, an email that is not local@domain.tld,
 * end < start, or the quota.
 *
 * The quota, one rule wherever it is checked (here, store_person_resume,
 * annex_import): on `today`, the persons of the partner who count are
 * those not ended -- habilitation open or ending on today or later --
 * suspended ones included (a suspension is a pause: the place stays
 * taken).  A change is refused when, after it, more persons count than
 * max_persons.  So a partner over its quota (lowered since) takes no add
 * nor resume until it is back under it.
 *
 * *id (may be NULL) gets the new row id.  Audit: person.add.
 */
int	 store_person_add(struct store *, const struct store_person_spec *,
	    int32_t today, const char *actor, time_t now, int64_t *id);
/*
 * store_person_add, and a person of the partner whose habilitation ended
 * before today is habilitated again instead of STORE_EXISTS: a new period
 * from spec.start (which must be after the previous end; the names and
 * job title become the spec's), audited as person.period, the previous
 * period's dates in *prev_start and *prev_end (both DATE_NONE when the
 * person was new).  A person in force (open, or ending today or later) is
 * still STORE_EXISTS, with the period in the message.
 */
int	 store_person_habilitate(struct store *,
	    const struct store_person_spec *, int32_t today, const char *actor,
	    time_t now, int64_t *id, int32_t *prev_start, int32_t *prev_end);
/*
 * The person with that email, on partner_id or, when partner_id is NULL,
 * on the only partner that has it.  STORE_NOTFOUND if none; STORE_REFUSED
 * if partner_id is NULL and several partners have that email (the message
 * lists them and asks for the partner).  Same rule for end/suspend/resume.
 */
int	 store_person_get(struct store *, const char *partner_id,
	    const char *email, struct store_person *out);
/*
 * Sets the end (the last valid day) of the person's latest habilitation
 * period, and only shortens it: STORE_REFUSED, naming the dates, when that
 * period ended before `today` (a new period comes with an annex import),
 * when `end` is after its end (an extension), or before its start.  The
 * same end again is STORE_OK and writes nothing.  Audit: person.end.
 */
int	 store_person_end(struct store *, const char *partner_id,
	    const char *email, int32_t end, int32_t today, const char *actor,
	    time_t now);
/*
 * Suspends the person from day (store_person_suspend: the local day of
 * now) on, with a required reason: a suspension of the person's history
 * (first day, last day, reason), which `person list --at` and a decision
 * of a day read.  STORE_REFUSED if already suspended, or when day is not
 * after the last day of the previous suspension (they never overlap).
 * Audit: person.suspend.
 */
int	 store_person_suspend(struct store *, const char *partner_id,
	    const char *email, const char *reason, const char *actor,
	    time_t now);
int	 store_person_suspend_from(struct store *, const char *partner_id,
	    const char *email, const char *reason, int32_t day,
	    const char *actor, time_t now);
/*
 * Ends the open suspension: day (store_person_resume: today) is the first
 * day the person may send again, so the suspension's last day is the day
 * before.  STORE_REFUSED if not suspended, if day is before the
 * suspension's first day, or if the partner is over its quota on `today`
 * (the quota rule: see store_person_add; the suspended person already
 * counts).  Audit: person.resume.
 */
int	 store_person_resume(struct store *, const char *partner_id,
	    const char *email, int32_t today, const char *actor, time_t now);
int	 store_person_resume_on(struct store *, const char *partner_id,
	    const char *email, int32_t day, int32_t today, const char *actor,
	    time_t now);

/* One suspension of a person: its days, both included, and its reason. */
struct store_suspension {
	int32_t		 first;
	int32_t		 last;		/* DATE_NONE: open */
	char		*reason;
};

struct store_suspension_list {
	struct store_suspension	*v;
	size_t			 n;
};

/* The person's suspensions, oldest first (store_suspension_list_free). */
int	 store_person_suspensions(struct store *, const char *partner_id,
	    const char *email, struct store_suspension_list *);
void	 store_suspension_list_free(struct store_suspension_list *);
/*
 * Persons of partner_id (NULL = every partner), ordered by partner, last
 * name, first name, email, with the dates of their latest habilitation
 * period.  With at != DATE_NONE, only those habilitated on that day: one
 * of their periods holds it (start <= at <= end, or open), start/end are
 * that period's, and suspended/suspend_reason those of the suspension in
 * force on that day (a person suspended then is listed, as suspended).
 * The partner's own state (convention, suspension) is not considered.
 */
int	 store_person_list(struct store *, const char *partner_id, int32_t at,
	    struct store_person_list *out);
void	 store_person_free(struct store_person *);
void	 store_person_list_free(struct store_person_list *);

/* ---- habilitations (for decide) --------------------------------------- */

/*
 * Every person row whose email is the sender's (one per partner listing
 * it), joined with its partner, as the struct habilitation entries
 * decide() takes (annex_view).  A habilitation is a list of periods; each
 * entry carries the one that answers for the day: the period in force on
 * it, else the latest one started before it (so decide says "ended"),
 * else the next one to come ("not yet habilitated").  The partner_id
 * strings are owned by this struct.
 */
struct store_habilitations {
	struct habilitation	*v;
	size_t			 n;
	char			**owned;	/* private: the strings in v */
};

/* Email is trimmed and lower-cased here.  n == 0 if unknown. */
int	 store_habilitations_at(struct store *, const char *email,
	    int32_t day, struct store_habilitations *out);
/* The same with each listing's latest period (no day known). */
int	 store_habilitations(struct store *, const char *email,
	    struct store_habilitations *out);
void	 store_habilitations_free(struct store_habilitations *);

#endif
