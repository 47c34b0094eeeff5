// SPDX-License-Identifier: MIT
/*
 * sysfs attribute reading for the hardware collectors and the firmware
 * inventory: bounded reads, strict number parsing (a garbage counter must
 * never become a huge rate), natural-order directory listings and symlink
 * resolution confined to the configured root.
 */
#include "firmware/hwsys.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
hw_parse_u64(const char *s, int base, uint64_t *out)
{
	uint64_t v = 0;
	int digits = 0;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	if (*s == '\0')
		return -ENODATA;
	if (base == 0) {
		base = 10;
		if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
			base = 16;
			s += 2;
		}
	}
	for (; *s; s++) {
		int d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && isxdigit((unsigned char)*s))
			d = tolower((unsigned char)*s) - 'a' + 10;
		else
			break;
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return -ERANGE;
		v = v * (uint64_t)base + (uint64_t)d;
		digits++;
	}
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	if (*s != '\0' || digits == 0)
		return -EINVAL;
	*out = v;
	return 0;
}

int
hw_read_str(const char *path, char *buf, size_t size)
{
	char tmp[HW_ATTR_MAX];
	ssize_t n;
	size_t len;
	int fd, err;

	if (size == 0)
		return -EINVAL;
	buf[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	do
		n = read(fd, tmp, sizeof(tmp) - 1);
	while (n < 0 && errno == EINTR);
	err = errno;
	close(fd);
	if (n < 0)
		return -err;
	len = (size_t)n;
	while (len > 0 && isspace((unsigned char)tmp[len - 1]))
		len--;
	if (len >= size)
		len = size - 1;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)tmp[i];

		buf[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	buf[len] = '\0';
	return 0;
}

int
hw_read_u64(const char *path, int base, uint64_t *out)
{
	char buf[128];
	int r;

	r = hw_read_str(path, buf, sizeof(buf));
	if (r < 0)
		return r;
	return hw_parse_u64(buf, base, out);
}

int
hw_path(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strverscmp(*(char *const *)a, *(char *const *)b);
}

int
hw_list(const char *dir, const char *prefix, char ***names)
{
	DIR *d;
	struct dirent *de;
	char **v = NULL;
	size_t n = 0, cap = 0, plen = prefix ? strlen(prefix) : 0;

	*names = NULL;
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (plen && strncmp(de->d_name, prefix, plen) != 0)
			continue;
		/* A runaway directory must not eat the agent's memory. */
		if (n >= 65536)
			break;
		if (n == cap) {
			char **nv;

			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv)
				abort();
			v = nv;
		}
		v[n] = strdup(de->d_name);
		if (!v[n])
			abort();
		n++;
	}
	closedir(d);
	if (n > 1)
		qsort(v, n, sizeof(*v), name_cmp);
	*names = v;
	return (int)n;
}

void
hw_names_free(char **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int
hw_link_rel(const char *root, const char *path, char *buf, size_t size)
{
	char rroot[PATH_MAX], rpath[PATH_MAX];
	size_t rl;
	const char *rest;

	if (!realpath(root, rroot) || !realpath(path, rpath))
		return -errno;
	rl = strlen(rroot);
	if (strcmp(rroot, "/") == 0)
		rl = 0;
	if (strncmp(rpath, rroot, rl) != 0 || (rpath[rl] != '/' && rpath[rl]))
		return -EXDEV;
	rest = rpath + rl;
	while (*rest == '/')
		rest++;
	if (strlen(rest) >= size)
		return -ENAMETOOLONG;
	memcpy(buf, rest, strlen(rest) + 1);
	return 0;
}

int
hw_link_base(const char *path, char *buf, size_t size)
{
	char t[PATH_MAX];
	ssize_t n;
	const char *b;

	n = readlink(path, t, sizeof(t) - 1);
	if (n < 0)
		return -errno;
	t[n] = '\0';
	b = strrchr(t, '/');
	b = b ? b + 1 : t;
	if (strlen(b) >= size)
		return -ENAMETOOLONG;
	memcpy(buf, b, strlen(b) + 1);
	return 0;
}

int
hw_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

void
hw_vpd_serial(const char *dir, char *buf, size_t size)
{
	unsigned char raw[260];
	char path[4096];
	ssize_t n;
	size_t len, o = 0;
	int fd;

	if (size == 0)
		return;
	buf[0] = '\0';
	if (hw_path(path, sizeof(path), "%s/vpd_pg80", dir) < 0)
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, raw, sizeof(raw));
	close(fd);
	if (n < 4 || raw[1] != 0x80)
		return;
	len = ((size_t)raw[2] << 8) | raw[3];
	if (len > (size_t)n - 4)
		len = (size_t)n - 4;
	for (size_t i = 0; i < len && o + 1 < size; i++) {
		unsigned char c = raw[4 + i];

		if (c == ' ' && o == 0)
			continue;
		buf[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	while (o > 0 && buf[o - 1] == ' ')
		o--;
	buf[o] = '\0';
}
