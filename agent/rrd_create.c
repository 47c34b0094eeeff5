// SPDX-License-Identifier: MIT
/*
 * Making a series' local RRD file: the create arguments from the store's
 * RRAs, one template per step and start (made by the helper process, or
 * librrd in here), and new files as copies of it under a temporary name
 * renamed into place, so a crash never leaves a half-written .rrd.
 * rrd_file.c decides when (ensure_file), and what no room means.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
 * files are copies of it: copy_file_range(2) copies page cache to page
 * cache in the kernel, about a fifth of the CPU and no buffer in our
 * memory. With st->helper the template itself is made by a short-lived
 * process (rrd_template.c), so the image is never in ours.
 * Copies share the template's starting rows (librrd picks them at random
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
static const char *
template_for(struct store *st, int64_t step_s, int64_t start_sec)
{
	struct rrd_tmpl *t = NULL;
	char *path;

	for (size_t i = 0; i < ARRAY_SIZE(st->tmpl); i++)
		if (st->tmpl[i].path && st->tmpl[i].step_s == step_s &&
		    st->tmpl[i].start_sec == start_sec)
			return st->tmpl[i].path;
	path = xasprintf("%s/" TMPL_PREFIX "%lld-%lld", st->data_dir,
	    (long long)step_s, (long long)start_sec);
	if (rrd_make(st, path, step_s, start_sec) < 0) {
		free(path);
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
		free(t->path);
	}
	t->step_s = step_s;
	t->start_sec = start_sec;
	t->path = path;
	return path;
}

/* Forget the template at path (it is gone); path is freed. */
static void
template_forget(struct store *st, const char *path)
{
	for (size_t i = 0; i < ARRAY_SIZE(st->tmpl); i++)
		if (st->tmpl[i].path && st->tmpl[i].path == path) {
			free(st->tmpl[i].path);
			st->tmpl[i].path = NULL;
		}
}

void
rrdfile_templates_clear(struct store *st, int leftovers)
{
	DIR *d;
	struct dirent *e;

	for (size_t i = 0; i < ARRAY_SIZE(st->tmpl); i++) {
		if (st->tmpl[i].path) {
			unlink(st->tmpl[i].path);
			free(st->tmpl[i].path);
			st->tmpl[i].path = NULL;
		}
	}
	if (!leftovers || (d = opendir(st->data_dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, TMPL_PREFIX, strlen(TMPL_PREFIX)) == 0)
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
}

static ssize_t
write_all(int fd, const char *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t w = write(fd, buf + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		done += (size_t)w;
	}
	return (ssize_t)done;
}

/* Copy src to a new file dst (O_EXCL; an old dst is removed first): 0 or
 * -errno. */
static int
copy_file(const char *src, const char *dst)
{
	int in, out, rc = 0;
	ssize_t n;

	if ((in = open(src, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (out < 0 && errno == EEXIST && unlink(dst) == 0) /* crash leftover */
		out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (out < 0) {
		rc = -errno;
		close(in);
		return rc;
	}
	while ((n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0)) > 0)
		;
	if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL ||
	                 errno == EOPNOTSUPP)) {
		/* A filesystem without it: plain reads and writes. */
		char buf[16384];
		ssize_t w = 0;

		if (lseek(in, 0, SEEK_SET) < 0 || ftruncate(out, 0) < 0 ||
		    lseek(out, 0, SEEK_SET) < 0)
			n = -1;
		else
			while ((n = read(in, buf, sizeof(buf))) > 0 &&
			       (w = write_all(out, buf, (size_t)n)) >= 0)
				;
		if (w < 0)
			n = -1;
	}
	if (n < 0)
		rc = -errno;
	if (close(out) < 0 && rc == 0)
		rc = -errno;
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
	const char *tmpl;
	int rc = 0;

	if ((rc = mkdir_p(dir)) < 0) {
		errno = -rc;
		if (!rrdfile_dir_error(rc) && !errno_denied(-rc))
			log_warn("rrd: %s: cannot create directory", dir);
		goto out;
	}
	/* A tmp left over from a crash during an earlier create is replaced
	 * (copy_file, rrd_make). */
	tmpl = template_for(st, f->step_s, start_sec);
	if (tmpl && (rc = copy_file(tmpl, tmp)) == -ENOENT &&
	    access(tmpl, F_OK) < 0 && errno == ENOENT) {
		/* Deleted with the directory while we run: make it again
		 * rather than every file by itself. */
		template_forget(st, tmpl);
		tmpl = template_for(st, f->step_s, start_sec);
		if (tmpl)
			rc = copy_file(tmpl, tmp);
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
			log_warn("rrd: %s: copy of %s", tmp, tmpl);
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
