// SPDX-License-Identifier: MIT
/*
 * libmicrohttpd server: accepts GET/HEAD (POST/DELETE with a capped body
 * on routes registered with http_route_add_rw, admin role when auth is on),
 * checks limits and authentication, then dispatches on the path through a route
 * table (exact paths first, then the longest prefix) and serves /healthz and
 * /metrics itself. /metrics is the cache's pre-rendered exposition, shared by
 * reference between concurrent requests (rendered at most once per change).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <zlib.h>

#include "agent.h"
#include "auth.h"
#include "cache.h"
#include "config.h"
#include "http.h"
#include "log.h"
#include "util.h"

#define MAX_ROUTES 64
#define MAX_PATH_LEN 1024
#define MAX_ARGS 32
#define GZIP_MIN 1024

struct http {
	struct MHD_Daemon *d;
	struct MHD_Daemon *redirect;
	struct http_deps deps;
	struct http_cfg cfg; /* cfg.auth moved to auth below */
	/*
	 * The users and tokens in force; SIGHUP swaps in a new table
	 * (http_reload). Old tables are kept until http_stop: a request may
	 * still hold its user name.
	 */
	_Atomic(struct auth *) auth;
	struct auth **retired;
	size_t nretired;
	int public;       /* listens beyond loopback: auth may not be dropped */
	char *cert, *key; /* PEM text kept for MHD's lifetime */
	int https_port;
};

static struct http_route routes[MAX_ROUTES];
static size_t nroutes;

void
http_route_add(const char *path, http_handler fn)
{
	if (nroutes < MAX_ROUTES) {
		routes[nroutes].path = path;
		routes[nroutes].rw = 0;
		routes[nroutes++].fn = fn;
	} else {
		log_warnx("http: route table full, %s not served", path);
	}
}

void
http_route_add_rw(const char *path, http_handler fn)
{
	if (nroutes < MAX_ROUTES) {
		routes[nroutes].path = path;
		routes[nroutes].rw = 1;
		routes[nroutes++].fn = fn;
	}
}

/* Per-connection request state: the body of a POST/DELETE. */
struct reqstate {
	struct sbuf body;
	int too_big;
};

static void
request_done(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct reqstate *rs = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (rs && rs != (void *)1) {
		sbuf_fini(&rs->body);
		free(rs);
	}
	*con_cls = NULL;
}

/* Whether a route is exactly the first len characters of path. */
static int
http_route_exists_n(const char *path, size_t len)
{
	for (size_t i = 0; i < nroutes; i++)
		if (strlen(routes[i].path) == len &&
		    strncmp(routes[i].path, path, len) == 0)
			return 1;
	return 0;
}

int
http_route_exists(const char *path)
{
	return http_route_exists_n(path, strlen(path));
}

void
http_route_list(const char *prefix, struct sbuf *out)
{
	size_t n = strlen(prefix), start = out->len;

	for (size_t i = 0; i < nroutes; i++) {
		const char *path = routes[i].path;
		size_t len = strlen(path);

		if (strncmp(path, prefix, n) != 0)
			continue;
		/* "/api/v1/devices/" takes a name after it. */
		if (len > 0 && path[len - 1] == '/') {
			if (http_route_exists_n(path, len - 1))
				continue; /* "/x" and "/x/": listed once */
			sbuf_printf(out, "%s%sNAME",
			    out->len > start ? ", " : "", path);
		} else {
			sbuf_printf(
			    out, "%s%s", out->len > start ? ", " : "", path);
		}
	}
}

static void
common_headers(struct MHD_Response *resp)
{
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "Content-Security-Policy",
	    "default-src 'self'; script-src 'self'; style-src 'self'; "
	    "img-src 'self' data: blob:; connect-src 'self'; object-src "
	    "'none'; "
	    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
}

static int
queue(struct http_req *r, unsigned status, const char *ctype,
    struct MHD_Response *resp)
{
	int ret;

	if (resp == NULL)
		return MHD_NO;
	if (ctype)
		MHD_add_response_header(resp, "Content-Type", ctype);
	common_headers(resp);
	ret = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

const char *
http_header(struct http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

static int
accepts_gzip(struct http_req *r)
{
	const char *ae = http_header(r, "Accept-Encoding");

	return ae && strstr(ae, "gzip") != NULL;
}

char *
http_gzip(const char *data, size_t len, size_t *outlen)
{
	z_stream z = {0};
	size_t cap = len / 2 + 64;
	char *out;
	int rc;

	if (len < GZIP_MIN || len > (1u << 30))
		return NULL;
	/* 31: a gzip wrapper; level 6 (the usual speed/size balance). */
	if (deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	out = xmalloc(cap);
	z.next_in = (Bytef *)(uintptr_t)data;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)cap;
	rc = deflate(&z, Z_FINISH);
	*outlen = z.total_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END) { /* did not shrink to half: not worth it */
		free(out);
		return NULL;
	}
	return out;
}

static int
etag_matches(struct http_req *r, const char *etag)
{
	const char *inm = http_header(r, "If-None-Match");

	return etag && inm && (strstr(inm, etag) || strcmp(inm, "*") == 0);
}

int
http_send(struct http_req *r, unsigned status, const char *ctype,
    const struct http_body *b)
{
	struct MHD_Response *resp;
	const char *enc = b->encoding;
	char hdr[64];
	char *gz = NULL;
	size_t gzlen = 0;

	if (status == MHD_HTTP_OK && etag_matches(r, b->etag)) {
		if (b->release)
			b->release(b->cls);
		resp = MHD_create_response_from_buffer(
		    0, NULL, MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(resp, "ETag", b->etag);
		if (b->max_age >= 0) {
			snprintf(hdr, sizeof(hdr), "max-age=%d", b->max_age);
			MHD_add_response_header(resp, "Cache-Control", hdr);
		}
		return queue(r, MHD_HTTP_NOT_MODIFIED, NULL, resp);
	}
	if (b->compress && !enc && accepts_gzip(r) &&
	    (gz = http_gzip(b->data, b->len, &gzlen)) != NULL) {
		if (b->release)
			b->release(b->cls);
		resp = MHD_create_response_from_buffer_with_free_callback(
		    gzlen, gz, free);
		enc = "gzip";
	} else if (b->release) {
		resp = MHD_create_response_from_buffer_with_free_callback_cls(
		    b->len, (void *)(uintptr_t)b->data, b->release, b->cls);
	} else {
		resp = MHD_create_response_from_buffer(b->len,
		    (void *)(uintptr_t)b->data,
		    b->persistent ? MHD_RESPMEM_PERSISTENT
		                  : MHD_RESPMEM_MUST_COPY);
	}
	if (resp == NULL)
		return MHD_NO;
	if (enc)
		MHD_add_response_header(resp, "Content-Encoding", enc);
	if (b->compress || b->encoding)
		MHD_add_response_header(resp, "Vary", "Accept-Encoding");
	if (b->etag)
		MHD_add_response_header(resp, "ETag", b->etag);
	if (b->hname && b->hvalue)
		MHD_add_response_header(resp, b->hname, b->hvalue);
	if (b->max_age >= 0) {
		snprintf(hdr, sizeof(hdr), "max-age=%d", b->max_age);
		MHD_add_response_header(resp, "Cache-Control", hdr);
	} else {
		MHD_add_response_header(resp, "Cache-Control", "no-store");
	}
	if (b->mtime_s > 0) {
		time_t t = (time_t)b->mtime_s;
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(hdr, sizeof(hdr), "%a, %d %b %Y %H:%M:%S GMT", &tm);
		MHD_add_response_header(resp, "Last-Modified", hdr);
	}
	return queue(r, status, ctype, resp);
}

int
http_reply(struct http_req *r, unsigned status, const char *ctype,
    const char *body, size_t len)
{
	struct http_body b = {
	    body, len, NULL, NULL, NULL, -1, 0, NULL, 1, 0, NULL, NULL};

	return http_send(r, status, ctype, &b);
}

int
http_reply_owned(struct http_req *r, unsigned status, const char *ctype,
    char *body, size_t len)
{
	struct http_body b = {
	    body, len, free, body, NULL, -1, 0, NULL, 1, 0, NULL, NULL};

	return http_send(r, status, ctype, &b);
}

static void
json_escape(struct sbuf *b, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			sbuf_printf(b, "\\%c", c);
		else if (c < 0x20)
			sbuf_printf(b, "\\u%04x", c);
		else
			sbuf_add(b, s, 1);
	}
}

int
http_error(
    struct http_req *r, unsigned status, const char *param, const char *msg)
{
	struct sbuf b;
	size_t len;
	char *s;

	sbuf_init(&b);
	sbuf_puts(&b, "{\"error\":\"");
	json_escape(&b, msg);
	sbuf_puts(&b, "\"");
	if (param) {
		sbuf_puts(&b, ",\"param\":\"");
		json_escape(&b, param);
		sbuf_puts(&b, "\"");
	}
	sbuf_puts(&b, "}\n");
	s = sbuf_steal(&b, &len);
	return http_reply_owned(r, status, "application/json", s, len);
}

const char *
http_arg(struct http_req *r, const char *name)
{
	return MHD_lookup_connection_value(
	    r->conn, MHD_GET_ARGUMENT_KIND, name);
}

static int
h_healthz(struct http_req *r)
{
	static const char ok[] = "{\"status\":\"ok\"}\n";

	return http_reply(
	    r, MHD_HTTP_OK, "application/json", ok, sizeof(ok) - 1);
}

static void
text_release(void *cls)
{
	cache_text_unref(cls);
}

static int
h_metrics(struct http_req *r)
{
	struct cache_text *t = cache_metrics_text(r->deps->cache);
	struct http_body b = {t->data, t->len, text_release, t, NULL, -1, 0,
	    NULL, 0, 0, NULL, NULL};

	/* Scrapers rarely ask for gzip; compressing 1 MB per scrape would
	 * cost more than serving it. */
	return http_send(
	    r, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", &b);
}

static int
unauthorized(struct http_req *r)
{
	static const char body[] =
	    "{\"error\":\"authentication required\",\"param\":"
	    "\"Authorization\"}\n";
	struct MHD_Response *resp = MHD_create_response_from_buffer(
	    sizeof(body) - 1, (void *)(uintptr_t)body, MHD_RESPMEM_PERSISTENT);

	MHD_add_response_header(resp, "WWW-Authenticate",
	    "Basic realm=\"chokepoint\", charset=\"UTF-8\"");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	return queue(r, MHD_HTTP_UNAUTHORIZED, "application/json", resp);
}

static enum MHD_Result
count_arg(
    void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	(void)key;
	(void)value;
	return ++*(int *)cls > MAX_ARGS ? MHD_NO : MHD_YES;
}

/* A route's handler, with the agent's config held while it runs. */
static enum MHD_Result
run_route(http_handler fn, struct http_req *r)
{
	struct agent *a = r->deps->agent;
	int ret;

	r->cfg = a ? agent_config_hold(a) : NULL;
	ret = fn(r);
	if (a)
		agent_config_release(a, r->cfg);
	r->cfg = NULL;
	return (enum MHD_Result)ret;
}

/* Exact path first, then the longest prefix; write: rw routes only. */
static http_handler
route_of(const char *url, int write)
{
	http_handler best = NULL;
	size_t bestlen = 0;

	for (size_t i = 0; i < nroutes; i++) {
		size_t n = strlen(routes[i].path);

		if (write && !routes[i].rw)
			continue;
		if (strcmp(url, routes[i].path) == 0)
			return routes[i].fn;
		if (n && routes[i].path[n - 1] == '/' &&
		    strncmp(url, routes[i].path, n) == 0 && n > bestlen) {
			best = routes[i].fn;
			bestlen = n;
		}
	}
	return best;
}

static enum MHD_Result
dispatch(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct http *h = cls;
	struct http_req r = {
	    conn, method, url, &h->deps, AUTH_ADMIN, NULL, NULL, 0, NULL};
	struct reqstate *rs = *con_cls;
	int write =
	    strcmp(method, "POST") == 0 || strcmp(method, "DELETE") == 0;
	http_handler fn;
	int nargs = 0;

	(void)version;
	if (rs == NULL) {
		/* First call: headers only. Answer on the last. */
		*con_cls = xcalloc(1, sizeof(*rs));
		return MHD_YES;
	}
	if (*upload_data_size) {
		/* Bodies: capped, and only kept for POST/DELETE. */
		if (!write || rs->body.len + *upload_data_size > HTTP_BODY_MAX)
			rs->too_big = 1;
		else
			sbuf_add(&rs->body, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (!write && strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return (enum MHD_Result)http_error(&r,
		    MHD_HTTP_METHOD_NOT_ALLOWED, NULL,
		    "only GET, HEAD, POST and DELETE");
	if (strlen(url) > MAX_PATH_LEN)
		return (enum MHD_Result)http_error(&r, MHD_HTTP_URI_TOO_LONG,
		    "path", "path longer than 1024 bytes");
	MHD_get_connection_values(
	    conn, MHD_GET_ARGUMENT_KIND, count_arg, &nargs);
	if (nargs > MAX_ARGS)
		return (enum MHD_Result)http_error(&r, MHD_HTTP_BAD_REQUEST,
		    "query", "more than 32 query parameters");
	if (strcmp(url, "/healthz") == 0)
		return (enum MHD_Result)h_healthz(&r);
	struct auth *au = atomic_load(&h->auth);

	if (au) {
		r.role = auth_check(au,
		    http_header(&r, MHD_HTTP_HEADER_AUTHORIZATION), &r.user);
		if (r.role == AUTH_NONE)
			return (enum MHD_Result)unauthorized(&r);
	}
	if (write) {
		/* Changes (silences...) need the admin role when auth is on. */
		fn = route_of(url, 1);
		if (fn == NULL)
			return (enum MHD_Result)http_error(&r,
			    MHD_HTTP_METHOD_NOT_ALLOWED, NULL,
			    "this path takes only GET and HEAD");
		if (au && r.role != AUTH_ADMIN)
			return (enum MHD_Result)http_error(&r,
			    MHD_HTTP_FORBIDDEN, NULL,
			    "this needs the admin role");
		if (rs->too_big)
			return (enum MHD_Result)http_error(&r, 413, NULL,
			    "request body too large (max 64 KiB)");
		sbuf_add(&rs->body, "", 0);
		r.body = rs->body.s ? rs->body.s : "";
		r.body_len = rs->body.len;
		return run_route(fn, &r);
	}
	if (strcmp(url, "/metrics") == 0)
		return (enum MHD_Result)h_metrics(&r);
	fn = route_of(url, 0);
	if (fn)
		return run_route(fn, &r);
	return (enum MHD_Result)http_error(
	    &r, MHD_HTTP_NOT_FOUND, NULL, "no such page");
}

/* The plain-HTTP listener of redirect_http: everything to HTTPS. */
static enum MHD_Result
redirect(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct http *h = cls;
	struct http_req r = {
	    conn, method, url, &h->deps, 0, NULL, NULL, 0, NULL};
	const char *host =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");
	char loc[2048], hostbuf[256];
	struct MHD_Response *resp;

	(void)version;
	(void)upload_data;
	if (*con_cls == NULL) {
		*con_cls = (void *)1;
		return MHD_YES;
	}
	*upload_data_size = 0;
	if (host == NULL || strlen(host) > 200 || strlen(url) > MAX_PATH_LEN ||
	    strpbrk(host, "/\\@ \r\n") || url[0] != '/')
		return (enum MHD_Result)http_error(&r, MHD_HTTP_BAD_REQUEST,
		    "Host", "bad Host header or path");
	/* Keep the name the client used, swap the port for HTTPS's. */
	snprintf(hostbuf, sizeof(hostbuf), "%s", host);
	if (hostbuf[0] != '[' && strchr(hostbuf, ':'))
		*strchr(hostbuf, ':') = '\0';
	else if (hostbuf[0] == '[' && strchr(hostbuf, ']'))
		strchr(hostbuf, ']')[1] = '\0';
	snprintf(
	    loc, sizeof(loc), "https://%s:%d%s", hostbuf, h->https_port, url);
	resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(resp, "Location", loc);
	return (enum MHD_Result)queue(
	    &r, MHD_HTTP_MOVED_PERMANENTLY, NULL, resp);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Percent-decoding of the path and query (in place). A decoded NUL would
 * silently cut a C string ("/app.js%00.png" read as "/app.js"): it becomes
 * DEL instead, which every validator refuses.
 */
size_t
http_unescape(char *s)
{
	char *o = s;

	for (char *p = s; *p; p++) {
		int h, l;

		if (*p == '%' && (h = hexval(p[1])) >= 0 &&
		    (l = hexval(p[2])) >= 0) {
			*o = (char)(h * 16 + l);
			if (*o == '\0')
				*o = 0x7f;
			o++;
			p += 2;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	return (size_t)(o - s);
}

static size_t
unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return http_unescape(s);
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	log_vmsg(LOG_LVL_WARN, 0, "http", fmt, ap);
}

static int
is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)
		                  ->sin_addr.s_addr) >>
		           24) == 127;
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(
		    &((const struct sockaddr_in6 *)sa)->sin6_addr);
	return 0;
}

static struct MHD_Daemon *
daemon_start(struct http *h, const struct addrinfo *ai, int port, int tls,
    MHD_AccessHandlerCallback cb)
{
	unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG |
	                 (ai->ai_family == AF_INET6 ? MHD_USE_IPv6 : 0) |
	                 (tls ? MHD_USE_TLS : 0);
	struct MHD_OptionItem tlsopts[] = {
	    {MHD_OPTION_HTTPS_MEM_KEY, 0, h->key},
	    {MHD_OPTION_HTTPS_MEM_CERT, 0, h->cert},
	    {MHD_OPTION_END, 0, NULL},
	};
	struct MHD_OptionItem none[] = {{MHD_OPTION_END, 0, NULL}};
	/* One thread: MHD's single internal thread (no pool of 1). */
	struct MHD_OptionItem pool[] = {
	    {h->cfg.threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END,
	        h->cfg.threads, NULL},
	    {MHD_OPTION_END, 0, NULL},
	};

	return MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, cb, h,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_NOTIFY_COMPLETED, request_done, NULL,
	    MHD_OPTION_SOCK_ADDR, ai->ai_addr, MHD_OPTION_ARRAY, pool,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)h->cfg.conn_limit,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)h->cfg.per_ip,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(h->cfg.timeout_ms / 1000),
	    /* Caps the request line and headers: larger ones get 414/431. */
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
	    MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL, MHD_OPTION_ARRAY,
	    tls ? tlsopts : none, MHD_OPTION_END);
}

static struct addrinfo *
resolve(const char *host, int port, char *err, size_t errlen)
{
	struct addrinfo hints = {0}, *ai = NULL;
	char portstr[16];
	int r;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(portstr, sizeof(portstr), "%d", port);
	r = getaddrinfo(host, portstr, &hints, &ai);
	if (r != 0) {
		snprintf(err, errlen, "cannot resolve listen address '%s': %s",
		    host, gai_strerror(r));
		return NULL;
	}
	return ai;
}

struct http *
http_start(const char *host, int port, const struct http_deps *deps, char *err,
    size_t errlen)
{
	const struct config *cfg =
	    deps->agent ? agent_config(deps->agent) : NULL;
	struct addrinfo *ai = NULL, *rai = NULL;
	struct http *h = xcalloc(1, sizeof(*h));
	size_t n;

	h->deps = *deps;
	h->https_port = port;
	if (http_cfg_read(
	        cfg ? cp_cfg_child(cfgdoc_root(cfg->doc), "web") : NULL,
	        &h->cfg) < 0) {
		snprintf(err, errlen, "invalid web: section");
		goto fail;
	}
	if ((ai = resolve(host, port, err, errlen)) == NULL)
		goto fail;
	atomic_store(&h->auth, h->cfg.auth);
	h->cfg.auth = NULL;
	h->public = !is_loopback(ai->ai_addr);
	if (h->public && atomic_load(&h->auth) == NULL) {
		snprintf(err, errlen,
		    "refusing to listen on %s:%d without authentication: "
		    "configure web.auth (users or tokens, see `chokepoint "
		    "passwd` and `chokepoint token`) or listen on 127.0.0.1",
		    host, port);
		goto fail;
	}
	if (h->cfg.tls_cert) {
		h->cert = file_read(h->cfg.tls_cert, 1u << 20, &n);
		h->key = file_read(h->cfg.tls_key, 1u << 20, &n);
		if (h->cert == NULL || h->key == NULL) {
			snprintf(err, errlen,
			    "cannot read TLS cert %s or key "
			    "%s: %s",
			    h->cfg.tls_cert, h->cfg.tls_key, strerror(errno));
			goto fail;
		}
	}
	errno = 0;
	h->d = daemon_start(h, ai, port, h->cert != NULL, dispatch);
	if (h->d == NULL) {
		snprintf(err, errlen, "cannot listen on %s:%d: %s%s", host,
		    port,
		    errno ? strerror(errno) : "address in use or not available",
		    h->cert ? " (or the TLS cert/key is invalid)" : "");
		goto fail;
	}
	if (h->cfg.redirect_host) {
		rai = resolve(
		    h->cfg.redirect_host, h->cfg.redirect_port, err, errlen);
		if (rai == NULL)
			goto fail;
		h->redirect =
		    daemon_start(h, rai, h->cfg.redirect_port, 0, redirect);
		if (h->redirect == NULL) {
			snprintf(err, errlen,
			    "cannot listen on %s:%d for the "
			    "HTTPS redirect",
			    h->cfg.redirect_host, h->cfg.redirect_port);
			goto fail;
		}
	}
	freeaddrinfo(ai);
	freeaddrinfo(rai);
	return h;
fail:
	if (ai)
		freeaddrinfo(ai);
	if (rai)
		freeaddrinfo(rai);
	http_stop(h);
	return NULL;
}

static int
str_differ(const char *a, const char *b)
{
	return (a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0);
}

int
http_reload(struct http *h, const struct config *cfg)
{
	struct http_cfg n = {0};
	struct auth *old;

	if (h == NULL || cfg == NULL)
		return 0;
	if (http_cfg_read(cp_cfg_child(cfgdoc_root(cfg->doc), "web"), &n) < 0) {
		http_cfg_fini(&n);
		return -1; /* the config was checked: not reached */
	}
	if (h->public && n.auth == NULL) {
		log_warnx("web: the new config has no web.auth but the server "
		          "listens beyond loopback: keeping the users and "
		          "tokens in force");
		http_cfg_fini(&n);
		return -1;
	}
	if (str_differ(n.tls_cert, h->cfg.tls_cert) ||
	    str_differ(n.tls_key, h->cfg.tls_key) ||
	    str_differ(n.redirect_host, h->cfg.redirect_host) ||
	    n.redirect_port != h->cfg.redirect_port ||
	    n.conn_limit != h->cfg.conn_limit || n.per_ip != h->cfg.per_ip ||
	    n.timeout_ms != h->cfg.timeout_ms || n.threads != h->cfg.threads)
		log_warnx("web: tls, redirect_http and limits changes take "
		          "effect at the next restart");
	old = atomic_exchange(&h->auth, n.auth);
	n.auth = NULL;
	if (old) {
		h->retired = xrealloc(
		    h->retired, (h->nretired + 1) * sizeof(*h->retired));
		h->retired[h->nretired++] = old;
	}
	log_info("web: authentication %s",
	    atomic_load(&h->auth) ? "reloaded" : "off (loopback only)");
	http_cfg_fini(&n);
	return 0;
}

void
http_stop(struct http *h)
{
	if (h == NULL)
		return;
	if (h->redirect)
		MHD_stop_daemon(h->redirect);
	if (h->d)
		MHD_stop_daemon(h->d);
	http_cfg_fini(&h->cfg);
	auth_free(atomic_load(&h->auth));
	for (size_t i = 0; i < h->nretired; i++)
		auth_free(h->retired[i]);
	free(h->retired);
	if (h->key)
		explicit_bzero(h->key, strlen(h->key));
	free(h->key);
	free(h->cert);
	free(h);
}
