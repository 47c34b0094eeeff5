// SPDX-License-Identifier: MIT
/*
 * New RRD files as copies of a template librrd made (agent/rrd_create.c):
 * the header read back, the unknown rows written with O_DIRECT from one
 * page, the pages librrd writes first through the page cache, and files
 * the copy does not know copied whole, against real librrd files in a
 * temporary directory.
 */
#include <fcntl.h>
#include <linux/magic.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cmocka.h>

#include <rrd.h>

#include "helpers/rrd_fixture.h"
#include "rrd_priv.h"
#include "util.h"

/* Whether files a and b hold the same bytes. */
static int
same_bytes(const char *a, const char *b)
{
	FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
	int ca = 0, cb = 0, same = fa && fb;

	while (same && (ca != EOF || cb != EOF)) {
		ca = getc(fa);
		cb = getc(fb);
		same = ca == cb;
	}
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	return same;
}

/* Whether the copy of t writes its page at off through the page cache:
 * the head's pages, those in t->warm, the last part of a page. */
static int
through_cache(const struct rrd_tmpl *t, int64_t off)
{
	int known = off < t->head || off >= t->size / 4096 * 4096;

	for (size_t k = 0; k < t->nwarm; k++)
		known |= t->warm[k] == off;
	return known;
}

/*
 * Pages of path in the page cache (mincore), or -1; with t, only those
 * its copy does not write through the page cache.
 */
static long
cached_pages(const char *path, const struct rrd_tmpl *t)
{
	struct stat sb;
	unsigned char *vec;
	void *m;
	long n = 0, pages;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &sb) < 0 || sb.st_size == 0)
		return -1;
	pages = (sb.st_size + 4095) / 4096;
	m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return -1;
	vec = calloc((size_t)pages, 1);
	if (mincore(m, (size_t)sb.st_size, vec) == 0) {
		for (long i = 0; i < pages; i++)
			n += (vec[i] & 1) && !(t && through_cache(t, i * 4096));
	} else {
		n = -1;
	}
	free(vec);
	munmap(m, (size_t)sb.st_size);
	return n;
}

/* Drop path's clean pages from the page cache. */
static void
drop_cache(const char *path)
{
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fdatasync(fd), 0);
	assert_int_equal(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
	close(fd);
}

/* Scan the template at path and copy it to path.copy (direct or not): the
 * copy's result; t keeps the scan (caller frees its pages). */
static int
scan_and_copy(
    struct rrd_tmpl *t, const char *path, char *copy, size_t len, int direct)
{
	*t = (struct rrd_tmpl){.path = (char *)path};
	assert_int_equal(rrdfile_template_scan(t), 0);
	snprintf(copy, len, "%s.copy", path);
	return rrdfile_copy_template(t, copy, direct);
}

/* A 1 s librrd file with 2 days at full resolution, at fx->data/librrd. */
static void
make_template(struct fx *fx, char *path, size_t len)
{
	const char *args[] = {"DS:value:GAUGE:3:U:U",
	    "RRA:AVERAGE:0.5:1:172800", "RRA:MAX:0.5:1:172800",
	    "RRA:AVERAGE:0.5:60:20160", "RRA:MAX:0.5:60:20160"};

	assert_int_equal(mkdir_p(fx->data), 0);
	snprintf(path, len, "%s/librrd", fx->data);
	assert_int_equal(rrd_create_r(path, 1, T0, 5, args), 0);
}

/*
 * A copy of a template is the template byte for byte, though only its
 * head is read and its unknown rows are written from one page: with
 * O_DIRECT and through the page cache, again over a copy left by a
 * crash. On ext4 the O_DIRECT copy leaves only its head, the pages of
 * the next rows and its last part-page in the page cache, and librrd's
 * first update writes no other page.
 */
static void
template_copies_are_the_template(void **state)
{
	char path[600], copy[700], upd[64];
	const char *uargv[1] = {upd};
	struct rrd_tmpl t;
	struct statfs fs;
	struct stat sb;

	make_template(*state, path, sizeof(path));
	for (int direct = 1; direct >= 0; direct--) {
		assert_int_equal(
		    scan_and_copy(&t, path, copy, sizeof(copy), direct), 0);
		assert_int_equal(stat(path, &sb), 0);
		assert_int_equal(t.size, sb.st_size);
		assert_true(t.size > (172800 * 2) * 8);
		assert_true(t.head > 0 && t.head < 4096);
		assert_non_null(t.pages);
		/* Each archive's next row. */
		assert_true(t.nwarm >= 1 && t.nwarm <= 4);
		assert_true(same_bytes(path, copy));
		assert_int_equal(stat(copy, &sb), 0);
		assert_int_equal(sb.st_size, t.size);
		/* Over the copy, as after a crash between copy and rename. */
		assert_int_equal(rrdfile_copy_template(&t, copy, direct), 0);
		assert_true(same_bytes(path, copy));
		if (direct && statfs(copy, &fs) == 0 &&
		    fs.f_type == EXT4_SUPER_MAGIC) {
			drop_cache(path);
			assert_int_equal(unlink(copy), 0);
			assert_int_equal(rrdfile_copy_template(&t, copy, 1), 0);
			assert_int_equal(cached_pages(copy, &t), 0);
			/* Every page it leaves cached is one librrd
			 * writes next (below, no other is read). */
			{
				long want = 0;
				for (int64_t o = 0; o < t.size; o += 4096)
					want += through_cache(&t, o);
				assert_int_equal(
				    cached_pages(copy, NULL), want);
			}
			snprintf(
			    upd, sizeof(upd), "%lld:42", (long long)(T0 + 1));
			assert_int_equal(rrd_update_r(copy, NULL, 1, uargv), 0);
			assert_int_equal(cached_pages(copy, &t), 0);
		} else if (direct) {
			print_message("not ext4: page cache not looked at\n");
		}
		rrdfile_template_free(
		    &(struct rrd_tmpl){.pages = t.pages, .warm = t.warm});
	}
}

/* Three values a row (DCOUNTER: format version 5) and 40 archives: a header of
 * four pages, read in two goes. */
static void
template_with_a_long_header(void **state)
{
	struct fx *fx = *state;
	struct rrd_tmpl t;
	char copy[700];

	assert_int_equal(mkdir_p(fx->data), 0);
	{
		const char *many[43] = {"DS:a:GAUGE:3:U:U",
		    "DS:b:COUNTER:3:U:U", "DS:c:DCOUNTER:3:0:U"};
		char *defs[40];
		char big[600];

		for (int i = 0; i < 40; i++) {
			defs[i] = xasprintf("RRA:%s:0.5:%d:%d",
			    i % 2 ? "MAX" : "AVERAGE", i / 2 + 1, 1000 + i);
			many[3 + i] = defs[i];
		}
		snprintf(big, sizeof(big), "%s/many", fx->data);
		assert_int_equal(rrd_create_r(big, 1, T0, 43, many), 0);
		for (int i = 0; i < 40; i++)
			free(defs[i]);
		assert_int_equal(
		    scan_and_copy(&t, big, copy, sizeof(copy), 1), 0);
		assert_true(t.head > 3 * 4096 && t.head < 4 * 4096);
		assert_non_null(t.pages);
		assert_true(same_bytes(big, copy));
		rrdfile_template_free(
		    &(struct rrd_tmpl){.pages = t.pages, .warm = t.warm});
	}
}

/* Files that are not what librrd makes are copied whole: one with a row
 * that is not the unknown value, one that is not an RRD file. */
static void
unknown_templates_copied_whole(void **state)
{
	struct fx *fx = *state;
	char path[600], copy[700];
	struct rrd_tmpl t;
	struct stat sb;
	FILE *fp;
	int fd;

	make_template(fx, path, sizeof(path));
	assert_int_equal(stat(path, &sb), 0);
	t.size = sb.st_size;
	/* One row that is not the unknown value. */
	assert_true((fd = open(path, O_WRONLY)) >= 0);
	assert_int_equal(pwrite(fd, "not fill", 8, t.size - 4096 * 10), 8);
	close(fd);
	assert_int_equal(scan_and_copy(&t, path, copy, sizeof(copy), 1), 0);
	assert_int_equal(t.head, t.size);
	assert_null(t.pages);
	assert_true(same_bytes(path, copy));

	/* Not an RRD file. */
	snprintf(path, sizeof(path), "%s/words", fx->data);
	assert_non_null(fp = fopen(path, "wb"));
	for (int i = 0; i < 3000; i++)
		fputs("not an RRD file ", fp);
	fclose(fp);
	assert_int_equal(scan_and_copy(&t, path, copy, sizeof(copy), 1), 0);
	assert_int_equal(t.head, t.size);
	assert_null(t.pages);
	assert_true(same_bytes(path, copy));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        template_copies_are_the_template, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        template_with_a_long_header, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        unknown_templates_copied_whole, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
