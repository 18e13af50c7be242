/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_partner - balpctl partner update (see ctl_partner.h).
 */
#include "balp/ctl_partner.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balp/date.h"
#include "balp/store_partner.h"

/*
 * --end none, --start none, --siret none, --max-persons none: the value
 * removed (open convention, no siret, no quota).
 */
static int
is_none(const char *s)
{
	return strcmp(s, "none") == 0;
}

static int
day_or_none(const char *option, const char *s, int32_t *out)
{
	if (is_none(s)) {
		*out = DATE_NONE;
		return 0;
	}
	return ctl_date(option, s, out);
}

int
ctl_partner_update(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "siret", required_argument, NULL, 's' },
		{ "start", required_argument, NULL, 'S' },
		{ "end", required_argument, NULL, 'E' },
		{ "max-persons", required_argument, NULL, 'm' },
		{ "referent", required_argument, NULL, 'r' },
		{ "no-referent", required_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 }
	};
	const char *u = "partner update ID [--name NAME] [--siret N|none]"
	    " [--start DATE|none] [--end DATE|none] [--max-persons N|none]"
	    " [--referent EMAIL]... [--no-referent EMAIL]...";
	struct store_partner_change ch;
	const char **add = NULL, **del = NULL;
	int o, rc = CTL_USAGE, changed = 0, any = 0;

	memset(&ch, 0, sizeof(ch));
	/* At most one referent an argument. */
	if ((add = calloc((size_t)argc + 1, sizeof(*add))) == NULL ||
	    (del = calloc((size_t)argc + 1, sizeof(*del))) == NULL) {
		ctl_error("out of memory");
		rc = CTL_FAILED;
		goto out;
	}
	ch.add_referents = add;
	ch.del_referents = del;
	optind = 0;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		any = 1;
		switch (o) {
		case 'n':
			ch.name = optarg;
			break;
		case 's':
			ch.siret = is_none(optarg) ? "" : optarg;
			break;
		case 'S':
			ch.set_start = 1;
			if (day_or_none("--start", optarg, &ch.start) == -1)
				goto out;
			break;
		case 'E':
			ch.set_end = 1;
			if (day_or_none("--end", optarg, &ch.end) == -1)
				goto out;
			break;
		case 'm':
			ch.set_max_persons = 1;
			if (is_none(optarg))
				ch.max_persons = STORE_NO_QUOTA;
			else if (ctl_count("--max-persons", optarg,
			    &ch.max_persons) == -1)
				goto out;
			else if (ch.max_persons == 0) {
				ctl_error("--max-persons: 0 would refuse every"
				    " person (suspend the partner instead, or"
				    " 'none' for no quota)");
				goto out;
			}
			break;
		case 'r':
			add[ch.n_add_referents++] = optarg;
			break;
		case 'R':
			del[ch.n_del_referents++] = optarg;
			break;
		default:
			ctl_usage(u);
			goto out;
		}
	}
	if (optind + 1 != argc || !any) {
		ctl_usage(u);
		goto out;
	}
	if (ctl_open_store(c, 0) == -1)
		goto out;
	if (store_partner_update(c->store, argv[optind], &ch, c->today,
	    c->actor, c->now, &changed) != STORE_OK) {
		rc = ctl_store_fail(c);
		goto out;
	}
	printf(changed ? "partner %s updated\n" : "partner %s: nothing to "
	    "change (the values given are the stored ones)\n", argv[optind]);
	rc = CTL_OK;
out:
	free(add);
	free(del);
	return rc;
}
