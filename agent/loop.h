/* SPDX-License-Identifier: MIT */
/*
 * The event loop: epoll over watched file descriptors (collector sockets,
 * timers, signals). fd callbacks run on the loop thread; loop_watch and
 * loop_unwatch may be called from any thread.
 */
#ifndef CHOKEPOINT_LOOP_H
#define CHOKEPOINT_LOOP_H

#include <stdint.h>

struct loop;

typedef void (*loop_cb)(int fd, unsigned events, void *arg);

#define LOOP_READ 0x1u  /* EPOLLIN */
#define LOOP_WRITE 0x4u /* EPOLLOUT */

struct loop *loop_new(void);
void loop_free(struct loop *l); /* takes NULL; closes no watched fd */
/* Watch fd (replacing an existing watch of it). 0 or -errno. */
int loop_watch(struct loop *l, int fd, unsigned events, loop_cb cb, void *arg);
void loop_unwatch(struct loop *l, int fd);
/* Run until loop_stop(); returns 0. */
int loop_run(struct loop *l);
/* Thread-safe. */
void loop_stop(struct loop *l);

/*
 * A timer firing every interval_ms, at wall-clock multiples of the interval
 * (10 s -> :00, :10, ...), driven by the kernel (timerfd, absolute
 * CLOCK_REALTIME) so it never drifts. cb gets the tick's wall-clock time
 * and how many ticks were missed since the last call. Returns the timer's
 * fd (>= 0) or -errno; loop_timer_del() removes and closes it.
 */
typedef void (*loop_timer_cb)(int64_t tick_ms, uint64_t missed, void *arg);
int loop_timer_add(
    struct loop *l, int64_t interval_ms, loop_timer_cb cb, void *arg);
void loop_timer_del(struct loop *l, int fd);
/* First aligned tick strictly after now_ms. */
int64_t loop_next_tick(int64_t now_ms, int64_t interval_ms);

#endif
