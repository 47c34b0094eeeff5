// SPDX-License-Identifier: MIT
/*
 * epoll loop with a small fd -> callback table, and timers on timerfd
 * (absolute CLOCK_REALTIME ticks, so the kernel keeps them aligned to the
 * wall clock without drift). A clock jump cancels the timer
 * (TFD_TIMER_CANCEL_ON_SET) and we re-arm it on the new time.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "util.h"

struct watch {
	int fd;
	loop_cb cb;
	void *arg;
	struct loop_timer *timer;
};

struct loop_timer {
	int fd;
	int64_t interval_ms;
	int64_t next_ms; /* the tick the timer is armed for */
	loop_timer_cb cb;
	void *arg;
};

struct loop {
	int epfd;
	int wakefd;
	volatile int stop;
	pthread_mutex_t mu;
	struct watch **w; /* indexed by fd */
	size_t nw;
};

struct loop *
loop_new(void)
{
	struct loop *l = xcalloc(1, sizeof(*l));
	struct epoll_event ev = {.events = EPOLLIN};

	pthread_mutex_init(&l->mu, NULL);
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->epfd < 0 || l->wakefd < 0) {
		loop_free(l);
		return NULL;
	}
	ev.data.fd = l->wakefd;
	epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->wakefd, &ev);
	return l;
}

void
loop_free(struct loop *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->nw; i++) {
		if (l->w[i] && l->w[i]->timer) {
			close(l->w[i]->timer->fd);
			free(l->w[i]->timer);
		}
		free(l->w[i]);
	}
	free(l->w);
	if (l->epfd >= 0)
		close(l->epfd);
	if (l->wakefd >= 0)
		close(l->wakefd);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

static int
watch_set(struct loop *l, int fd, unsigned events, loop_cb cb, void *arg,
    struct loop_timer *t)
{
	struct epoll_event ev = {.events = events, .data.fd = fd};
	int op = EPOLL_CTL_ADD;

	if (fd < 0)
		return -EBADF;
	pthread_mutex_lock(&l->mu);
	if ((size_t)fd >= l->nw) {
		size_t n = (size_t)fd + 16;

		l->w = xrealloc(l->w, n * sizeof(*l->w));
		memset(l->w + l->nw, 0, (n - l->nw) * sizeof(*l->w));
		l->nw = n;
	}
	if (l->w[fd])
		op = EPOLL_CTL_MOD;
	else
		l->w[fd] = xcalloc(1, sizeof(struct watch));
	l->w[fd]->fd = fd;
	l->w[fd]->cb = cb;
	l->w[fd]->arg = arg;
	l->w[fd]->timer = t;
	if (epoll_ctl(l->epfd, op, fd, &ev) < 0) {
		int e = errno;

		free(l->w[fd]);
		l->w[fd] = NULL;
		pthread_mutex_unlock(&l->mu);
		return -e;
	}
	pthread_mutex_unlock(&l->mu);
	return 0;
}

int
loop_watch(struct loop *l, int fd, unsigned events, loop_cb cb, void *arg)
{
	return watch_set(l, fd, events, cb, arg, NULL);
}

void
loop_unwatch(struct loop *l, int fd)
{
	pthread_mutex_lock(&l->mu);
	if (fd >= 0 && (size_t)fd < l->nw && l->w[fd]) {
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
		free(l->w[fd]);
		l->w[fd] = NULL;
	}
	pthread_mutex_unlock(&l->mu);
}

void
loop_stop(struct loop *l)
{
	uint64_t one = 1;

	l->stop = 1;
	if (write(l->wakefd, &one, sizeof(one)) < 0) {
		/* the counter is saturated: a wakeup is pending anyway */
	}
}

int
loop_run(struct loop *l)
{
	struct epoll_event evs[64];

	while (!l->stop) {
		int n = epoll_wait(l->epfd, evs, 64, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_warn("loop: epoll_wait");
			return -errno;
		}
		for (int i = 0; i < n && !l->stop; i++) {
			int fd = evs[i].data.fd;
			struct watch w;

			if (fd == l->wakefd) {
				uint64_t v;

				if (read(fd, &v, sizeof(v)) < 0) {
					/* EAGAIN: nothing pending */
				}
				continue;
			}
			/* Copy: the callback may unwatch itself. */
			pthread_mutex_lock(&l->mu);
			if ((size_t)fd >= l->nw || l->w[fd] == NULL) {
				pthread_mutex_unlock(&l->mu);
				continue;
			}
			w = *l->w[fd];
			pthread_mutex_unlock(&l->mu);
			w.cb(fd, evs[i].events, w.arg);
		}
	}
	return 0;
}

int64_t
loop_next_tick(int64_t now, int64_t interval)
{
	return (now / interval + 1) * interval;
}

static int
timer_arm(struct loop_timer *t)
{
	struct itimerspec its = {0};

	t->next_ms = loop_next_tick(now_ms(), t->interval_ms);
	its.it_value.tv_sec = t->next_ms / 1000;
	its.it_value.tv_nsec = (t->next_ms % 1000) * 1000000;
	its.it_interval.tv_sec = t->interval_ms / 1000;
	its.it_interval.tv_nsec = (t->interval_ms % 1000) * 1000000;
	if (timerfd_settime(t->fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET,
	        &its, NULL) < 0)
		return -errno;
	return 0;
}

static void
timer_fired(int fd, unsigned events, void *arg)
{
	struct loop_timer *t = arg;
	uint64_t exp = 0;
	int64_t tick;

	(void)events;
	if (read(fd, &exp, sizeof(exp)) < 0) {
		if (errno == ECANCELED) {
			/* The wall clock was set: re-align to it. */
			log_info("loop: clock changed, timers re-aligned");
			timer_arm(t);
		}
		return;
	}
	if (exp == 0)
		return;
	/* The tick that just passed, after exp - 1 missed ones. */
	tick = t->next_ms + (int64_t)(exp - 1) * t->interval_ms;
	t->next_ms = tick + t->interval_ms;
	t->cb(tick, exp - 1, t->arg);
}

int
loop_timer_add(struct loop *l, int64_t interval_ms, loop_timer_cb cb, void *arg)
{
	struct loop_timer *t;
	int r;

	if (interval_ms <= 0)
		return -EINVAL;
	t = xcalloc(1, sizeof(*t));
	t->fd = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC | TFD_NONBLOCK);
	t->interval_ms = interval_ms;
	t->cb = cb;
	t->arg = arg;
	if (t->fd < 0) {
		r = -errno;
		free(t);
		return r;
	}
	if ((r = timer_arm(t)) < 0 ||
	    (r = watch_set(l, t->fd, LOOP_READ, timer_fired, t, t)) < 0) {
		close(t->fd);
		free(t);
		return r;
	}
	return t->fd;
}

void
loop_timer_del(struct loop *l, int fd)
{
	struct loop_timer *t = NULL;

	pthread_mutex_lock(&l->mu);
	if (fd >= 0 && (size_t)fd < l->nw && l->w[fd])
		t = l->w[fd]->timer;
	pthread_mutex_unlock(&l->mu);
	loop_unwatch(l, fd);
	if (t) {
		close(t->fd);
		free(t);
	}
}
