/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_csv - the cells of balpctl's CSV files: RFC 4180 quoting, and the
 * guard against values a spreadsheet would run as formulas.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "balp/csv.h"

static void
expect(void (*fn)(struct buf *, const char *), const char *in,
    const char *want)
{
	struct buf b = BUF_INIT;

	fn(&b, in);
	assert_false(b.failed);
	assert_string_equal(buf_str(&b), want);
	buf_free(&b);
}

static void
test_cell_quoting(void **state)
{
	(void)state;
	expect(csv_cell, NULL, "");
	expect(csv_cell, "", "");
	expect(csv_cell, "MARTIN", "MARTIN");
	expect(csv_cell, "a;b", "\"a;b\"");
	expect(csv_cell, "a,b", "\"a,b\"");
	expect(csv_cell, "dit \"non\"", "\"dit \"\"non\"\"\"");
	expect(csv_cell, "two\nlines", "\"two\nlines\"");
	expect(csv_cell, "cr\rhere", "\"cr\rhere\"");
	/* The annex keeps its values as they are, formulas or not. */
	expect(csv_cell, "=1+1", "=1+1");
	expect(csv_cell, "-dash", "-dash");
}

static void
test_cell_text_guard(void **state)
{
	(void)state;
	expect(csv_cell_text, NULL, "");
	expect(csv_cell_text, "", "");
	expect(csv_cell_text, "a.martin@apeai34.fr", "a.martin@apeai34.fr");
	expect(csv_cell_text, "<m1@x.test>", "<m1@x.test>");
	expect(csv_cell_text, "=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\"");
	expect(csv_cell_text, "+33", "'+33");
	expect(csv_cell_text, "-2+3", "'-2+3");
	expect(csv_cell_text, "@SUM(A1)", "'@SUM(A1)");
	expect(csv_cell_text, "\tx", "'\tx");
	expect(csv_cell_text, "\rx", "\"'\rx\"");
	expect(csv_cell_text, "=a;b", "\"'=a;b\"");
	/* Only the first character counts. */
	expect(csv_cell_text, "a=b", "a=b");
	/* A value that reads like a neutralised one gets its own "'". */
	expect(csv_cell_text, "'=x", "''=x");
	expect(csv_cell_text, "''", "'''");
	expect(csv_cell_text, "'a", "'a");
	expect(csv_cell_text, "l'=x", "l'=x");
}

/* csv_text_value() reads back what csv_cell_text() wrote (unquoted). */
static void
test_cell_text_round_trip(void **state)
{
	static const char *const values[] = {
		"", "a", "MARTIN", "+33", "-2+3", "@SUM(A1)", "\tx", "'",
		"''", "'=x", "''=x", "'a", "'+", "O'Neil", "a=b", "-", "=",
	};
	struct buf b = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		buf_reset(&b);
		buf_add(&b, "", 0);
		csv_cell_text(&b, values[i]);
		/* none of these needs quoting: the cell is the value */
		assert_null(strchr(buf_str(&b), '"'));
		if (strcmp(csv_text_value(buf_str(&b)), values[i]) != 0)
			fail_msg("\"%s\" written \"%s\" reads \"%s\"",
			    values[i], buf_str(&b),
			    csv_text_value(buf_str(&b)));
	}
	/* what no export wrote is read as it is */
	assert_string_equal(csv_text_value("'abc"), "'abc");
	assert_string_equal(csv_text_value("abc"), "abc");
	assert_string_equal(csv_text_value("'=x"), "=x");
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cell_quoting),
		cmocka_unit_test(test_cell_text_guard),
		cmocka_unit_test(test_cell_text_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
