// SPDX-License-Identifier: MIT
/*
 * Logging to stderr with a level, and rate limiting of repeats: a message
 * is keyed by its format string; after the first, the same key logs at most
 * once a minute, with how many were suppressed in between.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "util.h"

#define LOG_SLOTS 256
#define LOG_REPEAT_MS 60000

static enum log_level log_level = LOG_LVL_INFO;
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t log_suppressed;

static struct {
	const char *key;
	uint64_t hash;
	int64_t last_ms;
	uint64_t suppressed;
} slots[LOG_SLOTS];

void
log_set_level(enum log_level lvl)
{
	log_level = lvl;
}

enum log_level
log_get_level(void)
{
	return log_level;
}

uint64_t
log_suppressed_total(void)
{
	uint64_t n;

	pthread_mutex_lock(&log_mu);
	n = log_suppressed;
	pthread_mutex_unlock(&log_mu);
	return n;
}

/* Returns the number suppressed since the last print, or -1 to drop. */
static long long
rate_limit(const char *prefix, const char *fmt)
{
	uint64_t h = hash_bytes(fmt, strlen(fmt), 0);
	int64_t now = mono_ms();
	long long ret;

	if (prefix)
		h = hash_bytes(prefix, strlen(prefix), h);
	size_t i = h % LOG_SLOTS;

	if (slots[i].hash != h || slots[i].last_ms == 0) {
		slots[i].hash = h;
		slots[i].key = fmt;
		slots[i].last_ms = now;
		slots[i].suppressed = 0;
		return 0;
	}
	if (now - slots[i].last_ms < LOG_REPEAT_MS) {
		slots[i].suppressed++;
		log_suppressed++;
		return -1;
	}
	ret = (long long)slots[i].suppressed;
	slots[i].suppressed = 0;
	slots[i].last_ms = now;
	return ret;
}

void
log_vmsg(enum log_level lvl, int errnum, const char *prefix, const char *fmt,
    va_list ap)
{
	static const char *names[] = {"error", "warning", "info", "debug"};
	char msg[2048];
	size_t n = 0;
	long long rep = 0;
	struct timespec ts;
	struct tm tm;

	if (lvl > log_level)
		return;
	pthread_mutex_lock(&log_mu);
	if (lvl <= LOG_LVL_WARN)
		rep = rate_limit(prefix, fmt);
	if (rep < 0) {
		pthread_mutex_unlock(&log_mu);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n += strftime(msg, sizeof(msg), "%Y-%m-%dT%H:%M:%SZ ", &tm);
	n += (size_t)snprintf(msg + n, sizeof(msg) - n, "%s: %s%s", names[lvl],
	    prefix ? prefix : "", prefix ? ": " : "");
	if (n < sizeof(msg))
		n += (size_t)vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
	if (errnum && n < sizeof(msg))
		n += (size_t)snprintf(
		    msg + n, sizeof(msg) - n, ": %s", strerror(errnum));
	if (rep > 0 && n < sizeof(msg))
		n += (size_t)snprintf(msg + n, sizeof(msg) - n,
		    " (%lld similar messages suppressed)", rep);
	if (n >= sizeof(msg))
		n = sizeof(msg) - 1;
	fprintf(stderr, "%s\n", msg);
	pthread_mutex_unlock(&log_mu);
}

void
log_warn(const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LVL_WARN, e, NULL, fmt, ap);
	va_end(ap);
	errno = e;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LVL_WARN, 0, NULL, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LVL_INFO, 0, NULL, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LVL_DEBUG, 0, NULL, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	fputs("chokepoint: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}
