/* SPDX-License-Identifier: Apache-2.0 */
/*
 * maildir - a local Maildir++ inbox as a source (see maildir.h).
 *
 * Only new/ and cur/ of the root are the inbox; tmp/ belongs to the
 * delivery agent and folders (".X") to the agents.  A move is one
 * rename(2) that never replaces an existing file, so a crash leaves the
 * message in exactly one place; md_sync() then fsyncs every directory the
 * moves of a batch touched, once each (docs/pipeline.md).
 */
#include "balp/maildir.h"
#include "balp/text.h"
#include "balp/array.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

struct maildir {
	char	 *root;
	int	  inotify_fd;
	/* Directories changed by moves since the last md_sync(). */
	char	**touched;
	size_t	  n_touched;
	size_t	  cap_touched;
};

static void
sync_dir(const char *path)
{
	int fd;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

static int
mkdir_p(const char *path, struct buf *err)
{
	char *p, *s;

	if ((p = buf_strdup(path)) == NULL) {
		buf_puts(err, "out of memory");
		return -1;
	}
	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;

		*s = '\0';
		if (mkdir(p, 0700) == -1 && errno != EEXIST) {
			buf_printf(err, "cannot create %s: %s", p,
			    strerror(errno));
			free(p);
			return -1;
		}
		if (c == '\0')
			break;
		*s = c;
	}
	free(p);
	return 0;
}

int
maildir_create(const char *root, struct buf *err)
{
	static const char *const subs[] = { "cur", "new", "tmp" };
	struct buf p = BUF_INIT;
	size_t i;
	int r = 0;

	for (i = 0; i < 3 && r == 0; i++) {
		buf_reset(&p);
		buf_printf(&p, "%s/%s", root, subs[i]);
		r = mkdir_p(buf_str(&p), err);
	}
	buf_free(&p);
	return r;
}

char *
maildir_folder_path(const char *root, const char *folder)
{
	struct buf b = BUF_INIT;
	const char *f;

	buf_printf(&b, "%s/.", root);
	for (f = folder; *f != '\0'; f++)
		buf_putc(&b, *f == '/' ? '.' : *f);
	return buf_detach(&b);
}

static int
md_ensure_folder(void *arg, const char *folder, struct buf *err)
{
	struct maildir *md = arg;
	struct buf marker = BUF_INIT;
	char *dir;
	int fd, r;

	if ((dir = maildir_folder_path(md->root, folder)) == NULL) {
		buf_puts(err, "out of memory");
		return -1;
	}
	r = maildir_create(dir, err);
	if (r == 0) {
		/* Maildir++ marks sub-folders with an empty maildirfolder. */
		buf_printf(&marker, "%s/maildirfolder", dir);
		fd = open(buf_str(&marker), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (fd >= 0)
			close(fd);
	}
	buf_free(&marker);
	free(dir);
	return r;
}

/*
 * A file name as it may be shown and logged: escaped by text_escape()
 * (controls as \xNN) so that a name cannot forge a log line nor drive a
 * terminal.  Caller frees.
 */
static char *
printable(const char *name)
{
	struct buf b = BUF_INIT;

	buf_add(&b, "", 0);
	text_escape(&b, name, strlen(name));
	return buf_detach(&b);
}

static int
by_name(const void *a, const void *b)
{
	const struct source_msg *x = a, *y = b;

	return strcmp(x->label, y->label);
}

static int
scan(struct maildir *md, const char *sub, struct source_msg **v, size_t *n,
    size_t *cap, struct buf *err)
{
	struct buf path = BUF_INIT;
	struct source_msg *m;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int dfd, r = 0;
	const char *colon;

	buf_printf(&path, "%s/%s", md->root, sub);
	if ((d = opendir(buf_str(&path))) == NULL) {
		buf_printf(err, "cannot read %s: %s", buf_str(&path),
		    strerror(errno));
		buf_free(&path);
		return -1;
	}
	dfd = dirfd(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (ARRAY_RESERVE(*v, *cap, *n) == -1) {
			buf_puts(err, "out of memory");
			r = -1;
			break;
		}
		m = &(*v)[*n];
		colon = strchr(de->d_name, ':');
		m->ref = colon ? buf_strndup(de->d_name,
		    (size_t)(colon - de->d_name)) : buf_strdup(de->d_name);
		m->label = printable(de->d_name);
		m->loc = NULL;
		m->size = (uint64_t)st.st_size;
		buf_reset(&path);
		buf_printf(&path, "%s/%s", sub, de->d_name);
		m->loc = buf_strdup(buf_str(&path));
		(*n)++;
		if (m->ref == NULL || m->label == NULL || m->loc == NULL) {
			buf_puts(err, "out of memory");
			r = -1;
			break;
		}
	}
	closedir(d);
	buf_free(&path);
	return r;
}

static int
md_list(void *arg, struct source_msg **out, size_t *nout, struct buf *err)
{
	struct maildir *md = arg;
	struct source_msg *v = NULL;
	size_t n = 0, cap = 0;

	if (scan(md, "new", &v, &n, &cap, err) == -1 ||
	    scan(md, "cur", &v, &n, &cap, err) == -1) {
		source_msgs_free(v, n);
		return -1;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), by_name);
	*out = v;
	*nout = n;
	return 0;
}

/* Errors that say nothing about the message: try again later. */
static int
transient(int e)
{
	return e == EMFILE || e == ENFILE || e == ENOMEM || e == ENOBUFS ||
	    e == EINTR || e == EAGAIN || e == EIO;
}

static int
md_fetch(void *arg, const struct source_msg *m, size_t max,
    struct source_blob *blob, struct buf *err)
{
	struct maildir *md = arg;
	struct buf path = BUF_INIT;
	struct stat st;
	int fd, saved;

	buf_printf(&path, "%s/%s", md->root, m->loc);
	if (path.failed) {
		buf_puts(err, "out of memory");
		return -1;
	}
	/* O_NONBLOCK: a FIFO swapped in after the scan must not hang us. */
	fd = open(buf_str(&path), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	saved = errno;		/* buf_free and strerror may change it */
	buf_free(&path);
	if (fd == -1) {
		if (saved == ENOENT)
			return 1;
		buf_printf(err, "cannot open %s: %s", m->label,
		    strerror(saved));
		return transient(saved) ? -2 : -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		buf_printf(err, "%s is not a regular file", m->label);
		close(fd);
		return -1;
	}
	blob->fd = fd;
	blob->data = NULL;
	blob->size = (uint64_t)st.st_size;
	blob->len = blob->size < max ? (size_t)blob->size : max;
	return 0;
}

/* Remembers dir for the next md_sync(), once. */
static int
touch_dir(struct maildir *md, const char *dir)
{
	char *copy;
	size_t i;

	for (i = 0; i < md->n_touched; i++)
		if (strcmp(md->touched[i], dir) == 0)
			return 0;
	if (ARRAY_RESERVE(md->touched, md->cap_touched, md->n_touched) == -1 ||
	    (copy = buf_strdup(dir)) == NULL)
		return -1;
	md->touched[md->n_touched++] = copy;
	return 0;
}

static int
md_sync(void *arg, int last, struct buf *err)
{
	(void)last;	/* every batch's moves are made durable at once */
	struct maildir *md = arg;
	size_t i;
	int fd, r = 0;

	for (i = 0; i < md->n_touched; i++) {
		fd = open(md->touched[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if ((fd == -1 || fsync(fd) == -1) && r == 0) {
			buf_printf(err, "cannot sync %s: %s", md->touched[i],
			    strerror(errno));
			r = -1;
		}
		if (fd >= 0)
			close(fd);
		free(md->touched[i]);
	}
	md->n_touched = 0;
	return r;
}

/*
 * One rename that never replaces a file: a clash gets a suffix, nothing is
 * lost.  0; 1 if from is gone; -1 with errno set.
 */
static int
rename_noreplace(const char *from, const char *dir, const char *ref,
    struct buf *to)
{
	int k;

	for (k = 0; k < 100; k++) {
		buf_reset(to);
		if (k == 0)
			buf_printf(to, "%s/%s", dir, ref);
		else
			buf_printf(to, "%s/%s.%d", dir, ref, k);
		if (to->failed) {
			errno = ENOMEM;
			return -1;
		}
		if (renameat2(AT_FDCWD, from, AT_FDCWD, buf_str(to),
		    RENAME_NOREPLACE) == 0)
			return 0;
		if (errno != EEXIST)
			return -1;
	}
	errno = EEXIST;
	return -1;
}

static int
md_move(void *arg, const struct source_msg *m, const char *folder,
    const char *keywords, struct buf *err)
{
	struct maildir *md = arg;
	struct buf from = BUF_INIT, to = BUF_INIT, dir = BUF_INIT;
	struct stat st;
	char *fdir;
	int r = -1, saved;

	/* Keywords would live in Dovecot's own dovecot-keywords file, which
	 * only Dovecot may write: a local Maildir keeps the folder alone. */
	(void)keywords;
	if ((fdir = maildir_folder_path(md->root, folder)) == NULL) {
		buf_puts(err, "out of memory");
		return -1;
	}
	buf_printf(&from, "%s/%s", md->root, m->loc);
	buf_printf(&dir, "%s/new", fdir);
	r = rename_noreplace(buf_str(&from), buf_str(&dir), m->ref, &to);
	if (r == -1 && errno == ENOENT && lstat(buf_str(&from), &st) == 0) {
		/* The folder went missing (an admin removed it): again. */
		if (md_ensure_folder(md, folder, err) == -1)
			goto out;
		r = rename_noreplace(buf_str(&from), buf_str(&dir), m->ref,
		    &to);
	}
	saved = errno;
	if (r == -1 && saved == ENOENT) {
		r = 1;		/* gone: another reader took it */
		goto out;
	}
	if (r == -1) {
		buf_printf(err, "cannot move %s to %s: %s", m->label, folder,
		    saved == EEXIST ? "too many name clashes" :
		    strerror(saved));
		goto out;
	}
	buf_reset(&from);
	buf_printf(&from, "%s/%.3s", md->root, m->loc);
	if (touch_dir(md, buf_str(&dir)) == -1 ||
	    touch_dir(md, buf_str(&from)) == -1) {
		/* Not remembered (no memory): durable now instead. */
		sync_dir(buf_str(&dir));
		sync_dir(buf_str(&from));
	}
out:
	buf_free(&from);
	buf_free(&to);
	buf_free(&dir);
	free(fdir);
	return r;
}

/* The directory of folder under root, or root for the inbox (NULL). */
static char *
folder_dir(const struct maildir *md, const char *folder)
{
	return folder != NULL ? maildir_folder_path(md->root, folder) :
	    buf_strdup(md->root);
}

/*
 * The file of ref in dir's new/ or cur/ (where a mail client moves it
 * once read, adding ":2,flags" to its name), as a path into *path.
 * 0 found, 1 not there, -1 on error.
 */
static int
find_in(const char *dir, const char *ref, struct buf *path, struct buf *err)
{
	static const char *const subs[] = { "new", "cur" };
	struct dirent *de;
	struct stat st;
	size_t i, n = strlen(ref);
	DIR *d;

	for (i = 0; i < 2; i++) {
		buf_reset(path);
		buf_printf(path, "%s/%s/%s", dir, subs[i], ref);
		if (path->failed) {
			buf_puts(err, "out of memory");
			return -1;
		}
		if (lstat(buf_str(path), &st) == 0 && S_ISREG(st.st_mode))
			return 0;
	}
	buf_reset(path);
	buf_printf(path, "%s/cur", dir);
	if ((d = opendir(buf_str(path))) == NULL)
		return 1;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, ref, n) != 0 || de->d_name[n] != ':')
			continue;
		buf_reset(path);
		buf_printf(path, "%s/cur/%s", dir, de->d_name);
		closedir(d);
		return path->failed ? -1 : 0;
	}
	closedir(d);
	return 1;
}

static int
md_relocate(void *arg, const char *from, const char *ref,
    const char *message_id, const char *to, const char *new_ref,
    struct buf *err)
{
	struct maildir *md = arg;
	struct buf src = BUF_INIT, dst = BUF_INIT, dir = BUF_INIT;
	char *fdir = NULL, *tdir = NULL;
	int r = -1, saved;

	(void)message_id;	/* a file keeps its name: ref finds it */
	if ((fdir = folder_dir(md, from)) == NULL ||
	    (tdir = folder_dir(md, to)) == NULL) {
		buf_puts(err, "out of memory");
		goto out;
	}
	if (to != NULL && md_ensure_folder(md, to, err) == -1)
		goto out;
	if ((r = find_in(fdir, ref, &src, err)) != 0)
		goto out;
	buf_printf(&dir, "%s/new", tdir);
	buf_printf(&dst, "%s/%s", buf_str(&dir), new_ref != NULL ? new_ref :
	    ref);
	/*
	 * Under exactly its name (the store records it), never replacing a
	 * file: a clash is an error for the admin to look at.
	 */
	if (dst.failed || renameat2(AT_FDCWD, buf_str(&src), AT_FDCWD,
	    buf_str(&dst), RENAME_NOREPLACE) == -1) {
		saved = dst.failed ? ENOMEM : errno;
		buf_printf(err, "cannot move %s to %s: %s", ref,
		    to != NULL ? to : "the inbox", saved == EEXIST ?
		    "a message of that name is there already" :
		    strerror(saved));
		r = saved == ENOENT ? 1 : -1;
		goto out;
	}
	sync_dir(buf_str(&dir));
	/* The folder it left: src's directory. */
	*strrchr(src.data, '/') = '\0';
	sync_dir(buf_str(&src));
	r = 0;
out:
	buf_free(&src);
	buf_free(&dst);
	buf_free(&dir);
	free(fdir);
	free(tdir);
	return r;
}

static int
md_locate(void *arg, const char *folder, const char *ref,
    const char *message_id, struct buf *err)
{
	struct maildir *md = arg;
	struct buf path = BUF_INIT;
	char *dir;
	int r;

	(void)message_id;	/* a file keeps its name: ref finds it */
	if ((dir = folder_dir(md, folder)) == NULL) {
		buf_puts(err, "out of memory");
		return -1;
	}
	r = find_in(dir, ref, &path, err);
	buf_free(&path);
	free(dir);
	return r;
}

/* The file keeps the name append() gave it: ref is this very message. */
static int
md_holds(void *arg, const char *folder, const char *ref,
    const char *message_id, uint64_t size,
    const unsigned char digest[SOURCE_DIGEST_LEN], struct buf *err)
{
	(void)size;
	(void)digest;
	return md_locate(arg, folder, ref, message_id, err);
}

/*
 * A message from LMTP: written into the folder's tmp/ under ref, synced,
 * renamed into new/ (never over a file: a clash fails, the caller looks
 * first), and new/ synced.  The folder's new/ is where move() puts mail:
 * agents see it unread.
 */
static int
md_append(void *arg, const char *folder, const char *ref, int fd,
    uint64_t size, const char *keywords, time_t arrived, struct buf *err)
{
	struct maildir *md = arg;
	struct buf tmp = BUF_INIT, dst = BUF_INIT;
	struct timespec ts[2];
	char *dir;
	off_t off = 0;
	ssize_t w;
	int out = -1, dfd = -1, rc = -1;

	(void)keywords;	/* as md_move: Dovecot's file, not ours */
	if (strchr(ref, '/') != NULL || ref[0] == '.' || ref[0] == '\0') {
		buf_printf(err, "'%s' is no Maildir name", ref);
		return -1;
	}
	if ((dir = folder_dir(md, folder)) == NULL) {
		buf_puts(err, "out of memory");
		return -1;
	}
	if (md_ensure_folder(md, folder, err) == -1)
		goto out;
	buf_printf(&tmp, "%s/tmp/%s", dir, ref);
	buf_printf(&dst, "%s/new/%s", dir, ref);
	if (tmp.failed || dst.failed) {
		buf_puts(err, "out of memory");
		goto out;
	}
	if ((out = open(buf_str(&tmp), O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC | O_NOFOLLOW, 0600)) == -1) {
		buf_printf(err, "cannot write into %s: %s", folder,
		    strerror(errno));
		goto out;
	}
	while ((uint64_t)off < size) {
		w = sendfile(out, fd, &off, (size_t)(size - (uint64_t)off));
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0) {
			buf_printf(err, "cannot write into %s: %s", folder,
			    w == 0 ? "short message" : strerror(errno));
			goto unlink;
		}
	}
	ts[0].tv_sec = ts[1].tv_sec = arrived;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	(void)futimens(out, ts);
	if (fsync(out) == -1) {
		buf_printf(err, "cannot sync into %s: %s", folder,
		    strerror(errno));
		goto unlink;
	}
	if (link(buf_str(&tmp), buf_str(&dst)) == -1) {
		buf_printf(err, "cannot file into %s: %s", folder,
		    strerror(errno));
		goto unlink;
	}
	buf_reset(&tmp);
	buf_printf(&tmp, "%s/new", dir);
	if ((dfd = open(buf_str(&tmp), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1 || fsync(dfd) == -1) {
		buf_printf(err, "cannot sync %s: %s", folder, strerror(errno));
		(void)unlink(buf_str(&dst));
		buf_reset(&tmp);
		buf_printf(&tmp, "%s/tmp/%s", dir, ref);
		goto unlink;
	}
	buf_reset(&tmp);
	buf_printf(&tmp, "%s/tmp/%s", dir, ref);
	rc = 0;
unlink:
	(void)unlink(buf_str(&tmp));
out:
	if (out >= 0)
		close(out);
	if (dfd >= 0)
		close(dfd);
	buf_free(&tmp);
	buf_free(&dst);
	free(dir);
	return rc;
}

static int
md_watch_fd(void *arg)
{
	return ((struct maildir *)arg)->inotify_fd;
}

static void
md_watch_drain(void *arg)
{
	struct maildir *md = arg;
	char ev[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	if (md->inotify_fd < 0)
		return;
	while (read(md->inotify_fd, ev, sizeof(ev)) > 0)
		;
}

static void
md_close(void *arg)
{
	struct maildir *md = arg;
	size_t i;

	if (md == NULL)
		return;
	if (md->inotify_fd >= 0)
		close(md->inotify_fd);
	for (i = 0; i < md->n_touched; i++)
		free(md->touched[i]);
	free(md->touched);
	free(md->root);
	free(md);
}

/* Regular files in dir/new and dir/cur: the messages, read or not. */
static int
md_count(void *arg, const char *folder, size_t *n, struct buf *err)
{
	static const char *const subs[] = { "new", "cur" };
	struct maildir *md = arg;
	struct dirent *e;
	struct buf p = BUF_INIT;
	char *dir;
	DIR *d;
	size_t i;
	int rc = 0;

	*n = 0;
	if ((dir = folder_dir(md, folder)) == NULL) {
		buf_puts(err, "out of memory");
		return -1;
	}
	for (i = 0; i < 2 && rc == 0; i++) {
		buf_reset(&p);
		buf_printf(&p, "%s/%s", dir, subs[i]);
		if (p.failed) {
			buf_puts(err, "out of memory");
			rc = -1;
			break;
		}
		if ((d = opendir(buf_str(&p))) == NULL) {
			if (errno == ENOENT)
				continue;
			buf_printf(err, "%s: %s", buf_str(&p), strerror(errno));
			rc = -1;
			break;
		}
		while ((e = readdir(d)) != NULL)
			if (e->d_name[0] != '.' && (e->d_type == DT_REG ||
			    e->d_type == DT_UNKNOWN))
				(*n)++;
		closedir(d);
	}
	buf_free(&p);
	free(dir);
	return rc;
}

static const struct source_ops maildir_ops = {
	"maildir", md_list, md_fetch, md_move, md_sync, md_relocate, md_locate,
	md_append, NULL, md_holds, md_ensure_folder, md_count, md_watch_fd, md_watch_drain,
	md_close,
};

int
maildir_source_open(const char *root, int watch, struct source *src,
    struct buf *err)
{
	static const char *const subs[] = { "new", "cur" };
	struct maildir *md;
	struct buf p = BUF_INIT;
	struct stat st;
	size_t i;

	for (i = 0; i < 2; i++) {
		buf_reset(&p);
		buf_printf(&p, "%s/%s", root, subs[i]);
		if (stat(buf_str(&p), &st) == -1 || !S_ISDIR(st.st_mode)) {
			buf_printf(err, "%s is not a Maildir (no %s/); run"
			    " `balpctl init`", root, subs[i]);
			buf_free(&p);
			return -1;
		}
	}
	if ((md = calloc(1, sizeof(*md))) == NULL ||
	    (md->root = buf_strdup(root)) == NULL) {
		free(md);
		buf_free(&p);
		buf_puts(err, "out of memory");
		return -1;
	}
	md->inotify_fd = -1;
	if (watch) {
		md->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		for (i = 0; md->inotify_fd >= 0 && i < 2; i++) {
			buf_reset(&p);
			buf_printf(&p, "%s/%s", root, subs[i]);
			if (inotify_add_watch(md->inotify_fd, buf_str(&p),
			    IN_MOVED_TO | IN_CLOSE_WRITE) == -1) {
				buf_printf(err, "cannot watch %s: %s",
				    buf_str(&p), strerror(errno));
				buf_free(&p);
				md_close(md);
				return -1;
			}
		}
		if (md->inotify_fd < 0) {
			buf_printf(err, "inotify: %s", strerror(errno));
			buf_free(&p);
			md_close(md);
			return -1;
		}
	}
	buf_free(&p);
	src->ops = &maildir_ops;
	src->state = md;
	return 0;
}
