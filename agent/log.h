/* SPDX-License-Identifier: MIT */
/*
 * Logging to stderr (or syslog when daemonised by systemd, which captures
 * stderr anyway). "subsystem: object: what failed". A message repeating the
 * same format string is logged once, then at most once a minute with the
 * count of suppressed repeats; suppressions are counted for self-metrics.
 */
#ifndef CHOKEPOINT_LOG_H
#define CHOKEPOINT_LOG_H

#include <stdarg.h>
#include <stdint.h>

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
/* Adds ": strerror(errno)". */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Core of the above; errnum 0 means none. */
void log_vmsg(enum log_level lvl, int errnum, const char *prefix,
    const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));
/* Messages suppressed by rate limiting so far. */
uint64_t log_suppressed_total(void);
/* fatal(): only in main.c before the loop; prints and exits 2. */
void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#endif
