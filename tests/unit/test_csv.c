/*
 * test_csv - the cells of balpctl's CSV files: RFC 4180 quoting, and the
 * guard against values a spreadsheet would run as formulas.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

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
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cell_quoting),
		cmocka_unit_test(test_cell_text_guard),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
