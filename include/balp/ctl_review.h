/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_review - `balpctl review`: the yearly reverse review of habilitations
 * (Contrat Mon Compte Partenaire 2.2.2), the report the Caf sends each
 * partner's administrator: per partner, every habilitated person with the
 * dates of the habilitation, the last message sent and the counts by
 * outcome over the year, and the flags of review.h.  A readable text by
 * default, one CSV (--format csv) or one JSON document (--json).  It
 * reads the decisions' metadata only: no NIR, no beneficiary.
 *
 * The JSON document: {"review_day", "year_start", "idle_months",
 * "idle_before", "partners": [{"id", "name", "convention_start",
 * "convention_end", "suspended", "suspend_reason", "max_persons",
 * "persons_counted", "flags": [...], "persons": [{"last_name",
 * "first_name", "email", "job_title", "start", "end", "suspended",
 * "suspend_reason", "last_message", "accepted", "rejected",
 * "quarantined", "flags": [...]}], "summary": {"count", <flag>: N}}],
 * "summary": {"partners": {...}, "persons": {...}}}; days "YYYY-MM-DD" or
 * null.  The CSV has the same columns, ';' separated, one row per person.
 * Exit 0 whatever the flags (a review is a report, not a check).
 */
#ifndef BALP_CTL_REVIEW_H
#define BALP_CTL_REVIEW_H

#include "balp/ctl.h"

int	 ctl_review(struct ctl *, int argc, char **argv);

#endif
