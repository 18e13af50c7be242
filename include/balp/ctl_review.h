/*
 * ctl_review - `balpctl review`: the yearly reverse review of habilitations
 * (Contrat Mon Compte Partenaire 2.2.2), the report the Caf sends each
 * partner's administrator: per partner, every habilitated person with the
 * dates of the habilitation, the last message sent and the counts by
 * outcome over the year, and the flags of review.h.  A readable text by
 * default, one CSV (--format csv) or one JSON document (--json).  It
 * reads the decisions' metadata only: no NIR, no beneficiary.
 */
#ifndef BALP_CTL_REVIEW_H
#define BALP_CTL_REVIEW_H

#include "balp/ctl.h"

int	 ctl_review(struct ctl *, int argc, char **argv);

#endif
