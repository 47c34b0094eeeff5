// SPDX-License-Identifier: MIT
/*
 * The data directory's lock (dirlock.h), taken by agent_run() before any
 * store opens. A lock on the directory needs no file in it, so it works on
 * a full or read-only disk too, and goes with the process however it ends.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "dirlock.h"

pid_t
dirlock_line_pid(const char *line, const char *dev)
{
	char type[16], at[64];
	long p;

	/* "1: FLOCK  ADVISORY  WRITE 1234 fe:00:247066 0 EOF" */
	if (sscanf(line, "%*[^:]: %15s %*s %*s %ld %63s", type, &p, at) == 3 &&
	    strcmp(type, "FLOCK") == 0 && strcmp(at, dev) == 0 && p > 0 &&
	    p <= INT32_MAX)
		return (pid_t)p;
	return 0;
}

pid_t
dirlock_holder(int fd, const char *locks_path)
{
	char line[256], want[64];
	struct stat sb;
	pid_t pid = 0;
	FILE *fp;

	if (fstat(fd, &sb) < 0 || (fp = fopen(locks_path, "re")) == NULL)
		return 0;
	snprintf(want, sizeof(want), "%02x:%02x:%llu", major(sb.st_dev),
	    minor(sb.st_dev), (unsigned long long)sb.st_ino);
	while (pid == 0 && fgets(line, sizeof(line), fp))
		pid = dirlock_line_pid(line, want);
	fclose(fp);
	return pid;
}

int
dirlock_take(const char *dir, char *err, size_t errlen)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	pid_t holder;

	if (fd < 0) {
		snprintf(
		    err, errlen, "data directory %s: %s", dir, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return fd;
	if (errno != EWOULDBLOCK) {
		snprintf(err, errlen,
		    "data directory %s cannot be locked (%s): not checking "
		    "for another agent on it",
		    dir, strerror(errno));
		close(fd);
		return -2;
	}
	holder = dirlock_holder(fd, "/proc/locks");
	if (holder > 0)
		snprintf(err, errlen,
		    "data directory %s is in use by another agent (pid %ld): "
		    "one agent per data directory",
		    dir, (long)holder);
	else
		snprintf(err, errlen,
		    "data directory %s is in use by another agent: one agent "
		    "per data directory",
		    dir);
	close(fd);
	return -1;
}
