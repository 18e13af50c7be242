/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_annex_file - the annex as the spreadsheets referents send: each
 * .xlsx and .ods (written by LibreOffice, and hand-edited variants: title
 * rows, Excel's built-in date format, rich text, inline strings, merged
 * cells, comments, repeated empty rows) gives the same rows as its CSV;
 * each error names the spreadsheet's row; hostile files (a zip bomb, too
 * many entries, a billion repeated columns or rows, DOCTYPE entities,
 * a file cut short, broken XML) give one error and no crash.  Files and
 * how they were made: tests/data/annex/README.md.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balp/annex_file.h"
#include "balp/date.h"
#include "balp/sheet.h"

#include "annex_data.h"

static void
parse_ok(const char *name, struct annex_rows *rows)
{
	struct buf err = BUF_INIT;
	size_t len;
	char *data = annex_data(name, &len);

	if (annex_file_parse(data, len, rows, &err) != 0)
		fail_msg("%s: %s", name, buf_str(&err));
	free(data);
	buf_free(&err);
}

/* Parses a file that must be refused; returns its errors (caller frees). */
static char *
parse_bad(const char *name)
{
	struct annex_rows rows;
	struct buf err = BUF_INIT;
	size_t len;
	char *data = annex_data(name, &len);

	if (annex_file_parse(data, len, &rows, &err) != -1)
		fail_msg("%s: accepted", name);
	assert_int_equal(rows.n, 0);
	assert_null(rows.v);
	assert_true(err.len > 0);
	free(data);
	return buf_detach(&err);
}

/* errors has a line starting with prefix ("line 3: ", "file: ") and
 * holding what. */
static void
assert_error(const char *errors, const char *prefix, const char *what)
{
	const char *p = errors, *eol;
	char one[512];
	size_t n;

	while (*p != '\0') {
		eol = strchr(p, '\n');
		if (eol == NULL)
			eol = p + strlen(p);
		n = (size_t)(eol - p) < sizeof(one) - 1 ? (size_t)(eol - p) :
		    sizeof(one) - 1;
		memcpy(one, p, n);
		one[n] = '\0';
		if (strncmp(one, prefix, strlen(prefix)) == 0 &&
		    strstr(one, what) != NULL)
			return;
		p = *eol ? eol + 1 : eol;
	}
	fail_msg("no error \"%s...%s\" in:\n%s", prefix, what, errors);
}

/* Same persons, same values, lines shifted by `shift`. */
static void
assert_same_rows(const struct annex_rows *a, const struct annex_rows *b,
    unsigned shift)
{
	size_t i;

	assert_int_equal(a->n, b->n);
	for (i = 0; i < a->n; i++) {
		assert_int_equal(a->v[i].line + shift, b->v[i].line);
		assert_string_equal(a->v[i].last_name, b->v[i].last_name);
		assert_string_equal(a->v[i].first_name, b->v[i].first_name);
		assert_string_equal(a->v[i].email, b->v[i].email);
		assert_string_equal(a->v[i].job_title, b->v[i].job_title);
		assert_int_equal(a->v[i].start, b->v[i].start);
		assert_int_equal(a->v[i].end, b->v[i].end);
	}
}

static void
test_formats_give_the_csv_rows(void **state)
{
	static const struct {
		const char	*name;
		unsigned	 shift;		/* title rows above */
		const char	*encoding;
	} files[] = {
		{ "good_semicolon_fr.xlsx", 0, "(.xlsx)" },
		{ "good_semicolon_fr.ods", 0, "(.ods)" },
		{ "edited_excel.xlsx", 0, "(.xlsx)" },
		{ "edited_text_dates.xlsx", 0, "(.xlsx)" },
		{ "sheet_title.xlsx", 3, "(.xlsx)" },
		{ "sheet_title.ods", 3, "(.ods)" },
		{ "edited_title.xlsx", 3, "(.xlsx)" },
		{ "edited_title.ods", 3, "(.ods)" },
		{ "sheet_margin.xlsx", 1, "(.xlsx)" },
		{ "sheet_margin.ods", 1, "(.ods)" },
	};
	struct annex_rows csv, sheet;
	size_t i;

	(void)state;
	parse_ok("good_semicolon_fr.csv", &csv);
	assert_int_equal(csv.n, 3);
	/* The CSV's own reading, which the spreadsheets must match. */
	assert_string_equal(csv.v[1].job_title, "Éducateur spécialisé");
	assert_int_equal(csv.v[1].end, D("2026-12-31"));
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		parse_ok(files[i].name, &sheet);
		assert_same_rows(&csv, &sheet, files[i].shift);
		assert_non_null(strstr(sheet.encoding, files[i].encoding));
		annex_rows_free(&sheet);
	}
	annex_rows_free(&csv);
}

/* A workbook counting days from 1904 reads them 1,462 days later. */
static void
test_xlsx_1904(void **state)
{
	struct annex_rows rows;

	(void)state;
	parse_ok("edited_1904.xlsx", &rows);
	assert_int_equal(rows.n, 3);
	assert_int_equal(rows.v[0].start, D("2026-01-05") + 1462);
	assert_int_equal(rows.v[1].end, D("2026-12-31") + 1462);
	annex_rows_free(&rows);
}

/* A date column left as numbers: each cell refused on its row. */
static void
test_number_without_date_format(void **state)
{
	static const char *const files[] = {
		"sheet_number_dates.xlsx", "sheet_number_dates.ods",
	};
	char *err;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		err = parse_bad(files[i]);
		assert_error(err, "line 2: ", "date_habilitation '46027' is a "
		    "number with no date format, not a date: format the "
		    "column as dates");
		assert_error(err, "line 3: ", "date_fin '46387' is a number "
		    "with no date format");
		assert_int_equal(count_lines(err), 2);
		free(err);
	}
	/* A date format on a day and a half: a time is no day. */
	err = parse_bad("edited_time.xlsx");
	assert_error(err, "line 2: ", "date_habilitation '2026-01-05 12:00' "
	    "is not a date");
	assert_int_equal(count_lines(err), 1);
	free(err);
}

/* Every error of a spreadsheet, each on its row number (a title above). */
static void
test_errors_name_the_row(void **state)
{
	static const char *const files[] = { "sheet_bad.xlsx",
	    "sheet_bad.ods" };
	char *err;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		err = parse_bad(files[i]);
		assert_error(err, "line 3: ", "email 'a.martin@apeai34' is not "
		    "an email address");
		assert_error(err, "line 6: ", "date_fin '2024-01-01' is before "
		    "date_habilitation '2024-09-01'");
		assert_error(err, "line 7: ", "prenom is empty (required)");
		assert_error(err, "line 7: ", "appears twice (lines 4 and 7)");
		assert_int_equal(count_lines(err), 4);
		free(err);
	}
}

/* Hostile files: one error each, saying why, and nothing else. */
static void
test_hostile(void **state)
{
	static const struct {
		const char	*name;
		const char	*prefix;
		const char	*what;
	} files[] = {
		{ "hostile_bomb.xlsx", "file: ", "refused as a zip bomb" },
		{ "hostile_laughs.xlsx", "file: ", "DOCTYPE (entities) "
		    "refused" },
		{ "hostile_xxe.ods", "file: ", "DOCTYPE (entities) refused" },
		{ "hostile_columns.ods", "line 4: ", "beyond column 256" },
		{ "hostile_rows.ods", "line ", "more than 262144 cells" },
		{ "hostile_truncated.xlsx", "file: ", "not a readable .xlsx "
		    "or .ods" },
		{ "hostile_malformed.xlsx", "file: ", "is not well-formed XML" },
		{ "hostile_sst.xlsx", "line 3: ", "points to text 99999" },
		/* Not hostile, but no text either: told what to send. */
		{ "good_semicolon_fr.xls", "file: ", "an Excel 97-2003 "
		    "workbook (.xls) or a spreadsheet saved with a password" },
	};
	char *err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		err = parse_bad(files[i].name);
		assert_error(err, files[i].prefix, files[i].what);
		assert_int_equal(count_lines(err), 1);
		/* Nothing of the host's files in the answer. */
		assert_null(strstr(err, "root:"));
		free(err);
	}
}

/* The entry limit is the attachments' (content_limits), given here low. */
static void
test_entry_limit(void **state)
{
	struct content_limits lim = CONTENT_LIMITS_DEFAULT;
	struct sheet sh;
	struct buf err = BUF_INIT;
	size_t len;
	char *data = annex_data("hostile_entries.xlsx", &len);

	(void)state;
	/* Under the default limit the file reads (it is a good annex). */
	assert_int_equal(sheet_read((unsigned char *)data, len, SHEET_XLSX,
	    &lim, &sh, &err), 0);
	assert_int_equal(sh.n, 4);
	assert_int_equal(sh.rows[1].line, 2);
	assert_string_equal(sh.rows[1].cells[4].text, "2026-01-05");
	assert_int_equal(sh.rows[1].cells[4].kind, SHEET_DATE);
	sheet_free(&sh);
	lim.max_zip_entries = 256;
	assert_int_equal(sheet_read((unsigned char *)data, len, SHEET_XLSX,
	    &lim, &sh, &err), -1);
	assert_non_null(strstr(buf_str(&err), "entries in the zip, more "
	    "than 256"));
	assert_int_equal(sh.n, 0);
	/* And the inflated bytes in all. */
	buf_reset(&err);
	lim = (struct content_limits)CONTENT_LIMITS_DEFAULT;
	lim.max_inflate = 4096;
	assert_int_equal(sheet_read((unsigned char *)data, len, SHEET_XLSX,
	    &lim, &sh, &err), -1);
	assert_non_null(strstr(buf_str(&err), "more than 4096 bytes"));
	buf_free(&err);
	free(data);
}

/* The format is told from the bytes: names do not count. */
static void
test_format_sniffing(void **state)
{
	size_t len;
	char *data;

	(void)state;
	data = annex_data("good_semicolon_fr.xlsx", &len);
	assert_int_equal(sheet_format((unsigned char *)data, len), SHEET_XLSX);
	free(data);
	data = annex_data("good_semicolon_fr.ods", &len);
	assert_int_equal(sheet_format((unsigned char *)data, len), SHEET_ODS);
	free(data);
	data = annex_data("good_semicolon_fr.csv", &len);
	assert_int_equal(sheet_format((unsigned char *)data, len), SHEET_NONE);
	free(data);
	data = annex_data("hostile_truncated.xlsx", &len);
	assert_int_equal(sheet_format((unsigned char *)data, len),
	    SHEET_OTHER_ZIP);
	free(data);
	assert_int_equal(sheet_format((const unsigned char *)"PK", 2),
	    SHEET_NONE);
}

/* Every prefix of a good file: an error or rows, never a crash. */
static void
test_every_cut(void **state)
{
	static const char *const files[] = { "good_semicolon_fr.xlsx",
	    "good_semicolon_fr.ods" };
	struct annex_rows rows;
	struct buf err = BUF_INIT;
	size_t len, cut, i;
	char *data, *copy;

	(void)state;
	for (i = 0; i < 2; i++) {
		data = annex_data(files[i], &len);
		for (cut = 0; cut < len; cut += 97) {
			copy = malloc(cut > 0 ? cut : 1);
			assert_non_null(copy);
			memcpy(copy, data, cut);
			buf_reset(&err);
			if (annex_file_parse(copy, cut, &rows, &err) == 0)
				annex_rows_free(&rows);
			else
				assert_true(err.len > 0);
			free(copy);
		}
		free(data);
	}
	buf_free(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_formats_give_the_csv_rows),
		cmocka_unit_test(test_xlsx_1904),
		cmocka_unit_test(test_number_without_date_format),
		cmocka_unit_test(test_errors_name_the_row),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_entry_limit),
		cmocka_unit_test(test_format_sniffing),
		cmocka_unit_test(test_every_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
