// SPDX-License-Identifier: MIT
/*
 * Helpers shared by every agent module: allocation that aborts, clocks,
 * durations, path-safe names and a growable string buffer.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

void
err_set(struct cp_err *err, const char *file, int line, int col,
    const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	strlcpy_(err->file, file ? file : "", sizeof(err->file));
	err->line = line;
	err->col = col;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

const char *
err_format(const struct cp_err *err, char *buf, size_t size)
{
	if (err->file[0] && err->line > 0 && err->col > 0)
		snprintf(buf, size, "%s:%d:%d: %s", err->file, err->line,
		    err->col, err->msg);
	else if (err->file[0] && err->line > 0)
		snprintf(
		    buf, size, "%s:%d: %s", err->file, err->line, err->msg);
	else if (err->file[0])
		snprintf(buf, size, "%s: %s", err->file, err->msg);
	else
		snprintf(buf, size, "%s", err->msg);
	return buf;
}

static void
oom(void)
{
	static const char msg[] = "chokepoint: out of memory\n";

	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* nothing more we can do */
	}
	abort();
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		oom();
	return p;
}

char *
xstrdup(const char *s)
{
	char *p = strdup(s ? s : "");

	if (p == NULL)
		oom();
	return p;
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (p == NULL)
		oom();
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (r < 0)
		oom();
	return p;
}

int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t
mono_ms(void)
{
	return mono_ns() / 1000000;
}

int
duration_parse(const char *s, int64_t *ms)
{
	static const struct {
		const char *unit;
		int64_t mult;
	} units[] = {
	    {"ms", 1},
	    {"s", 1000},
	    {"m", 60 * 1000},
	    {"h", 3600 * 1000},
	    {"d", 86400 * 1000},
	    {"w", 7 * 86400 * 1000LL},
	    /* As Prometheus: 365 days, what RRA retentions are counted in. */
	    {"y", 365 * 86400 * 1000LL},
	    {"", 1000},
	};
	const char *p = s;
	int64_t v = 0;

	if (s == NULL || !isdigit((unsigned char)*p))
		return -EINVAL;
	while (isdigit((unsigned char)*p)) {
		if (v > INT64_MAX / 10 / 1000 / 86400 / 365)
			return -EINVAL;
		v = v * 10 + (*p++ - '0');
	}
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		if (strcmp(p, units[i].unit) == 0) {
			*ms = v * units[i].mult;
			return 0;
		}
	}
	return -EINVAL;
}

const char *
duration_format(int64_t ms, char *buf, size_t size)
{
	if (ms != 0 && ms % 3600000 == 0)
		snprintf(buf, size, "%lldh", (long long)(ms / 3600000));
	else if (ms != 0 && ms % 60000 == 0)
		snprintf(buf, size, "%lldm", (long long)(ms / 60000));
	else if (ms % 1000 == 0)
		snprintf(buf, size, "%llds", (long long)(ms / 1000));
	else
		snprintf(buf, size, "%lldms", (long long)ms);
	return buf;
}

const char *
name_sanitize(const char *s, char *out, size_t size)
{
	size_t n = 0, max = size - 1;

	if (max > 128)
		max = 128;
	for (; s && *s && n < max; s++) {
		unsigned char c = (unsigned char)*s;

		out[n++] = (isalnum(c) || c == '.' || c == '_' || c == '-')
		               ? (char)c
		               : '_';
	}
	out[n] = '\0';
	/* "", "." and ".." would name the directory itself or its parent. */
	if (n == 0 || strcmp(out, ".") == 0 || strcmp(out, "..") == 0) {
		for (size_t i = 0; i < n; i++)
			out[i] = '_';
		if (n == 0 && max > 0) {
			out[0] = '_';
			out[1] = '\0';
		}
	}
	return out;
}

size_t
strlcpy_(char *dst, const char *src, size_t size)
{
	size_t n = strlen(src);

	if (size > 0) {
		size_t c = n < size - 1 ? n : size - 1;

		memcpy(dst, src, c);
		dst[c] = '\0';
	}
	return n;
}

const char *
exe_dir(char *buf, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", buf, size - 1);
	char *slash;

	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	if (slash == NULL)
		return NULL;
	*slash = '\0';
	return buf;
}

int
helper_path(const char *name, char *buf, size_t size)
{
	static const char *const rel[] = {"", "/../lib/chokepoint"};
	char exe[PATH_MAX];

	if (exe_dir(exe, sizeof(exe))) {
		for (size_t i = 0; i < sizeof(rel) / sizeof(*rel); i++) {
			int w =
			    snprintf(buf, size, "%s%s/%s", exe, rel[i], name);
			if (w > 0 && (size_t)w < size && access(buf, X_OK) == 0)
				return 0;
		}
	}
	snprintf(buf, size, "%s/lib/chokepoint/%s", CP_PREFIX, name);
	return access(buf, X_OK) == 0 ? 0 : -1;
}

size_t
path_owner(const char *path, char *buf, size_t size)
{
	char dir[PATH_MAX];
	struct stat sb;
	size_t n = strlcpy_(dir, path, sizeof(dir));

	if (n >= sizeof(dir))
		n = sizeof(dir) - 1;
	while (stat(dir, &sb) < 0) {
		char *slash = strrchr(dir, '/');
		if (slash == NULL) {
			snprintf(buf, size, "the agent runs as uid %u",
			    (unsigned)geteuid());
			return strlen(path);
		}
		*slash = '\0';
		n = (size_t)(slash - dir);
	}
	snprintf(buf, size, "owner uid %u, mode %04o; the agent runs as uid %u",
	    (unsigned)sb.st_uid, (unsigned)(sb.st_mode & 07777),
	    (unsigned)geteuid());
	return n;
}

int
mkdir_p(const char *path)
{
	char buf[4096];
	size_t n = strlcpy_(buf, path, sizeof(buf));

	if (n >= sizeof(buf))
		return -ENAMETOOLONG;
	/* Usually the parent exists (the RRD store's next file in the same
	 * target): one call instead of one per component. */
	if (mkdir(buf, 0755) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return -errno;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

char *
file_read(const char *path, size_t max, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 4096, n = 0;
	char *buf;

	if (fd < 0)
		return NULL;
	buf = xmalloc(cap + 1);
	for (;;) {
		ssize_t r;

		if (n == cap) {
			if (cap >= max)
				break;
			cap = cap * 2 > max ? max : cap * 2;
			buf = xrealloc(buf, cap + 1);
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;

			free(buf);
			close(fd);
			errno = e;
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

void
sbuf_init(struct sbuf *b)
{
	b->s = NULL;
	b->len = b->cap = 0;
}

void
sbuf_fini(struct sbuf *b)
{
	free(b->s);
	sbuf_init(b);
}

void
sbuf_reserve(struct sbuf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;

	while (cap < b->len + extra + 1)
		cap *= 2;
	b->s = xrealloc(b->s, cap);
	b->cap = cap;
}

void
sbuf_add(struct sbuf *b, const char *s, size_t n)
{
	sbuf_reserve(b, n);
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void
sbuf_puts(struct sbuf *b, const char *s)
{
	sbuf_add(b, s, strlen(s));
}

void
sbuf_vprintf(struct sbuf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	sbuf_reserve(b, 64);
	n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	if (n >= 0 && (size_t)n >= b->cap - b->len) {
		sbuf_reserve(b, (size_t)n);
		n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap2);
	}
	va_end(ap2);
	if (n > 0)
		b->len += (size_t)n;
}

void
sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sbuf_vprintf(b, fmt, ap);
	va_end(ap);
}

char *
sbuf_steal(struct sbuf *b, size_t *len)
{
	char *s;

	sbuf_reserve(b, 0);
	s = b->s;
	if (len)
		*len = b->len;
	sbuf_init(b);
	return s;
}

uint64_t
hash_bytes(const void *p, size_t n, uint64_t seed)
{
	const unsigned char *c = p;
	uint64_t h = 1469598103934665603ULL ^ seed;

	for (size_t i = 0; i < n; i++) {
		h ^= c[i];
		h *= 1099511628211ULL;
	}
	return h;
}
