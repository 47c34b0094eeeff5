/* SPDX-License-Identifier: MIT */
/*
 * Reading procfs/sysfs text for the local collectors: a whole file into a
 * buffer reused across runs (no allocation once it has grown), then lines
 * and fields parsed in place. Parsers are strict: anything that is not what
 * the kernel writes is reported as garbage by the caller, never guessed at.
 */
#ifndef CP_COMMON_PROCFILE_H
#define CP_COMMON_PROCFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "plugin.h"

/* Files larger than this are truncated to it and reported as garbage. */
#define PF_MAX_SIZE (16u << 20)

#define PF_KEEP_MAX 4

struct pf_buf {
	char *s;
	size_t len;
	size_t cap;
	/*
	 * procfs and sysfs files read through this buffer stay open and are
	 * read again from offset 0 (the kernel regenerates them): no open,
	 * close or stdio buffer per run. Regular files (test fixtures) are
	 * opened each time, so replacing one is seen.
	 */
	struct {
		char *path;
		int fd;
	} keep[PF_KEEP_MAX];
	size_t nkeep;
};

/* Frees the buffer and closes the files it kept open. */
void pf_buf_fini(struct pf_buf *b);

/*
 * Read ROOT/rel whole into b (NUL-terminated; b->len bytes; NUL bytes in
 * the file become 0x7f, which no parser accepts). Returns 0, or
 * -EFBIG when the file exceeds PF_MAX_SIZE, or -errno from opening/reading.
 */
int pf_read(
    struct cp_ctx *ctx, enum cp_root root, const char *rel, struct pf_buf *b);

/*
 * Read at most size-1 bytes of path with open/read into buf (no stdio, no
 * allocation: for the per-process files read every run) and NUL-terminate.
 * A short read is taken as the end of the file (true of procfs's
 * single-record files). Returns the length, or -errno.
 */
ssize_t pf_read_small(const char *path, char *buf, size_t size);

/* Line iterator over a buffer; lines are NUL-terminated in place. */
struct pf_lines {
	char *p;
	char *end;
	int lineno; /* of the line last returned, 1-based */
};

void pf_lines_init(struct pf_lines *it, struct pf_buf *b);
/* The next line without its '\n', or NULL at the end. */
char *pf_next_line(struct pf_lines *it);

/*
 * Field parsers: skip blanks (space, tab), parse, advance *p past what was
 * read. Return 0, or -EINVAL (nothing of the right form there, or overflow)
 * leaving *p untouched.
 */
int pf_u64(char **p, uint64_t *out);
/* A non-negative decimal such as "0.81" or "12": no sign, exponent, inf. */
int pf_decimal(char **p, double *out);
/* The next blank-separated word: *word points into the line, *len set. */
int pf_word(char **p, char **word, size_t *len);
/* Nonzero when only blanks remain. */
int pf_at_end(const char *p);

/* "key" followed by a blank, or ':' then blank, at the start of line;
 * *rest is set after it. */
int pf_key(char *line, const char *key, char **rest);

#endif
