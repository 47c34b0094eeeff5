// SPDX-License-Identifier: MIT
/*
 * The `web:` section beyond `listen` (read by config.c): authentication,
 * TLS, the HTTP->HTTPS redirect listener and the server's limits. Read
 * through the cp_cfg accessors so every error names FILE:LINE:COL and
 * `chokepoint check` validates it too.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "config.h"
#include "http.h"
#include "util.h"

static int
creds_read(const struct cp_cfg *seq, struct auth *a, int token)
{
	const char *what = token ? "tokens" : "users";
	int bad = 0;

	if (seq == NULL)
		return 0;
	if (!cfg_node_is_seq(seq)) {
		cp_cfg_error(
		    seq, "'%s' must be a list of {name, hash, role}", what);
		return -1;
	}
	for (size_t i = 0; i < cp_cfg_seq_len(seq); i++) {
		const struct cp_cfg *e = cp_cfg_seq_at(seq, i);
		const char *name = NULL, *hash = NULL, *role = "read";
		int r;

		if (cp_cfg_str(e, "name", &name) != 0 || !*name) {
			cp_cfg_error(e, "each of '%s' needs a 'name'", what);
			bad = 1;
		}
		if (cp_cfg_str(e, "hash", &hash) != 0 ||
		    !auth_hash_valid(hash)) {
			cp_cfg_error(e,
			    "'hash' must be a salted hash made by "
			    "`chokepoint %s NAME` (never the "
			    "secret itself)",
			    token ? "token" : "passwd");
			bad = 1;
		}
		if (cp_cfg_str(e, "role", &role) == -EINVAL ||
		    (r = auth_role_parse(role)) < 0) {
			cp_cfg_error(e, "'role' must be read or admin");
			bad = 1;
			continue;
		}
		if (!bad)
			auth_add(a, name, hash, (enum auth_role)r, token);
		cfg_node_report_unused(e, what);
	}
	return bad ? -1 : 0;
}

/*
 * The agent shares its host with what it watches: by default dashboard
 * traffic gets half the CPUs (1 to 4 threads), never all of them. On a
 * 2-CPU host one thread serves ~85,000 cached requests/s and keeps the
 * other CPU for the collectors (bench/README.md "HTTP").
 */
static int
default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN) / 2;

	return n < 1 ? 1 : n > 4 ? 4 : (int)n;
}

int
http_cfg_read(const struct cp_cfg *web, struct http_cfg *c)
{
	const struct cp_cfg *n;
	const char *s;
	int bad = 0;

	memset(c, 0, sizeof(*c));
	c->conn_limit = 512;
	c->per_ip = 64;
	c->timeout_ms = 15000;
	c->threads = default_threads();
	if (web == NULL)
		return 0;
	if ((n = cp_cfg_child(web, "auth"))) {
		c->auth = auth_new();
		bad |= creds_read(cp_cfg_child(n, "users"), c->auth, 0);
		bad |= creds_read(cp_cfg_child(n, "tokens"), c->auth, 1);
		cfg_node_report_unused(n, "web.auth");
		if (auth_count(c->auth) == 0) {
			auth_free(c->auth);
			c->auth = NULL;
		}
	}
	if ((n = cp_cfg_child(web, "tls"))) {
		if (cp_cfg_str(n, "cert", &s) == 0)
			c->tls_cert = xstrdup(s);
		if (cp_cfg_str(n, "key", &s) == 0)
			c->tls_key = xstrdup(s);
		if (!c->tls_cert || !c->tls_key) {
			cp_cfg_error(n, "'tls' needs both 'cert' and 'key' "
			                "(PEM file paths)");
			bad = 1;
		} else if (access(c->tls_cert, R_OK) != 0 ||
		           access(c->tls_key, R_OK) != 0) {
			cp_cfg_error(n, "cannot read tls cert %s or key %s: %s",
			    c->tls_cert, c->tls_key, strerror(errno));
			bad = 1;
		}
		cfg_node_report_unused(n, "web.tls");
	}
	if (cp_cfg_str(web, "redirect_http", &s) == 0) {
		if (address_parse(s, 80, &c->redirect_host, &c->redirect_port) <
		    0) {
			cp_cfg_error(cp_cfg_child(web, "redirect_http"),
			    "'redirect_http' must be host:port");
			bad = 1;
		} else if (!c->tls_cert) {
			cp_cfg_error(cp_cfg_child(web, "redirect_http"),
			    "'redirect_http' needs 'tls' (it redirects to "
			    "HTTPS)");
			bad = 1;
		}
	}
	if ((n = cp_cfg_child(web, "limits"))) {
		bad |= cp_cfg_int(n, "connections", 1, 100000,
		           &c->conn_limit) == -EINVAL;
		bad |=
		    cp_cfg_int(n, "per_ip", 1, 100000, &c->per_ip) == -EINVAL;
		bad |= cp_cfg_int(n, "threads", 1, 64, &c->threads) == -EINVAL;
		bad |= cp_cfg_duration(n, "timeout", &c->timeout_ms) == -EINVAL;
		if (c->timeout_ms < 1000) {
			cp_cfg_error(n, "'timeout' must be at least 1s");
			bad = 1;
		}
		cfg_node_report_unused(n, "web.limits");
	}
	cfg_node_mark_used(web, "listen");
	return bad ? -1 : 0;
}

void
http_cfg_fini(struct http_cfg *c)
{
	auth_free(c->auth);
	free(c->tls_cert);
	free(c->tls_key);
	free(c->redirect_host);
	memset(c, 0, sizeof(*c));
}
