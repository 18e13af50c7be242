/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conf_lmtp - the group "lmtp": where Postfix hands mail over (lmtp.h).
 */
#include "conf_priv.h"

#include "balp/notice.h"

#include <ctype.h>
#include <grp.h>
#include <stdlib.h>

/*
 * The group "lmtp" (lmtp.h): where Postfix hands mail over, loopback
 * only, and to whom.  Absent: no LMTP, the drain alone.
 */
void
conf_load_lmtp(struct conf_loader *l, const config_setting_t *g,
    struct balp_conf *c)
{
	static const char *const keys[] = { "listen", "recipients",
	    "max_sessions", "group", "idle_timeout_seconds",
	    "command_timeout_seconds", "filers", NULL };
	struct lmtp_conf *lc = &c->lmtp;
	const config_setting_t *s, *e;
	struct buf why = BUF_INIT;
	struct group *gr;
	const char *v;
	char *p;
	int i, n;

	lc->gid = (gid_t)-1;
	lc->max_sessions = LMTP_MAX_SESSIONS_DEFAULT;
	lc->idle_seconds = LMTP_IDLE_SECONDS_DEFAULT;
	lc->command_seconds = LMTP_COMMAND_SECONDS_DEFAULT;
	lc->filers = LMTP_FILERS_DEFAULT;
	if (g == NULL)
		return;
	if (!config_setting_is_group(g)) {
		conf_lerr(l, g, "'lmtp' must be a group { listen = "
		    "\"127.0.0.1:10026\"; recipients = [ \"balp@caf.test\" ];"
		    " }");
		return;
	}
	c->has_lmtp = 1;
	conf_check_keys(l, g, keys, "lmtp");
	conf_get_string(l, g, "listen", 1, &lc->listen);
	if (lc->listen != NULL && lmtp_conf_listen(lc, lc->listen, &why) == -1)
		conf_lerr(l, conf_member(g, "listen"), "lmtp.listen: %s",
		    buf_str(&why));
	buf_free(&why);
	if ((s = conf_member(g, "recipients")) == NULL)
		conf_lerr(l, g,
		    "missing setting 'recipients' (the BALP's addresses"
		    " Postfix hands over)");
	else if (!config_setting_is_aggregate(s) || config_setting_is_group(s))
		conf_lerr(l, s, "'recipients' must be a list of addresses "
		    "[\"balp@caf.test\"]");
	else {
		n = config_setting_length(s);
		if (n == 0)
			conf_lerr(l, s, "'recipients' must not be empty");
		if (n > 0 && (lc->recipients = calloc((size_t)n,
		    sizeof(*lc->recipients))) == NULL)
			conf_lerr(l, s, "out of memory");
		for (i = 0; lc->recipients != NULL && i < n; i++) {
			e = config_setting_get_elem(s, (unsigned)i);
			if (config_setting_type(e) != CONFIG_TYPE_STRING ||
			    (v = config_setting_get_string(e)) == NULL ||
			    !notice_addr_ok(v)) {
				conf_lerr(l, e,
				    "'recipients': element %d must be "
				    "an address (name@domain)", i + 1);
				continue;
			}
			if ((p = buf_strdup(v)) == NULL) {
				conf_lerr(l, e, "out of memory");
				continue;
			}
			for (v = p; *v != '\0'; v++)
				p[v - p] = (char)tolower((unsigned char)*v);
			lc->recipients[lc->n_recipients++] = p;
		}
	}
	conf_get_unsigned(l, g, "max_sessions", 1, 1024, &lc->max_sessions);
	conf_get_unsigned(l, g, "idle_timeout_seconds", 1, 3600,
	    &lc->idle_seconds);
	conf_get_unsigned(l, g, "command_timeout_seconds", 1, 3600,
	    &lc->command_seconds);
	conf_get_unsigned(l, g, "filers", 0, LMTP_FILERS_MAX, &lc->filers);
	conf_get_string(l, g, "group", 0, &lc->group);
	if (lc->group != NULL) {
		s = conf_member(g, "group");
		if (lc->path == NULL)
			conf_lerr(l, s,
			    "'group' is for a unix socket (listen = "
			    "\"unix:PATH\")");
		else if ((gr = getgrnam(lc->group)) == NULL)
			conf_lerr(l, s,
			    "lmtp.group: no group '%s' on this system",
			    lc->group);
		else
			lc->gid = gr->gr_gid;
	}
}
