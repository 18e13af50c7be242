/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conf_web - the group "web": where the console (balpweb) listens, and
 * its sessions.
 */
#include "conf_priv.h"

#include "balp/tls.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * web.listen "HOST:PORT" or "[V6]:PORT" into w->host and w->port; the
 * host an address literal or "localhost".  0, or -1 after an error.
 */
static int
parse_listen(struct conf_loader *l, const config_setting_t *s,
    struct conf_web *w)
{
	const char *v = w->listen, *colon, *end;
	unsigned char addr[sizeof(struct in6_addr)];
	char *host, *p;
	unsigned long port;

	if (v[0] == '[') {
		if ((end = strchr(v, ']')) == NULL || end[1] != ':')
			goto bad;
		host = buf_strndup(v + 1, (size_t)(end - v - 1));
		colon = end + 1;
	} else {
		if ((colon = strrchr(v, ':')) == NULL || colon == v ||
		    memchr(v, ':', (size_t)(colon - v)) != NULL)
			goto bad;
		host = buf_strndup(v, (size_t)(colon - v));
	}
	if (host == NULL) {
		conf_lerr(l, s, "out of memory");
		return -1;
	}
	if (strcmp(host, "localhost") != 0 &&
	    inet_pton(AF_INET, host, addr) != 1 &&
	    inet_pton(AF_INET6, host, addr) != 1) {
		conf_lerr(l, s,
		    "web.listen: '%s' is not an address (an IPv4 or "
		    "IPv6 literal, or localhost)", host);
		free(host);
		return -1;
	}
	errno = 0;
	port = strtoul(colon + 1, &p, 10);
	if (!isdigit((unsigned char)colon[1]) || *p != '\0' || errno != 0 ||
	    port < 1 || port > 65535) {
		free(host);
		goto bad;
	}
	w->host = host;
	w->port = (unsigned)port;
	return 0;
bad:
	conf_lerr(l, s,
	    "web.listen: '%s' is not HOST:PORT (\"127.0.0.1:8080\", "
	    "\"[::1]:8080\")", v);
	return -1;
}

/*
 * The group "web" { listen; tls_cert_file; tls_key_file;
 * session_idle_minutes; session_max_hours; }, the console's (balpweb):
 * defaults without it.  The console shows the most sensitive data balp
 * has: off this host only with TLS.
 */
void
conf_load_web(struct conf_loader *l, const config_setting_t *g,
    struct balp_conf *c)
{
	static const char *const keys[] = { "listen", "tls_cert_file",
	    "tls_key_file", "session_idle_minutes", "session_max_hours",
	    NULL };
	struct conf_web *w = &c->web;
	const config_setting_t *s;

	w->session_idle_minutes = CONF_WEB_IDLE_MINUTES;
	w->session_max_hours = CONF_WEB_MAX_HOURS;
	if (g != NULL && !config_setting_is_group(g)) {
		conf_lerr(l, g,
		    "'web' must be a group { listen; tls_cert_file; "
		    "tls_key_file; session_idle_minutes; session_max_hours; }");
		g = NULL;
	}
	conf_check_keys(l, g, keys, "web");
	conf_get_string(l, g, "listen", 0, &w->listen);
	if (w->listen == NULL &&
	    (w->listen = buf_strdup(CONF_WEB_LISTEN)) == NULL) {
		conf_lerr(l, g, "out of memory");
		return;
	}
	s = conf_member(g, "listen");
	parse_listen(l, s != NULL ? s : g, w);
	if (conf_member(g, "tls_cert_file") != NULL)
		conf_get_path(l, g, "tls_cert_file", c->dir, &w->tls_cert_file);
	if (conf_member(g, "tls_key_file") != NULL)
		conf_get_path(l, g, "tls_key_file", c->dir, &w->tls_key_file);
	conf_get_unsigned(l, g, "session_idle_minutes", 1, 1440,
	    &w->session_idle_minutes);
	conf_get_unsigned(l, g, "session_max_hours", 1, 24,
	    &w->session_max_hours);
	if ((conf_member(g, "tls_cert_file") == NULL) !=
	    (conf_member(g, "tls_key_file") == NULL))
		conf_lerr(l, g, "web: 'tls_cert_file' and 'tls_key_file' go "
		    "together");
	else if (conf_member(g, "tls_cert_file") == NULL && w->host != NULL &&
	    !tls_host_is_loopback(w->host))
		conf_lerr(l, s,
		    "web.listen: '%s' is not a loopback address: the "
		    "console needs TLS there (tls_cert_file, tls_key_file)",
		    w->host);
}
