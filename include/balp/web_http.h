/* SPDX-License-Identifier: Apache-2.0 */
/*
 * web_http - the console's HTTP server on libmicrohttpd (balpweb(8)):
 * listening, TLS, reading a request (its cookies, query and form fields,
 * bounded) and sending the response a handler built, with the security
 * headers on EVERY response, whatever its status:
 *
 *   Content-Security-Policy: default-src 'none'; style-src 'self';
 *     img-src 'self'; form-action 'self'; frame-ancestors 'none';
 *     base-uri 'none'
 *   X-Content-Type-Options: nosniff
 *   Referrer-Policy: no-referrer
 *   Cache-Control: no-store
 *
 * One thread (libmicrohttpd's internal polling thread) calls the handler,
 * so the handler's store is used by one thread only (store.h).
 *
 * Limits: a form body of at most WEB_HTTP_MAX_BODY bytes (413 beyond)
 * and WEB_HTTP_MAX_FIELDS fields (400 beyond): never handed on half
 * read.  Form values are wiped (sodium_memzero) when the request ends:
 * they carry passwords.
 *
 * Ownership: a struct web_http owns the daemon; web_http_stop frees it.
 * Errors: web_http_start returns -1 with one line in err.
 */
#ifndef BALP_WEB_HTTP_H
#define BALP_WEB_HTTP_H

#include <stddef.h>

#include "balp/buf.h"

#define WEB_HTTP_MAX_BODY	(4 * 1024 * 1024)
#define WEB_HTTP_MAX_FIELDS	32

struct web_http;
struct web_request;

struct web_response {
	int		 status;	/* 200 when the handler leaves 0 */
	const char	*content_type;	/* default text/html; charset=utf-8 */
	char		*disposition;	/* Content-Disposition, malloc'd */
	struct buf	 body;
	char		*location;	/* a 303's target, malloc'd */
	char		*cookies[2];	/* Set-Cookie values, malloc'd */
};

/* The handler: fills res from req; never fails (an error is a page). */
typedef void web_http_handler(void *arg, const struct web_request *req,
	    struct web_response *res);

struct web_http_conf {
	const char	*host;		/* address literal or "localhost" */
	unsigned	 port;
	const char	*cert_pem;	/* NULL: no TLS */
	const char	*key_pem;
	web_http_handler *handler;
	void		*arg;
};

int	 web_http_start(const struct web_http_conf *, struct web_http **out,
	    struct buf *err);
void	 web_http_stop(struct web_http *);

/* "GET" (also for HEAD), "POST" or another method, as sent. */
const char *web_http_method(const struct web_request *);
/* The path, without its query. */
const char *web_http_path(const struct web_request *);
/* A cookie's value, or NULL. */
const char *web_http_cookie(const struct web_request *, const char *name);
/* A query argument (GET) or form field (POST), or NULL; *len its length. */
const char *web_http_arg(const struct web_request *, const char *name);
const char *web_http_field(const struct web_request *, const char *name,
	    size_t *len);
/* 1 when the body was no form (then it has no field). */
int	 web_http_form_refused(const struct web_request *);

/* A 303 to location (a path of the console). */
void	 web_http_redirect(struct web_response *, const char *location);
/* Adds one Set-Cookie value (at most two a response). */
void	 web_http_set_cookie(struct web_response *, const char *value);

#endif
