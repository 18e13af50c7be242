/*
 * ctl_admin - balpctl commands of the Caf's habilitation admins and DPO:
 * init, partner, person, rules check, log, audit verify.
 * Each takes the command's own argv (argv[0] is the command word) and
 * returns an exit status (see ctl.h).
 */
#ifndef BALP_CTL_ADMIN_H
#define BALP_CTL_ADMIN_H

#include "balp/ctl.h"
#include "balp/store_decision.h"

int	 ctl_admin_init(struct ctl *, int argc, char **argv);
int	 ctl_admin_partner(struct ctl *, int argc, char **argv);
int	 ctl_admin_person(struct ctl *, int argc, char **argv);
int	 ctl_admin_rules(struct ctl *, int argc, char **argv);
int	 ctl_admin_log(struct ctl *, int argc, char **argv);
int	 ctl_admin_audit(struct ctl *, int argc, char **argv);
/*
 * Appends decision d as the JSON object `log --json` prints a line of
 * (never its pseudonym): `message show --json` nests the same keys.
 */
void	 ctl_admin_decision_json(struct buf *, const struct store_decision *d);

#endif
