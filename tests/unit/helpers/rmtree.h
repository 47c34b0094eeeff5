/* SPDX-License-Identifier: MIT */
/*
 * Remove a test's scratch directory. Best effort and complete: a file that
 * cannot be removed (still being written by a process the test started, a
 * mode the test changed) does not stop the walk, and a second pass takes
 * what appeared during the first, so /tmp keeps nothing of a test.
 */
#ifndef CP_TEST_RMTREE_H
#define CP_TEST_RMTREE_H

#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>

static inline int
tu_rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if (flag == FTW_DNR)
		chmod(p, 0700);
	(void)remove(p);
	return 0;
}

static inline void
tu_rm_tree(const char *dir)
{
	for (int pass = 0; pass < 2; pass++)
		nftw(dir, tu_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
