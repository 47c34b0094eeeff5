// SPDX-License-Identifier: MIT
/*
 * libmicrohttpd server: accepts GET/HEAD (POST/DELETE with a capped body
 * on routes registered with http_route_add_rw), dispatches on the path
 * through a route table, and serves /healthz and /metrics itself. /metrics
 * is the cache's pre-rendered exposition, shared by reference between
 * concurrent requests (rendered at most once per change).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cache.h"
#include "http.h"
#include "log.h"
#include "util.h"

#define MAX_ROUTES 64

struct http {
	struct MHD_Daemon *d;
	struct http_deps deps;
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
	if (rs) {
		sbuf_fini(&rs->body);
		free(rs);
		*con_cls = NULL;
	}
}

static void
common_headers(struct MHD_Response *resp)
{
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "Content-Security-Policy",
	    "default-src 'self'; script-src 'self'; style-src 'self'; "
	    "img-src 'self' data:; frame-ancestors 'none'");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
}

static int
queue(struct http_req *r, unsigned status, const char *ctype,
    struct MHD_Response *resp)
{
	int ret;

	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", ctype);
	common_headers(resp);
	ret = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

int
http_reply(struct http_req *r, unsigned status, const char *ctype,
    const char *body, size_t len)
{
	return queue(r, status, ctype,
	    MHD_create_response_from_buffer(len, (void *)body,
		MHD_RESPMEM_MUST_COPY));
}

int
http_reply_owned(struct http_req *r, unsigned status, const char *ctype,
    char *body, size_t len)
{
	return queue(r, status, ctype,
	    MHD_create_response_from_buffer_with_free_callback(len, body,
		free));
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
http_error(struct http_req *r, unsigned status, const char *param,
    const char *msg)
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
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND,
	    name);
}

static int
h_healthz(struct http_req *r)
{
	static const char ok[] = "{\"status\":\"ok\"}\n";

	return http_reply(r, MHD_HTTP_OK, "application/json", ok,
	    sizeof(ok) - 1);
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

	return queue(r, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
	    MHD_create_response_from_buffer_with_free_callback_cls(t->len,
		t->data, text_release, t));
}

static enum MHD_Result
dispatch(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct http *h = cls;
	struct http_req r = {conn, method, url, &h->deps, NULL, 0};
	struct reqstate *rs = *con_cls;
	int write = strcmp(method, "POST") == 0 || strcmp(method, "DELETE") == 0;

	(void)version;
	if (rs == NULL) {
		/* First call: headers only. Answer on the last. */
		*con_cls = xcalloc(1, sizeof(*rs));
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (!write || rs->body.len + *upload_data_size > HTTP_BODY_MAX)
			rs->too_big = 1; /* GET bodies: ignored as before */
		else
			sbuf_add(&rs->body, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (write) {
		for (size_t i = 0; i < nroutes; i++) {
			size_t n = strlen(routes[i].path);
			int prefix = n && routes[i].path[n - 1] == '/';

			if (!routes[i].rw ||
			    !(prefix ? strncmp(url, routes[i].path, n) == 0
				     : strcmp(url, routes[i].path) == 0))
				continue;
			if (rs->too_big)
				return (enum MHD_Result)http_error(&r, 413,
				    NULL, "request body too large (max 64 KiB)");
			sbuf_add(&rs->body, "", 0);
			r.body = rs->body.s ? rs->body.s : "";
			r.body_len = rs->body.len;
			return (enum MHD_Result)routes[i].fn(&r);
		}
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return (enum MHD_Result)http_error(&r,
		    MHD_HTTP_METHOD_NOT_ALLOWED, NULL,
		    write ? "this path takes only GET and HEAD"
			  : "only GET, HEAD, POST and DELETE");
	if (strcmp(url, "/healthz") == 0)
		return (enum MHD_Result)h_healthz(&r);
	if (strcmp(url, "/metrics") == 0)
		return (enum MHD_Result)h_metrics(&r);
	for (size_t i = 0; i < nroutes; i++) {
		size_t n = strlen(routes[i].path);
		int prefix = n && routes[i].path[n - 1] == '/';

		if (prefix ? strncmp(url, routes[i].path, n) == 0
			   : strcmp(url, routes[i].path) == 0)
			return (enum MHD_Result)routes[i].fn(&r);
	}
	return (enum MHD_Result)http_error(&r, MHD_HTTP_NOT_FOUND, NULL,
	    "no such page");
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	log_vmsg(LOG_LVL_WARN, 0, "http", fmt, ap);
}

struct http *
http_start(const char *host, int port, const struct http_deps *deps,
    char *err, size_t errlen)
{
	struct addrinfo hints = {0}, *ai = NULL;
	char portstr[16];
	struct http *h;
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
	h = xcalloc(1, sizeof(*h));
	h->deps = *deps;
	errno = 0;
	h->d = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG |
		(ai->ai_family == AF_INET6 ? MHD_USE_IPv6 : 0),
	    (uint16_t)port, NULL, NULL, dispatch, h,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_NOTIFY_COMPLETED, request_done, NULL,
	    MHD_OPTION_SOCK_ADDR, ai->ai_addr,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)2,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)512,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)128,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
	    MHD_OPTION_END);
	freeaddrinfo(ai);
	if (h->d == NULL) {
		snprintf(err, errlen, "cannot listen on %s:%d: %s", host, port,
		    errno ? strerror(errno) : "address in use or not available");
		free(h);
		return NULL;
	}
	return h;
}

void
http_stop(struct http *h)
{
	if (h == NULL)
		return;
	MHD_stop_daemon(h->d);
	free(h);
}
