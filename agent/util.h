/* SPDX-License-Identifier: MIT */
/*
 * Small helpers every agent module uses: allocation that aborts on failure,
 * clocks, durations, name sanitising and the error record parsers fill.
 */
#ifndef CHOKEPOINT_UTIL_H
#define CHOKEPOINT_UTIL_H

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* An error from a parser of outside input: where, and what was wrong. */
struct cp_err {
	char file[256];
	int line; /* 1-based; 0 when unknown */
	int col;  /* 1-based; 0 when unknown */
	char msg[512];
};

/* Fill err (any field may be NULL/0). */
void err_set(struct cp_err *err, const char *file, int line, int col,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* "FILE:LINE:COL: message" (omitting what is unknown) into buf. */
const char *err_format(const struct cp_err *err, char *buf, size_t size);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* asprintf that aborts on failure. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Wall-clock and monotonic time in milliseconds / nanoseconds. */
int64_t now_ms(void);
int64_t mono_ms(void);
int64_t mono_ns(void);

/*
 * Parse a duration such as "500ms", "10s", "5m", "1h", "1d", "2w", "1y" (an
 * integer and a unit; a bare number is seconds). Returns 0 and *ms, or -EINVAL.
 */
int duration_parse(const char *s, int64_t *ms);
/* Format ms as the shortest exact duration ("10s", "1500ms"). */
const char *duration_format(int64_t ms, char *buf, size_t size);

/*
 * Make s safe as one path component: keeps [A-Za-z0-9._-], maps everything
 * else to '_', never yields "", "." or "..", caps the length at 128 bytes.
 * Returns out.
 */
const char *name_sanitize(const char *s, char *out, size_t size);

/* strlcpy-like copy that always terminates; returns strlen(src). */
size_t strlcpy_(char *dst, const char *src, size_t size);

/* mkdir -p with mode 0755; returns 0 or -errno. */
int mkdir_p(const char *path);

/* Whether err (an errno) says this process may not: EACCES or EPERM. */
static inline int
errno_denied(int err)
{
	return err == EACCES || err == EPERM;
}

/*
 * Why we may not write path, for a message: "owner uid U, mode M; the
 * agent runs as uid V" of path, or of the deepest directory above it that
 * exists, in buf. Returns the length of that existing prefix of path
 * (strlen(path) when path exists; then buf says only the uid if nothing
 * does).
 */
size_t path_owner(const char *path, char *buf, size_t size);

/* The directory of the running binary (/proc/self/exe) in buf, or NULL. */
const char *exe_dir(char *buf, size_t size);

/*
 * The path of the helper program NAME (chokepoint-pcap, ...) in buf:
 * beside this binary (the build tree), in ../lib/chokepoint next to it (an
 * installed tree moved elsewhere), else in PREFIX/lib/chokepoint. Returns
 * 0 when that file is executable, else -1 with buf holding the installed
 * path, for the caller's error message.
 */
int helper_path(const char *name, char *buf, size_t size);

/* Read a whole small file (capped at max bytes) into a NUL-terminated heap
 * buffer; returns it (caller frees) or NULL with errno set. */
char *file_read(const char *path, size_t max, size_t *len);

/* Growable string buffer. */
struct sbuf {
	char *s;
	size_t len;
	size_t cap;
};
void sbuf_init(struct sbuf *b);
void sbuf_fini(struct sbuf *b);
void sbuf_reserve(struct sbuf *b, size_t extra);
void sbuf_add(struct sbuf *b, const char *s, size_t n);
void sbuf_puts(struct sbuf *b, const char *s);
void sbuf_printf(struct sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void sbuf_vprintf(struct sbuf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Takes ownership of the buffer away from b (b is reset). */
char *sbuf_steal(struct sbuf *b, size_t *len);

/* FNV-1a 64-bit hash. */
uint64_t hash_bytes(const void *p, size_t n, uint64_t seed);

#endif
