/* SPDX-License-Identifier: Apache-2.0 */
/*
 * web_audit_watch - the audit chain checked by a thread of its own (see
 * web_audit_watch.h).
 *
 * The thread owns its struct store and the mark its checks go on from
 * (the last row verified and its hash: store_audit_check_from); the
 * published state is a small struct behind a mutex; stop wakes the
 * thread through its condition variable.
 */
#include "balp/web_audit_watch.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "balp/log.h"
#include "balp/store.h"
#include "balp/store_audit.h"

struct web_audit_watch {
	struct store		*st;
	const char		*store_path;	/* the conf's */
	unsigned		 period;
	pthread_t		 thread;
	pthread_mutex_t		 lock;
	pthread_cond_t		 wake;
	int			 stop;
	struct web_audit_state	 last;
	int64_t			 reported;	/* the break logged, or 0 */
	struct store_audit_mark	 mark;		/* the thread's */
	time_t			 whole_at;	/* the last whole walk */
};

/* One check, published: whole when the last whole one is a day old. */
static void
check(struct web_audit_watch *w)
{
	struct web_audit_state s;
	struct store_audit_report r;
	time_t now = time(NULL);

	if (w->whole_at == 0 || now - w->whole_at >= WEB_AUDIT_WATCH_WHOLE ||
	    now < w->whole_at)
		memset(&w->mark, 0, sizeof(w->mark));
	s.state = store_audit_check_from(w->st, &w->mark, &r);
	s.bad = s.state == 1 ? r.bad_id : 0;
	s.at = time(NULL);
	/* Walked whole (asked, or a purge came): the day starts again. */
	if (s.state != -1 && r.from_id == 0)
		w->whole_at = now;
	if (s.state == -1)
		log_warn("audit chain check: %s", store_errmsg(w->st));
	else if (s.state == 1 && w->reported != s.bad) {
		log_security("audit chain of %s broken at row %lld (found by "
		    "balpweb)", w->store_path, (long long)s.bad);
		w->reported = s.bad;
	}
	pthread_mutex_lock(&w->lock);
	w->last = s;
	pthread_mutex_unlock(&w->lock);
}

static void *
run(void *arg)
{
	struct web_audit_watch *w = arg;
	struct timespec until;

	pthread_mutex_lock(&w->lock);
	while (!w->stop) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += (time_t)w->period;
		while (!w->stop && pthread_cond_timedwait(&w->wake, &w->lock,
		    &until) != ETIMEDOUT)
			;
		if (w->stop)
			break;
		pthread_mutex_unlock(&w->lock);
		check(w);
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int
web_audit_watch_start(const struct balp_conf *conf, unsigned period,
    struct web_audit_watch **out, struct buf *err)
{
	struct web_audit_watch *w;

	*out = NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		buf_puts(err, "out of memory");
		return -1;
	}
	w->store_path = conf->store_path;
	w->period = period > 0 ? period : WEB_AUDIT_WATCH_SECONDS;
	if (store_open(conf->store_path, &w->st, err) != STORE_OK ||
	    store_audit_key_load(w->st, conf->audit_key_file,
	    conf->admin_gid, err) == -1) {
		if (w->st != NULL)
			store_close(w->st);
		free(w);
		return -1;
	}
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	/* The first check before the console serves: no page waits for it. */
	check(w);
	if (pthread_create(&w->thread, NULL, run, w) != 0) {
		buf_puts(err, "cannot start the audit chain's thread");
		store_close(w->st);
		pthread_mutex_destroy(&w->lock);
		pthread_cond_destroy(&w->wake);
		free(w);
		return -1;
	}
	*out = w;
	return 0;
}

void
web_audit_watch_get(struct web_audit_watch *w, struct web_audit_state *out)
{
	pthread_mutex_lock(&w->lock);
	*out = w->last;
	pthread_mutex_unlock(&w->lock);
}

void
web_audit_watch_stop(struct web_audit_watch *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = 1;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	store_close(w->st);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->wake);
	free(w);
}
