/* SPDX-License-Identifier: Apache-2.0 */
/*
 * web_http - libmicrohttpd glue for the console (see web_http.h).
 *
 * A request's state (struct web_request) is made at its first call,
 * filled while its body arrives (libmicrohttpd's post processor, for
 * url-encoded and multipart forms alike), handed to the handler once the
 * body is complete, and freed (its values wiped) when libmicrohttpd says
 * the request is over.  Nothing a client sends is copied but into a
 * struct buf, bounded by WEB_HTTP_MAX_BODY.
 */
#include "balp/web_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>
#include <sodium.h>

/*
 * TLS 1.2 at least (DESIGN: "TLS is 1.2 at least, everywhere"), GnuTLS's
 * NORMAL ciphers otherwise.
 */
#define WEB_TLS_PRIORITIES \
	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:%SERVER_PRECEDENCE"

#define CSP "default-src 'none'; style-src 'self'; img-src 'self'; " \
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

struct web_http {
	struct MHD_Daemon	*d;
	web_http_handler	*handler;
	void			*arg;
};

struct field {
	char		*name;
	struct buf	 value;
};

struct web_request {
	struct MHD_Connection	*conn;
	const char		*method;
	char			*path;
	struct MHD_PostProcessor *pp;
	struct field		 f[WEB_HTTP_MAX_FIELDS];
	size_t			 nf;
	size_t			 body;		/* bytes received */
	/*
	 * NOT_FORM: no form to read (no or another content type): no
	 * field, so a POST is refused for its missing token.  TOO_BIG,
	 * TOO_MANY: answered here (413, 400), never half read.
	 */
	enum { FORM_OK, FORM_NOT_FORM, FORM_TOO_BIG, FORM_TOO_MANY } refused;
	int			 is_post;
};

const char *
web_http_method(const struct web_request *r)
{
	return strcmp(r->method, "HEAD") == 0 ? "GET" : r->method;
}

const char *
web_http_path(const struct web_request *r)
{
	return r->path;
}

const char *
web_http_cookie(const struct web_request *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, name);
}

const char *
web_http_arg(const struct web_request *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND,
	    name);
}

const char *
web_http_field(const struct web_request *r, const char *name, size_t *len)
{
	size_t i;

	for (i = 0; i < r->nf; i++)
		if (strcmp(r->f[i].name, name) == 0) {
			if (len != NULL)
				*len = r->f[i].value.len;
			return buf_str(&r->f[i].value);
		}
	if (len != NULL)
		*len = 0;
	return NULL;
}

int
web_http_form_refused(const struct web_request *r)
{
	return r->refused != FORM_OK;
}

void
web_http_redirect(struct web_response *res, const char *location)
{
	res->status = 303;
	free(res->location);
	res->location = buf_strdup(location);
}

void
web_http_set_cookie(struct web_response *res, const char *value)
{
	size_t i;

	for (i = 0; i < 2; i++)
		if (res->cookies[i] == NULL) {
			res->cookies[i] = buf_strdup(value);
			return;
		}
}

static void
request_free(struct web_request *r)
{
	size_t i;

	if (r == NULL)
		return;
	if (r->pp != NULL)
		MHD_destroy_post_processor(r->pp);
	for (i = 0; i < r->nf; i++) {
		free(r->f[i].name);
		if (r->f[i].value.data != NULL)
			sodium_memzero(r->f[i].value.data, r->f[i].value.cap);
		buf_free(&r->f[i].value);
	}
	free(r->path);
	free(r);
}

static enum MHD_Result
on_field(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *filename, const char *content_type,
    const char *transfer_encoding, const char *data, uint64_t off,
    size_t size)
{
	struct web_request *r = cls;
	struct field *f;

	(void)kind;
	(void)filename;
	(void)content_type;
	(void)transfer_encoding;
	if (key == NULL || r->refused != FORM_OK)
		return MHD_YES;
	/* A value arrives in pieces, the first at offset 0. */
	f = r->nf > 0 ? &r->f[r->nf - 1] : NULL;
	if (off == 0 || f == NULL || strcmp(f->name, key) != 0) {
		if (r->nf == WEB_HTTP_MAX_FIELDS) {
			r->refused = FORM_TOO_MANY;
			return MHD_YES;
		}
		f = &r->f[r->nf];
		buf_init(&f->value);
		if ((f->name = buf_strdup(key)) == NULL) {
			r->refused = FORM_TOO_MANY;
			return MHD_YES;
		}
		r->nf++;
	}
	if (size > 0 && buf_add(&f->value, data, size) == -1)
		r->refused = FORM_TOO_MANY;
	return MHD_YES;
}

/* The security headers, and what the handler set, on resp. */
static void
add_headers(struct MHD_Response *resp, const struct web_response *res)
{
	size_t i;

	MHD_add_response_header(resp, "Content-Security-Policy", CSP);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Content-Type",
	    res->content_type != NULL ? res->content_type :
	    "text/html; charset=utf-8");
	if (res->location != NULL)
		MHD_add_response_header(resp, "Location", res->location);
	if (res->disposition != NULL)
		MHD_add_response_header(resp, "Content-Disposition",
		    res->disposition);
	for (i = 0; i < 2; i++)
		if (res->cookies[i] != NULL)
			MHD_add_response_header(resp, "Set-Cookie",
			    res->cookies[i]);
}

static enum MHD_Result
send_response(struct MHD_Connection *c, struct web_response *res)
{
	struct MHD_Response *resp;
	enum MHD_Result rc;
	size_t i;

	if (res->body.failed) {
		buf_reset(&res->body);
		res->body.failed = 0;
		res->status = 500;
		buf_puts(&res->body, "Erreur interne.\n");
		res->content_type = "text/plain; charset=utf-8";
	}
	resp = MHD_create_response_from_buffer(res->body.len,
	    res->body.data != NULL ? res->body.data : (void *)"",
	    MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		rc = MHD_NO;
	else {
		add_headers(resp, res);
		rc = MHD_queue_response(c, res->status != 0 ?
		    (unsigned)res->status : 200, resp);
		MHD_destroy_response(resp);
	}
	buf_free(&res->body);
	free(res->location);
	free(res->disposition);
	for (i = 0; i < 2; i++)
		free(res->cookies[i]);
	return rc;
}

/* A plain-text answer of the server's own (413, 405), with the headers. */
static enum MHD_Result
send_plain(struct MHD_Connection *c, int status, const char *text)
{
	struct web_response res;

	memset(&res, 0, sizeof(res));
	res.status = status;
	res.content_type = "text/plain; charset=utf-8";
	buf_puts(&res.body, text);
	return send_response(c, &res);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **state)
{
	struct web_http *h = cls;
	struct web_request *r = *state;
	struct web_response res;

	(void)version;
	if (r == NULL) {
		if ((r = calloc(1, sizeof(*r))) == NULL)
			return MHD_NO;
		r->conn = c;
		r->method = method;
		r->is_post = strcmp(method, "POST") == 0;
		if ((r->path = buf_strdup(url)) == NULL) {
			free(r);
			return MHD_NO;
		}
		if (r->is_post) {
			r->pp = MHD_create_post_processor(c, 16 * 1024,
			    on_field, r);
			/* Not a form (no or another content type). */
			if (r->pp == NULL)
				r->refused = FORM_NOT_FORM;
		}
		*state = r;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		r->body += *upload_size;
		if (r->body > WEB_HTTP_MAX_BODY)
			r->refused = FORM_TOO_BIG;
		else if (r->pp != NULL && r->refused == FORM_OK &&
		    MHD_post_process(r->pp, upload, *upload_size) != MHD_YES)
			r->refused = FORM_TOO_MANY;
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->refused == FORM_TOO_BIG)
		return send_plain(c, 413, "Formulaire trop volumineux.\n");
	if (r->refused == FORM_TOO_MANY)
		return send_plain(c, 400, "Formulaire illisible ou de trop "
		    "nombreux champs.\n");
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
	    !r->is_post)
		return send_plain(c, 405, "Méthode non permise.\n");
	memset(&res, 0, sizeof(res));
	h->handler(h->arg, r, &res);
	return send_response(c, &res);
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **state,
    enum MHD_RequestTerminationCode why)
{
	(void)cls;
	(void)c;
	(void)why;
	request_free(*state);
	*state = NULL;
}

int
web_http_start(const struct web_http_conf *wc, struct web_http **out,
    struct buf *err)
{
	struct sockaddr_in6 a6;
	struct sockaddr_in a4;
	struct sockaddr *sa;
	struct web_http *h;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
	    MHD_USE_ERROR_LOG;
	const char *host = wc->host;

	*out = NULL;
	memset(&a4, 0, sizeof(a4));
	memset(&a6, 0, sizeof(a6));
	if (strcmp(host, "localhost") == 0)
		host = "127.0.0.1";
	if (inet_pton(AF_INET, host, &a4.sin_addr) == 1) {
		a4.sin_family = AF_INET;
		a4.sin_port = htons((uint16_t)wc->port);
		sa = (struct sockaddr *)&a4;
	} else if (inet_pton(AF_INET6, host, &a6.sin6_addr) == 1) {
		a6.sin6_family = AF_INET6;
		a6.sin6_port = htons((uint16_t)wc->port);
		sa = (struct sockaddr *)&a6;
		flags |= MHD_USE_IPv6;
	} else {
		buf_printf(err, "'%s' is not an address", wc->host);
		return -1;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		buf_puts(err, "out of memory");
		return -1;
	}
	h->handler = wc->handler;
	h->arg = wc->arg;
	if (wc->cert_pem != NULL)
		h->d = MHD_start_daemon(flags | MHD_USE_TLS, 0, NULL, NULL,
		    on_request, h,
		    MHD_OPTION_SOCK_ADDR, sa,
		    MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
		    MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
		    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)16,
		    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
		    MHD_OPTION_HTTPS_MEM_CERT, wc->cert_pem,
		    MHD_OPTION_HTTPS_MEM_KEY, wc->key_pem,
		    MHD_OPTION_HTTPS_PRIORITIES, WEB_TLS_PRIORITIES,
		    MHD_OPTION_END);
	else
		h->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h,
		    MHD_OPTION_SOCK_ADDR, sa,
		    MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
		    MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
		    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)16,
		    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
		    MHD_OPTION_END);
	if (h->d == NULL) {
		buf_printf(err, "cannot listen on %s port %u (in use, or the "
		    "certificate or key is not PEM)", wc->host, wc->port);
		free(h);
		return -1;
	}
	*out = h;
	return 0;
}

void
web_http_stop(struct web_http *h)
{
	if (h == NULL)
		return;
	MHD_stop_daemon(h->d);
	free(h);
}
