/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_web - the console's pure parts: the one escaper (markup, quotes,
 * controls, bytes that are not UTF-8), session ids and their hash, the
 * CSRF token bound to its session (another session's token, a truncated
 * or missing one refused), the idle and absolute expiry, the lockout
 * rule (five failures in fifteen minutes lock fifteen minutes; a locked
 * account counts no further; a window that ran out starts again), and a
 * scan of the pages' sources: no value reaches a page but through
 * web_html_text; every refusal of the shared checks said in French (each
 * annex error with its line, each release/retriage refusal, each
 * password rule), no English word in any, balpctl's English unchanged.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balp/annex.h"
#include "balp/buf.h"
#include "balp/date.h"
#include "balp/lockout.h"
#include "balp/web_html.h"
#include "balp/web_msg.h"
#include "balp/web_plan.h"
#include "balp/web_session.h"

static char *
esc(const char *s, size_t len)
{
	struct buf b = BUF_INIT;

	web_html_textn(&b, s, len);
	assert_false(b.failed);
	return buf_detach(&b);
}

static void
test_escape_markup(void **state)
{
	static const char in[] = "<script>alert(\"x\")</script> & 'y'";
	char *out;

	(void)state;
	out = esc(in, sizeof(in) - 1);
	assert_string_equal(out, "&lt;script&gt;alert(&quot;x&quot;)&lt;"
	    "/script&gt; &amp; &#39;y&#39;");
	free(out);
}

static void
test_escape_attribute_breakout(void **state)
{
	static const char in[] = "\" onfocus=\"x\" autofocus '";
	char *out;

	(void)state;
	out = esc(in, sizeof(in) - 1);
	assert_null(strchr(out, '"'));
	assert_null(strchr(out, '\''));
	assert_null(strchr(out, '<'));
	free(out);
}

static void
test_escape_controls_and_bad_utf8(void **state)
{
	/* NUL, ESC, DEL, C1 (U+0085), a lone continuation byte, an
	 * overlong '<' (C0 BC), a surrogate (ED A0 80); é kept. */
	static const char in[] = "a\0b\x1b" "c\x7f" "d\xc2\x85" "e\x80"
	    "f\xc0\xbc" "g\xed\xa0\x80" "h\xc3\xa9\t\n";
	char *out;

	(void)state;
	out = esc(in, sizeof(in) - 1);
	assert_string_equal(out, "a b c d e\xef\xbf\xbd" "f\xef\xbf\xbd"
	    "\xef\xbf\xbdg\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdh\xc3\xa9\t\n");
	free(out);
}

static void
test_escape_null_is_nothing(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	web_html_text(&b, NULL);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

static void
test_session_ids(void **state)
{
	char a[WEB_SESSION_HEX + 1], b[WEB_SESSION_HEX + 1];
	char ha[WEB_SESSION_HEX + 1], hb[WEB_SESSION_HEX + 1];

	(void)state;
	assert_int_equal(web_session_new_id(a), 0);
	assert_int_equal(web_session_new_id(b), 0);
	assert_int_equal(strlen(a), 64);
	assert_true(web_session_id_valid(a));
	assert_string_not_equal(a, b);
	web_session_hash(a, ha);
	web_session_hash(b, hb);
	assert_true(web_session_id_valid(ha));
	assert_string_not_equal(ha, a);	/* the store never sees the id */
	assert_string_not_equal(ha, hb);
	assert_false(web_session_id_valid(NULL));
	assert_false(web_session_id_valid("abc"));
	a[3] = 'G';
	assert_false(web_session_id_valid(a));
	a[3] = 'A';	/* upper case is not an id either */
	assert_false(web_session_id_valid(a));
}

static void
test_csrf_bound_to_session(void **state)
{
	char a[WEB_SESSION_HEX + 1], b[WEB_SESSION_HEX + 1];
	char ta[WEB_SESSION_HEX + 1], tb[WEB_SESSION_HEX + 1];
	char cut[WEB_SESSION_HEX + 1];

	(void)state;
	web_session_new_id(a);
	web_session_new_id(b);
	web_session_csrf(a, ta);
	web_session_csrf(b, tb);
	assert_true(web_session_csrf_ok(a, ta));
	assert_false(web_session_csrf_ok(a, tb));	/* another session's */
	assert_false(web_session_csrf_ok(b, ta));
	assert_false(web_session_csrf_ok(a, NULL));	/* none */
	assert_false(web_session_csrf_ok(a, ""));
	memcpy(cut, ta, sizeof(cut));
	cut[63] = '\0';
	assert_false(web_session_csrf_ok(a, cut));	/* truncated */
	assert_false(web_session_csrf_ok(a, a));	/* the id itself */
	assert_false(web_session_csrf_ok(NULL, ta));
	assert_false(web_session_csrf_ok("nope", ta));
	assert_string_not_equal(ta, a);
}

static void
test_session_expiry(void **state)
{
	const time_t t0 = 1790000000;
	const long idle = 15 * 60, max = 8 * 3600;

	(void)state;
	assert_int_equal(web_session_expiry(t0, t0, t0, idle, max),
	    WEB_SESSION_LIVE);
	assert_int_equal(web_session_expiry(t0, t0, t0 + idle - 1, idle, max),
	    WEB_SESSION_LIVE);
	assert_int_equal(web_session_expiry(t0, t0, t0 + idle, idle, max),
	    WEB_SESSION_IDLE);
	/* Used every ten minutes: alive until the absolute limit. */
	assert_int_equal(web_session_expiry(t0, t0 + max - 600, t0 + max - 1,
	    idle, max), WEB_SESSION_LIVE);
	assert_int_equal(web_session_expiry(t0, t0 + max - 600, t0 + max,
	    idle, max), WEB_SESSION_OLD);
	/* A clock gone backwards ends it. */
	assert_int_equal(web_session_expiry(t0, t0, t0 - 1, idle, max),
	    WEB_SESSION_OLD);
}

static void
test_lockout_five_in_window(void **state)
{
	struct lockout lo = { 0, 0, 0 };
	const time_t t0 = 1790000000;
	int i;

	(void)state;
	for (i = 0; i < LOCKOUT_FAILURES - 1; i++) {
		assert_int_equal(lockout_fail(&lo, t0 + i * 60), 0);
		assert_false(lockout_locked(&lo, t0 + i * 60));
	}
	assert_int_equal(lockout_fail(&lo, t0 + 14 * 60), 1);
	assert_true(lockout_locked(&lo, t0 + 14 * 60));
	/* Locked: the right password fails too (the caller asks first),
	 * and more failures neither count nor stretch the lock. */
	assert_int_equal(lockout_fail(&lo, t0 + 20 * 60), 0);
	assert_int_equal(lo.locked_until, t0 + 14 * 60 + LOCKOUT_SECONDS);
	assert_true(lockout_locked(&lo, t0 + 14 * 60 + LOCKOUT_SECONDS - 1));
	assert_false(lockout_locked(&lo, t0 + 14 * 60 + LOCKOUT_SECONDS));
	/* After the lock, a failure starts a new count. */
	assert_int_equal(lockout_fail(&lo, t0 + 30 * 60), 0);
	assert_int_equal(lo.failures, 1);
	assert_int_equal(lo.locked_until, 0);
}

static void
test_lockout_window_runs_out(void **state)
{
	struct lockout lo = { 0, 0, 0 };
	const time_t t0 = 1790000000;
	int i;

	(void)state;
	for (i = 0; i < LOCKOUT_FAILURES - 1; i++)
		assert_int_equal(lockout_fail(&lo, t0 + i), 0);
	/* The fifth, 15 minutes after the first: a new window. */
	assert_int_equal(lockout_fail(&lo, t0 + LOCKOUT_WINDOW), 0);
	assert_int_equal(lo.failures, 1);
	assert_false(lockout_locked(&lo, t0 + LOCKOUT_WINDOW));
}

/* The source file's text, or NULL. */
static char *
slurp(const char *path)
{
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	return buf_detach(&b);
}

/*
 * The call's arguments from p (just after "NAME("): to the matching
 * parenthesis, string literals skipped.
 */
static size_t
call_len(const char *p)
{
	const char *s = p;
	int depth = 1, in_str = 0;

	for (; *s != '\0' && depth > 0; s++) {
		if (in_str) {
			if (*s == '\\' && s[1] != '\0')
				s++;
			else if (*s == '"')
				in_str = 0;
		} else if (*s == '"')
			in_str = 1;
		else if (*s == '(')
			depth++;
		else if (*s == ')')
			depth--;
	}
	return (size_t)(s - p);
}

/*
 * In every file that writes pages, buf_puts and buf_add on the page's
 * buffer (b or &ctx->res->body) take a string literal, and no buf_printf
 * on it has a %s or %c: a value can reach a page only through
 * web_html_text.
 */
static void
test_pages_escape_every_value(void **state)
{
	static const char *const files[] = { "src/web/web_layout.c",
	    "src/web/web_auth.c", "src/web/web_app.c",
	    "src/web/web_page_dashboard.c", "src/web/web_page_users.c",
	    "src/web/web_page_messages.c", "src/web/web_page_partners.c",
	    "src/web/web_page_annex.c", "src/web/web_page_partner_act.c",
	    "src/web/web_page_message_act.c", "src/web/web_page_review.c",
	    "src/web/web_page_audit.c", "src/web/web_page_staged.c",
	    "src/web/web_plan.c", NULL };
	char path[512], *text, *p, *args, *arg;
	size_t i, n, len;

	(void)state;
	for (i = 0; files[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/%s", BALP_SRCDIR, files[i]);
		text = slurp(path);
		assert_non_null(text);
		n = 0;
		for (p = text; (p = strstr(p, "buf_")) != NULL; p++) {
			if (strncmp(p, "buf_puts(", 9) != 0 &&
			    strncmp(p, "buf_add(", 8) != 0 &&
			    strncmp(p, "buf_printf(", 11) != 0)
				continue;
			args = strchr(p, '(') + 1;
			len = call_len(args);
			arg = strndup(args, len);
			assert_non_null(arg);
			/* The page's buffer only (an audit detail is not). */
			if (strncmp(arg, "b,", 2) != 0 &&
			    strncmp(arg, "&ctx->res->body,", 16) != 0) {
				free(arg);
				continue;
			}
			if (strncmp(p, "buf_printf(", 11) == 0) {
				if (strstr(arg, "%s") != NULL ||
				    strstr(arg, "%.*s") != NULL ||
				    strstr(arg, "%c") != NULL)
					fail_msg("%s: buf_printf with a string:"
					    " %.60s", files[i], arg);
			} else {
				/* The second argument: after the comma. */
				char *c = strchr(arg, ',');

				assert_non_null(c);
				c++;
				while (*c == ' ' || *c == '\t' || *c == '\n')
					c++;
				if (*c != '"')
					fail_msg("%s: a value given to %.8s: "
					    "%.60s", files[i], p, arg);
			}
			free(arg);
			n++;
		}
		assert_true(n > 0 || strstr(files[i], "web_app") != NULL);
		free(text);
	}
}

/*
 * French, ending as a sentence, with none of balpctl's English words
 * ("file" is French too: a queue).
 */
static void
assert_french(const char *what, const char *s)
{
	regex_t re;
	regmatch_t m;
	size_t n = strlen(s);

	assert_int_equal(regcomp(&re, "(^|[^[:alpha:]])(cannot|refused|"
	    "invalid|not|is|the|already|must|missing|required|error|line|"
	    "empty|column|appears|twice|date format|decision|release|"
	    "retriage|password)([^[:alpha:]]|$)", REG_EXTENDED | REG_ICASE),
	    0);
	if (regexec(&re, s, 1, &m, 0) == 0)
		fail_msg("%s: English in \"%s\"", what, s);
	regfree(&re);
	if (n == 0 || s[n - 1] != '.')
		fail_msg("%s: not a sentence: \"%s\"", what, s);
}

static void
test_annex_errors_in_french(void **state)
{
	struct annex_file_error e;
	struct buf fr = BUF_INIT, en = BUF_INIT;
	char what[32];
	int code;

	(void)state;
	for (code = ANNEX_FILE_E_NOMEM; code <= ANNEX_FILE_E_SHEET; code++) {
		memset(&e, 0, sizeof(e));
		e.line = code == ANNEX_FILE_E_XLS ||
		    code == ANNEX_FILE_E_OTHER_ZIP ? 0 : 12;
		e.code = (enum annex_file_code)code;
		e.column = "date_fin";
		e.a = 3;
		e.b = 5;
		e.value = code == ANNEX_FILE_E_ENCODING ? NULL :
		    code == ANNEX_FILE_E_SHEET ? (char *)"line 12: more than "
		    "16384 cells: not an annex" : (char *)"01/02/2025";
		e.value2 = (char *)"01/03/2025";
		buf_reset(&fr);
		web_msg_annex_error(&fr, &e);
		snprintf(what, sizeof(what), "annex code %d", code);
		assert_french(what, buf_str(&fr));
		/* Its line, or the file as a whole, first. */
		if (e.line > 0)
			assert_int_equal(strncmp(buf_str(&fr), "ligne 12 : ", 11),
			    0);
		else
			assert_int_equal(strncmp(buf_str(&fr), "fichier : ", 10),
			    0);
	}
	/* The example, and balpctl's line from the same error. */
	memset(&e, 0, sizeof(e));
	e.line = 12;
	e.code = ANNEX_FILE_E_END_BEFORE_START;
	e.value = (char *)"01/02/2025";
	e.value2 = (char *)"01/03/2025";
	buf_reset(&fr);
	web_msg_annex_error(&fr, &e);
	assert_string_equal(buf_str(&fr), "ligne 12 : date de fin (01/02/2025) "
	    "antérieure à la date de début (01/03/2025) ; corrigez l'une des "
	    "deux.");
	annex_file_error_text(&e, &en);
	assert_string_equal(buf_str(&en), "line 12: date_fin '01/02/2025' is "
	    "before date_habilitation '01/03/2025'");
	buf_free(&fr);
	buf_free(&en);
}

static void
test_annex_file_errors_coded_and_said_alike(void **state)
{
	static const char csv[] = "nom;prenom;email;date_habilitation\n"
	    "A;B;pas-une-adresse;32/01/2025\nC;D;c@d.fr;01/01/2025\n"
	    "E;F;c@d.fr;01/01/2025\n";
	struct annex_file_errors errs;
	struct annex_rows rows;
	struct buf text = BUF_INIT, again = BUF_INIT;
	size_t i;

	(void)state;
	assert_int_equal(annex_file_parse_coded(csv, sizeof(csv) - 1, &rows,
	    &errs), -1);
	assert_int_equal(rows.n, 0);
	assert_int_equal(errs.n, 3);
	assert_int_equal(errs.v[0].line, 2);
	assert_int_equal(errs.v[0].code, ANNEX_FILE_E_EMAIL_BAD);
	assert_int_equal(errs.v[1].code, ANNEX_FILE_E_DATE_BAD);
	assert_int_equal(errs.v[2].line, 4);
	assert_int_equal(errs.v[2].code, ANNEX_FILE_E_EMAIL_TWICE);
	/* annex_file_parse's text is the codes said in English. */
	assert_int_equal(annex_file_parse(csv, sizeof(csv) - 1, &rows, &text),
	    -1);
	for (i = 0; i < errs.n; i++) {
		annex_file_error_text(&errs.v[i], &again);
		buf_putc(&again, '\n');
	}
	assert_string_equal(buf_str(&text), buf_str(&again));
	annex_file_errors_free(&errs);
	buf_free(&text);
	buf_free(&again);
}

static void
test_refusals_in_french(void **state)
{
	struct message_act a;
	struct buf fr = BUF_INIT;
	char what[32];
	int code;

	(void)state;
	for (code = MESSAGE_ACT_FAILED; code <= MESSAGE_ACT_STATE; code++) {
		memset(&a, 0, sizeof(a));
		a.refusal = (enum message_act_refusal)code;
		a.staged = 7;
		buf_reset(&fr);
		web_msg_message_act(&fr, &a, "BALP/RIB");
		snprintf(what, sizeof(what), "message_act %d", code);
		assert_french(what, buf_str(&fr));
	}
	for (code = PASSWORD_OK; code <= PASSWORD_IS_LOGIN; code++) {
		snprintf(what, sizeof(what), "password rule %d", code);
		assert_french(what, web_msg_password(
		    (enum password_rule)code));
	}
	assert_french("store down", WEB_MSG_STORE_DOWN);
	buf_free(&fr);
}

static int32_t
day(int y, int m, int d)
{
	int32_t out;

	assert_int_equal(date_from_ymd(y, m, d, &out), 0);
	return out;
}

/* A change of plan p (its strings static: the test frees only p->v). */
static struct annex_change *
change(struct annex_plan *p, enum annex_change_kind kind, unsigned line,
    const char *email, const char *last, const char *first, const char *job)
{
	struct annex_change *c = &p->v[p->n++];

	c->kind = kind;
	c->line = line;
	c->email = (char *)email;
	c->last_name = c->old_last_name = (char *)last;
	c->first_name = c->old_first_name = (char *)first;
	c->job_title = c->old_job_title = (char *)job;
	c->start = c->old_start = c->end = c->old_end = DATE_NONE;
	return c;
}

/* The file's format in French: the readers' names, and a CSV's encoding. */
static void
test_plan_format(void **state)
{
	static const char *const cases[][2] = {
		{ "Office Open XML spreadsheet (.xlsx)", "tableur Excel (.xlsx)" },
		{ "OpenDocument spreadsheet (.ods)",
		    "tableur OpenDocument (.ods)" },
		{ "UTF-8", "CSV (UTF-8)" },
		{ "UTF-8 with BOM", "CSV (UTF-8 avec BOM)" },
		{ "UTF-16LE (no BOM)", "CSV (UTF-16LE sans BOM)" },
		{ "windows-1252", "CSV (windows-1252)" },
		{ "<b>", "CSV (&lt;b&gt;)" },
	};
	struct buf b = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&b);
		web_plan_format(&b, cases[i][0]);
		assert_string_equal(buf_str(&b), cases[i][1]);
	}
	buf_reset(&b);
	web_plan_format(&b, NULL);
	assert_string_equal(buf_str(&b), "CSV (UTF-8)");
	buf_free(&b);
}

/*
 * One plan of every kind of change, as the console shows it: a row per
 * person changed, in French, days as JJ/MM/AAAA, values escaped; none of
 * balpctl's English, which says the same plan unchanged.
 */
static void
test_plan_in_french(void **state)
{
	static const char *const rows[] = {
	    "<tr><th scope=\"row\">&lt;script&gt;MARTIN Anne</th><td>"
	    "a.martin@apeai34.fr</td><td>ajout</td><td>—</td><td>"
	    "habilitation du 05/01/2026, sans date de fin ; fonction : "
	    "Assistante sociale</td><td class=\"num\">2</td></tr>",
	    "<tr><th scope=\"row\">DURAND Paul</th><td>p.durand@apeai34.fr"
	    "</td><td>modification : date d&#39;habilitation, date de fin"
	    "</td><td>date d&#39;habilitation : 15/03/2025 ; date de fin : "
	    "aucune</td><td>date d&#39;habilitation : 01/04/2025 ; date de "
	    "fin : 31/12/2026</td><td class=\"num\">3</td></tr>",
	    "<tr><th scope=\"row\">PETIT Claire-Marie</th><td>"
	    "c.petit@apeai34.fr</td><td>modification : prénom, fonction</td>"
	    "<td>prénom : Claire ; fonction : —</td><td>prénom : "
	    "Claire-Marie ; fonction : CESF</td><td class=\"num\">4</td>"
	    "</tr>",
	    "<tr><th scope=\"row\">ROUX Julien</th><td>j.roux@apeai34.fr</td>"
	    "<td>nouvelle période d'habilitation</td><td>habilitation "
	    "du 01/03/2025 au 31/08/2026 (terminée)</td><td>habilitation du "
	    "01/10/2026, sans date de fin</td><td class=\"num\">5</td></tr>",
	    "<tr><th scope=\"row\">BENALI Sarah</th><td>s.benali@apeai34.fr"
	    "</td><td>fin d'habilitation (absente de la liste)</td><td>"
	    "habilitation du 01/09/2026, sans date de fin</td><td>"
	    "habilitation du 01/09/2026 au 08/12/2026</td><td>—</td></tr>",
	    NULL };
	struct annex_plan p;
	struct annex_change *c;
	struct buf fr = BUF_INIT, en = BUF_INIT;
	const char *q;
	regex_t re;
	size_t i, n;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.v = calloc(6, sizeof(*p.v));
	assert_non_null(p.v);
	p.today = day(2026, 12, 8);
	c = change(&p, ANNEX_ADD, 2, "a.martin@apeai34.fr", "<script>MARTIN",
	    "Anne", "Assistante sociale");
	c->start = day(2026, 1, 5);
	c = change(&p, ANNEX_UPDATE, 3, "p.durand@apeai34.fr", "DURAND",
	    "Paul", "AS");
	c->changed = ANNEX_F_DATE_HABILITATION | ANNEX_F_DATE_FIN;
	c->old_start = day(2025, 3, 15);
	c->start = day(2025, 4, 1);
	c->end = day(2026, 12, 31);
	c = change(&p, ANNEX_UPDATE, 4, "c.petit@apeai34.fr", "PETIT",
	    "Claire-Marie", "CESF");
	c->changed = ANNEX_F_PRENOM | ANNEX_F_FONCTION;
	c->old_first_name = (char *)"Claire";
	c->old_job_title = (char *)"";
	c->start = c->old_start = day(2024, 9, 1);
	c = change(&p, ANNEX_NEW_PERIOD, 5, "j.roux@apeai34.fr", "ROUX",
	    "Julien", "ES");
	c->changed = ANNEX_F_DATE_HABILITATION | ANNEX_F_DATE_FIN;
	c->old_start = day(2025, 3, 1);
	c->old_end = day(2026, 8, 31);
	c->start = day(2026, 10, 1);
	c = change(&p, ANNEX_UNCHANGED, 6, "z.zed@apeai34.fr", "ZED", "Zoé",
	    "AS");
	c->start = c->old_start = day(2025, 1, 1);
	c = change(&p, ANNEX_END, 0, "s.benali@apeai34.fr", "BENALI", "Sarah",
	    "CESF");
	c->changed = ANNEX_F_DATE_FIN;
	c->start = c->old_start = day(2026, 9, 1);
	c->end = p.today;
	p.n_added = p.n_ended = p.n_new_period = p.n_unchanged = 1;
	p.n_updated = 2;

	web_plan_table(&fr, &p, "Changements");
	assert_false(fr.failed);
	for (i = 0; rows[i] != NULL; i++)
		if (strstr(buf_str(&fr), rows[i]) == NULL)
			fail_msg("not in the table: %s\n%s", rows[i],
			    buf_str(&fr));
	assert_non_null(strstr(buf_str(&fr), "<caption>Changements</caption>"
	    "\n<thead><tr><th scope=\"col\">Personne</th><th scope=\"col\">"
	    "Adresse</th><th scope=\"col\">Changement</th><th scope=\"col\">"
	    "Avant</th><th scope=\"col\">Après</th><th scope=\"col\">Ligne"
	    "</th></tr></thead>"));
	/* Five rows: the unchanged person is counted, not listed. */
	n = 0;
	for (q = buf_str(&fr); (q = strstr(q, "<tr><th scope=\"row\">")) !=
	    NULL; q++)
		n++;
	assert_int_equal(n, 5);
	assert_null(strstr(buf_str(&fr), "z.zed"));
	assert_null(strstr(buf_str(&fr), "<script"));
	/* None of annex_plan_render's words, nor an ISO day. */
	assert_int_equal(regcomp(&re, "(^|[^[:alpha:]])(add|update|end|new|"
	    "period|from|to|at|none|unchanged|last|ended|date_fin|"
	    "date_habilitation|prenom)([^[:alpha:]_]|$)|->|[0-9]{4}-[0-9]{2}",
	    REG_EXTENDED | REG_ICASE), 0);
	if (regexec(&re, buf_str(&fr), 0, NULL, 0) == 0)
		fail_msg("English in the table:\n%s", buf_str(&fr));
	regfree(&re);
	buf_reset(&fr);
	web_plan_counts(&fr, &p);
	assert_string_equal(buf_str(&fr), "<li>Ajouts : 1</li>\n"
	    "<li>Modifications : 2</li>\n<li>Fins : 1</li>\n"
	    "<li>Inchangés : 1</li>\n<li>Nouvelles périodes : 1</li>\n");
	/* balpctl keeps its English, from the same plan. */
	assert_int_equal(annex_plan_render(&p, &en), 0);
	assert_string_equal(buf_str(&en),
	    "+ add a.martin@apeai34.fr (<script>MARTIN Anne, from "
	    "2026-01-05)\n"
	    "~ update p.durand@apeai34.fr: date_habilitation 2025-03-15 -> "
	    "2025-04-01, date_fin (none) -> 2026-12-31\n"
	    "~ update c.petit@apeai34.fr: prenom 'Claire' -> 'Claire-Marie', "
	    "fonction '' -> 'CESF'\n"
	    "+ new period j.roux@apeai34.fr (ROUX Julien, from 2026-10-01; "
	    "the last one ended 2026-08-31)\n"
	    "- end s.benali@apeai34.fr (BENALI Sarah) at 2026-12-08\n"
	    "1 added, 2 updated, 1 ended, 1 unchanged, 1 new period\n");
	/* Nothing changed: said so, no table. */
	p.n_added = p.n_updated = p.n_ended = p.n_new_period = 0;
	buf_reset(&fr);
	web_plan_table(&fr, &p, "Changements");
	assert_string_equal(buf_str(&fr), "<p>Le fichier ne change rien.</p>\n");
	free(p.v);
	buf_free(&fr);
	buf_free(&en);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_markup),
		cmocka_unit_test(test_escape_attribute_breakout),
		cmocka_unit_test(test_escape_controls_and_bad_utf8),
		cmocka_unit_test(test_escape_null_is_nothing),
		cmocka_unit_test(test_session_ids),
		cmocka_unit_test(test_csrf_bound_to_session),
		cmocka_unit_test(test_session_expiry),
		cmocka_unit_test(test_lockout_five_in_window),
		cmocka_unit_test(test_lockout_window_runs_out),
		cmocka_unit_test(test_pages_escape_every_value),
		cmocka_unit_test(test_annex_errors_in_french),
		cmocka_unit_test(test_annex_file_errors_coded_and_said_alike),
		cmocka_unit_test(test_refusals_in_french),
		cmocka_unit_test(test_plan_in_french),
		cmocka_unit_test(test_plan_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
