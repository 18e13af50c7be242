/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_decide - libFuzzer target over the parse+decide entry point: raw
 * bytes -> mime_parse -> decide -> notice_render and the findings
 * recorded (attachment_findings), plus the facts
 * serialization the daemon's parse child uses.  Half the inputs (by their
 * first byte) are parsed as a message an IMAP source fetched by its parts,
 * heads from an offset on (mime_parse_heads).  Run by `make check` for 60
 * seconds; any crash, leak or undefined behaviour fails the check.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balp/attachment.h"
#include "balp/buf.h"
#include "balp/conf.h"
#include "balp/date.h"
#include "balp/decide.h"
#include "balp/mime.h"
#include "balp/notice.h"

int	 LLVMFuzzerInitialize(int *argc, char ***argv);
int	 LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct balp_conf conf;
static struct habilitation annex_entry;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct buf err = BUF_INIT;

	(void)argc;
	(void)argv;
	if (conf_load(BALP_SRCDIR "/conf/balp.conf", &conf, &err) == -1) {
		fprintf(stderr, "%s", buf_str(&err));
		abort();
	}
	buf_free(&err);
	annex_entry.partner_id = "apeai-ouest-herault";
	annex_entry.convention_start = DATE_NONE;
	annex_entry.convention_end = DATE_NONE;
	date_parse_iso("2025-01-01", &annex_entry.start);
	annex_entry.end = DATE_NONE;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct annex_view annex = { &annex_entry, 1, NULL, 0 };
	struct decide_ctx ctx;
	struct msg_facts f, back;
	struct decision d;
	struct buf found = BUF_INIT;
	char *subject, *body, *ser;
	size_t len;

	facts_init(&f);
	if (mime_parse_heads((const char *)data, size, &conf.limits,
	    size > 0 && (data[0] & 1) ? size * data[0] / 256 : SIZE_MAX,
	    &f) == -1) {
		facts_free(&f);
		return 0;
	}
	f.raw_size = size;
	ctx.rules = &conf.rules;
	ctx.trusted_authserv_ids = (const char *const *)conf.trusted_authserv_ids.v;
	ctx.n_trusted_authserv_ids = conf.trusted_authserv_ids.n;
	ctx.public_suffixes = &conf.public_suffixes;
	date_parse_iso("2026-11-23", &ctx.today);
	decide(&f, &annex, &ctx, &d);
	if (d.notify && notice_render(&conf.rules, &d, ctx.today, &subject,
	    &body) == 0) {
		/* A notice must never echo the NIR it refers to. */
		if (d.nir[0] != '\0' && strstr(body, d.nir) != NULL)
			abort();
		free(subject);
		free(body);
	}
	/* The findings recorded with it: never the NIR. */
	if (attachment_findings(&conf.rules, &f, &found) == 0 &&
	    d.nir[0] != '\0' && strstr(buf_str(&found), d.nir) != NULL)
		abort();
	buf_free(&found);
	if ((ser = facts_serialize(&f, &len)) != NULL) {
		facts_init(&back);
		if (facts_deserialize(ser, len, &back) != 0)
			abort();
		facts_free(&back);
		free(ser);
	}
	facts_free(&f);
	return 0;
}
