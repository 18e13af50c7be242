/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_keyfile - the pseudonym key file: created 0600 and never over an
 * existing file, loaded only from a private, well-formed file; pseudonyms
 * stable, keyed, and distinct per NIR.  And, over the sources: every key
 * buffer sized with KEYFILE_KEY_LEN and wiped with sodium_memzero.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tmpdir.h"

#include <sys/stat.h>

#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "balp/keyfile.h"

struct fx {
	char	dir[64];
	char	path[128];
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	if (tmpdir_make(fx->dir, sizeof(fx->dir), "keyfile") == -1)
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/pseudonym.key", fx->dir);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	tmpdir_remove(fx->dir);
	free(fx);
	return 0;
}

static void
write_file(const char *path, const char *content, mode_t mode)
{
	FILE *f;

	unlink(path);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void
test_create_mode_0600(void **state)
{
	struct fx *fx = *state;
	struct buf err = BUF_INIT;
	struct stat sb;
	char content[80];
	FILE *f;
	size_t n, i;

	assert_int_equal(keyfile_create(fx->path, &err), 0);
	assert_int_equal(stat(fx->path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	f = fopen(fx->path, "r");
	assert_non_null(f);
	n = fread(content, 1, sizeof(content), f);
	fclose(f);
	assert_int_equal(n, 65);
	assert_int_equal(content[64], '\n');
	for (i = 0; i < 64; i++)
		assert_non_null(strchr("0123456789abcdef", content[i]));
	buf_free(&err);
}

static void
test_create_refuses_existing(void **state)
{
	struct fx *fx = *state;
	struct buf err = BUF_INIT;
	unsigned char k1[KEYFILE_KEY_LEN], k2[KEYFILE_KEY_LEN];

	assert_int_equal(keyfile_create(fx->path, &err), 0);
	assert_int_equal(keyfile_load(fx->path, k1, &err), 0);
	assert_int_equal(keyfile_create(fx->path, &err), -1);
	assert_non_null(strstr(buf_str(&err), fx->path));
	assert_non_null(strstr(buf_str(&err), "existing"));
	/* The old key is intact. */
	assert_int_equal(keyfile_load(fx->path, k2, NULL), 0);
	assert_memory_equal(k1, k2, sizeof(k1));
	buf_free(&err);
}

static void
test_create_then_load(void **state)
{
	struct fx *fx = *state;
	struct buf err = BUF_INIT;
	unsigned char key[KEYFILE_KEY_LEN], zero[KEYFILE_KEY_LEN] = { 0 };
	char hex[80], want[65];
	FILE *f;
	size_t i;

	assert_int_equal(keyfile_create(fx->path, &err), 0);
	assert_int_equal(keyfile_load(fx->path, key, &err), 0);
	assert_memory_not_equal(key, zero, sizeof(key));
	/* The key loaded is the one written. */
	f = fopen(fx->path, "r");
	assert_non_null(f);
	assert_non_null(fgets(hex, sizeof(hex), f));
	fclose(f);
	for (i = 0; i < KEYFILE_KEY_LEN; i++)
		snprintf(want + 2 * i, 3, "%02x", key[i]);
	assert_memory_equal(hex, want, 64);
	buf_free(&err);
}

static void
test_two_creates_differ(void **state)
{
	struct fx *fx = *state;
	char other[160];
	unsigned char k1[KEYFILE_KEY_LEN], k2[KEYFILE_KEY_LEN];

	snprintf(other, sizeof(other), "%s/other.key", fx->dir);
	assert_int_equal(keyfile_create(fx->path, NULL), 0);
	assert_int_equal(keyfile_create(other, NULL), 0);
	assert_int_equal(keyfile_load(fx->path, k1, NULL), 0);
	assert_int_equal(keyfile_load(other, k2, NULL), 0);
	assert_memory_not_equal(k1, k2, sizeof(k1));
}

static void
test_load_refuses_open_modes(void **state)
{
	static const mode_t modes[] = { 0644, 0640, 0604, 0620, 0602, 0660,
	    0666 };
	struct fx *fx = *state;
	struct buf err = BUF_INIT;
	unsigned char key[KEYFILE_KEY_LEN];
	size_t i;

	assert_int_equal(keyfile_create(fx->path, NULL), 0);
	assert_int_equal(keyfile_load(fx->path, key, NULL), 0);
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		buf_reset(&err);
		assert_int_equal(chmod(fx->path, modes[i]), 0);
		assert_int_equal(keyfile_load(fx->path, key, &err), -1);
		assert_non_null(strstr(buf_str(&err), fx->path));
		assert_non_null(strstr(buf_str(&err), "chmod 600"));
	}
	/* 0400 is private: accepted. */
	assert_int_equal(chmod(fx->path, 0400), 0);
	assert_int_equal(keyfile_load(fx->path, key, NULL), 0);
	buf_free(&err);
}

static void
test_load_refuses_bad_content(void **state)
{
	static const char *const bad[] = {
		"",
		"\n",
		/* 63 digits */
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1\n",
		/* 65 digits */
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f0\n",
		/* a non-hex digit */
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1g\n",
		/* two newlines */
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n\n",
		/* spaces inside */
		"00010203 0405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n",
		/* a passphrase, not a key */
		"correct horse battery staple\n",
	};
	struct fx *fx = *state;
	struct buf err = BUF_INIT;
	unsigned char key[KEYFILE_KEY_LEN], zero[KEYFILE_KEY_LEN] = { 0 };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_reset(&err);
		write_file(fx->path, bad[i], 0600);
		memset(key, 0xaa, sizeof(key));
		assert_int_equal(keyfile_load(fx->path, key, &err), -1);
		assert_non_null(strstr(buf_str(&err), fx->path));
		assert_memory_equal(key, zero, sizeof(key));
	}
	buf_free(&err);
}

static void
test_load_accepts_without_newline(void **state)
{
	struct fx *fx = *state;
	unsigned char key[KEYFILE_KEY_LEN];
	size_t i;

	write_file(fx->path, "000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f", 0600);
	assert_int_equal(keyfile_load(fx->path, key, NULL), 0);
	for (i = 0; i < sizeof(key); i++)
		assert_int_equal(key[i], i);
}

static void
test_load_missing_file(void **state)
{
	struct fx *fx = *state;
	struct buf err = BUF_INIT;
	unsigned char key[KEYFILE_KEY_LEN];

	assert_int_equal(keyfile_load(fx->path, key, &err), -1);
	assert_non_null(strstr(buf_str(&err), fx->path));
	buf_free(&err);
}

static void
test_load_refuses_symlink(void **state)
{
	struct fx *fx = *state;
	char link[160];
	unsigned char key[KEYFILE_KEY_LEN];

	assert_int_equal(keyfile_create(fx->path, NULL), 0);
	snprintf(link, sizeof(link), "%s/link.key", fx->dir);
	assert_int_equal(symlink(fx->path, link), 0);
	assert_int_equal(keyfile_load(link, key, NULL), -1);
}

/*
 * A group other than the process's own effective group, for "the wrong
 * group": root is in group 0 and the tests run as root, so pick a group
 * the file can be chgrp'ed to that is not getegid().  -1 if none.
 */
static gid_t
other_group(void)
{
	gid_t list[64];
	int n, i;

	n = getgroups(64, list);
	for (i = 0; i < n; i++)
		if (list[i] != getegid())
			return list[i];
	/* root may chgrp to any group: take one that is surely not ours. */
	if (geteuid() == 0)
		return getegid() == 65534 ? 65533 : 65534;
	return (gid_t)-1;
}

/* 0640 of the admin group: read; that is what balpctl init makes. */
static void
test_shared_accepts_admin_group(void **state)
{
	struct fx *fx = *state;
	struct buf err = BUF_INIT;
	unsigned char k1[KEYFILE_KEY_LEN], k2[KEYFILE_KEY_LEN];

	assert_int_equal(keyfile_create(fx->path, NULL), 0);
	assert_int_equal(keyfile_load(fx->path, k1, NULL), 0);
	assert_int_equal(chown(fx->path, (uid_t)-1, getegid()), 0);
	assert_int_equal(chmod(fx->path, 0640), 0);
	assert_int_equal(keyfile_load_shared(fx->path, getegid(), k2, &err),
	    0);
	assert_memory_equal(k1, k2, sizeof(k1));
	/* Less than 0640 is fine too; 0600 still is, with a group set. */
	assert_int_equal(chmod(fx->path, 0440), 0);
	assert_int_equal(keyfile_load_shared(fx->path, getegid(), k2, NULL),
	    0);
	assert_int_equal(chmod(fx->path, 0600), 0);
	assert_int_equal(keyfile_load_shared(fx->path, getegid(), k2, NULL),
	    0);
	buf_free(&err);
}

/* 0640 of another group: refused, naming the group it should be. */
static void
test_shared_refuses_other_group(void **state)
{
	struct fx *fx = *state;
	struct buf err = BUF_INIT;
	unsigned char key[KEYFILE_KEY_LEN], zero[KEYFILE_KEY_LEN] = { 0 };
	gid_t other = other_group();
	char want[32];

	if (other == (gid_t)-1)
		skip();
	assert_int_equal(keyfile_create(fx->path, NULL), 0);
	assert_int_equal(chown(fx->path, (uid_t)-1, other), 0);
	assert_int_equal(chmod(fx->path, 0640), 0);
	memset(key, 0xaa, sizeof(key));
	assert_int_equal(keyfile_load_shared(fx->path, getegid(), key, &err),
	    -1);
	assert_memory_equal(key, zero, sizeof(key));
	assert_non_null(strstr(buf_str(&err), fx->path));
	assert_non_null(strstr(buf_str(&err), "only the admin group"));
	/* The admin group is named (by name when it has one, else #gid). */
	assert_non_null(strstr(buf_str(&err), "chgrp "));
	snprintf(want, sizeof(want), "#%lu", (unsigned long)getegid());
	if (getgrgid(getegid()) != NULL)
		assert_non_null(strstr(buf_str(&err),
		    getgrgid(getegid())->gr_name));
	else
		assert_non_null(strstr(buf_str(&err), want));
	/* The file's group is the admin group the day it is chgrp'ed. */
	assert_int_equal(keyfile_load_shared(fx->path, other, key, NULL), 0);
	buf_free(&err);
}

/* More than group-read is refused even for the admin group. */
static void
test_shared_refuses_wider_modes(void **state)
{
	static const mode_t modes[] = { 0660, 0644, 0604, 0650, 0620, 0664,
	    0666 };
	struct fx *fx = *state;
	struct buf err = BUF_INIT;
	unsigned char key[KEYFILE_KEY_LEN];
	size_t i;

	assert_int_equal(keyfile_create(fx->path, NULL), 0);
	assert_int_equal(chown(fx->path, (uid_t)-1, getegid()), 0);
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		buf_reset(&err);
		assert_int_equal(chmod(fx->path, modes[i]), 0);
		assert_int_equal(keyfile_load_shared(fx->path, getegid(), key,
		    &err), -1);
		assert_non_null(strstr(buf_str(&err), fx->path));
		assert_non_null(strstr(buf_str(&err), "chmod 640"));
	}
	buf_free(&err);
}

/* No admin group ((gid_t)-1): exactly keyfile_load, 0640 refused. */
static void
test_shared_without_group_is_load(void **state)
{
	static const mode_t modes[] = { 0640, 0660, 0644, 0600 };
	struct fx *fx = *state;
	struct buf e1 = BUF_INIT, e2 = BUF_INIT;
	unsigned char k1[KEYFILE_KEY_LEN], k2[KEYFILE_KEY_LEN];
	size_t i;
	int r1, r2;

	assert_int_equal(keyfile_create(fx->path, NULL), 0);
	assert_int_equal(chown(fx->path, (uid_t)-1, getegid()), 0);
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		buf_reset(&e1);
		buf_reset(&e2);
		assert_int_equal(chmod(fx->path, modes[i]), 0);
		r1 = keyfile_load(fx->path, k1, &e1);
		r2 = keyfile_load_shared(fx->path, (gid_t)-1, k2, &e2);
		assert_int_equal(r1, r2);
		assert_int_equal(r1, modes[i] == 0600 ? 0 : -1);
		assert_string_equal(buf_str(&e1), buf_str(&e2));
		if (r1 == 0)
			assert_memory_equal(k1, k2, sizeof(k1));
		else
			assert_non_null(strstr(buf_str(&e2), "chmod 600"));
	}
	buf_free(&e1);
	buf_free(&e2);
}

/* An independent vector: BLAKE2b-256 keyed with bytes 0..31 (Python). */
static void
test_pseudonym_known_vector(void **state)
{
	unsigned char key[KEYFILE_KEY_LEN];
	char out[KEYFILE_PSEUDONYM_LEN + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(key); i++)
		key[i] = (unsigned char)i;
	keyfile_pseudonym(key, "185057800608491", out);
	assert_string_equal(out, "4eb29b6f302d6d9622dbbea169985694"
	    "f37012a0f4f2705c914f77093ef3a3de");
	keyfile_pseudonym(key, "185082A00401221", out);
	assert_string_equal(out, "a298916ba623a6f915d0dfc880c5173b"
	    "c11110a729a5eca3d4a98cf5e61fd04b");
}

static void
test_pseudonym_stable_and_keyed(void **state)
{
	unsigned char k1[KEYFILE_KEY_LEN], k2[KEYFILE_KEY_LEN];
	char a[65], b[65], c[65];

	(void)state;
	memset(k1, 1, sizeof(k1));
	memset(k2, 1, sizeof(k2));
	k2[31] = 2;
	keyfile_pseudonym(k1, "269054958815780", a);
	keyfile_pseudonym(k1, "269054958815780", b);
	keyfile_pseudonym(k2, "269054958815780", c);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_int_equal(strlen(a), 64);
	/* The NIR does not appear in its pseudonym. */
	assert_null(strstr(a, "269054958815780"));
}

static void
test_pseudonym_differs_per_nir(void **state)
{
	static const char *const nirs[] = {
		"185057800608491", "269029934173285", "185082A00401221",
		"269052B12345618", "287063417205873", "801019999900197",
		"185057800608492",
	};
	unsigned char key[KEYFILE_KEY_LEN];
	char out[sizeof(nirs) / sizeof(nirs[0])][65];
	size_t i, j;

	(void)state;
	memset(key, 7, sizeof(key));
	for (i = 0; i < sizeof(nirs) / sizeof(nirs[0]); i++)
		keyfile_pseudonym(key, nirs[i], out[i]);
	for (i = 0; i < sizeof(nirs) / sizeof(nirs[0]); i++)
		for (j = i + 1; j < sizeof(nirs) / sizeof(nirs[0]); j++)
			assert_string_not_equal(out[i], out[j]);
}

static void
test_pseudonym_corsica_case(void **state)
{
	unsigned char key[KEYFILE_KEY_LEN];
	char up[65], low[65];

	(void)state;
	memset(key, 9, sizeof(key));
	keyfile_pseudonym(key, "185082A00401221", up);
	keyfile_pseudonym(key, "185082a00401221", low);
	assert_string_equal(up, low);
	keyfile_pseudonym(key, "269052b12345618", low);
	keyfile_pseudonym(key, "269052B12345618", up);
	assert_string_equal(up, low);
}

/* Only the 15 characters count: what follows (a NUL-less buffer) not. */
static void
test_pseudonym_reads_15_chars(void **state)
{
	unsigned char key[KEYFILE_KEY_LEN];
	char a[65], b[65];

	(void)state;
	memset(key, 3, sizeof(key));
	keyfile_pseudonym(key, "185057800608491", a);
	keyfile_pseudonym(key, "185057800608491 Dupont", b);
	assert_string_equal(a, b);
}

/*
 * Key buffers in the sources.  The size of the key is one constant: a
 * buffer written "[32]" silently stays 32 the day the key changes size,
 * and keyfile_load() then writes past it.  A key is wiped with
 * sodium_memzero(): the compiler may drop a memset() of a buffer that is
 * never read again, and leave the key on the stack.  This scans src/ and
 * include/ for "unsigned char ...key...[digits]" and for a memset() of a
 * name declared "unsigned char ...key..." in the same file (a struct
 * that happens to be called key is no key material).
 */
struct key_scan {
	regex_t	 decl;		/* unsigned char NAMEkey[...] */
	regex_t	 literal;	/* unsigned char NAMEkey[123] */
	char	 report[4096];
	size_t	 bad;
};

static struct key_scan *key_scan;

static void
key_scan_report(const char *path, int line, const char *what)
{
	size_t n = strlen(key_scan->report);

	snprintf(key_scan->report + n, sizeof(key_scan->report) - n,
	    "%s:%d: %s\n", path + strlen(BALP_SRCDIR) + 1, line, what);
	key_scan->bad++;
}

static int
key_scan_file(const char *path, const struct stat *sb, int flag,
    struct FTW *ftw)
{
	char names[16][64], line[1024], pat[128];
	size_t n_names = 0, i, len;
	regmatch_t m[2];
	FILE *fp;
	int ln;

	(void)sb;
	(void)ftw;
	len = strlen(path);
	if (flag != FTW_F || len < 2 || path[len - 2] != '.' ||
	    (path[len - 1] != 'c' && path[len - 1] != 'h'))
		return 0;
	/*
	 * The content checks' keys are a document's (a PDF's file key from
	 * its public empty user password), never balp's: not this rule's.
	 */
	if (strstr(path, "/src/core/content") != NULL)
		return 0;
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	/* First pass: declarations. */
	for (ln = 1; fgets(line, sizeof(line), fp) != NULL; ln++) {
		if (regexec(&key_scan->literal, line, 0, NULL, 0) == 0)
			key_scan_report(path, ln, "key buffer sized with a"
			    " literal, not KEYFILE_KEY_LEN");
		if (regexec(&key_scan->decl, line, 2, m, 0) != 0 ||
		    n_names == 16 || m[1].rm_eo - m[1].rm_so >= 64)
			continue;
		memcpy(names[n_names], line + m[1].rm_so,
		    (size_t)(m[1].rm_eo - m[1].rm_so));
		names[n_names][m[1].rm_eo - m[1].rm_so] = '\0';
		for (i = 0; i < n_names; i++)
			if (strcmp(names[i], names[n_names]) == 0)
				break;
		if (i == n_names)
			n_names++;
	}
	/* Second pass: memset() of a declared key. */
	for (i = 0; i < n_names; i++) {
		regex_t wipe;

		snprintf(pat, sizeof(pat), "memset\\([ \t]*&?%s[ \t]*[,[]",
		    names[i]);
		assert_int_equal(regcomp(&wipe, pat, REG_EXTENDED), 0);
		rewind(fp);
		for (ln = 1; fgets(line, sizeof(line), fp) != NULL; ln++)
			if (regexec(&wipe, line, 0, NULL, 0) == 0)
				key_scan_report(path, ln, "key wiped with"
				    " memset, not sodium_memzero");
		regfree(&wipe);
	}
	fclose(fp);
	return 0;
}

static void
test_key_buffers_sized_and_wiped(void **state)
{
	struct key_scan ks;

	(void)state;
	memset(&ks, 0, sizeof(ks));
	assert_int_equal(regcomp(&ks.decl, "unsigned char[^;(]*[^A-Za-z0-9_]"
	    "([A-Za-z0-9_]*key)\\[", REG_EXTENDED), 0);
	assert_int_equal(regcomp(&ks.literal, "unsigned char[^;(]*"
	    "[^A-Za-z0-9_][A-Za-z0-9_]*key\\[[0-9]+\\]", REG_EXTENDED), 0);
	key_scan = &ks;
	assert_int_equal(nftw(BALP_SRCDIR "/src", key_scan_file, 8, FTW_PHYS),
	    0);
	assert_int_equal(nftw(BALP_SRCDIR "/include", key_scan_file, 8,
	    FTW_PHYS), 0);
	regfree(&ks.decl);
	regfree(&ks.literal);
	if (ks.bad > 0)
		fail_msg("%zu key buffer(s) to fix:\n%s", ks.bad, ks.report);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_mode_0600, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_create_refuses_existing,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_then_load, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_two_creates_differ, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_load_refuses_open_modes,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_refuses_bad_content,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_load_accepts_without_newline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_missing_file, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_load_refuses_symlink,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_shared_accepts_admin_group, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_shared_refuses_other_group, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_shared_refuses_wider_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_shared_without_group_is_load, setup, teardown),
		cmocka_unit_test(test_pseudonym_known_vector),
		cmocka_unit_test(test_pseudonym_stable_and_keyed),
		cmocka_unit_test(test_pseudonym_differs_per_nir),
		cmocka_unit_test(test_pseudonym_corsica_case),
		cmocka_unit_test(test_pseudonym_reads_15_chars),
		cmocka_unit_test(test_key_buffers_sized_and_wiped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
