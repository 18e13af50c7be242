/* SPDX-License-Identifier: Apache-2.0 */
/*
 * balpweb - the Caf's console in a browser (balpweb(8); issue 20).
 *
 *	balpweb [-c CONF]
 *	balpweb --version
 *
 * Reads the configuration balpd reads (its group web: listen, TLS,
 * session limits), opens the store balpd and balpctl use (it must exist:
 * `balpctl init` makes it) with the audit key, reads the TLS certificate
 * and key when given, and serves the console until SIGTERM or SIGINT.  It
 * tells systemd when it listens (sd_notify READY=1).
 *
 * Exit status: 0 stopped by a signal, 1 failure, 2 usage or configuration.
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <systemd/sd-daemon.h>

#include "balp/buf.h"
#include "balp/conf.h"
#include "balp/log.h"
#include "balp/store.h"
#include "balp/store_audit.h"
#include "balp/web_app.h"
#include "balp/web_audit_watch.h"
#include "balp/web_http.h"
#include "balp/web_page_annex.h"

#ifndef BALP_VERSION
#define BALP_VERSION	"unknown"
#endif
#ifndef DEFAULT_CONF
#define DEFAULT_CONF	"conf/balp.conf"
#endif

/* A PEM file's text, at most 1 MiB, into *out (caller wipes and frees). */
static int
read_pem(const char *path, char **out, struct buf *err)
{
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n;
	FILE *f;

	*out = NULL;
	if ((f = fopen(path, "re")) == NULL) {
		buf_printf(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		buf_add(&b, chunk, n);
		if (b.len > 1024 * 1024)
			break;
	}
	sodium_memzero(chunk, sizeof(chunk));
	if (ferror(f) || b.len > 1024 * 1024 || b.failed || b.len == 0) {
		buf_printf(err, "%s: %s", path, b.len == 0 ? "empty" :
		    b.len > 1024 * 1024 ? "larger than 1 MiB" :
		    "cannot be read");
		fclose(f);
		if (b.data != NULL)
			sodium_memzero(b.data, b.cap);
		buf_free(&b);
		return -1;
	}
	fclose(f);
	*out = buf_detach(&b);
	return 0;
}

static void
pem_free(char *p)
{
	if (p != NULL) {
		sodium_memzero(p, strlen(p));
		free(p);
	}
}

static void
usage(void)
{
	fprintf(stderr, "usage: balpweb [-c CONF]\n       balpweb --version\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *conf_path = DEFAULT_CONF;
	struct balp_conf conf;
	struct web_http_conf hc;
	struct web_http *http = NULL;
	struct web_app app;
	struct buf err = BUF_INIT;
	struct stat sb;
	char *cert = NULL, *key = NULL;
	sigset_t set;
	int ch, sig, rc = 1, loaded = 0;

	log_init("balpweb");
	memset(&app, 0, sizeof(app));
	while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf_path = optarg;
			break;
		case 'V':
			printf("balpweb %s\n", BALP_VERSION);
			return 0;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (sodium_init() < 0) {
		fprintf(stderr, "balpweb: libsodium cannot start\n");
		return 1;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	/* Blocked before libmicrohttpd's thread starts: it inherits it. */
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1) {
		fprintf(stderr, "balpweb: sigprocmask: %s\n", strerror(errno));
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	if (conf_load(conf_path, &conf, &err) == -1) {
		fputs(buf_str(&err), stderr);
		buf_free(&err);
		return 2;
	}
	loaded = 1;
	if (stat(conf.store_path, &sb) == -1 ||
	    access(conf.store_path, R_OK | W_OK) == -1) {
		if (store_access_explain(conf.store_path, errno,
		    conf.admin_group, &err))
			fprintf(stderr, "balpweb: %s\n", buf_str(&err));
		else
			fprintf(stderr, "balpweb: no store at %s: run `balpctl "
			    "-c %s init` first\n", conf.store_path, conf_path);
		goto out;
	}
	if (store_open(conf.store_path, &app.st, &err) != STORE_OK ||
	    store_audit_key_load(app.st, conf.audit_key_file, conf.admin_gid,
	    &err) == -1) {
		fprintf(stderr, "balpweb: %s\n", buf_str(&err));
		goto out;
	}
	if (conf.web.tls_cert_file != NULL &&
	    (read_pem(conf.web.tls_cert_file, &cert, &err) == -1 ||
	    read_pem(conf.web.tls_key_file, &key, &err) == -1)) {
		fprintf(stderr, "balpweb: %s\n", buf_str(&err));
		goto out;
	}
	app.conf = &conf;
	app.tls = cert != NULL;
	/* The chain checked once now (before listening), then off the
	 * requests: a million rows take seconds. */
	if (web_audit_watch_start(&conf, WEB_AUDIT_WATCH_SECONDS,
	    &app.audit_watch, &err) == -1) {
		fprintf(stderr, "balpweb: %s\n", buf_str(&err));
		goto out;
	}
	memset(&hc, 0, sizeof(hc));
	hc.host = conf.web.host;
	hc.port = conf.web.port;
	hc.cert_pem = cert;
	hc.key_pem = key;
	hc.handler = web_app_handle;
	hc.arg = &app;
	if (web_http_start(&hc, &http, &err) == -1) {
		fprintf(stderr, "balpweb: %s\n", buf_str(&err));
		goto out;
	}
	log_info("console listening on %s (%s)", conf.web.listen,
	    app.tls ? "https" : "http, loopback only");
	sd_notify(0, "READY=1");
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			break;
		if (sig != SIGHUP)
			break;
		/* Nothing to reload: a change of listen or TLS needs a
		 * restart, and the store is read at each request. */
		log_info("SIGHUP ignored: restart balpweb to apply a new "
		    "configuration");
	}
	sd_notify(0, "STOPPING=1");
	rc = 0;
out:
	web_http_stop(http);
	web_audit_watch_stop(app.audit_watch);
	web_page_annex_stash_free(&app);
	pem_free(cert);
	pem_free(key);
	if (app.st != NULL)
		store_close(app.st);
	if (loaded)
		conf_free(&conf);
	buf_free(&err);
	return rc;
}
