/* SPDX-License-Identifier: MIT */
/*
 * The HTTP server (libmicrohttpd, its own thread pool): a table of routes;
 * each handler reads the latest-value cache and the stores, never the
 * collectors. Binds 127.0.0.1:8080 by default.
 */
#ifndef CHOKEPOINT_HTTP_H
#define CHOKEPOINT_HTTP_H

#include <stddef.h>
#include <stdint.h>

struct cache;
struct store;
struct db;
struct config;
struct agent;
struct MHD_Connection;

/* What handlers may read. Borrowed; must outlive the server. */
struct http_deps {
	struct cache *cache;
	struct store *store;
	struct db *db;
	struct agent *agent;
	const char *static_dir; /* dashboard files; NULL: none */
	int64_t started_ms;
};

struct http_req {
	struct MHD_Connection *conn;
	const char *method;
	const char *url; /* path only */
	const struct http_deps *deps;
	const char *body; /* POST/DELETE of rw routes: NUL-terminated */
	size_t body_len;
};

/* Largest request body accepted (rw routes only). */
#define HTTP_BODY_MAX (64 * 1024)

/* Response helpers: return an MHD_Result. body is copied. */
int http_reply(struct http_req *r, unsigned status, const char *ctype,
    const char *body, size_t len);
/* Takes ownership of body (free()d when sent). */
int http_reply_owned(struct http_req *r, unsigned status, const char *ctype,
    char *body, size_t len);
/* {"error": msg, "param": param} with status. */
int http_error(struct http_req *r, unsigned status, const char *param,
    const char *msg);
/* A query parameter or NULL. */
const char *http_arg(struct http_req *r, const char *name);

typedef int (*http_handler)(struct http_req *r);

struct http_route {
	const char *path; /* exact, or a prefix when it ends in '/' */
	http_handler fn;
	int rw; /* also gets POST and DELETE (with the body) */
};

/* Routes of other modules (web/api.c...) register before http_start. */
void http_route_add(const char *path, http_handler fn);
/* Same, for a route that also takes POST and DELETE (r->method says
 * which); bodies over HTTP_BODY_MAX get 413 before the handler runs. */
void http_route_add_rw(const char *path, http_handler fn);

struct http;

/*
 * Listen on host:port (numeric address or name). NULL and a one-line reason
 * in err (e.g. the port is in use).
 */
struct http *http_start(const char *host, int port,
    const struct http_deps *deps, char *err, size_t errlen);
void http_stop(struct http *h); /* takes NULL */

#endif
