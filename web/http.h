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

struct sbuf;

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
	int role;         /* enum auth_role; AUTH_ADMIN when auth is off */
	const char *user; /* authenticated name or NULL */
	const char *body; /* POST/DELETE of rw routes: NUL-terminated */
	size_t body_len;
	/* The agent's config for this request (NULL without an agent): a
	 * SIGHUP does not free it before the handler returns. */
	const struct config *cfg;
};

/* Largest request body accepted (rw routes only). */
#define HTTP_BODY_MAX (64 * 1024)

/* The web: section beyond listen (webcfg.c). */
struct auth;
struct cp_cfg;
struct http_cfg {
	struct auth *auth; /* NULL: no authentication */
	char *tls_cert, *tls_key;
	char *redirect_host; /* plain-HTTP listener that redirects to HTTPS */
	int redirect_port;
	int64_t conn_limit, per_ip, timeout_ms, threads;
};
/* 0, or -1 after recording errors at the nodes. web may be NULL. */
int http_cfg_read(const struct cp_cfg *web, struct http_cfg *c);
void http_cfg_fini(struct http_cfg *c);

/* Response helpers: return an MHD_Result. body is copied. */
int http_reply(struct http_req *r, unsigned status, const char *ctype,
    const char *body, size_t len);
/* Takes ownership of body (free()d when sent). */
int http_reply_owned(struct http_req *r, unsigned status, const char *ctype,
    char *body, size_t len);
/* {"error": msg, "param": param} with status. */
int http_error(
    struct http_req *r, unsigned status, const char *param, const char *msg);
/* A query parameter or NULL. */
const char *http_arg(struct http_req *r, const char *name);
/* A request header or NULL. */
const char *http_header(struct http_req *r, const char *name);

/*
 * The general reply: data (len bytes) released by release(cls) when sent
 * (release NULL: copied). etag (quoted) answers If-None-Match with 304;
 * max_age >= 0 sets Cache-Control; mtime_s > 0 Last-Modified. encoding:
 * "gzip" when data already is; compress: gzip it when the client accepts.
 */
struct http_body {
	const char *data;
	size_t len;
	void (*release)(void *);
	void *cls;
	const char *etag;
	int max_age;
	int64_t mtime_s;
	const char *encoding;
	int compress;
	int persistent; /* data outlives the server: sent without a copy */
	const char *hname, *hvalue; /* one extra header, or NULL */
};
int http_send(struct http_req *r, unsigned status, const char *ctype,
    const struct http_body *b);
/*
 * Percent-decode s in place (path and query); a decoded NUL becomes DEL
 * (0x7f), which every validator refuses. Returns the new length.
 */
size_t http_unescape(char *s);
/* gzip data into a malloc()ed buffer; NULL when it does not pay. */
char *http_gzip(const char *data, size_t len, size_t *outlen);

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
/* Whether a route for exactly this path is registered. */
int http_route_exists(const char *path);
/* Appends the routes under prefix to out, comma-separated ("/x/" as
 * "/x/NAME"), for an error that names what is there. */
void http_route_list(const char *prefix, struct sbuf *out);

struct http;

/*
 * Listen on host:port (numeric address or name), with the options of the
 * config's web: section (deps->agent's config). Refuses a non-loopback
 * address without auth. NULL and a one-line reason in err (e.g. the port
 * is in use).
 */
struct http *http_start(const char *host, int port,
    const struct http_deps *deps, char *err, size_t errlen);
void http_stop(struct http *h); /* takes NULL */
/*
 * SIGHUP: put web.auth of cfg (users, tokens) in force for the next
 * requests. Refused (-1, logged) when it would drop authentication from a
 * server that listens beyond loopback. TLS, redirect and limits changes
 * are only logged: they need a restart.
 */
struct config;
int http_reload(struct http *h, const struct config *cfg);

#endif
