/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_purge - balpctl purge (see include/balp/ctl_purge.h).
 */
#include "balp/ctl_purge.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "balp/store_purge.h"

int
ctl_purge(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "now", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	const char *u = "purge [--dry-run] [--now YYYY-MM-DD]";
	struct store_purge_spec spec;
	struct store_purge_report r;
	char at[21];
	int ch;

	if ((ch = ctl_require_admin(c, "purge")) != CTL_OK)
		return ch;
	memset(&spec, 0, sizeof(spec));
	spec.today = c->today;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'n')
			spec.dry_run = 1;
		else if (ch == 't') {
			if (ctl_date("--now", optarg, &spec.today) == -1)
				return CTL_USAGE;
		} else {
			return ctl_usage(u);
		}
	}
	if (optind != argc) {
		return ctl_usage(u);
	}
	/*
	 * A purge "on" a day to come would destroy today what the
	 * conventions keep until then, and attest it under today's date:
	 * only a simulation may look ahead.
	 */
	if (!spec.dry_run && spec.today > c->today) {
		char want[11], today[11];

		ctl_error("purge --now %s: that day is after today (%s); a "
		    "purge destroys only what is due by today (--dry-run "
		    "previews any day)", ctl_day(spec.today, want),
		    ctl_day(c->today, today));
		return CTL_USAGE;
	}
	if (ctl_open_store(c, 0) == -1)
		return CTL_USAGE;
	spec.traces_months = (int)c->conf.retention_traces_months;
	spec.habilitation_years = (int)c->conf.retention_habilitation_years;
	if (store_purge(c->store, &spec, c->actor, c->now, &r) != STORE_OK) {
		ctl_error("purge: %s", store_errmsg(c->store));
		return CTL_FAILED;
	}
	store_timestamp(c->now, at);
	printf("%s\n", spec.dry_run ? "Simulation de purge (--dry-run) : rien "
	    "n'a été détruit" : r.checkpoint_id == 0 ? "Purge : rien à "
	    "détruire" : "Attestation de destruction de données - balp");
	printf("date        %s\n", at);
	printf("par         %s\n", c->actor);
	printf("base        %s\n", c->conf.store_path);
	printf("règle       traces de décision de plus de %d mois (avant le "
	    "%s) ; données d'habilitation %d ans après la fin de "
	    "l'habilitation (fin avant le %s)\n", spec.traces_months,
	    r.traces_before, spec.habilitation_years, r.habilitations_before);
	ctl_pad(stdout, spec.dry_run ? "à détruire" : "détruit", 12);
	printf("%" PRId64 " décisions, %" PRId64 " avis, %" PRId64
	    " re-tris, %" PRId64 " libérations, %" PRId64 " personnes "
	    "habilitées (%" PRId64 " périodes), %" PRId64 " annexes reçues "
	    "par courriel et décidées (%" PRId64 " lignes), %" PRId64
	    " lignes d'audit vidées\n", r.decisions,
	    r.outbox, r.retriages, r.releases, r.persons, r.periods,
	    r.staged, r.staged_rows, r.audit_rows);
	if (r.staged_pending > 0)
		printf("conservé    %" PRId64 " annexes reçues par courriel "
		    "avant le %s, en attente d'approbation (avec la décision "
		    "de leur courriel : `balpctl annex pending`)\n",
		    r.staged_pending, r.traces_before);
	if (r.audit_kept > 0)
		printf("conservé    %" PRId64 " lignes d'audit antérieures à la "
		    "clé d'audit (leur empreinte couvre leur contenu)\n",
		    r.audit_kept);
	if (r.checkpoint_id != 0)
		printf("preuve      ligne d'audit %" PRId64 " (audit.purge), "
		    "empreinte %s\n", r.checkpoint_id, r.checkpoint_hash);
	return CTL_OK;
}
