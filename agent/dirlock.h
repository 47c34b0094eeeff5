/* SPDX-License-Identifier: MIT */
/*
 * One agent per data directory: `chokepoint run` holds an exclusive
 * flock(2) on the directory itself from start to exit, so that a second
 * agent started on it (a manual run beside the service) is refused instead
 * of interleaving its values with the first one's in the same RRD files and
 * notifying the same alerts twice.
 */
#ifndef CHOKEPOINT_DIRLOCK_H
#define CHOKEPOINT_DIRLOCK_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Lock dir for this process: the descriptor that holds the lock (keep it
 * open; close-on-exec), or -1 with err set when another process holds it
 * (its pid named when /proc/locks tells) or dir cannot be opened. A
 * filesystem that cannot lock directories (NFS) returns -2 with err set:
 * run, without the check.
 */
int dirlock_take(const char *dir, char *err, size_t errlen);

/* The pid holding an flock on the file fd refers to, or 0 if none is
 * found in locks_path (normally /proc/locks). */
pid_t dirlock_holder(int fd, const char *locks_path);

/* One line of /proc/locks: the pid of an FLOCK on dev ("maj:min:inode",
 * as /proc/locks writes it), else 0. */
pid_t dirlock_line_pid(const char *line, const char *dev);

#endif
