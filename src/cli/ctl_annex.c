/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_annex - annex import and export (see ctl_annex.h).
 *
 * Import reads the whole file as bytes (CSV, .xlsx or .ods: annex_file.h
 * tells them apart), parses and checks every row before the
 * store is touched, then hands the rows to annex_import(), which applies
 * the difference in one transaction.  Export writes through a temporary
 * file and a rename, so a reader never sees half a file.
 */
#include "balp/ctl_annex.h"
#include "balp/annex.h"
#include "balp/ctl_annex_staged.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ANNEX_MAX_BYTES	(16U << 20)

static int
usage(void)
{
	fprintf(stderr, "usage: balpctl [-c CONF] annex import --partner ID"
	    " [--dry-run] [--force] FILE\n"
	    "       balpctl [-c CONF] annex export --partner ID [FILE.csv]\n"
	    "       balpctl [-c CONF] annex pending [--json]\n"
	    "       balpctl [-c CONF] annex show ID\n"
	    "       balpctl [-c CONF] annex approve ID [--force]\n"
	    "       balpctl [-c CONF] annex reject ID --reason TEXT\n");
	return CTL_USAGE;
}

static int
slurp(const char *path, struct buf *out)
{
	char chunk[65536];
	size_t n;
	FILE *fp;

	if ((fp = fopen(path, "rb")) == NULL) {
		ctl_error("%s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		if (out->len + n > ANNEX_MAX_BYTES) {
			ctl_error("%s: larger than %u bytes: not an annex", path,
			    ANNEX_MAX_BYTES);
			fclose(fp);
			return -1;
		}
		buf_add(out, chunk, n);
	}
	if (ferror(fp) || out->failed) {
		ctl_error("%s: cannot read: %s", path, strerror(errno));
		fclose(fp);
		return -1;
	}
	fclose(fp);
	return 0;
}

/* Prints each "line N: ..." of errors as "FILE: line N: ...". */
static void
print_errors(const char *file, const char *errors)
{
	struct buf line = BUF_INIT;
	const char *p = errors, *nl;
	unsigned count = 0;

	for (nl = errors; (nl = strchr(nl, '\n')) != NULL; nl++)
		count++;
	fprintf(stderr, "balpctl: %s: annex refused, nothing imported (%u"
	    " error%s):\n", file, count, count == 1 ? "" : "s");
	while (*p != '\0') {
		nl = strchr(p, '\n');
		fprintf(stderr, "%s: ", file);
		buf_reset(&line);
		buf_add(&line, p, nl ? (size_t)(nl - p) : strlen(p));
		ctl_put_escaped(stderr, buf_str(&line));
		fputc('\n', stderr);
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	buf_free(&line);
}

static int
annex_import_cmd(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "partner", required_argument, NULL, 'p' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	struct buf data = BUF_INIT, errors = BUF_INIT, text = BUF_INIT;
	struct annex_rows rows;
	struct annex_plan plan;
	const char *partner = NULL, *file;
	int ch, dry = 0, force = 0, r, rc = CTL_FAILED;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'p')
			partner = optarg;
		else if (ch == 'n')
			dry = 1;
		else if (ch == 'f')
			force = 1;
		else
			return usage();
	}
	if (partner == NULL || optind + 1 != argc)
		return usage();
	file = argv[optind];
	if (ctl_open_store(c, 0) == -1)
		return CTL_USAGE;
	if (slurp(file, &data) == -1) {
		buf_free(&data);
		return CTL_FAILED;
	}
	memset(&rows, 0, sizeof(rows));
	memset(&plan, 0, sizeof(plan));
	if (annex_file_parse(data.data ? data.data : "", data.len, &rows,
	    &errors) == -1) {
		print_errors(file, buf_str(&errors));
		goto out;
	}
	if (annex_digest(data.data ? data.data : "", data.len, &rows) == -1) {
		ctl_error("%s: libsodium init failed", file);
		goto out;
	}
	r = annex_import(c->store, partner, &rows, c->today, dry, force,
	    c->actor, c->now, &plan);
	if (r != STORE_OK) {
		ctl_error("%s: annex refused, nothing imported: %s", file,
		    store_errmsg(c->store));
		goto out;
	}
	/* Which encoding was read: a wrong guess shows in the names. */
	printf("encoding: %s\n", rows.encoding != NULL ? rows.encoding :
	    "UTF-8");
	annex_plan_render(&plan, &text);
	ctl_put_escaped_lines(stdout, buf_str(&text));
	if (dry)
		printf("dry run: nothing written\n");
	else
		printf("annex of %s imported from %s\n", partner, file);
	rc = CTL_OK;
out:
	annex_plan_free(&plan);
	annex_rows_free(&rows);
	buf_free(&data);
	buf_free(&errors);
	buf_free(&text);
	return rc;
}

static int
write_atomically(const char *path, const struct buf *b)
{
	struct buf tmp = BUF_INIT;
	size_t off = 0;
	ssize_t n;
	int fd, rc = -1;

	buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	fd = open(buf_str(&tmp), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1) {
		/* Name what the admin gave, not our temporary file. */
		if (errno == ENOENT)
			ctl_error("cannot write %s: its folder does not exist",
			    path);
		else
			ctl_error("cannot write %s: %s", path, strerror(errno));
		buf_free(&tmp);
		return -1;
	}
	while (off < b->len) {
		n = write(fd, b->data + off, b->len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	if (off == b->len && fsync(fd) == 0 && close(fd) == 0) {
		fd = -1;
		if (rename(buf_str(&tmp), path) == 0)
			rc = 0;
	}
	if (rc == -1) {
		ctl_error("%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(buf_str(&tmp));
	}
	buf_free(&tmp);
	return rc;
}

static int
annex_export_cmd(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "partner", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 }
	};
	struct buf out = BUF_INIT;
	const char *partner = NULL;
	int ch, r, rc = CTL_FAILED;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'p')
			partner = optarg;
		else
			return usage();
	}
	if (partner == NULL || optind + 1 < argc)
		return usage();
	if (ctl_open_store(c, 0) == -1)
		return CTL_USAGE;
	if ((r = annex_export(c->store, partner, &out)) != STORE_OK)
		ctl_error("%s", store_errmsg(c->store));
	else if (optind < argc)
		rc = write_atomically(argv[optind], &out) == 0 ? CTL_OK :
		    CTL_FAILED;
	else if (fwrite(buf_str(&out), 1, out.len, stdout) == out.len)
		rc = CTL_OK;
	buf_free(&out);
	return rc;
}

int
ctl_annex(struct ctl *c, int argc, char **argv)
{
	if (argc < 2)
		return usage();
	/* getopt names argv[0] in its errors: the whole command. */
	if (strcmp(argv[1], "import") == 0) {
		argv[1] = (char *)"annex import";
		return annex_import_cmd(c, argc - 1, argv + 1);
	}
	if (strcmp(argv[1], "export") == 0) {
		argv[1] = (char *)"annex export";
		return annex_export_cmd(c, argc - 1, argv + 1);
	}
	/* The annexes mailed by referents, staged (ctl_annex_staged.h). */
	if (strcmp(argv[1], "pending") == 0 || strcmp(argv[1], "show") == 0 ||
	    strcmp(argv[1], "approve") == 0 || strcmp(argv[1], "reject") == 0)
		return ctl_annex_staged(c, argc - 1, argv + 1);
	return usage();
}
