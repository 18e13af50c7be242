/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_attachment - forbidden attachments and the attachment a type needs.
 *
 * The lists are those of rules/ (a subset), built by hand so that these
 * tests pin the matching, not the configuration file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "balp/attachment.h"
#include "balp/buf.h"
#include "balp/content.h"
#include "balp/facts.h"
#include "balp/rules.h"

static void
add_all(struct wordlist *w, const char *const *v)
{
	for (; *v != NULL; v++)
		assert_int_equal(wordlist_add(w, *v), 0);
}

static void
make_rules(struct rules *r, int archives)
{
	static const char *const types[] = { "application/x-msdownload",
	    "application/x-dosexec", "application/x-msdos-program",
	    "application/java-archive", "application/hta",
	    "application/vnd.ms-word.document.macroEnabled.12",
	    "application/vnd.ms-excel.sheet.macroEnabled.12",
	    "video/*", NULL };
	static const char *const exts[] = { "exe", "com", "bat", "cmd", "scr",
	    "pif", "vbs", "js", "jse", "wsf", "ps1", "msi", "jar", "hta",
	    "lnk", "docm", "xlsm", "pptm", "dotm", NULL };
	static const char *const arch_types[] = { "application/zip",
	    "application/x-zip-compressed", "application/x-rar-compressed",
	    "application/vnd.rar", "application/x-7z-compressed", NULL };
	static const char *const arch_exts[] = { "zip", "rar", "7z", "gz",
	    NULL };
	static const char *const rib_types[] = { "application/pdf", "image/*",
	    NULL };
	static const char *const rib_exts[] = { "pdf", "jpg", "jpeg", "png",
	    NULL };
	struct request_type *t;

	rules_init(r);
	add_all(&r->forbidden_types, types);
	add_all(&r->forbidden_extensions, exts);
	add_all(&r->archive_types, arch_types);
	add_all(&r->archive_extensions, arch_exts);
	r->archives_forbidden = archives;

	r->types = calloc(2, sizeof(*r->types));
	assert_non_null(r->types);
	t = &r->types[r->n_types++];
	t->id = strdup("rib");
	t->queue = strdup("BALP/RIB");
	add_all(&t->needs_types, rib_types);
	add_all(&t->needs_extensions, rib_exts);
	t = &r->types[r->n_types++];
	t->id = strdup("suspension");
	t->queue = strdup("BALP/Suspension");
	assert_non_null(r->types[0].id);
	assert_non_null(r->types[1].id);
}

static struct part_facts
part(const char *type, const char *name)
{
	struct part_facts p;

	memset(&p, 0, sizeof(p));
	p.content_type = (char *)type;
	p.filename = (char *)name;
	p.is_attachment = 1;
	p.depth = 1;
	return p;
}

struct forbid_case {
	const char	*type;
	const char	*name;
	int		 off;	/* verdict with archives allowed */
	int		 on;	/* verdict with archives forbidden */
};

static const struct forbid_case forbid_cases[] = {
	/* executables and scripts by extension, whatever the type claims */
	{ "application/octet-stream", "setup.exe", 1, 1 },
	{ "application/octet-stream", "command.com", 1, 1 },
	{ "application/octet-stream", "run.bat", 1, 1 },
	{ "application/octet-stream", "run.cmd", 1, 1 },
	{ "application/octet-stream", "screen.scr", 1, 1 },
	{ "application/octet-stream", "old.pif", 1, 1 },
	{ "text/plain", "macro.vbs", 1, 1 },
	{ "application/javascript", "app.js", 1, 1 },
	{ "text/plain", "app.jse", 1, 1 },
	{ "text/xml", "job.wsf", 1, 1 },
	{ "text/plain", "script.ps1", 1, 1 },
	{ "application/octet-stream", "install.msi", 1, 1 },
	{ "application/octet-stream", "tool.jar", 1, 1 },
	{ "text/html", "page.hta", 1, 1 },
	{ "application/octet-stream", "raccourci.lnk", 1, 1 },
	{ "application/octet-stream", "courrier.docm", 1, 1 },
	{ "application/octet-stream", "budget.xlsm", 1, 1 },
	{ "application/octet-stream", "diapo.pptm", 1, 1 },
	{ "application/octet-stream", "modele.dotm", 1, 1 },
	/* the name as Windows reads it */
	{ "application/pdf", "RIB.EXE", 1, 1 },
	{ "application/pdf", "Rib.Exe", 1, 1 },
	{ "application/pdf", "rib.pdf.exe", 1, 1 },
	{ "application/pdf", "virus.exe.", 1, 1 },
	{ "application/pdf", "virus.exe  ", 1, 1 },
	{ "application/pdf", "virus.exe . .", 1, 1 },
	{ "application/pdf", "C:\\temp\\virus.exe", 1, 1 },
	{ "application/pdf", ".exe", 1, 1 },
	{ "application/pdf", "rib.exe.pdf", 0, 0 },
	{ "application/pdf", "exe", 0, 0 },
	{ "application/pdf", "rib.exec", 0, 0 },
	{ "application/pdf", "rib.ex", 0, 0 },
	{ "application/pdf", "rib.exe.d/readme", 0, 0 },
	{ "application/pdf", "rib.pdf", 0, 0 },
	{ "application/pdf", "", 0, 0 },
	{ "application/pdf", ".", 0, 0 },
	{ "application/pdf", "...", 0, 0 },
	/* by type, with or without a name */
	{ "application/x-msdownload", NULL, 1, 1 },
	{ "application/x-msdownload", "rib.pdf", 1, 1 },
	{ "application/x-dosexec", "rib.pdf", 1, 1 },
	{ "application/vnd.ms-word.document.macroenabled.12", "courrier.doc",
	  1, 1 },
	{ "application/vnd.ms-word.document.macroEnabled.12", NULL, 1, 1 },
	{ "application/x-msdownload; name=\"a\"", NULL, 1, 1 },
	{ "application/x-msdownloadx", NULL, 0, 0 },
	{ "application/x-msdownloa", NULL, 0, 0 },
	{ "video/mp4", NULL, 1, 1 },
	{ "video/", NULL, 0, 0 },
	{ "video", NULL, 0, 0 },
	{ "videos/mp4", NULL, 0, 0 },
	{ "application/vnd.openxmlformats-officedocument.wordprocessingml."
	  "document", "courrier.docx", 0, 0 },
	{ "application/pdf", NULL, 0, 0 },
	{ "image/jpeg", "scan.jpg", 0, 0 },
	{ "text/plain", NULL, 0, 0 },
	{ "", NULL, 0, 0 },
	/* archives only when the rules say so */
	{ "application/zip", "pieces.zip", 0, 1 },
	{ "application/zip", NULL, 0, 1 },
	{ "application/octet-stream", "pieces.ZIP", 0, 1 },
	{ "application/octet-stream", "pieces.rar", 0, 1 },
	{ "application/octet-stream", "pieces.7z", 0, 1 },
	{ "application/octet-stream", "pieces.tar.gz", 0, 1 },
	{ "application/vnd.rar", NULL, 0, 1 },
	{ "application/x-7z-compressed", "pieces", 0, 1 },
	{ "application/octet-stream", "pieces.zip.", 0, 1 },
	{ "application/octet-stream", "pieces.zipx", 0, 0 },
};

static void
test_forbidden_table(void **state)
{
	struct rules off, on;
	struct part_facts p;
	size_t i;
	int got;

	(void)state;
	make_rules(&off, 0);
	make_rules(&on, 1);
	for (i = 0; i < sizeof(forbid_cases) / sizeof(forbid_cases[0]); i++) {
		const struct forbid_case *c = &forbid_cases[i];

		p = part(c->type, c->name);
		if ((got = attachment_forbidden(&off, &p)) != c->off)
			fail_msg("case %zu (%s, %s) archives allowed: got %d",
			    i, c->type, c->name ? c->name : "(none)", got);
		if ((got = attachment_forbidden(&on, &p)) != c->on)
			fail_msg("case %zu (%s, %s) archives forbidden: got %d",
			    i, c->type, c->name ? c->name : "(none)", got);
	}
	rules_free(&off);
	rules_free(&on);
}

/* Empty lists forbid nothing. */
static void
test_forbidden_empty_rules(void **state)
{
	struct part_facts p = part("application/x-msdownload", "virus.exe");
	struct rules r;

	(void)state;
	rules_init(&r);
	r.archives_forbidden = 1;
	assert_int_equal(attachment_forbidden(&r, &p), 0);
	rules_free(&r);
}

struct ext_case {
	const char	*name;
	const char	*ext;	/* the span's bytes */
};

static const struct ext_case ext_cases[] = {
	{ "rib.pdf", "pdf" },
	{ "RIB.PDF", "PDF" },
	{ "rib.pdf.exe", "exe" },
	{ "virus.exe.", "exe" },
	{ "virus.exe  ", "exe" },
	{ "virus.exe. . ", "exe" },
	{ ".bashrc", "bashrc" },
	{ "archive.tar.gz", "gz" },
	{ "noext", "" },
	{ "dir.d/noext", "" },
	{ "dir.d\\noext", "" },
	{ "dir/x.png", "png" },
	{ "rib.", "" },
	{ "", "" },
	{ "...", "" },
	{ "   ", "" },
	{ "a.b c", "b c" },
};

static void
test_extension_table(void **state)
{
	const char *e;
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(ext_cases) / sizeof(ext_cases[0]); i++) {
		e = attachment_extension_span(ext_cases[i].name, &len);
		if (len != strlen(ext_cases[i].ext) ||
		    memcmp(e, ext_cases[i].ext, len) != 0)
			fail_msg("case %zu (%s): got \"%.*s\", want \"%s\"", i,
			    ext_cases[i].name, (int)len, e, ext_cases[i].ext);
		/* the start is the same through the short form */
		if (len > 0 && attachment_extension(ext_cases[i].name) != e)
			fail_msg("case %zu: attachment_extension differs", i);
	}
	e = attachment_extension_span(NULL, &len);
	assert_int_equal(len, 0);
	assert_string_equal(e, "");
	assert_string_equal(attachment_extension(NULL), "");
	assert_string_equal(attachment_extension("noext"), "");
}

struct fulfil_case {
	const char	*type;
	const char	*name;
	int		 want;
};

static const struct fulfil_case fulfil_cases[] = {
	{ "application/pdf", "rib.pdf", 1 },
	{ "application/pdf", NULL, 0 },	/* nameless: the body's own part */
	{ "image/jpeg", "scan.jpg", 1 },
	{ "image/png", NULL, 0 },	/* a signature logo */
	{ "image/png", "", 0 },
	{ "image/heic", "IMG_0042.HEIC", 1 },
	{ "application/octet-stream", "rib.PDF", 1 },
	{ "application/octet-stream", "rib.pdf.", 1 },
	{ "application/octet-stream", "photo.Jpeg", 1 },
	{ "application/octet-stream", "rib", 0 },
	{ "application/octet-stream", NULL, 0 },
	{ "application/octet-stream", "rib.pdf.exe", 0 },
	{ "application/octet-stream", "rib.pdfx", 0 },
	{ "text/plain", "notes.txt", 0 },
	{ "text/plain", NULL, 0 },
	{ "text/html", NULL, 0 },
	{ "application/msword", "rib.doc", 0 },
	{ "image", NULL, 0 },
	{ "image/", NULL, 0 },
	{ "imagex/png", NULL, 0 },
	{ "application/pdfx", NULL, 0 },
	{ "application/pdf; name=rib.pdf", NULL, 0 },
};

static void
test_fulfils_table(void **state)
{
	const struct request_type *rib;
	struct part_facts p;
	struct rules r;
	size_t i;

	(void)state;
	make_rules(&r, 1);
	rib = rules_type(&r, "rib");
	assert_non_null(rib);
	for (i = 0; i < sizeof(fulfil_cases) / sizeof(fulfil_cases[0]); i++) {
		const struct fulfil_case *c = &fulfil_cases[i];

		p = part(c->type, c->name);
		if (attachment_fulfils(rib, &p) != c->want)
			fail_msg("case %zu (%s, %s): want %d", i, c->type,
			    c->name ? c->name : "(none)", c->want);
	}
	rules_free(&r);
}

/* A type that needs nothing is satisfied by anything; no type by nothing. */
static void
test_fulfils_no_requirement(void **state)
{
	struct part_facts p = part("text/plain", NULL);
	struct rules r;

	(void)state;
	make_rules(&r, 1);
	assert_int_equal(attachment_fulfils(rules_type(&r, "suspension"), &p),
	    1);
	assert_int_equal(attachment_fulfils(NULL, &p), 0);
	rules_free(&r);
}

/*
 * What is recorded with the decision: one line per part that gave a
 * reason, its number, types and extension, never its file name.
 */
static void
test_findings(void **state)
{
	static const struct {
		const char	*type;
		const char	*name;
		const char	*sniffed;
		unsigned	 findings;
		const char	*line;		/* NULL: no line */
	} parts[] = {
		{ "text/plain", NULL, NULL, 0, NULL },
		{ "application/pdf", "RIB_MERCIER_Hugo.pdf", "application/pdf",
		  CONTENT_PDF | CONTENT_TOO_LARGE,
		  "part 2 application/pdf .pdf: not inspected: too large "
		  "(20971520 bytes)" },
		{ "application/pdf", "RIB Mme N'GUESSAN.pdf",
		  "application/x-dosexec", CONTENT_EXECUTABLE |
		  CONTENT_FORWARDED,
		  "part 3 application/pdf (content application/x-dosexec) .pdf "
		  "in a forwarded mail: executable, content contradicts its "
		  "type or name" },
		{ "application/x-185057800608491", "Dupont.185057800608491",
		  NULL, CONTENT_NOT_INSPECTED,
		  "part 4 (other type) (other extension): not inspected: "
		  "unreadable" },
		{ "application/octet-stream", "MERCIER.EXE", "application/x-dosexec",
		  CONTENT_EXECUTABLE, "part 5 application/octet-stream (content "
		  "application/x-dosexec) .exe: extension forbidden, executable" },
		{ "application/vnd.oasis.opendocument.text", "Attestation "
		  "Mercier.odt", "application/vnd.oasis.opendocument.text",
		  CONTENT_OFFICE | CONTENT_ENCRYPTED,
		  "part 6 application/vnd.oasis.opendocument.text .odt: "
		  "encrypted" },
		{ "application/pdf", "RIB.pdf", "application/pdf", CONTENT_PDF,
		  NULL },
		/* A known prefix with the sender's words after it (fuzz_decide):
		 * not shown. */
		{ "image/jpeg28706341720587361117_0912.jpg", "scan.jpg",
		  "application/x-dosexec", CONTENT_EXECUTABLE,
		  "part 8 (other type) (content application/x-dosexec) .jpg: "
		  "executable, content contradicts its type or name" },
		{ "image/dupont", "scan.jpg", "application/x-dosexec",
		  CONTENT_EXECUTABLE, "part 9 (other type) (content "
		  "application/x-dosexec) .jpg: executable, content contradicts "
		  "its type or name" },
	};
	struct msg_facts f;
	struct rules r;
	struct buf b = BUF_INIT, want = BUF_INIT;
	size_t i;

	(void)state;
	make_rules(&r, 1);
	facts_init(&f);
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		assert_int_equal(facts_add_part(&f, parts[i].type,
		    parts[i].name, i == 1 ? 20971520 : 1000, i > 0, 1), 0);
		f.parts[i].findings = parts[i].findings;
		if (parts[i].sniffed != NULL)
			f.parts[i].sniffed_type = strdup(parts[i].sniffed);
		if (parts[i].line != NULL)
			buf_printf(&want, "%s\n", parts[i].line);
	}
	assert_int_equal(attachment_findings(&r, &f, &b), 0);
	assert_string_equal(buf_str(&b), buf_str(&want));
	/* no name, no NIR, whatever the sender made of them */
	assert_null(strstr(buf_str(&b), "MERCIER"));
	assert_null(strstr(buf_str(&b), "Mercier"));
	assert_null(strstr(buf_str(&b), "GUESSAN"));
	assert_null(strstr(buf_str(&b), "185057800608491"));
	buf_free(&b);
	buf_free(&want);
	facts_free(&f);
	rules_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forbidden_table),
		cmocka_unit_test(test_forbidden_empty_rules),
		cmocka_unit_test(test_extension_table),
		cmocka_unit_test(test_fulfils_table),
		cmocka_unit_test(test_fulfils_no_requirement),
		cmocka_unit_test(test_findings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
