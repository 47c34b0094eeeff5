// SPDX-License-Identifier: MIT
/*
 * Making a series' local RRD file: the create arguments from the store's
 * RRAs, one template per step and start (made by the helper process, or
 * librrd in here), and new files as copies of it under a temporary name
 * renamed into place, so a crash never leaves a half-written .rrd.
 * rrd_file.c decides when (ensure_file), and what no room means.
 */
/* rrd.h declares the file format (rrd_format.h) only with this. */
#define RRD_EXPORT_DEPRECATED 1
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "busguard.h"
#include "log.h"
#include "rrd_priv.h"
#include "util.h"
#include <rrd.h>

/* The create arguments for a series of step_s seconds (caller frees). */
char **
rrdfile_create_args(const struct store *st, int64_t step_s, int *argc)
{
	int64_t steps[16], rows[16];
	size_t n = 0, i, j;
	char **argv;
	int k = 0;

	for (i = 0; i < st->nrras && n < ARRAY_SIZE(steps); i++) {
		const struct store_rra *r = &st->rras[i];
		int64_t rs = r->step_ms ? (r->step_ms + 999) / 1000 : step_s;
		/*
		 * An RRA coarser than the series' step consolidates the nearest
		 * whole number of steps; one finer than it cannot hold more
		 * than full resolution, so it merges into the full-resolution
		 * RRA.
		 */
		int64_t s = (rs + step_s / 2) / step_s;
		int64_t rw;
		if (s < 1)
			s = 1;
		rw = (r->keep_ms / 1000 + s * step_s - 1) / (s * step_s);
		if (rw < 1)
			rw = 1;
		for (j = 0; j < n; j++)
			if (steps[j] == s)
				break;
		if (j < n) {
			if (rw > rows[j])
				rows[j] = rw;
			continue;
		}
		steps[n] = s;
		rows[n] = rw;
		n++;
	}
	argv = xcalloc(1 + 2 * n + 1, sizeof(*argv));
	/*
	 * Heartbeat 2 x step: one late or missed sample does not make the
	 * interval unknown, two do. At least step + 2 s for 1 s series.
	 */
	argv[k++] = xasprintf("DS:value:GAUGE:%lld:U:U",
	    (long long)(step_s * 2 > step_s + 2 ? step_s * 2 : step_s + 2));
	for (i = 0; i < n; i++) {
		argv[k++] = xasprintf("RRA:AVERAGE:%g:%lld:%lld", st->xff,
		    (long long)steps[i], (long long)rows[i]);
		argv[k++] = xasprintf("RRA:MAX:%g:%lld:%lld", st->xff,
		    (long long)steps[i], (long long)rows[i]);
	}
	*argc = k;
	return argv;
}

void
rrdfile_free_args(char **argv, int argc)
{
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
}

/* ------------------------------------------------------------ templates */

/*
 * librrd builds a whole new file in memory and writes it out: 3.3 MB and
 * ~8 ms of CPU for a 1 s series with 2 days at full resolution, for every
 * file. The files of one collection run share their step and start, so
 * librrd makes one template per (step, start) in DATA_DIR/rrd and new
 * files are copies of it (rrdfile_copy_template: a reflink, or written
 * with O_DIRECT from its head and one page of unknown rows), a small part
 * of the CPU and no buffer in our memory. With st->helper the template itself
 * is made by a short-lived process (rrd_template.c), so the image is never in
 * ours. Copies share the template's starting rows (librrd picks them at random
 * to spread writes); nothing else differs from a file librrd made.
 */
#define TMPL_PREFIX ".template-"

/* Through the helper process: 0, or -1 (it could not run or failed). */
static int
create_by_helper(struct store *st, const char *path, int64_t step_s,
    int64_t start_sec, int argc, char **args)
{
	char **argv = xcalloc((size_t)argc + 6, sizeof(*argv));
	char sstep[24], sstart[24];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	pid_t pid;
	int status, r, k = 0;

	snprintf(sstep, sizeof(sstep), "%lld", (long long)step_s);
	snprintf(sstart, sizeof(sstart), "%lld", (long long)start_sec);
	argv[k++] = st->helper;
	argv[k++] = "__rrd-create";
	argv[k++] = (char *)path;
	argv[k++] = sstep;
	argv[k++] = sstart;
	for (int i = 0; i < argc; i++)
		argv[k++] = args[i];
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setflags(
	    &at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	r = posix_spawn(&pid, st->helper, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	free(argv);
	if (r != 0) {
		log_warnx("rrd: cannot run %s to create %s: %s", st->helper,
		    path, strerror(r));
		return -1;
	}
	while ((r = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	if (r < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		log_warnx("rrd: %s __rrd-create %s failed (%s %d)", st->helper,
		    path, r >= 0 && WIFSIGNALED(status) ? "signal" : "exit",
		    r < 0                 ? -1
		    : WIFSIGNALED(status) ? WTERMSIG(status)
		                          : WEXITSTATUS(status));
		return -1;
	}
	return 0;
}

/* rrd_create_r writes through a mapping too (busguard.h). */
struct ccall {
	const char *path;
	int argc;
	const char **argv;
	unsigned long step;
	time_t start;
};

static int
lcall_create(void *arg)
{
	struct ccall *c = arg;

	return rrd_create_r(c->path, c->step, c->start, c->argc, c->argv);
}

/* librrd makes path: 0, -ENOSPC (the helper failed and the filesystem is
 * full), or -EIO (logged). */
static int
rrd_make(struct store *st, const char *path, int64_t step_s, int64_t start_sec)
{
	int argc = 0, rc = 0;
	char **argv = rrdfile_create_args(st, step_s, &argc);

	unlink(path); /* left over from a crash */
	if (st->helper &&
	    create_by_helper(st, path, step_s, start_sec, argc, argv) == 0)
		goto out;
	unlink(path);
	/* The helper ran out of room: so would librrd in here. */
	if (st->helper && rrdfile_space_short(st)) {
		rc = -ENOSPC;
		goto out;
	}
	rrd_clear_error();
	{
		struct ccall c = {path, argc, (const char **)argv,
		    (unsigned long)step_s, (time_t)start_sec};
		errno = 0;
		rc = busguard_call(lcall_create, &c);
	}
	if (rc != 0) {
		if (rc == BUSGUARD_FAULT)
			busguard_release(path);
		log_warnx("rrd: %s: create failed: %s", path,
		    rc == BUSGUARD_FAULT ? "SIGBUS writing its mapping"
		                         : store_rrd_error());
		unlink(path);
		rc = -EIO;
	}
out:
	rrdfile_free_args(argv, argc);
	return rc;
}

/* The template for (step, start), made if needed; NULL if it cannot be. */
static struct rrd_tmpl *
template_for(struct store *st, int64_t step_s, int64_t start_sec)
{
	struct rrd_tmpl *t = NULL,
	                made = {.step_s = step_s, .start_sec = start_sec};
	int rc;

	for (size_t i = 0; i < ARRAY_SIZE(st->tmpl); i++)
		if (st->tmpl[i].path && st->tmpl[i].step_s == step_s &&
		    st->tmpl[i].start_sec == start_sec)
			return &st->tmpl[i];
	/* Same directory, same filesystem: what FICLONE said holds. */
	for (size_t i = 0; i < ARRAY_SIZE(st->tmpl); i++)
		made.no_clone |= st->tmpl[i].path && st->tmpl[i].no_clone;
	made.path = xasprintf("%s/" TMPL_PREFIX "%lld-%lld", st->data_dir,
	    (long long)step_s, (long long)start_sec);
	if (rrd_make(st, made.path, step_s, start_sec) < 0) {
		free(made.path);
		return NULL;
	}
	if ((rc = rrdfile_template_scan(&made)) < 0) {
		errno = -rc;
		log_warn("rrd: %s: cannot read the template back", made.path);
		unlink(made.path);
		rrdfile_template_free(&made);
		return NULL;
	}
	/*
	 * Starts only move forward: the template of the same step is done
	 * with. Else a free slot, else the oldest start.
	 */
	for (size_t i = 0; i < ARRAY_SIZE(st->tmpl); i++) {
		struct rrd_tmpl *c = &st->tmpl[i];
		if (c->path && c->step_s == step_s) {
			t = c;
			break;
		}
		if (!t ||
		    (t->path && (!c->path || c->start_sec < t->start_sec)))
			t = c;
	}
	if (t->path) {
		unlink(t->path);
		rrdfile_template_free(t);
	}
	*t = made;
	return t;
}

void
rrdfile_template_free(struct rrd_tmpl *t)
{
	free(t->path);
	free(t->pages);
	free(t->warm);
	t->path = NULL;
	t->pages = NULL;
	t->warm = NULL;
	t->nwarm = 0;
}

void
rrdfile_templates_clear(struct store *st, int leftovers)
{
	DIR *d;
	struct dirent *e;

	for (size_t i = 0; i < ARRAY_SIZE(st->tmpl); i++) {
		if (st->tmpl[i].path) {
			unlink(st->tmpl[i].path);
			rrdfile_template_free(&st->tmpl[i]);
		}
	}
	if (!leftovers || (d = opendir(st->data_dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, TMPL_PREFIX, strlen(TMPL_PREFIX)) == 0)
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
}

#define PAGE 4096
#define ROUND_PAGE(n) (((n) + PAGE - 1) / PAGE * PAGE)

/* Read len bytes at off (restarting after EINTR): 0, or -errno (-EIO for
 * a file shorter than that). */
static int
pread_all(int fd, void *buf, size_t len, off_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(
		    fd, (char *)buf + done, len - done, off + (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		done += (size_t)n;
	}
	return 0;
}

int
rrdfile_head_parse(const unsigned char *buf, size_t len, int64_t size,
    struct rra_pos **rras, size_t *nrra, int64_t *head)
{
	stat_head_t sh;
	size_t off, ds, n, defs, ptrs;
	int64_t at;

	*rras = NULL;
	*nrra = 0;
	if (len < sizeof(sh))
		return -1;
	memcpy(&sh, buf, sizeof(sh));
	if (memcmp(sh.cookie, "RRD", 4) != 0 ||
	    (memcmp(sh.version, "0003", 5) != 0 &&
	        memcmp(sh.version, "0004", 5) != 0 &&
	        memcmp(sh.version, "0005", 5) != 0) ||
	    sh.float_cookie != 8.642135E130 || sh.ds_cnt < 1 ||
	    sh.ds_cnt > 64 || sh.rra_cnt < 1 || sh.rra_cnt > 256)
		return -1;
	ds = sh.ds_cnt;
	n = sh.rra_cnt;
	defs = sizeof(sh) + ds * sizeof(ds_def_t);
	ptrs = defs + n * sizeof(rra_def_t) + sizeof(live_head_t) +
	       ds * sizeof(pdp_prep_t) + n * ds * sizeof(cdp_prep_t);
	off = ptrs + n * sizeof(rra_ptr_t);
	if (off > len) {
		*head = (int64_t)off;
		return 1;
	}
	*rras = xcalloc(n, sizeof(**rras));
	at = (int64_t)off;
	for (size_t i = 0; i < n; i++) {
		rra_def_t rd;
		rra_ptr_t rp;

		memcpy(&rd, buf + defs + i * sizeof(rd), sizeof(rd));
		memcpy(&rp, buf + ptrs + i * sizeof(rp), sizeof(rp));
		if (rd.row_cnt < 1 || rd.row_cnt > (1ul << 40) ||
		    rp.cur_row >= rd.row_cnt || at > size)
			goto bad;
		(*rras)[i] = (struct rra_pos){at, (int64_t)rd.row_cnt,
		    (int64_t)rp.cur_row, (int64_t)(ds * sizeof(rrd_value_t))};
		at += (int64_t)rd.row_cnt * (*rras)[i].row_bytes;
	}
	if (at != size)
		goto bad;
	*nrra = n;
	*head = (int64_t)off;
	return 0;
bad:
	free(*rras);
	*rras = NULL;
	return -1;
}

/* Add the page of row r of archive p to t->warm. */
static void
warm_add(struct rrd_tmpl *t, const struct rra_pos *p, int64_t r)
{
	int64_t pg = (p->start + (r % p->rows) * p->row_bytes) / PAGE * PAGE;

	if (pg < ROUND_PAGE(t->head))
		return; /* written with the head */
	for (size_t i = 0; i < t->nwarm; i++)
		if (t->warm[i] == pg)
			return;
	t->warm = xrealloc(t->warm, (t->nwarm + 1) * sizeof(*t->warm));
	t->warm[t->nwarm++] = pg;
}

int
rrdfile_template_scan(struct rrd_tmpl *t)
{
	unsigned char *buf = NULL, fill[PAGE];
	struct rra_pos *rras = NULL;
	struct stat sb;
	size_t nrra = 0, hlen;
	int64_t head;
	int fd, rc = 0;

	t->pages = NULL;
	t->warm = NULL;
	t->nwarm = 0;
	if ((fd = open(t->path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	if (fstat(fd, &sb) < 0) {
		rc = -errno;
		goto out;
	}
	t->size = t->head = sb.st_size; /* unless known: copied whole */
	/* The header: under 4 kB but with many archives. */
	hlen = 2 * PAGE;
	for (int k = 0;; k++) {
		if ((int64_t)hlen > sb.st_size)
			hlen = (size_t)sb.st_size;
		buf = xrealloc(buf, hlen ? hlen : 1);
		if ((rc = pread_all(fd, buf, hlen, 0)) < 0)
			goto out;
		rc = rrdfile_head_parse(
		    buf, hlen, sb.st_size, &rras, &nrra, &head);
		if (rc == 0 && ROUND_PAGE(head) <= (int64_t)hlen)
			break;
		if (rc < 0 || k > 0 || head > 1 << 20) {
			rc = 0;
			goto out;
		}
		free(rras);
		rras = NULL;
		hlen = (size_t)ROUND_PAGE(head);
	}
	if (ROUND_PAGE(head) + PAGE > sb.st_size)
		goto out;
	/*
	 * librrd fills every row with its unknown value: read them all back
	 * to be sure (once a template, ~1 ms for 3 MB in the page cache).
	 */
	if ((rc = pread_all(fd, fill, 8, sb.st_size - 8)) < 0)
		goto out;
	for (size_t i = 8; i < PAGE; i += 8)
		memcpy(fill + i, fill, 8);
	for (int64_t off = head; off < sb.st_size;) {
		unsigned char chunk[4 * PAGE];
		size_t n = sizeof(chunk);

		if ((int64_t)n > sb.st_size - off)
			n = (size_t)(sb.st_size - off);
		if ((rc = pread_all(fd, chunk, n, off)) < 0)
			goto out;
		for (size_t i = 0; i < n; i += PAGE)
			if (memcmp(chunk + i, fill,
			        n - i < PAGE ? n - i : PAGE) != 0)
				goto out; /* not what librrd makes */
		off += (int64_t)n;
	}
	t->head = head;
	if ((rc = posix_memalign((void **)&t->pages, PAGE,
	         (size_t)ROUND_PAGE(head) + PAGE)) != 0) {
		t->pages = NULL;
		rc = -rc;
		goto out;
	}
	memcpy(t->pages, buf, (size_t)ROUND_PAGE(head));
	memcpy(t->pages + ROUND_PAGE(head), fill, PAGE);
	/* Each archive's next row (a page holds 512 rows of one value). */
	for (size_t i = 0; i < nrra; i++)
		warm_add(t, &rras[i], rras[i].cur + 1);
out:
	free(rras);
	free(buf);
	close(fd);
	return rc;
}

/* Write the iovecs' len bytes at off, restarting after EINTR and short
 * writes (which O_DIRECT keeps page-aligned): 0 or -errno. */
static int
pwritev_all(int fd, struct iovec *iov, int cnt, size_t len, off_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t w = pwritev(fd, iov, cnt, off + (off_t)done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		done += (size_t)w;
		/* Drop what is written from the front of iov. */
		while (cnt > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/*
 * Write the template t into out: its head through the page cache; its
 * unknown rows with O_DIRECT from its one page of them, 4 MB a call (the
 * bytes go from that page to the disk, with no page cache copy of the
 * file); then, through the page cache again, the pages librrd writes
 * first (its mapping finds them there instead of reading each back from
 * the disk: a read, an interrupt and a wait a page) and the last part of
 * a page. 0, -EINVAL if the filesystem takes no O_DIRECT, or -errno.
 */
static int
write_direct(const struct rrd_tmpl *t, int out)
{
	enum { PER_CALL = 1024 };
	struct iovec iov[PER_CALL];
	off_t off = (off_t)ROUND_PAGE(t->head), end = t->size / PAGE * PAGE;
	unsigned char *fill = t->pages + off;
	int fl, rc;

	iov[0] = (struct iovec){t->pages, (size_t)off};
	if ((rc = pwritev_all(out, iov, 1, (size_t)off, 0)) < 0)
		return rc;
	if ((fl = fcntl(out, F_GETFL)) < 0 ||
	    fcntl(out, F_SETFL, fl | O_DIRECT) < 0)
		return errno == EINVAL ? -EINVAL : -errno;
	while (off < end && rc == 0) {
		size_t n = (size_t)(end - off) / PAGE;

		if (n > PER_CALL)
			n = PER_CALL;
		for (size_t i = 0; i < n; i++)
			iov[i] = (struct iovec){fill, PAGE};
		rc = pwritev_all(out, iov, (int)n, n * PAGE, off);
		off += (off_t)(n * PAGE);
	}
	if (fcntl(out, F_SETFL, fl) < 0 && rc == 0)
		rc = -errno;
	for (size_t i = 0; rc == 0 && i <= t->nwarm; i++) {
		off_t at = i < t->nwarm ? t->warm[i] : end;
		size_t len =
		    t->size - at < PAGE ? (size_t)(t->size - at) : PAGE;

		iov[0] = (struct iovec){fill, len};
		if (len > 0)
			rc = pwritev_all(out, iov, 1, len, at);
	}
	return rc;
}

/* Copy in to out through the page cache: copy_file_range(2), or reads
 * and writes where it cannot. 0 or -errno. */
static int
copy_range(int in, int out)
{
	char buf[16384];
	off_t off = 0;
	ssize_t n;

	while ((n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0)) > 0)
		;
	if (n >= 0 || (errno != EXDEV && errno != ENOSYS && errno != EINVAL &&
	                  errno != EOPNOTSUPP))
		return n < 0 ? -errno : 0;
	/* A filesystem without it: plain reads and writes. */
	if (ftruncate(out, 0) < 0)
		return -errno;
	while ((n = pread(in, buf, sizeof(buf), off)) > 0) {
		struct iovec v = {buf, (size_t)n};
		int rc = pwritev_all(out, &v, 1, (size_t)n, off);

		if (rc < 0)
			return rc;
		off += n;
	}
	return n < 0 ? -errno : 0;
}

/*
 * Where the filesystem shares blocks between files (XFS, btrfs), the
 * copy is a reflink: no byte is copied until a row is written. Else
 * (ext4) the file is written with O_DIRECT from the template's head and
 * one page of its unknown rows: about 0.4 of the CPU of
 * copy_file_range(2), which copies the template's page cache into the
 * new file's page by page, and none of the file lands in the page cache
 * (bench/README.md, session 13). Else, or when the filesystem takes no
 * O_DIRECT (EINVAL), copy_range.
 */
int
rrdfile_copy_template(struct rrd_tmpl *t, const char *dst, int direct)
{
	int in = -1, out, rc = -EINVAL;

	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (out < 0 && errno == EEXIST && unlink(dst) == 0) /* crash leftover */
		out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (out < 0)
		return -errno;
	/* The template file is opened only to share or copy its blocks:
	 * O_DIRECT writes from its scan in memory. */
	if (!t->no_clone) {
		if ((in = open(t->path, O_RDONLY | O_CLOEXEC)) < 0)
			rc = -errno;
		else if (ioctl(out, FICLONE, in) == 0)
			rc = 0;
		else if (errno == EOPNOTSUPP || errno == ENOTTY ||
		         errno == EINVAL || errno == EXDEV)
			t->no_clone = 1; /* not on this filesystem: not again */
	}
	if (rc == -EINVAL && direct && t->pages)
		rc = write_direct(t, out);
	if (rc == -EINVAL) {
		if (in < 0 && (in = open(t->path, O_RDONLY | O_CLOEXEC)) < 0)
			rc = -errno;
		else if (ftruncate(out, 0) < 0)
			rc = -errno;
		else
			rc = copy_range(in, out);
	}
	if (close(out) < 0 && rc == 0)
		rc = -errno;
	if (in >= 0)
		close(in);
	if (rc < 0)
		unlink(dst);
	return rc;
}

/*
 * Create path via a temporary name in the same directory + rename(2): a
 * copy of the template for its step and start, or made by librrd directly
 * when there is no template.
 */
int
rrdfile_create_local(
    struct store *st, struct pfile *f, const char *path, int64_t start_sec)
{
	const char *slash = strrchr(path, '/');
	char *dir = xasprintf("%.*s", (int)(slash - path), path);
	char *tmp = xasprintf("%s/.%s.tmp", dir, slash + 1);
	struct rrd_tmpl *tmpl;
	int rc = 0;

	if ((rc = mkdir_p(dir)) < 0) {
		errno = -rc;
		if (!rrdfile_dir_error(rc) && !errno_denied(-rc))
			log_warn("rrd: %s: cannot create directory", dir);
		goto out;
	}
	/* A tmp left over from a crash during an earlier create is replaced
	 * (rrdfile_copy_template, rrd_make). */
	tmpl = template_for(st, f->step_s, start_sec);
	if (tmpl && (rc = rrdfile_copy_template(tmpl, tmp, 1)) == -ENOENT &&
	    access(tmpl->path, F_OK) < 0 && errno == ENOENT) {
		/* Deleted with the directory while we run: make it again
		 * rather than every file by itself. */
		rrdfile_template_free(tmpl);
		tmpl = template_for(st, f->step_s, start_sec);
		if (tmpl)
			rc = rrdfile_copy_template(tmpl, tmp, 1);
	}
	if (tmpl == NULL || rc < 0) {
		/* Out of space, or not ours to write in: no file can be made,
		 * by any means (rrd_file.c says so). */
		if (rrdfile_dir_error(rc) || errno_denied(-rc) ||
		    (tmpl == NULL && rrdfile_space_short(st))) {
			rc = rc < 0 ? rc : -ENOSPC;
			goto out;
		}
		if (tmpl) {
			errno = -rc;
			log_warn("rrd: %s: copy of %s", tmp, tmpl->path);
		}
		if ((rc = rrd_make(st, tmp, f->step_s, start_sec)) < 0) {
			if (rrdfile_space_short(st))
				rc = -ENOSPC;
			goto out;
		}
	}
	if (rename(tmp, path) < 0) {
		rc = -errno;
		if (!rrdfile_dir_error(rc) && !errno_denied(-rc))
			log_warn("rrd: %s: rename from %s", path, tmp);
		unlink(tmp);
		goto out;
	}
	pthread_mutex_lock(&st->mu);
	st->stats.files_created++;
	pthread_mutex_unlock(&st->mu);
out:
	free(dir);
	free(tmp);
	return rc;
}
