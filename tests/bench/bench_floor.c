/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_floor - the floor balpd is measured against (tests/bench/isolation.sh):
 * what triaging a Maildir costs with nothing decided, the parse either in a
 * process of its own per message or in this process.
 *
 *   bench_floor fork|inproc MAILDIR DB
 *
 * For each message of MAILDIR/new, in name order: map it, parse it with
 * libetpan's mailmime_parse, and derive a folder number from the parse (the
 * number of its parts, mod 5).  In "fork" mode each parse runs in a child
 * forked for it, which exits with the folder number, two children at a time
 * (the machine's two cores); in "inproc" mode the parse runs here.  Then, as
 * balpd does: the results are recorded in an sqlite database (WAL,
 * synchronous FULL) in transactions of 100, and each batch's messages are
 * renamed into MAILDIR/.F<n>/cur only after its commit, with one fsync per
 * folder touched.  No sandbox, no decision, no audit chain: a floor.
 * Prints the message count.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libetpan/libetpan.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BATCH		100
#define CHILDREN	2
#define FOLDERS		5

static int
count_parts(struct mailmime *m)
{
	clistiter *it;
	int n = 1;

	if (m->mm_type == MAILMIME_MULTIPLE)
		for (it = clist_begin(m->mm_data.mm_multipart.mm_mp_list);
		    it != NULL; it = clist_next(it))
			n += count_parts(clist_content(it));
	else if (m->mm_type == MAILMIME_MESSAGE &&
	    m->mm_data.mm_message.mm_msg_mime != NULL)
		n += count_parts(m->mm_data.mm_message.mm_msg_mime);
	return n;
}

/* The folder of one message: 0..FOLDERS-1, or FOLDERS if unreadable. */
static int
parse_one(const char *path)
{
	struct mailmime *mime = NULL;
	struct stat st;
	size_t idx = 0;
	void *map;
	int fd, folder = FOLDERS;

	if ((fd = open(path, O_RDONLY)) == -1)
		return FOLDERS;
	if (fstat(fd, &st) == 0 && st.st_size > 0 &&
	    (map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd,
	    0)) != MAP_FAILED) {
		if (mailmime_parse(map, (size_t)st.st_size, &idx, &mime) ==
		    MAILIMF_NO_ERROR) {
			folder = count_parts(mime) % FOLDERS;
			mailmime_free(mime);
		}
		munmap(map, (size_t)st.st_size);
	}
	close(fd);
	return folder;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
die(const char *what)
{
	fprintf(stderr, "bench_floor: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Records [from, to) in one transaction, then moves them, then fsyncs. */
static void
flush(sqlite3 *db, sqlite3_stmt *ins, const char *md, char **names,
    const int *folder, size_t from, size_t to)
{
	char src[4096], dst[4096];
	int touched[FOLDERS + 1] = { 0 }, f, fd;
	size_t i;

	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		die("begin");
	for (i = from; i < to; i++) {
		sqlite3_bind_text(ins, 1, names[i], -1, SQLITE_STATIC);
		sqlite3_bind_int(ins, 2, folder[i]);
		if (sqlite3_step(ins) != SQLITE_DONE)
			die("insert");
		sqlite3_reset(ins);
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		die("commit");
	for (i = from; i < to; i++) {
		snprintf(src, sizeof(src), "%s/new/%s", md, names[i]);
		snprintf(dst, sizeof(dst), "%s/.F%d/cur/%s:2,", md, folder[i],
		    names[i]);
		if (rename(src, dst) == -1)
			die("rename");
		touched[folder[i]] = 1;
	}
	for (f = 0; f <= FOLDERS; f++) {
		if (!touched[f])
			continue;
		snprintf(dst, sizeof(dst), "%s/.F%d/cur", md, f);
		if ((fd = open(dst, O_RDONLY | O_DIRECTORY)) == -1 ||
		    fsync(fd) == -1)
			die("fsync");
		close(fd);
	}
	snprintf(src, sizeof(src), "%s/new", md);
	if ((fd = open(src, O_RDONLY | O_DIRECTORY)) == -1 || fsync(fd) == -1)
		die("fsync");
	close(fd);
}

int
main(int argc, char **argv)
{
	char path[4096], **names = NULL;
	struct dirent *de;
	sqlite3 *db;
	sqlite3_stmt *ins;
	size_t n = 0, cap = 0, next = 0, done = 0, from = 0, i;
	pid_t pids[CHILDREN] = { 0 };
	size_t slot_of[CHILDREN];
	int *folder, forking, status, f, running = 0, k;
	DIR *d;
	pid_t pid;

	if (argc != 4 || (strcmp(argv[1], "fork") != 0 &&
	    strcmp(argv[1], "inproc") != 0)) {
		fprintf(stderr, "usage: bench_floor fork|inproc MAILDIR DB\n");
		return 2;
	}
	forking = strcmp(argv[1], "fork") == 0;
	snprintf(path, sizeof(path), "%s/new", argv[2]);
	if ((d = opendir(path)) == NULL)
		die(path);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap && (names = realloc(names, (cap = cap ? cap * 2 :
		    1024) * sizeof(*names))) == NULL)
			die("realloc");
		if ((names[n++] = strdup(de->d_name)) == NULL)
			die("strdup");
	}
	closedir(d);
	qsort(names, n, sizeof(*names), by_name);
	if ((folder = calloc(n + 1, sizeof(*folder))) == NULL)
		die("calloc");
	for (f = 0; f <= FOLDERS; f++) {
		snprintf(path, sizeof(path), "%s/.F%d", argv[2], f);
		mkdir(path, 0700);
		snprintf(path, sizeof(path), "%s/.F%d/cur", argv[2], f);
		mkdir(path, 0700);
	}
	if (sqlite3_open(argv[3], &db) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous ="
	    " FULL; CREATE TABLE IF NOT EXISTS moved (file TEXT, folder INT)",
	    NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO moved VALUES (?, ?)", -1, &ins,
	    NULL) != SQLITE_OK)
		die("sqlite");
	/* Messages are taken in order; a batch is flushed once all of its
	 * messages are parsed (children may end out of order). */
	while (done < n) {
		while (forking && running < CHILDREN && next < n) {
			snprintf(path, sizeof(path), "%s/new/%s", argv[2],
			    names[next]);
			if ((pid = fork()) == -1)
				die("fork");
			if (pid == 0)
				_exit(parse_one(path));
			for (k = 0; pids[k] != 0; k++)	/* a free slot */
				;
			pids[k] = pid;
			slot_of[k] = next++;
			running++;
		}
		if (forking) {
			if ((pid = wait(&status)) == -1)
				die("wait");
			for (k = 0; k < CHILDREN && pids[k] != pid; k++)
				;
			if (k == CHILDREN)
				continue;
			folder[slot_of[k]] = WIFEXITED(status) ?
			    WEXITSTATUS(status) : FOLDERS;
			pids[k] = 0;
			running--;
			done++;
		} else {
			snprintf(path, sizeof(path), "%s/new/%s", argv[2],
			    names[next]);
			folder[next++] = parse_one(path);
			done++;
		}
		while (next - from >= BATCH || (done == n && from < n)) {
			size_t to = from + BATCH < n ? from + BATCH : n;
			int ready = 1;

			if (forking)
				for (k = 0; k < CHILDREN; k++)
					if (pids[k] > 0 && slot_of[k] < to)
						ready = 0;
			if (!ready || to > next)
				break;
			flush(db, ins, argv[2], names, folder, from, to);
			from = to;
		}
	}
	sqlite3_finalize(ins);
	sqlite3_close(db);
	printf("%zu\n", n);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(folder);
	return 0;
}
