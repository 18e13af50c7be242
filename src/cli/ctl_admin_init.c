/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_admin_init - balpctl init (see ctl_admin.h): the folders, the keys
 * and the store, given to access.admin_group when it is set, and the
 * source's queues.  Apart from the partner and person commands because it
 * deals in files, modes and groups, not in the store's records.
 *
 * Every refusal is one line naming the file at fault and what to do.
 */
#include "balp/ctl_admin.h"
#include "balp/keyfile.h"
#include "balp/pipeline.h"
#include "balp/source.h"
#include "balp/source_registry.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

/* ---- init -------------------------------------------------------------- */

static int
mkdir_parents(const char *file)
{
	char *dir, *s;

	if ((dir = strdup(file)) == NULL)
		return -1;
	for (s = dir + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
			ctl_error("cannot create %s: %s", dir, strerror(errno));
			free(dir);
			return -1;
		}
		*s = '/';
	}
	free(dir);
	return 0;
}

/*
 * Gives path to the admin group with mode; a missing path is no error
 * when optional (sqlite's -wal and -shm come and go).  Through a
 * descriptor opened with O_NOFOLLOW, never by name: a symbolic link
 * planted in the store's folder (whoever is in the group may write
 * there) must not hand its target to the group, nor make it 0660.  A
 * folder (dir) others may enter is refused rather than closed: it may be
 * /var/lib, shared with everything else.
 */
static int
share_file(const char *path, gid_t gid, mode_t mode, int optional, int dir)
{
	struct group *gr;
	struct stat st;
	int fd, e;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK |
	    (dir ? O_DIRECTORY : 0));
	if (fd == -1 && optional && errno == ENOENT)
		return 0;
	if (fd == -1 && (errno == ELOOP || errno == ENOTDIR) &&
	    lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		ctl_error("%s is a symbolic link: refused (the store's files "
		    "and folders must be the files themselves)", path);
		return -1;
	}
	if (fd == -1 || fstat(fd, &st) == -1)
		goto fail;
	if (!dir && !S_ISREG(st.st_mode)) {
		ctl_error("%s is not a regular file: refused", path);
		close(fd);
		return -1;
	}
	if (dir && (st.st_mode & 007) != 0) {
		ctl_error("%s is open to others (mode %04o): with "
		    "access.admin_group the store and its keys need a folder "
		    "of their own (chmod o-rwx it, or move them)", path,
		    (unsigned)(st.st_mode & 07777));
		close(fd);
		return -1;
	}
	if (fchown(fd, (uid_t)-1, gid) == 0 && fchmod(fd, mode) == 0) {
		close(fd);
		return 0;
	}
fail:
	e = errno;
	if (fd != -1)
		close(fd);
	gr = getgrgid(gid);
	if (e == EPERM || e == EACCES)
		ctl_error("permission denied: cannot give %s to group '%s' "
		    "(access.admin_group): run init as root or as the owner "
		    "of the store's files", path, gr != NULL ? gr->gr_name :
		    "?");
	else
		ctl_error("cannot give %s to the admin group "
		    "(access.admin_group): %s", path, strerror(e));
	return -1;
}

/*
 * The folder holding file, for the admin group: 2770, so that what sqlite
 * creates in it later (-wal, -shm) gets the group too.  done (the last
 * folder shared) saves doing one folder twice.
 */
static int
share_dir(const char *file, gid_t gid, struct buf *done)
{
	struct buf dir = BUF_INIT;
	const char *slash = strrchr(file, '/');
	int rc = -1;

	buf_add(&dir, file, slash != NULL && slash != file ?
	    (size_t)(slash - file) : 1);
	if (dir.failed) {
		ctl_error("out of memory");
		goto out;
	}
	if (done->len > 0 && strcmp(buf_str(done), buf_str(&dir)) == 0) {
		rc = 0;
		goto out;
	}
	if (share_file(buf_str(&dir), gid, 02770, 0, 1) == -1)
		goto out;
	buf_reset(done);
	buf_puts(done, buf_str(&dir));
	rc = 0;
out:
	buf_free(&dir);
	return rc;
}

/*
 * Keeps a key file that loads, or creates it; prints what it did.  With
 * an admin group (gid not -1) the file becomes 0640 of that group.
 */
static int
init_key(const char *path, const char *label, const char *group, gid_t gid)
{
	unsigned char key[KEYFILE_KEY_LEN];
	struct buf err = BUF_INIT;
	struct stat st;
	int rc = 0, made = 0;

	if (stat(path, &st) == 0) {
		rc = keyfile_load_shared(path, gid, key, &err);
		sodium_memzero(key, sizeof(key));
	} else if ((rc = keyfile_create(path, &err)) == 0)
		made = 1;
	if (rc == -1) {
		ctl_error("%s", buf_str(&err));
		buf_free(&err);
		return -1;
	}
	buf_free(&err);
	if (gid != (gid_t)-1 && share_file(path, gid, 0640, 0, 0) == -1)
		return -1;
	if (!made && gid != (gid_t)-1)
		printf("%s %s (kept, mode 0640 group %s)\n", label, path,
		    group);
	else if (!made)
		printf("%s %s (kept)\n", label, path);
	else if (gid != (gid_t)-1)
		printf("%s %s (new, mode 0640 group %s: back it up)\n", label,
		    path, group);
	else
		printf("%s %s (new, mode 0600: back it up)\n", label, path);
	return 0;
}

/* The database and its -wal and -shm, 0660 of the admin group. */
static int
share_store(const char *path, gid_t gid)
{
	static const char *const tails[] = { "", "-wal", "-shm" };
	struct buf b = BUF_INIT;
	size_t i;
	int rc = 0;

	for (i = 0; i < sizeof(tails) / sizeof(tails[0]) && rc == 0; i++) {
		buf_reset(&b);
		buf_printf(&b, "%s%s", path, tails[i]);
		if (b.failed) {
			ctl_error("out of memory");
			rc = -1;
		} else
			rc = share_file(buf_str(&b), gid, 0660, i > 0, 0);
	}
	buf_free(&b);
	return rc;
}

int
ctl_admin_init(struct ctl *c, int argc, char **argv)
{
	struct buf err = BUF_INIT, shared = BUF_INIT;
	struct source src;
	const struct rules *r;
	const char *group;
	gid_t gid;
	int rc = CTL_FAILED;

	(void)argv;
	if (argc != 1)
		return ctl_usage("init");
	if (ctl_load_conf(c) == -1)
		return CTL_USAGE;
	gid = c->conf.admin_gid;
	group = c->conf.admin_group;
	/* A store closed to this user: say so before trying to chown. */
	if (access(c->conf.store_path, F_OK) == -1 &&
	    store_access_explain(c->conf.store_path, errno, group, &err)) {
		ctl_error("%s", buf_str(&err));
		goto out;
	}
	if (mkdir_parents(c->conf.store_path) == -1 ||
	    mkdir_parents(c->conf.key_file) == -1 ||
	    mkdir_parents(c->conf.audit_key_file) == -1)
		return CTL_FAILED;
	/* The folders first: what is created in them inherits the group. */
	if (gid != (gid_t)-1 &&
	    (share_dir(c->conf.store_path, gid, &shared) == -1 ||
	    share_dir(c->conf.key_file, gid, &shared) == -1 ||
	    share_dir(c->conf.audit_key_file, gid, &shared) == -1))
		goto out;
	/* The keys first: the store is opened with the audit key. */
	if (init_key(c->conf.key_file, "key      ", group, gid) == -1 ||
	    init_key(c->conf.audit_key_file, "audit key", group, gid) == -1)
		goto out;
	if (ctl_open_store(c, 1) == -1)
		goto out;
	if (gid != (gid_t)-1 && share_store(c->conf.store_path, gid) == -1)
		goto out;
	if (gid != (gid_t)-1)
		printf("store     %s (schema %d, mode 0660 group %s)\n",
		    c->conf.store_path, store_schema_version(c->store), group);
	else
		printf("store     %s (schema %d)\n", c->conf.store_path,
		    store_schema_version(c->store));
	if (source_registry_create(&c->conf.source, &err) == -1 ||
	    source_registry_open(&c->conf.source, 0, &src, &err) == -1) {
		ctl_error("%s", buf_str(&err));
		goto out;
	}
	r = &c->conf.rules;
	if (pipeline_ensure_queues(r, &src, &err) == -1) {
		ctl_error("%s", buf_str(&err));
		src.ops->close(src.state);
		goto out;
	}
	src.ops->close(src.state);
	if (c->conf.source.kind == SOURCE_MAILDIR)
		printf("maildir   %s (%zu queues)\n",
		    c->conf.source.maildir_path, r->n_types + 2);
	else
		printf("source    %s (%zu queues)\n", src.ops->name,
		    r->n_types + 2);
	rc = CTL_OK;
out:
	buf_free(&shared);
	buf_free(&err);
	return rc;
}
