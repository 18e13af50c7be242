/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl_admin - partners, persons, init, rules check (see ctl_admin.h).
 *
 * Options are parsed with getopt_long, re-initialised per command
 * (optind = 0).  Every refusal is one line naming the value at fault.
 */
#include "balp/ctl_admin.h"
#include "balp/ctl_partner.h"
#include "balp/date.h"
#include "balp/json.h"
#include "balp/keyfile.h"
#include "balp/pipeline.h"
#include "balp/source.h"
#include "balp/source_registry.h"
#include "balp/store_partner.h"
#include "balp/store_referent.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

static int
valid_partner_id(const char *id)
{
	const char *p;

	if (id == NULL || !(islower((unsigned char)*id) ||
	    isdigit((unsigned char)*id)) || strlen(id) > 64)
		return 0;
	for (p = id; *p != '\0'; p++)
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) &&
		    *p != '-')
			return 0;
	return 1;
}

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

/*
 * The arguments of "end|suspend|resume TARGET": --date for end (default
 * today), a required --reason for suspend, --partner when the target is a
 * person.  Shared by partner and person so both read the same way.
 */
struct change {
	const char	*what;		/* "end", "suspend", "resume" */
	const char	*target;	/* partner id or email */
	const char	*partner;	/* person only; NULL = the only one */
	const char	*reason;
	int32_t		 date;
};

/*
 * "partner add" for the word "add" of group "partner": getopt names
 * argv[0] in its errors ("partner add: unrecognized option '--bogus'"),
 * and the admin must see which command refused it.  A word no command
 * has is returned as it is.
 */
static char *
command_name(const char *group, char *word)
{
	static const char *const names[] = {
		"partner add", "partner list", "partner show", "partner end",
		"partner update",
		"partner suspend", "partner resume", "person add",
		"person list", "person end", "person suspend", "person resume",
	};
	size_t i, n = strlen(group);

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strncmp(names[i], group, n) == 0 && names[i][n] == ' ' &&
		    strcmp(names[i] + n + 1, word) == 0)
			return (char *)names[i];
	return word;
}

static int
parse_change(struct ctl *c, int argc, char **argv, int person,
    struct change *ch)
{
	static const struct option opts[] = {
		{ "partner", required_argument, NULL, 'p' },
		{ "date", required_argument, NULL, 'd' },
		{ "reason", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	int o;

	memset(ch, 0, sizeof(*ch));
	/* argv[0] is "partner end": the verb is its last word. */
	ch->what = strchr(argv[0], ' ') != NULL ? strchr(argv[0], ' ') + 1 :
	    argv[0];
	ch->date = c->today;
	optind = 0;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o == 'p' && person)
			ch->partner = optarg;
		else if (o == 'd') {
			/* a suspension has days: from, resumed on */
			if (ctl_date("--date", optarg, &ch->date) == -1)
				return -1;
			if (strcmp(ch->what, "end") != 0 && ch->date >
			    c->today) {
				ctl_error("--date: a suspension is recorded "
				    "from today or a day past, not %s", optarg);
				return -1;
			}
		} else if (o == 'r' && strcmp(ch->what, "suspend") == 0)
			ch->reason = optarg;
		else
			return -1;
	}
	if (optind + 1 != argc)
		return -1;
	if (strcmp(ch->what, "suspend") == 0 &&
	    (ch->reason == NULL || *ch->reason == '\0'))
		return -1;
	ch->target = argv[optind];
	return 0;
}

static int
change_usage(const struct change *ch, const char *noun, const char *opt)
{
	struct buf u = BUF_INIT;
	int rc;

	if (strcmp(ch->what, "end") == 0)
		buf_printf(&u, "%s end %s [--date DATE]", noun, opt);
	else if (strcmp(ch->what, "suspend") == 0)
		buf_printf(&u, "%s suspend %s --reason TEXT [--date DATE]",
		    noun, opt);
	else
		buf_printf(&u, "%s resume %s [--date DATE]", noun, opt);
	rc = ctl_usage(buf_str(&u));
	buf_free(&u);
	return rc;
}

/* ---- json -------------------------------------------------------------- */

/* "YYYY-MM-DD", or null for DATE_NONE. */
static void
json_day(struct buf *b, int32_t day)
{
	char d[11];

	if (day == DATE_NONE)
		buf_puts(b, "null");
	else
		buf_printf(b, "\"%s\"", ctl_day(day, d));
}

/*
 * A state as the table says it, as a snake_case value ("in force" ->
 * "in_force"): a script matches one word.
 */
static void
json_state(struct buf *b, const char *label)
{
	const char *p;

	buf_putc(b, '"');
	for (p = label; *p != '\0'; p++)
		buf_putc(b, *p == ' ' ? '_' : *p);
	buf_putc(b, '"');
}

/* ---- partner ----------------------------------------------------------- */

static const char *
partner_state(const struct store_partner *p, int32_t today)
{
	if (p->suspended)
		return "suspended";
	if (p->start != DATE_NONE && today < p->start)
		return "not started";
	if (p->end != DATE_NONE && today > p->end)
		return "ended";
	return "in force";
}

static int
count_persons(struct ctl *c, const char *partner, int32_t at, size_t *n)
{
	struct store_person_list l = { NULL, 0 };

	if (store_person_list(c->store, partner, at, &l) != STORE_OK)
		return -1;
	*n = l.n;
	store_person_list_free(&l);
	return 0;
}

/* partner add; refs has room for one referent an argument. */
static int
partner_add_with(struct ctl *c, int argc, char **argv, const char **refs)
{
	static const struct option opts[] = {
		{ "id", required_argument, NULL, 'i' },
		{ "name", required_argument, NULL, 'n' },
		{ "siret", required_argument, NULL, 's' },
		{ "start", required_argument, NULL, 'S' },
		{ "end", required_argument, NULL, 'E' },
		{ "max-persons", required_argument, NULL, 'm' },
		{ "referent", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	const char *u = "partner add --id ID --name NAME [--siret N]"
	    " [--start DATE] [--end DATE] [--max-persons N]"
	    " [--referent EMAIL]...";
	struct store_partner_spec s = { NULL, NULL, NULL, DATE_NONE, DATE_NONE,
	    STORE_NO_QUOTA };
	size_t n_refs = 0;
	int ch, r;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'i':
			s.id = optarg;
			break;
		case 'n':
			s.name = optarg;
			break;
		case 's':
			s.siret = optarg;
			break;
		case 'S':
			if (ctl_date("--start", optarg, &s.start) == -1)
				return CTL_USAGE;
			break;
		case 'E':
			if (ctl_date("--end", optarg, &s.end) == -1)
				return CTL_USAGE;
			break;
		case 'm':
			if (ctl_count("--max-persons", optarg,
			    &s.max_persons) == -1)
				return CTL_USAGE;
			if (s.max_persons == 0) {
				ctl_error("--max-persons: 0 would refuse every"
				    " person (leave it out for no quota)");
				return CTL_USAGE;
			}
			break;
		case 'r':
			refs[n_refs++] = optarg;
			break;
		default:
			return ctl_usage(u);
		}
	}
	if (optind != argc || s.id == NULL || s.name == NULL)
		return ctl_usage(u);
	if (!valid_partner_id(s.id)) {
		ctl_error("--id: '%s' must be lower-case letters, digits and"
		    " '-' (e.g. apeai-ouest-herault)", s.id);
		return CTL_USAGE;
	}
	if (ctl_open_store(c, 0) == -1)
		return CTL_USAGE;
	if ((r = store_partner_add_referents(c->store, &s, refs, n_refs,
	    c->actor, c->now)) != STORE_OK)
		return ctl_store_fail(c);
	printf("partner %s added\n", s.id);
	return CTL_OK;
}

static int
partner_add(struct ctl *c, int argc, char **argv)
{
	const char **refs;
	int r;

	if ((refs = calloc((size_t)argc + 1, sizeof(*refs))) == NULL) {
		ctl_error("out of memory");
		return CTL_FAILED;
	}
	r = partner_add_with(c, argc, argv, refs);
	free(refs);
	return r;
}

/*
 * A partner as a JSON object, left open for partner show to add its
 * persons: the caller closes it.  persons = habilitated today.
 */
static void
partner_json(struct buf *b, const struct store_partner *p, size_t persons,
    int32_t today)
{
	buf_puts(b, "{\"id\":");
	json_string(b, p->id);
	buf_puts(b, ",\"name\":");
	json_string(b, p->name);
	buf_puts(b, ",\"siret\":");
	json_string(b, p->siret);
	buf_puts(b, ",\"start\":");
	json_day(b, p->start);
	buf_puts(b, ",\"end\":");
	json_day(b, p->end);
	buf_puts(b, ",\"state\":");
	json_state(b, partner_state(p, today));
	buf_printf(b, ",\"suspended\":%s,\"suspend_reason\":",
	    p->suspended ? "true" : "false");
	json_string(b, p->suspended ? p->suspend_reason : NULL);
	if (p->max_persons == STORE_NO_QUOTA)
		buf_puts(b, ",\"max_persons\":null");
	else
		buf_printf(b, ",\"max_persons\":%d", p->max_persons);
	buf_printf(b, ",\"persons_today\":%zu,\"created_at\":", persons);
	json_string(b, p->created_at);
}

/* --json alone, for list and show: 1 with it, 0 without, -1 otherwise. */
static int
json_flag(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	int ch, json = 0;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'j')
			return -1;
		json = 1;
	}
	return json;
}

/*
 * partner list [--json]: the JSON is an array with one partner a line,
 * so that a shell script (the bash completion) can read it with sed.
 */
static int
partner_list(struct ctl *c, int argc, char **argv)
{
	struct store_partner_list l = { NULL, 0 };
	struct buf out = BUF_INIT;
	char a[11], b[11], q[16];
	size_t i, n;
	int json, rc;

	if ((json = json_flag(argc, argv)) == -1 || optind != argc)
		return ctl_usage("partner list [--json]");
	if (ctl_open_store(c, 0) == -1)
		return CTL_USAGE;
	if (store_partner_list(c->store, &l) != STORE_OK)
		return ctl_store_fail(c);
	if (json) {
		buf_puts(&out, "[\n");
		for (i = 0; i < l.n; i++) {
			if (count_persons(c, l.v[i].id, c->today, &n) == -1) {
				store_partner_list_free(&l);
				buf_free(&out);
				return ctl_store_fail(c);
			}
			partner_json(&out, &l.v[i], n, c->today);
			buf_puts(&out, i + 1 < l.n ? "},\n" : "}\n");
		}
		buf_puts(&out, "]\n");
		store_partner_list_free(&l);
		rc = ctl_print(&out);
		buf_free(&out);
		return rc;
	}
	printf("%-24s %-32s %-10s %-10s %-11s %s\n", "ID", "NAME", "START",
	    "END", "STATE", "PERSONS");
	for (i = 0; i < l.n; i++) {
		const struct store_partner *p = &l.v[i];

		if (count_persons(c, p->id, c->today, &n) == -1) {
			store_partner_list_free(&l);
			return ctl_store_fail(c);
		}
		if (p->max_persons == STORE_NO_QUOTA)
			snprintf(q, sizeof(q), "%zu", n);
		else
			snprintf(q, sizeof(q), "%zu/%d", n, p->max_persons);
		ctl_pad(stdout, p->id, 24);
		putchar(' ');
		ctl_cell(stdout, p->name, 32);
		printf(" %-10s %-10s %-11s %s\n", ctl_day(p->start, a),
		    ctl_day(p->end, b), partner_state(p, c->today), q);
	}
	store_partner_list_free(&l);
	return CTL_OK;
}

static const char *
person_state(const struct store_person *p, int32_t today)
{
	if (p->suspended)
		return "suspended";
	if (p->end != DATE_NONE && p->end < today)
		return "ended";
	if (p->start > today)
		return "not yet";
	return "in force";
}

/* A partner's staff member as a JSON object (never a beneficiary). */
static void
person_json(struct buf *b, const struct store_person *p, int32_t today)
{
	buf_puts(b, "{\"partner\":");
	json_string(b, p->partner_id);
	buf_puts(b, ",\"last_name\":");
	json_string(b, p->last_name);
	buf_puts(b, ",\"first_name\":");
	json_string(b, p->first_name);
	buf_puts(b, ",\"email\":");
	json_string(b, p->email);
	buf_puts(b, ",\"job_title\":");
	json_string(b, p->job_title[0] != '\0' ? p->job_title : NULL);
	buf_puts(b, ",\"start\":");
	json_day(b, p->start);
	buf_puts(b, ",\"end\":");
	json_day(b, p->end);
	buf_puts(b, ",\"state\":");
	json_state(b, person_state(p, today));
	buf_printf(b, ",\"suspended\":%s,\"suspend_reason\":",
	    p->suspended ? "true" : "false");
	json_string(b, p->suspended ? p->suspend_reason : NULL);
	buf_puts(b, ",\"created_at\":");
	json_string(b, p->created_at);
	buf_puts(b, ",\"updated_at\":");
	json_string(b, p->updated_at);
	buf_putc(b, '}');
}

/* The persons as a JSON array, one a line. */
static void
persons_json(struct buf *b, const struct store_person_list *l, int32_t today)
{
	size_t i;

	buf_puts(b, "[\n");
	for (i = 0; i < l->n; i++) {
		person_json(b, &l->v[i], today);
		buf_puts(b, i + 1 < l->n ? ",\n" : "\n");
	}
	buf_putc(b, ']');
}

static void
print_persons(const struct store_person_list *l, int with_partner,
    int32_t today)
{
	char a[11], b[11];
	size_t i;

	if (with_partner)
		printf("%-24s ", "PARTNER");
	printf("%-20s %-16s %-32s %-24s %-10s %-10s %s\n", "NOM", "PRENOM",
	    "EMAIL", "FONCTION", "DEBUT", "FIN", "STATE");
	for (i = 0; i < l->n; i++) {
		const struct store_person *p = &l->v[i];

		if (with_partner) {
			ctl_pad(stdout, p->partner_id, 24);
			putchar(' ');
		}
		ctl_cell(stdout, p->last_name, 20);
		putchar(' ');
		ctl_cell(stdout, p->first_name, 16);
		putchar(' ');
		ctl_pad(stdout, p->email, 32);
		putchar(' ');
		ctl_cell(stdout, p->job_title[0] ? p->job_title : "-", 24);
		printf(" %-10s %-10s %s\n", ctl_day(p->start, a),
		    ctl_day(p->end, b), person_state(p, today));
	}
}

static int
partner_show(struct ctl *c, int argc, char **argv)
{
	struct store_partner p;
	struct store_person_list l = { NULL, 0 };
	struct store_referent_list refs = { NULL, 0 };
	struct buf out = BUF_INIT;
	char a[11], b[11];
	size_t active, i;
	int r, json;

	if ((json = json_flag(argc, argv)) == -1 || optind + 1 != argc)
		return ctl_usage("partner show ID [--json]");
	if (ctl_open_store(c, 0) == -1)
		return CTL_USAGE;
	memset(&p, 0, sizeof(p));
	if ((r = store_partner_get(c->store, argv[optind], &p)) != STORE_OK)
		return ctl_store_fail(c);
	if (count_persons(c, p.id, c->today, &active) == -1 ||
	    store_person_list(c->store, p.id, DATE_NONE, &l) != STORE_OK ||
	    store_referent_list(c->store, p.id, &refs) != STORE_OK) {
		store_person_list_free(&l);
		store_partner_free(&p);
		return ctl_store_fail(c);
	}
	if (json) {
		partner_json(&out, &p, active, c->today);
		buf_puts(&out, ",\"referents\":[");
		for (i = 0; i < refs.n; i++) {
			buf_puts(&out, i > 0 ? "," : "");
			json_string(&out, refs.v[i]);
		}
		store_referent_list_free(&refs);
		buf_puts(&out, "],\"persons\":");
		persons_json(&out, &l, c->today);
		buf_puts(&out, "}\n");
		store_person_list_free(&l);
		store_partner_free(&p);
		r = ctl_print(&out);
		buf_free(&out);
		return r;
	}
	printf("id          %s\n", p.id);
	printf("name        ");
	ctl_put_escaped(stdout, p.name);
	putchar('\n');
	printf("siret       %s\n", p.siret ? p.siret : "-");
	printf("referents   %s", refs.n == 0 ? "-" : "");
	for (i = 0; i < refs.n; i++)
		printf("%s%s", i > 0 ? ", " : "", refs.v[i]);
	putchar('\n');
	store_referent_list_free(&refs);
	printf("convention  %s to %s\n", ctl_day(p.start, a), ctl_day(p.end, b));
	printf("state       %s%s%s\n", partner_state(&p, c->today),
	    p.suspend_reason ? ": " : "",
	    p.suspend_reason ? p.suspend_reason : "");
	if (p.max_persons == STORE_NO_QUOTA)
		printf("persons     %zu habilitated today (no quota)\n", active);
	else
		printf("persons     %zu habilitated today, quota %d\n", active,
		    p.max_persons);
	printf("created     %s\n\n", p.created_at);
	print_persons(&l, 0, c->today);
	store_person_list_free(&l);
	store_partner_free(&p);
	return CTL_OK;
}

/* partner end|suspend|resume ID [--date D] [--reason R] */
static int
partner_change(struct ctl *c, int argc, char **argv)
{
	struct change ch;
	char day[11];
	int r;

	if (parse_change(c, argc, argv, 0, &ch) == -1)
		return change_usage(&ch, "partner", "ID");
	if (ctl_open_store(c, 0) == -1)
		return CTL_USAGE;
	if (strcmp(ch.what, "end") == 0)
		r = store_partner_end(c->store, ch.target, ch.date, c->actor,
		    c->now);
	else if (strcmp(ch.what, "suspend") == 0)
		r = store_partner_suspend_from(c->store, ch.target, ch.reason,
		    ch.date, c->actor, c->now);
	else
		r = store_partner_resume_on(c->store, ch.target, ch.date,
		    c->actor, c->now);
	if (r != STORE_OK)
		return ctl_store_fail(c);
	printf("partner %s: %s %s\n", ch.target, strcmp(ch.what, "end") == 0 ?
	    "convention ends on" : strcmp(ch.what, "suspend") == 0 ?
	    "suspended from" : "resumed on", ctl_day(ch.date, day));
	return CTL_OK;
}

int
ctl_admin_partner(struct ctl *c, int argc, char **argv)
{
	const char *u = "partner add|list|show|update|end|suspend|resume ...";

	if (argc < 2)
		return ctl_usage(u);
	argc--;
	argv++;
	argv[0] = command_name("partner", argv[0]);
	if (strcmp(argv[0], "partner add") == 0)
		return partner_add(c, argc, argv);
	if (strcmp(argv[0], "partner list") == 0)
		return partner_list(c, argc, argv);
	if (strcmp(argv[0], "partner show") == 0)
		return partner_show(c, argc, argv);
	if (strcmp(argv[0], "partner update") == 0)
		return ctl_partner_update(c, argc, argv);
	if (strcmp(argv[0], "partner end") == 0 ||
	    strcmp(argv[0], "partner suspend") == 0 ||
	    strcmp(argv[0], "partner resume") == 0)
		return partner_change(c, argc, argv);
	return ctl_usage(u);
}

/* ---- person ------------------------------------------------------------ */

static int
person_add(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "partner", required_argument, NULL, 'p' },
		{ "last-name", required_argument, NULL, 'l' },
		{ "first-name", required_argument, NULL, 'f' },
		{ "email", required_argument, NULL, 'e' },
		{ "job-title", required_argument, NULL, 'j' },
		{ "start", required_argument, NULL, 'S' },
		{ "end", required_argument, NULL, 'E' },
		{ NULL, 0, NULL, 0 }
	};
	const char *u = "person add --partner ID --last-name NOM --first-name"
	    " PRENOM --email EMAIL [--job-title FONCTION] [--start DATE]"
	    " [--end DATE]";
	struct store_person_spec s;
	char *email, d0[11], d1[11], d2[11];
	int32_t prev_start, prev_end;
	int ch, r;

	memset(&s, 0, sizeof(s));
	s.start = c->today;
	s.end = DATE_NONE;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			s.partner_id = optarg;
			break;
		case 'l':
			s.last_name = optarg;
			break;
		case 'f':
			s.first_name = optarg;
			break;
		case 'e':
			s.email = optarg;
			break;
		case 'j':
			s.job_title = optarg;
			break;
		case 'S':
			if (ctl_date("--start", optarg, &s.start) == -1)
				return CTL_USAGE;
			break;
		case 'E':
			if (ctl_date("--end", optarg, &s.end) == -1)
				return CTL_USAGE;
			break;
		default:
			return ctl_usage(u);
		}
	}
	if (optind != argc || s.partner_id == NULL || s.last_name == NULL ||
	    s.first_name == NULL || s.email == NULL)
		return ctl_usage(u);
	if (ctl_open_store(c, 0) == -1)
		return CTL_USAGE;
	r = store_person_habilitate(c->store, &s, c->today, c->actor, c->now,
	    NULL, &prev_start, &prev_end);
	if (r != STORE_OK)
		return ctl_store_fail(c);
	/* As stored (trimmed, lower case): what a partner's mail must match. */
	if (store_email_canon(s.email, &email) != STORE_OK) {
		ctl_error("out of memory");
		return CTL_FAILED;
	}
	if (prev_end != DATE_NONE)
		printf("person %s of %s re-habilitated from %s (previous "
		    "period %s\u2013%s)\n", email, s.partner_id,
		    ctl_day(s.start, d0), ctl_day(prev_start, d1),
		    ctl_day(prev_end, d2));
	else
		printf("person %s added to %s\n", email, s.partner_id);
	free(email);
	return CTL_OK;
}

/* person end|suspend|resume EMAIL [--partner ID] [--date D] [--reason R] */
static int
person_change(struct ctl *c, int argc, char **argv)
{
	struct change ch;
	char day[11];
	int r;

	if (parse_change(c, argc, argv, 1, &ch) == -1)
		return change_usage(&ch, "person", "EMAIL [--partner ID]");
	if (ctl_open_store(c, 0) == -1)
		return CTL_USAGE;
	if (strcmp(ch.what, "end") == 0)
		r = store_person_end(c->store, ch.partner, ch.target, ch.date,
		    c->today, c->actor, c->now);
	else if (strcmp(ch.what, "suspend") == 0)
		r = store_person_suspend_from(c->store, ch.partner, ch.target,
		    ch.reason, ch.date, c->actor, c->now);
	else
		r = store_person_resume_on(c->store, ch.partner, ch.target,
		    ch.date, c->today, c->actor, c->now);
	if (r != STORE_OK)
		return ctl_store_fail(c);
	/* The day it takes effect: what the admin checks first. */
	printf("person %s: %s %s\n", ch.target, strcmp(ch.what, "end") == 0 ?
	    "habilitation ends on" : strcmp(ch.what, "suspend") == 0 ?
	    "suspended from" : "resumed on", ctl_day(ch.date, day));
	return CTL_OK;
}

static int
person_list(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "partner", required_argument, NULL, 'p' },
		{ "at", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const u = "person list [--partner ID] [--at DATE]"
	    " [--json]";
	struct store_person_list l = { NULL, 0 };
	struct buf out = BUF_INIT;
	const char *partner = NULL;
	int32_t at = DATE_NONE;
	int ch, json = 0, rc = CTL_OK;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'p')
			partner = optarg;
		else if (ch == 'a') {
			if (ctl_date("--at", optarg, &at) == -1)
				return CTL_USAGE;
		} else if (ch == 'j')
			json = 1;
		else
			return ctl_usage(u);
	}
	if (optind != argc)
		return ctl_usage(u);
	if (ctl_open_store(c, 0) == -1)
		return CTL_USAGE;
	if (store_person_list(c->store, partner, at, &l) != STORE_OK)
		return ctl_store_fail(c);
	/* --at: the state of that day (in force, suspended), not today's */
	if (json) {
		persons_json(&out, &l, at != DATE_NONE ? at : c->today);
		buf_putc(&out, '\n');
		rc = ctl_print(&out);
		buf_free(&out);
	} else
		print_persons(&l, 1, at != DATE_NONE ? at : c->today);
	store_person_list_free(&l);
	return rc;
}

int
ctl_admin_person(struct ctl *c, int argc, char **argv)
{
	const char *u = "person add|end|suspend|resume|list ...";

	if (argc < 2)
		return ctl_usage(u);
	argc--;
	argv++;
	argv[0] = command_name("person", argv[0]);
	if (strcmp(argv[0], "person add") == 0)
		return person_add(c, argc, argv);
	if (strcmp(argv[0], "person list") == 0)
		return person_list(c, argc, argv);
	if (strcmp(argv[0], "person end") == 0 ||
	    strcmp(argv[0], "person suspend") == 0 ||
	    strcmp(argv[0], "person resume") == 0)
		return person_change(c, argc, argv);
	return ctl_usage(u);
}

/* ---- rules check ------------------------------------------------------- */

int
ctl_admin_rules(struct ctl *c, int argc, char **argv)
{
	const struct rules *r;
	struct buf b = BUF_INIT;
	size_t i;
	int json = 0, rc;

	if (argc == 3 && strcmp(argv[1], "check") == 0 &&
	    strcmp(argv[2], "--json") == 0)
		json = 1;
	else if (argc != 2 || strcmp(argv[1], "check") != 0)
		return ctl_usage("rules check [--json]");
	if (ctl_load_conf(c) == -1)
		return CTL_USAGE;
	r = &c->conf.rules;
	if (json) {
		/* A configuration that does not load said so above (exit 2). */
		buf_puts(&b, "{\"conf\":");
		json_string(&b, c->conf_path);
		buf_puts(&b, ",\"rules_file\":");
		json_string(&b, c->conf.rules_file);
		buf_puts(&b, ",\"types\":[");
		for (i = 0; i < r->n_types; i++) {
			buf_puts(&b, i > 0 ? ",\n{\"id\":" : "\n{\"id\":");
			json_string(&b, r->types[i].id);
			buf_puts(&b, ",\"queue\":");
			json_string(&b, r->types[i].queue);
			buf_printf(&b, ",\"keywords\":%zu,\"min_age_months\":",
			    r->types[i].keywords.n);
			/* 0: the type has no date rule. */
			if (r->types[i].min_age_months > 0)
				buf_printf(&b, "%d", r->types[i].min_age_months);
			else
				buf_puts(&b, "null");
			buf_printf(&b, ",\"annex_update\":%s}",
			    r->types[i].annex_update ? "true" : "false");
		}
		buf_puts(&b, "],\n\"queue_rejects\":");
		json_string(&b, r->queue_rejects);
		buf_puts(&b, ",\"queue_quarantine\":");
		json_string(&b, r->queue_quarantine);
		buf_puts(&b, "}\n");
		rc = ctl_print(&b);
		buf_free(&b);
		return rc;
	}
	printf("%s: ok\n%s: ok, %zu request types:\n", c->conf_path,
	    c->conf.rules_file, r->n_types);
	for (i = 0; i < r->n_types; i++)
		printf("  %-12s -> %-20s %zu keywords%s%s\n", r->types[i].id,
		    r->types[i].queue, r->types[i].keywords.n,
		    r->types[i].min_age_months > 0 ? ", date rule" : "",
		    r->types[i].annex_update ? ", annex update (referents)" :
		    "");
	printf("  rejects    -> %s\n  quarantine -> %s\n", r->queue_rejects,
	    r->queue_quarantine);
	return CTL_OK;
}
