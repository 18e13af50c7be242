/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_sandbox_image - a worker forked after sandbox_image_trim() maps
 * none of the libraries its program does not name itself (here p11-kit,
 * which GnuTLS brings, itself brought by libetpan, loaded by hand unless
 * the program names it), still maps the ones it names, and runs; the trimming process itself keeps everything.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/wait.h>

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "balp/sandbox_image.h"

/* 1 if a mapping of this process names `lib`. */
static int
maps_have(const char *lib)
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	int found = 0;

	if (f == NULL)
		return -1;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, lib) != NULL;
	(void)fclose(f);
	return found;
}

static void
test_preload_left_alone(void **state)
{
	(void)state;
	assert_int_equal(setenv("LD_PRELOAD", "/nonexistent.so", 1), 0);
	assert_int_equal(sandbox_image_trim(NULL), 0);
	assert_int_equal(unsetenv("LD_PRELOAD"), 0);
}

static void
test_worker_without_indirect_libraries(void **state)
{
	unsigned char h[crypto_generichash_BYTES];
	pid_t pid;
	int st;

	(void)state;
	if (dlopen("libetpan.so.20", RTLD_NOW | RTLD_LOCAL) == NULL)
		skip();
	if (maps_have("libp11-kit") != 1)
		skip();		/* a GnuTLS without p11-kit */
	assert_true(sandbox_image_trim(NULL) > 0);
	if ((pid = _Fork()) == 0) {
		if (maps_have("libp11-kit") != 0)
			_exit(1);
		if (maps_have("libsodium") != 1 || maps_have("libc.so") != 1)
			_exit(2);
		/* A library it names still works. */
		if (crypto_generichash(h, sizeof(h), (const unsigned char *)"x",
		    1, NULL, 0) != 0)
			_exit(3);
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	/* Only children lose them. */
	assert_int_equal(maps_have("libp11-kit"), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_preload_left_alone),
		cmocka_unit_test(test_worker_without_indirect_libraries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
