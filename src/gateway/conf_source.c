/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conf_source - the group "source": the Maildir balpd drains, or the IMAP
 * server it reads (source.h).
 */
#include "conf_priv.h"

#include "balp/tls.h"

#include <stdlib.h>
#include <string.h>

/*
 * "tls" of a network group: "imaps"/"smtps" (implicit), "starttls" or
 * "none", which only a loopback host may use: a password must never
 * cross a network in clear.  implicit names the implicit form.
 */
static void
get_tls(struct conf_loader *l, const config_setting_t *g, const char *implicit,
    const char *host, enum tls_mode *out)
{
	char *v = NULL;

	*out = TLS_IMPLICIT;
	conf_get_string(l, g, "tls", 0, &v);
	if (v == NULL)
		return;
	if (strcmp(v, implicit) == 0)
		*out = TLS_IMPLICIT;
	else if (strcmp(v, "starttls") == 0)
		*out = TLS_STARTTLS;
	else if (strcmp(v, "none") == 0) {
		*out = TLS_NONE;
		if (host != NULL && !tls_host_is_loopback(host))
			conf_lerr(l, conf_member(g, "tls"),
			    "tls = \"none\" is only "
			    "allowed for a loopback host (localhost, 127.0.0.1"
			    "); '%s' needs \"%s\" or \"starttls\"", host,
			    implicit);
	} else
		conf_lerr(l, conf_member(g, "tls"),
		    "unknown tls '%s' (expected \"%s\","
		    " \"starttls\" or \"none\")", v, implicit);
	free(v);
}

/* source = { kind = "imap"; host; port; tls; user; password_file; ... } */
static void
load_imap(struct conf_loader *l, const config_setting_t *g, struct balp_conf *c)
{
	static const char *const keys[] = { "kind", "host", "port", "tls",
	    "user", "password_file", "ca_file", "inbox", "timeout_seconds",
	    NULL };
	struct source_conf *sc = &c->source;
	long long v;

	conf_check_keys(l, g, keys, "source");
	conf_get_string(l, g, "host", 1, &sc->host);
	if (sc->host != NULL && (*sc->host == '\0' ||
	    strpbrk(sc->host, " \t/") != NULL))
		conf_lerr(l, conf_member(g, "host"),
		    "'host' must be a host name or an address");
	get_tls(l, g, "imaps", sc->host, &sc->tls);
	v = sc->tls == TLS_IMPLICIT ? 993 : 143;
	conf_get_int(l, g, "port", 1, 65535, &v);
	sc->port = (unsigned)v;
	conf_get_string(l, g, "user", 1, &sc->user);
	conf_get_path(l, g, "password_file", c->dir, &sc->password_file);
	if (conf_member(g, "ca_file") != NULL)
		conf_get_path(l, g, "ca_file", c->dir, &sc->ca_file);
	conf_get_string(l, g, "inbox", 0, &sc->inbox);
	if (sc->inbox == NULL && (sc->inbox = buf_strdup("INBOX")) == NULL)
		conf_lerr(l, NULL, "out of memory");
	v = 60;
	conf_get_int(l, g, "timeout_seconds", 5, 600, &v);
	sc->timeout_seconds = (unsigned)v;
}

void
conf_load_source(struct conf_loader *l, const config_setting_t *g,
    struct balp_conf *c)
{
	static const char *const source_keys[] = { "kind", "path", NULL };
	char *kind = NULL;

	if (g == NULL)
		conf_lerr(l, NULL, "missing group 'source' { kind; path; }");
	conf_get_string(l, g, "kind", 1, &kind);
	if (kind != NULL && strcmp(kind, "maildir") == 0) {
		conf_check_keys(l, g, source_keys, "source");
		c->source.kind = SOURCE_MAILDIR;
		conf_get_path(l, g, "path", c->dir, &c->source.maildir_path);
	} else if (kind != NULL && strcmp(kind, "imap") == 0) {
		c->source.kind = SOURCE_IMAP;
		load_imap(l, g, c);
	} else if (kind != NULL)
		conf_lerr(l, conf_member(g, "kind"), "unknown source kind '%s'"
		    " (expected \"maildir\" or \"imap\")", kind);
	free(kind);
}
