// SPDX-License-Identifier: MIT
/*
 * Whole-file reads into reused buffers and strict in-place field parsers for
 * procfs/sysfs text (see procfile.h).
 */
#include "procfile.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

void
pf_buf_fini(struct pf_buf *b)
{
	for (size_t i = 0; i < b->nkeep; i++) {
		close(b->keep[i].fd);
		free(b->keep[i].path);
	}
	b->nkeep = 0;
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

/* Grow to at least n bytes; collectors have no xmalloc, so abort like it. */
static void
pf_buf_grow(struct pf_buf *b, size_t n)
{
	char *s;

	if (n <= b->cap)
		return;
	s = realloc(b->s, n);
	if (s == NULL)
		abort();
	b->s = s;
	b->cap = n;
}

static void
pf_keep_drop(struct pf_buf *b, size_t i)
{
	close(b->keep[i].fd);
	free(b->keep[i].path);
	b->keep[i] = b->keep[--b->nkeep];
}

/* An open descriptor for path: a kept one, or a new one (*kept = 0 if it
 * is to be closed after the read). */
static int
pf_fd(struct pf_buf *b, const char *path, int *kept)
{
	struct statfs fs;
	int fd;

	for (size_t i = 0; i < b->nkeep; i++) {
		if (strcmp(b->keep[i].path, path) == 0) {
			*kept = 1;
			return b->keep[i].fd;
		}
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	*kept = 0;
	if (b->nkeep < PF_KEEP_MAX && fstatfs(fd, &fs) == 0 &&
	    (fs.f_type == PROC_SUPER_MAGIC || fs.f_type == SYSFS_MAGIC)) {
		char *p = strdup(path);

		if (p == NULL)
			abort();
		b->keep[b->nkeep].path = p;
		b->keep[b->nkeep].fd = fd;
		b->nkeep++;
		*kept = 1;
	}
	return fd;
}

int
pf_read(
    struct cp_ctx *ctx, enum cp_root root, const char *rel, struct pf_buf *b)
{
	char path[4096];
	ssize_t n;
	int rc = 0, fd, kept;

	b->len = 0;
	pf_buf_grow(b, 4096);
	b->s[0] = '\0';
	if (cp_path(ctx, root, rel, path, sizeof(path)) == NULL)
		return -ENAMETOOLONG;
	fd = pf_fd(b, path, &kept);
	if (fd < 0)
		return errno ? -errno : -ENOENT;
	/*
	 * procfs files report size 0, so read until EOF, doubling the buffer;
	 * it stays at its largest size so later runs do not allocate.
	 */
	for (;;) {
		if (b->len + 1 >= b->cap) {
			if (b->cap >= PF_MAX_SIZE) {
				rc = -EFBIG;
				break;
			}
			pf_buf_grow(b, b->cap * 2);
		}
		n = pread(
		    fd, b->s + b->len, b->cap - 1 - b->len, (off_t)b->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0)
				rc = errno ? -errno : -EIO;
			break;
		}
		b->len += (size_t)n;
	}
	b->s[b->len] = '\0';
	if (!kept) {
		close(fd);
	} else if (rc < 0 && rc != -EFBIG) {
		/* A device gone from sysfs, say: open afresh next time. */
		for (size_t i = 0; i < b->nkeep; i++)
			if (b->keep[i].fd == fd)
				pf_keep_drop(b, i);
	}
	/*
	 * These are text files: a NUL byte would end a line early and hide
	 * the rest from the parsers. Turn it into a byte no parser accepts, so
	 * the line is reported as garbage instead.
	 */
	for (size_t i = strlen(b->s); i < b->len; i += strlen(b->s + i))
		b->s[i] = '\x7f';
	return rc;
}

ssize_t
pf_read_small(const char *path, char *buf, size_t size)
{
	ssize_t n;
	size_t len = 0;
	int fd;

	if (size == 0)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/*
	 * The per-process files (stat, io, cmdline) produce their whole text
	 * in one read when the buffer is large enough, so a short read is the
	 * end: stopping there saves the read() that would return 0, which is
	 * a third of the syscalls of a process scan.
	 */
	while (len < size - 1) {
		size_t want = size - 1 - len;

		n = read(fd, buf + len, want);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			close(fd);
			return n;
		}
		len += (size_t)n;
		if ((size_t)n < want)
			break;
	}
	close(fd);
	buf[len] = '\0';
	return (ssize_t)len;
}

void
pf_lines_init(struct pf_lines *it, struct pf_buf *b)
{
	it->p = b->s;
	it->end = b->s + b->len;
	it->lineno = 0;
}

char *
pf_next_line(struct pf_lines *it)
{
	char *line, *nl;

	if (it->p == NULL || it->p >= it->end)
		return NULL;
	line = it->p;
	nl = memchr(line, '\n', (size_t)(it->end - line));
	if (nl != NULL) {
		*nl = '\0';
		it->p = nl + 1;
	} else {
		it->p = it->end;
	}
	it->lineno++;
	return line;
}

static char *
skip_blanks(char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

int
pf_u64(char **p, uint64_t *out)
{
	char *s = skip_blanks(*p);
	uint64_t v = 0;
	unsigned d;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	/* "12abc" is not a number followed by a word. */
	if (*s != '\0' && *s != ' ' && *s != '\t' && *s != '\n')
		return -EINVAL;
	*out = v;
	*p = s;
	return 0;
}

int
pf_decimal(char **p, double *out)
{
	char *s = skip_blanks(*p);
	double v = 0, scale = 1;
	int digits = 0;

	/* Our own parser: strtod() follows LC_NUMERIC and accepts "inf". */
	for (; *s >= '0' && *s <= '9'; s++, digits++)
		v = v * 10 + (*s - '0');
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++, digits++) {
			scale /= 10;
			v += (*s - '0') * scale;
		}
	}
	if (digits == 0 || digits > 30)
		return -EINVAL;
	if (*s != '\0' && *s != ' ' && *s != '\t' && *s != '\n')
		return -EINVAL;
	*out = v;
	*p = s;
	return 0;
}

int
pf_word(char **p, char **word, size_t *len)
{
	char *s = skip_blanks(*p), *e = s;

	while (*e != '\0' && *e != ' ' && *e != '\t' && *e != '\n')
		e++;
	if (e == s)
		return -EINVAL;
	*word = s;
	*len = (size_t)(e - s);
	*p = e;
	return 0;
}

int
pf_at_end(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	return *p == '\0';
}

int
pf_key(char *line, const char *key, char **rest)
{
	size_t n = strlen(key);

	if (strncmp(line, key, n) != 0)
		return 0;
	if (line[n] == ':')
		n++;
	if (line[n] != ' ' && line[n] != '\t')
		return 0;
	*rest = line + n;
	return 1;
}
