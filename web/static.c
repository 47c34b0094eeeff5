// SPDX-License-Identifier: MIT
/*
 * The dashboard's static files (web/static): read once into memory on the
 * first request, each with its gzip form and an ETag. A request path is
 * only ever looked up in that table; it never reaches the filesystem.
 */
#include <dirent.h>
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "http.h"
#include "log.h"
#include "params.h"
#include "util.h"
#include "web.h"

#define MAX_FILES 256
#define MAX_FILE_SIZE (4u << 20)

struct sfile {
	char *path; /* relative, e.g. "js/app.js" */
	char *data, *gz;
	size_t len, gzlen;
	char etag[24];
	int64_t mtime_s;
	const char *ctype;
};

static struct sfile files[MAX_FILES];
static size_t nfiles;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static const char *root;

static const char *
ctype_of(const char *p)
{
	static const struct {
		const char *ext, *type;
	} t[] = {
	    {".html", "text/html; charset=utf-8"},
	    {".css", "text/css; charset=utf-8"},
	    {".js", "text/javascript; charset=utf-8"},
	    {".svg", "image/svg+xml"},
	    {".png", "image/png"},
	    {".ico", "image/x-icon"},
	    {".json", "application/json"},
	    {".txt", "text/plain; charset=utf-8"},
	};
	const char *dot = strrchr(p, '.');

	for (size_t i = 0; dot && i < ARRAY_SIZE(t); i++)
		if (strcmp(dot, t[i].ext) == 0)
			return t[i].type;
	return NULL; /* not served */
}

static void
load_dir(const char *dir, const char *rel, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL && nfiles < MAX_FILES) {
		char path[4096], r[512];
		struct stat st;
		struct sfile *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		snprintf(
		    r, sizeof(r), "%s%s%s", rel, *rel ? "/" : "", e->d_name);
		if (lstat(path, &st) < 0 || param_static_path(r) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (depth < 4)
				load_dir(path, r, depth + 1);
			continue;
		}
		if (!S_ISREG(st.st_mode) || ctype_of(r) == NULL ||
		    (size_t)st.st_size > MAX_FILE_SIZE)
			continue;
		f = &files[nfiles];
		f->data = file_read(path, MAX_FILE_SIZE, &f->len);
		if (f->data == NULL)
			continue;
		f->path = xstrdup(r);
		f->ctype = ctype_of(r);
		f->mtime_s = st.st_mtime;
		f->gz = http_gzip(f->data, f->len, &f->gzlen);
		snprintf(f->etag, sizeof(f->etag), "\"%016llx\"",
		    (unsigned long long)hash_bytes(f->data, f->len, 0));
		nfiles++;
	}
	closedir(d);
}

static void
load(void)
{
	if (root)
		load_dir(root, "", 0);
	log_info("http: %zu dashboard files from %s", nfiles,
	    root ? root : "(none)");
}

static int
h_static(struct http_req *r)
{
	const char *p = r->url + 1;
	const char *ae;
	struct http_body b = {0};

	if (root == NULL)
		root = r->deps->static_dir;
	pthread_once(&once, load);
	if (*p == '\0')
		p = "index.html";
	/* Not a dashboard file: an API path no route has. */
	if (strncmp(p, "api/", 4) == 0 || strcmp(p, "api") == 0) {
		struct sbuf msg;
		int rc;

		sbuf_init(&msg);
		sbuf_puts(&msg, "no such endpoint; the API has ");
		http_route_list("/api/", &msg);
		rc = http_error(r, MHD_HTTP_NOT_FOUND, "path", msg.s);
		sbuf_fini(&msg);
		return rc;
	}
	if (param_static_path(p) < 0)
		return http_error(r, MHD_HTTP_BAD_REQUEST, "path",
		    "path: letters, digits and ._- segments only");
	for (size_t i = 0; i < nfiles; i++) {
		const struct sfile *f = &files[i];

		if (strcmp(f->path, p) != 0)
			continue;
		ae = http_header(r, "Accept-Encoding");
		b.etag = f->etag;
		b.max_age = 60;
		b.mtime_s = f->mtime_s;
		if (f->gz && ae && strstr(ae, "gzip")) {
			b.data = f->gz;
			b.len = f->gzlen;
			b.encoding = "gzip";
		} else {
			b.data = f->data;
			b.len = f->len;
			b.compress = f->gz != NULL; /* for Vary */
			b.release = NULL;
		}
		/* Loaded for the process lifetime: no copy. */
		b.persistent = 1;
		return http_send(r, MHD_HTTP_OK, f->ctype, &b);
	}
	return http_error(r, MHD_HTTP_NOT_FOUND, "path", "no such file");
}

void
web_register(void)
{
	api_register();
	graph_register();
	if (!http_route_exists("/"))
		http_route_add("/", h_static);
}
