// SPDX-License-Identifier: MIT
/*
 * SIGBUS from a file mapping, turned into an error (see busguard.h): the
 * RRD writer (rrd_file.c) runs each librrd call that writes through a
 * mapping under busguard_call(), so a full filesystem means "values stay
 * queued" rather than a dead agent.
 *
 * This is the one signal handler that does more than set a flag: a SIGBUS
 * raised by a store into a mapping is synchronous, and returning from its
 * handler re-runs the faulting store, which faults again. The only ways on
 * are to die or to jump out of the call, so the handler jumps, and only
 * when the thread is inside busguard_call().
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "busguard.h"

/* Set while this thread is inside busguard_call(). */
static __thread sigjmp_buf *volatile guard_jmp;

static void
on_sigbus(int sig, siginfo_t *si, void *uctx)
{
	sigjmp_buf *j = guard_jmp;
	struct sigaction dfl;

	(void)si;
	(void)uctx;
	if (j) {
		guard_jmp = NULL;
		siglongjmp(*j, 1);
	}
	/*
	 * Not a guarded call: restore the default action and return, so
	 * the store faults again and the process dies with a core that
	 * points at it, as it would have without this handler.
	 */
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(sig, &dfl, NULL);
}

int
busguard_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sigemptyset(&sa.sa_mask);
	/* SA_NODEFER: the jump out leaves SIGBUS unblocked without saving
	 * and restoring the signal mask (a system call) on every call. */
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	return sigaction(SIGBUS, &sa, NULL) < 0 ? -errno : 0;
}

int
busguard_call(int (*fn)(void *), void *arg)
{
	sigjmp_buf jb;
	int rc;

	/* No signal mask saved: SA_NODEFER leaves it as it was. */
	if (sigsetjmp(jb, 0) != 0)
		return BUSGUARD_FAULT;
	guard_jmp = &jb;
	rc = fn(arg);
	guard_jmp = NULL;
	return rc;
}

static int
release_fds(const char *real)
{
	char lnk[64], target[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int n = 0;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);
		ssize_t len;
		int fl;

		if (*end || end == de->d_name || fd == dirfd(d))
			continue;
		snprintf(lnk, sizeof(lnk), "/proc/self/fd/%ld", fd);
		len = readlink(lnk, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		fl = fcntl((int)fd, F_GETFL);
		if (fl >= 0 && (fl & O_ACCMODE) == O_RDWR &&
		    strcmp(target, real) == 0 && close((int)fd) == 0)
			n++;
	}
	closedir(d);
	return n;
}

static int
release_maps(const char *real)
{
	struct range {
		unsigned long lo, hi;
	} r[16];
	char line[PATH_MAX + 128];
	size_t nr = 0, i;
	FILE *fp;
	int n = 0;

	if ((fp = fopen("/proc/self/maps", "re")) == NULL)
		return 0;
	/* "lo-hi perms offset dev inode   path" */
	while (nr < 16 && fgets(line, sizeof(line), fp)) {
		unsigned long lo, hi;
		char perms[8];
		int off = 0;
		char *p, *nl;

		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %n", &lo, &hi, perms,
		        &off) != 3 ||
		    off == 0)
			continue;
		p = line + off;
		if ((nl = strchr(p, '\n')) != NULL)
			*nl = '\0';
		if (perms[1] == 'w' && perms[3] == 's' &&
		    strcmp(p, real) == 0) {
			r[nr].lo = lo;
			r[nr].hi = hi;
			nr++;
		}
	}
	fclose(fp);
	for (i = 0; i < nr; i++)
		if (munmap((void *)(uintptr_t)r[i].lo, r[i].hi - r[i].lo) == 0)
			n++;
	return n;
}

int
busguard_release(const char *path)
{
	char real[PATH_MAX];

	if (!path || !realpath(path, real))
		return 0;
	return release_fds(real) + release_maps(real);
}
