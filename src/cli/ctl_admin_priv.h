/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_admin_priv - what the files of balpctl's admin commands share:
 * ctl_admin.c parses the arguments of end|suspend|resume and writes a day
 * and a state in JSON for ctl_admin_partner.c and ctl_admin_person.c;
 * ctl_admin_person.c prints persons (a table, JSON) for partner show
 * too.  Not a public header: balpctl goes through include/balp/ctl_admin.h.
 */
#ifndef BALP_CTL_ADMIN_PRIV_H
#define BALP_CTL_ADMIN_PRIV_H

#include <stdint.h>

#include "balp/buf.h"
#include "balp/ctl.h"
#include "balp/store_partner.h"

/*
 * The arguments of "end|suspend|resume TARGET": --date for end (default
 * today), a required --reason for suspend, --partner when the target is a
 * person.  Shared by partner and person so both read the same way.
 */
struct change {
	const char	*what;		/* "end", "suspend", "resume" */
	const char	*target;	/* partner id or email */
	const char	*partner;	/* person only; NULL = the only one */
	const char	*reason;
	int32_t		 date;
};

/*
 * "partner add" for the word "add" of group "partner" (a static string),
 * or word itself when no command has it.
 */
char	*ctl_admin_command_name(const char *group, char *word);
/* argv of "partner|person end|suspend|resume" into *ch; -1 if bad. */
int	 ctl_admin_parse_change(struct ctl *, int argc, char **argv,
	    int person, struct change *ch);
/* The usage line of ch's command (exit status 2). */
int	 ctl_admin_change_usage(const struct change *ch, const char *noun,
	    const char *opt);

/* "YYYY-MM-DD", or null for DATE_NONE. */
void	 ctl_admin_json_day(struct buf *, int32_t day);
/* A state as the table says it, as a snake_case JSON string. */
void	 ctl_admin_json_state(struct buf *, const char *label);

/* The persons as a JSON array, one a line; their state on today. */
void	 ctl_admin_persons_json(struct buf *,
	    const struct store_person_list *, int32_t today);
/* The persons as a table, with a PARTNER column when with_partner. */
void	 ctl_admin_print_persons(const struct store_person_list *,
	    int with_partner, int32_t today);

#endif
