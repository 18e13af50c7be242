/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_annex_wire - the annex reader's answer (annex_wire.h): rows, errors
 * and the file go through as they were; an answer a hostile worker could
 * write (cut short, lying counts or lengths, a NUL in a string, rows and
 * errors at once, trailing bytes) is refused whole, never half read.
 * And the worker itself (mime_annex_worker) on a real mail: the part
 * found by its index, read, answered.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "balp/annex_wire.h"
#include "balp/date.h"
#include "balp/mime.h"

static const char csv[] =
    "nom;prenom;email;fonction;date_habilitation;date_fin\n"
    "MARTIN;Anne;a.martin@apeai34.fr;AS;05/01/2025;\n"
    "ROUX;Julien;j.roux@apeai34.fr;Educateur;2025-03-01;31/12/2030\n";

static void
parse_csv(struct annex_rows *rows)
{
	struct buf err = BUF_INIT;

	assert_int_equal(annex_file_parse(csv, sizeof(csv) - 1, rows, &err),
	    0);
	buf_free(&err);
}

static void
test_round_trip(void **state)
{
	struct annex_rows rows, back;
	struct buf b = BUF_INIT, errors = BUF_INIT, file = BUF_INIT;
	int unr;

	(void)state;
	parse_csv(&rows);
	assert_int_equal(annex_wire_put(&rows, "", 0, csv, sizeof(csv) - 1, &b),
	    0);
	assert_int_equal(annex_wire_get(b.data, b.len, &back, &errors, &unr, &file),
	    0);
	assert_int_equal(back.n, 2);
	assert_string_equal(back.v[1].email, "j.roux@apeai34.fr");
	assert_string_equal(back.v[1].job_title, "Educateur");
	assert_int_equal(back.v[1].line, 3);
	assert_int_equal(back.v[1].end, rows.v[1].end);
	assert_int_equal(back.v[0].end, DATE_NONE);
	assert_string_equal(back.encoding, "UTF-8");
	assert_int_equal(errors.len, 0);
	assert_int_equal(file.len, sizeof(csv) - 1);
	assert_memory_equal(file.data, csv, file.len);
	annex_rows_free(&rows);
	annex_rows_free(&back);
	buf_free(&b);
	buf_free(&errors);
	buf_free(&file);
}

static void
test_errors(void **state)
{
	struct annex_rows back;
	struct buf b = BUF_INIT, errors = BUF_INIT, file = BUF_INIT;
	int unr;

	(void)state;
	assert_int_equal(annex_wire_put(NULL, "line 3: bad\nline 5: bad\n",
	    0, "", 0, &b), 0);
	assert_int_equal(annex_wire_get(b.data, b.len, &back, &errors, &unr, &file),
	    0);
	assert_int_equal(back.n, 0);
	assert_string_equal(buf_str(&errors), "line 3: bad\nline 5: bad\n");
	buf_free(&b);
	buf_free(&errors);
	buf_free(&file);
}

/* Every cut, every flipped byte: refused or read whole, never a crash. */
static void
test_hostile(void **state)
{
	struct annex_rows rows, back;
	struct buf b = BUF_INIT, errors = BUF_INIT, file = BUF_INIT;
	char *copy;
	size_t i;
	int r, unr;

	(void)state;
	parse_csv(&rows);
	assert_int_equal(annex_wire_put(&rows, "", 0, csv, sizeof(csv) - 1, &b),
	    0);
	for (i = 0; i < b.len; i++) {
		assert_int_equal(annex_wire_get(b.data, i, &back, &errors, &unr,
		    &file), -1);
		assert_int_equal(back.n, 0);
		assert_int_equal(errors.len, 0);
	}
	copy = malloc(b.len + 1);
	for (i = 8; i < b.len; i++) {
		memcpy(copy, b.data, b.len);
		copy[i] ^= (char)0xff;
		r = annex_wire_get(copy, b.len, &back, &errors, &unr, &file);
		if (r == 0) {
			annex_rows_free(&back);
			buf_free(&errors);
			buf_free(&file);
		}
	}
	/* Trailing bytes are no answer of ours. */
	memcpy(copy, b.data, b.len);
	copy[b.len] = 'x';
	assert_int_equal(annex_wire_get(copy, b.len + 1, &back, &errors, &unr,
	    &file), -1);
	free(copy);
	annex_rows_free(&rows);
	buf_free(&b);
	/* Rows and errors at once: refused. */
	parse_csv(&rows);
	assert_int_equal(annex_wire_put(&rows, "line 2: x\n", 0, "", 0, &b), 0);
	assert_int_equal(annex_wire_get(b.data, b.len, &back, &errors, &unr, &file),
	    -1);
	annex_rows_free(&rows);
	buf_free(&b);
}

/* The worker on a mail: part 1 (the CSV) read, part 0 (the text) not. */
static void
test_worker(void **state)
{
	static const struct mime_limits lim = MIME_LIMITS_DEFAULT;
	static const char mail[] =
	    "From: Ref <referente@apeai34.fr>\r\n"
	    "Subject: Mise a jour de l'annexe\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	    "--b\r\nContent-Type: text/plain\r\n\r\nBonjour\r\n"
	    "--b\r\nContent-Type: text/csv; name=a.csv\r\n"
	    "Content-Disposition: attachment; filename=a.csv\r\n\r\n"
	    "nom;prenom;email;fonction;date_habilitation;date_fin\r\n"
	    "MARTIN;Anne;a.martin@apeai34.fr;AS;05/01/2025;\r\n"
	    "PETIT;Luc;pas-une-adresse;AS;05/01/2025;\r\n"
	    "--b--\r\n";
	struct annex_rows back;
	struct buf out = BUF_INIT, errors = BUF_INIT, file = BUF_INIT;
	int unr;

	(void)state;
	assert_int_equal(mime_annex_worker(mail, sizeof(mail) - 1,
	    MIME_OPT_ANNEX_JOB(1, 0), &out, (void *)&lim), 0);
	assert_int_equal(annex_wire_get(out.data, out.len, &back, &errors, &unr,
	    &file), 0);
	assert_int_equal(back.n, 0);
	assert_non_null(strstr(buf_str(&errors), "ligne 3 : « pas-une-adresse » n'est pas une adresse"));
	buf_free(&out);
	buf_free(&errors);
	buf_free(&file);
	/* No such part: an answer that says so, not a failure. */
	assert_int_equal(mime_annex_worker(mail, sizeof(mail) - 1,
	    MIME_OPT_ANNEX_JOB(7, 0), &out, (void *)&lim), 0);
	assert_int_equal(annex_wire_get(out.data, out.len, &back, &errors, &unr,
	    &file), 0);
	assert_non_null(strstr(buf_str(&errors), "n'a pas pu être lue"));
	buf_free(&out);
	buf_free(&errors);
	buf_free(&file);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_worker),
	};

	return cmocka_run_group_tests_name("annex_wire", tests, NULL, NULL);
}
