// SPDX-License-Identifier: MIT
/*
 * busguard: a store into a file mapping past the end of its file raises
 * SIGBUS exactly as a full filesystem does for librrd's writes, without
 * root or a special filesystem. Checked: the guarded call returns
 * BUSGUARD_FAULT (again and again), other results pass through, a fault
 * outside a guarded call still kills the process with SIGBUS, and
 * busguard_release() frees the read-write descriptor and mapping of the
 * file and nothing else.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "busguard.h"

struct fx {
	char path[64];
	int fd;
	char *map; /* two pages over a one-page file */
	long page;
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	fx->page = sysconf(_SC_PAGESIZE);
	snprintf(fx->path, sizeof(fx->path), "/tmp/test_busguard.XXXXXX");
	fx->fd = mkstemp(fx->path);
	assert_true(fx->fd >= 0);
	assert_int_equal(ftruncate(fx->fd, fx->page), 0);
	fx->map = mmap(NULL, (size_t)fx->page * 2, PROT_READ | PROT_WRITE,
	    MAP_SHARED, fx->fd, 0);
	assert_true(fx->map != MAP_FAILED);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	munmap(fx->map, (size_t)fx->page * 2);
	close(fx->fd);
	unlink(fx->path);
	free(fx);
	return 0;
}

static int
write_page(void *arg)
{
	volatile char *p = arg;

	p[0] = 'x';
	return 7;
}

static int
answer(void *arg)
{
	return *(int *)arg;
}

static void
results_pass_through(void **state)
{
	struct fx *fx = *state;
	int v = -5;

	/* cmocka installs its own SIGBUS handler around each test. */
	assert_int_equal(busguard_init(), 0);
	assert_int_equal(busguard_call(answer, &v), -5);
	/* The file's own page is fine. */
	assert_int_equal(busguard_call(write_page, fx->map), 7);
	assert_int_equal(fx->map[0], 'x');
}

static void
fault_returns_error_every_time(void **state)
{
	struct fx *fx = *state;
	int v = 3;

	assert_int_equal(busguard_init(), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(busguard_call(write_page, fx->map + fx->page),
		    BUSGUARD_FAULT);
	/* The handler stays and SIGBUS is not left blocked. */
	assert_int_equal(busguard_call(answer, &v), 3);
	{
		sigset_t cur;
		pthread_sigmask(SIG_BLOCK, NULL, &cur);
		assert_false(sigismember(&cur, SIGBUS));
	}
}

static void
unguarded_fault_still_kills(void **state)
{
	struct fx *fx = *state;
	int status = 0;
	pid_t pid;

	assert_int_equal(busguard_init(), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit none = {0, 0};
		setrlimit(RLIMIT_CORE, &none);
		fx->map[fx->page] = 'y';
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGBUS);
}

/* Whether /proc/self/maps has a mapping of path with these permissions. */
static int
mapped(const char *path, const char *perms)
{
	char line[512];
	int found = 0;
	FILE *fp = fopen("/proc/self/maps", "r");

	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp))
		if (strstr(line, path) && strstr(line, perms))
			found = 1;
	fclose(fp);
	return found;
}

static void
release_frees_only_the_writers(void **state)
{
	struct fx *fx = *state;
	int rw = open(fx->path, O_RDWR), ro = open(fx->path, O_RDONLY);
	char *rwmap, *romap;

	assert_true(rw >= 0 && ro >= 0);
	rwmap = mmap(
	    NULL, (size_t)fx->page, PROT_READ | PROT_WRITE, MAP_SHARED, rw, 0);
	romap = mmap(NULL, (size_t)fx->page, PROT_READ, MAP_SHARED, ro, 0);
	assert_true(rwmap != MAP_FAILED && romap != MAP_FAILED);
	/* Released: mkstemp's fd and rw (both O_RDWR), and the two shared
	 * writable mappings (the fixture's and rwmap). */
	assert_int_equal(busguard_release(fx->path), 4);
	assert_int_equal(fcntl(rw, F_GETFD), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(fcntl(fx->fd, F_GETFD), -1);
	assert_true(fcntl(ro, F_GETFD) >= 0);
	assert_false(mapped(fx->path, "rw-s"));
	assert_true(mapped(fx->path, "r--s"));
	assert_int_equal(busguard_release(fx->path), 0);
	assert_int_equal(busguard_release("/nonexistent/x"), 0);
	munmap(romap, (size_t)fx->page);
	close(ro);
	/* The fixture's teardown must not touch what is gone. */
	fx->fd = open(fx->path, O_RDWR);
	fx->map = mmap(NULL, (size_t)fx->page * 2, PROT_READ | PROT_WRITE,
	    MAP_SHARED, fx->fd, 0);
	assert_true(fx->map != MAP_FAILED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        results_pass_through, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        fault_returns_error_every_time, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        unguarded_fault_still_kills, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        release_frees_only_the_writers, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
