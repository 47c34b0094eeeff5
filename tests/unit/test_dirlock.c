// SPDX-License-Identifier: MIT
/*
 * One agent per data directory (dirlock.h): a second taker is refused and
 * told the holder's pid, the lock goes with its descriptor, and the
 * holder is found in /proc/locks' format among other locks.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>

#include "dirlock.h"
#include "helpers/rmtree.h"

static void
second_taker_is_refused_until_the_first_lets_go(void **state)
{
	char dir[] = "/tmp/test_dirlock.XXXXXX", err[512], want[128];
	int a, b;

	(void)state;
	assert_non_null(mkdtemp(dir));
	a = dirlock_take(dir, err, sizeof(err));
	assert_true(a >= 0);
	assert_true(fcntl(a, F_GETFD) & FD_CLOEXEC);
	/* Another open file description, as another process would have. */
	assert_int_equal(dirlock_take(dir, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "is in use by another agent (pid %ld)",
	    (long)getpid());
	assert_non_null(strstr(err, want));
	assert_non_null(strstr(err, dir));
	close(a);
	b = dirlock_take(dir, err, sizeof(err));
	assert_true(b >= 0);
	close(b);
	tu_rm_tree(dir);
	assert_int_equal(dirlock_take(dir, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file or directory"));
}

static void
holder_found_among_other_locks(void **state)
{
	char dir[] = "/tmp/test_dirlock.XXXXXX", locks[600];
	struct stat sb;
	FILE *fp;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_true((fd = open(dir, O_RDONLY | O_DIRECTORY)) >= 0);
	assert_int_equal(fstat(fd, &sb), 0);
	snprintf(locks, sizeof(locks), "%s/locks", dir);
	assert_non_null(fp = fopen(locks, "w"));
	/* A POSIX lock on the same inode, an flock of another inode and one
	 * on another device, then ours; a line that is not a lock. */
	fprintf(fp, "1: POSIX  ADVISORY  WRITE 11 %02x:%02x:%llu 0 EOF\n",
	    major(sb.st_dev), minor(sb.st_dev), (unsigned long long)sb.st_ino);
	fprintf(fp, "2: FLOCK  ADVISORY  WRITE 22 %02x:%02x:%llu 0 EOF\n",
	    major(sb.st_dev), minor(sb.st_dev),
	    (unsigned long long)sb.st_ino + 1);
	fprintf(fp, "3: FLOCK  ADVISORY  WRITE 33 %02x:%02x:%llu 0 EOF\n",
	    major(sb.st_dev) + 1, minor(sb.st_dev),
	    (unsigned long long)sb.st_ino);
	fprintf(fp, "garbage\n");
	fflush(fp);
	assert_int_equal(dirlock_holder(fd, locks), 0);
	fprintf(fp, "4: FLOCK  ADVISORY  WRITE 4444 %02x:%02x:%llu 0 EOF\n",
	    major(sb.st_dev), minor(sb.st_dev), (unsigned long long)sb.st_ino);
	fclose(fp);
	assert_int_equal(dirlock_holder(fd, locks), 4444);
	assert_int_equal(dirlock_holder(fd, "/nonexistent/locks"), 0);
	close(fd);
	tu_rm_tree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(second_taker_is_refused_until_the_first_lets_go),
	    cmocka_unit_test(holder_found_among_other_locks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
