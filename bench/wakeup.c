// SPDX-License-Identifier: MIT
/*
 * What one sleep and wake-up of a thread costs in CPU time on this machine:
 * the fixed price every timer tick of the agent pays (loop thread, each
 * collector worker, the alert engine) before any work. Measures the
 * calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID) over N sleeps of
 * 10 ms each by nanosleep, pthread_cond_timedwait and epoll on a timerfd,
 * and over N rounds of sleeping then waking another thread, as the loop
 * wakes a worker.
 *   usage: wakeup [N]   (default 200)
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int rounds, woken;

static int64_t
cpu_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void
sleep_10ms(void)
{
	struct timespec ts = {0, 10000000};

	nanosleep(&ts, NULL);
}

static void *
sleeper(void *arg)
{
	int64_t *cost = arg, c0 = cpu_ns();

	pthread_mutex_lock(&mu);
	while (woken < rounds)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	*cost = cpu_ns() - c0;
	return NULL;
}

int
main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 200;
	struct itimerspec it = {{0, 10000000}, {0, 10000000}};
	struct epoll_event ev = {.events = EPOLLIN};
	int64_t c0, worker_cost = 0;
	pthread_t th;
	int tfd, ep;

	if (n <= 0 || n > 100000) {
		fprintf(stderr, "usage: wakeup [N: 1 to 100000]\n");
		return 2;
	}
	c0 = cpu_ns();
	for (long i = 0; i < n; i++)
		sleep_10ms();
	printf("nanosleep              %6.1f us per wake-up\n",
	    (double)(cpu_ns() - c0) / 1e3 / n);

	c0 = cpu_ns();
	pthread_mutex_lock(&mu);
	for (long i = 0; i < n; i++) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 10000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&cv, &mu, &ts);
	}
	pthread_mutex_unlock(&mu);
	printf("pthread_cond_timedwait %6.1f us per wake-up\n",
	    (double)(cpu_ns() - c0) / 1e3 / n);

	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (tfd < 0 || ep < 0 || timerfd_settime(tfd, 0, &it, NULL) < 0 ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev) < 0) {
		perror("timerfd/epoll");
		return 1;
	}
	c0 = cpu_ns();
	for (long i = 0; i < n; i++) {
		struct epoll_event e;
		uint64_t x;

		if (epoll_wait(ep, &e, 1, -1) == 1 &&
		    read(tfd, &x, sizeof(x)) < 0)
			perror("read");
	}
	printf("epoll_wait on timerfd  %6.1f us per wake-up\n",
	    (double)(cpu_ns() - c0) / 1e3 / n);
	close(ep);
	close(tfd);

	rounds = (int)n;
	if (pthread_create(&th, NULL, sleeper, &worker_cost) != 0) {
		perror("pthread_create");
		return 1;
	}
	c0 = cpu_ns();
	for (long i = 0; i < n; i++) {
		sleep_10ms();
		pthread_mutex_lock(&mu);
		woken++;
		pthread_cond_signal(&cv);
		pthread_mutex_unlock(&mu);
	}
	printf("sleep, wake a thread   %6.1f us per round (the waker)\n",
	    (double)(cpu_ns() - c0) / 1e3 / n);
	pthread_join(th, NULL);
	printf("  the woken thread     %6.1f us per wake-up\n",
	    (double)worker_cost / 1e3 / n);
	return 0;
}
