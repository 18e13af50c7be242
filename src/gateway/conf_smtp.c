/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conf_smtp - the groups "notices" (who signs them, how many) and "smtp"
 * (the relay that carries them, smtp.h).
 */
#include "conf_priv.h"

#include "balp/notice.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * The group "smtp" { host; port; tls; user; password_file; ca_file;
 * from; timeout; }: the relay of the notices.  A password never travels
 * in clear and plain text only ever reaches this machine; a password file
 * others may read is refused now, not at the first notice.
 */
static void
load_smtp(struct conf_loader *l, const config_setting_t *g, struct balp_conf *c)
{
	static const char *const keys[] = { "host", "port", "tls", "user",
	    "password_file", "ca_file", "from", "timeout", NULL };
	struct smtp_conf *sc = &c->smtp;
	char *tls = NULL, *from = NULL;
	const char *p;
	long long port = 0, timeout = SMTP_TIMEOUT_DEFAULT;

	if (g == NULL)
		return;
	if (!config_setting_is_group(g)) {
		conf_lerr(l, g,
		    "'smtp' must be a group { host; port; tls; user;"
		    " password_file; ca_file; from; }");
		return;
	}
	c->has_smtp = 1;
	conf_check_keys(l, g, keys, "smtp");
	conf_get_string(l, g, "host", 1, &sc->host);
	for (p = sc->host; p != NULL && *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f ||
		    *p == '/' || *p == '@')
			break;
	if (sc->host != NULL && (*sc->host == '\0' || *p != '\0'))
		conf_lerr(l, conf_member(g, "host"),
		    "'host' must be a host name or an address");
	sc->tls = TLS_STARTTLS;
	conf_get_string(l, g, "tls", 0, &tls);
	if (tls != NULL && smtp_tls_mode(tls, &sc->tls) == -1)
		conf_lerr(l, conf_member(g, "tls"), "unknown tls '%s' (expected"
		    " \"smtps\", \"starttls\" or \"none\")", tls);
	free(tls);
	port = sc->tls == TLS_IMPLICIT ? 465 : sc->tls == TLS_STARTTLS ?
	    587 : 25;
	conf_get_int(l, g, "port", 1, 65535, &port);
	sc->port = (unsigned)port;
	conf_get_int(l, g, "timeout", 1, 600, &timeout);
	sc->timeout = (unsigned)timeout;
	if (sc->tls == TLS_NONE && sc->host != NULL &&
	    !tls_host_is_loopback(sc->host))
		conf_lerr(l, conf_member(g, "tls"),
		    "tls \"none\" is only allowed for"
		    " a relay on this machine (localhost, 127.0.0.1, ::1),"
		    " not '%s'", sc->host);
	conf_get_string(l, g, "user", 0, &sc->user);
	if (conf_member(g, "password_file") != NULL)
		conf_get_path(l, g, "password_file", c->dir,
		    &sc->password_file);
	if (sc->user != NULL && conf_member(g, "password_file") == NULL)
		conf_lerr(l, conf_member(g, "user"),
		    "'user' needs a 'password_file'");
	if (sc->user == NULL && conf_member(g, "password_file") != NULL)
		conf_lerr(l, conf_member(g, "password_file"),
		    "'password_file' without a 'user'");
	if (sc->user != NULL && sc->tls == TLS_NONE)
		conf_lerr(l, conf_member(g, "user"),
		    "AUTH needs tls \"smtps\" or"
		    " \"starttls\": a password never travels in clear");
	/*
	 * The password file itself is read by what sends mail (balpd checks
	 * it at start-up, the notifier per session), never here: balpctl
	 * loads this file too and must not need a secret it never uses.
	 */
	if (conf_member(g, "ca_file") != NULL) {
		conf_get_path(l, g, "ca_file", c->dir, &sc->ca_file);
		if (sc->ca_file != NULL && access(sc->ca_file, R_OK) == -1)
			conf_lerr(l, conf_member(g, "ca_file"),
			    "cannot read ca_file %s", sc->ca_file);
	}
	conf_get_string(l, g, "from", 0, &from);
	if (from != NULL && c->notice_from != NULL &&
	    strcmp(from, c->notice_from) != 0)
		conf_lerr(l, conf_member(g, "from"),
		    "'from' is also set in notices:"
		    " give the notices' From once");
	if (from != NULL && c->notice_from == NULL)
		c->notice_from = from;
	else
		free(from);
}

void
conf_load_smtp(struct conf_loader *l, const config_setting_t *root,
    struct balp_conf *c)
{
	static const char *const notice_keys[] = { "from",
	    "max_per_sender_hour", "acknowledge", NULL };
	const config_setting_t *g;

	if ((g = conf_member(root, "notices")) != NULL) {
		conf_check_keys(l, g, notice_keys, "notices");
		conf_get_string(l, g, "from", 0, &c->notice_from);
		conf_get_unsigned(l, g, "max_per_sender_hour", 1, 10000,
		    &c->notices_per_hour);
		conf_get_bool(l, g, "acknowledge", &c->notices_acknowledge);
	}
	load_smtp(l, conf_member(root, "smtp"), c);
	if (c->notice_from == NULL &&
	    (c->notice_from = buf_strdup(CONF_NOTICE_FROM)) == NULL)
		conf_lerr(l, NULL, "out of memory");
	/* It goes between <> on the wire and into a From header. */
	if (c->notice_from != NULL && !notice_addr_ok(c->notice_from))
		conf_lerr(l, conf_member(conf_member(root, "notices"), "from") ?
		    conf_member(conf_member(root, "notices"), "from") :
		    conf_member(conf_member(root, "smtp"), "from"),
		    "'from' must be a plain address (name@domain), not '%s'",
		    c->notice_from);
}
