/* SPDX-License-Identifier: MIT */
/*
 * SIGBUS from a file mapping, turned into an error. librrd (Debian's 1.7.2,
 * built with mmap) writes RRD files through a shared writable mapping. When
 * the filesystem cannot back a page that is written (XFS and btrfs copy a
 * shared or copy-on-write block on first write and have no space for it, a
 * sparse file on a full tmpfs, an I/O error), the kernel answers the store
 * with SIGBUS, which would kill the whole agent. busguard_call() runs one
 * librrd call so that such a fault returns BUSGUARD_FAULT instead.
 */
#ifndef CHOKEPOINT_BUSGUARD_H
#define CHOKEPOINT_BUSGUARD_H

/* What busguard_call() returns when the call was cut short by SIGBUS. */
#define BUSGUARD_FAULT (-1000)

/*
 * Install the process's SIGBUS handler (again, if something replaced it).
 * A SIGBUS outside busguard_call() still ends the process with a core, as
 * without the handler. Returns 0 or -errno.
 */
int busguard_init(void);

/*
 * Run fn(arg) on this thread; returns what fn returned, or BUSGUARD_FAULT
 * if a SIGBUS cut it short. busguard_init() must have been called, and the
 * thread must not block SIGBUS (the kernel kills a process whose thread
 * faults with SIGBUS blocked, whatever the handler). What fn had allocated or
 * opened is then left as it was: busguard_release() frees the file's descriptor
 * and mapping. fn must not hold locks, nor be interrupted inside malloc, when
 * the fault can happen: a store into a mapping from librrd's own code is such a
 * place. Not reentrant on one thread.
 */
int busguard_call(int (*fn)(void *), void *arg);

/*
 * After BUSGUARD_FAULT: close this process's read-write descriptors of the
 * file at path and unmap its shared writable mappings (what the cut-short
 * librrd call left open). Only for files that no other thread holds open
 * for writing at the time (the RRD writer's files under its write lock).
 * Returns how many descriptors and mappings it released.
 */
int busguard_release(const char *path);

#endif
