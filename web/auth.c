// SPDX-License-Identifier: MIT
/*
 * Authentication for the HTTP server. The config holds only crypt(3)
 * hashes; a request's Authorization header is verified against them, and
 * a header verified in the last minute is remembered verbatim (compared in
 * full, never by a hash of it) so a dashboard's many requests do not each
 * pay for yescrypt.
 */
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <termios.h>
#include <unistd.h>

#include "auth.h"
#include "util.h"

#define OK_SLOTS 64
#define OK_TTL_MS 60000
#define HEADER_MAX 1024

struct auth_entry {
	char *name;
	char *hash;
	enum auth_role role;
	int token;
};

struct ok_slot {
	char *header;
	size_t idx;
	int64_t until_ms;
};

struct auth {
	struct auth_entry *v;
	size_t n;
	pthread_mutex_t mu;
	struct ok_slot ok[OK_SLOTS];
	size_t next;
};

struct auth *
auth_new(void)
{
	struct auth *a = xcalloc(1, sizeof(*a));

	pthread_mutex_init(&a->mu, NULL);
	return a;
}

void
auth_free(struct auth *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->n; i++) {
		free(a->v[i].name);
		free(a->v[i].hash);
	}
	for (size_t i = 0; i < OK_SLOTS; i++)
		free(a->ok[i].header);
	free(a->v);
	pthread_mutex_destroy(&a->mu);
	free(a);
}

void
auth_add(struct auth *a, const char *name, const char *hash,
    enum auth_role role, int token)
{
	a->v = xrealloc(a->v, (a->n + 1) * sizeof(*a->v));
	a->v[a->n].name = xstrdup(name);
	a->v[a->n].hash = xstrdup(hash);
	a->v[a->n].role = role;
	a->v[a->n].token = token;
	a->n++;
}

size_t
auth_count(const struct auth *a)
{
	return a ? a->n : 0;
}

int
auth_role_parse(const char *s)
{
	if (s && strcmp(s, "read") == 0)
		return AUTH_READ;
	if (s && strcmp(s, "admin") == 0)
		return AUTH_ADMIN;
	return -EINVAL;
}

static int
b64_val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
auth_b64_decode(const char *in, char *out, size_t size)
{
	size_t n = strlen(in), o = 0;
	unsigned acc = 0;
	int bits = 0, pad = 0;

	if (n % 4 != 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		int v;

		if (in[i] == '=') {
			/* Only at the end, at most two. */
			if (i < n - 2 || ++pad > 2)
				return -EINVAL;
			continue;
		}
		if (pad || (v = b64_val((unsigned char)in[i])) < 0)
			return -EINVAL;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o + 1 >= size)
				return -EINVAL;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[o] = '\0';
	return (int)o;
}

/* Constant-time equality of two NUL-terminated strings. */
static int
ct_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = la != lb;

	for (size_t i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

int
auth_hash_valid(const char *hash)
{
	/* yescrypt, sha512crypt, sha256crypt, bcrypt */
	static const char *const pre[] = {"$y$", "$6$", "$5$", "$2b$", NULL};

	if (hash == NULL || strlen(hash) > 512)
		return 0;
	for (size_t i = 0; pre[i]; i++)
		if (strncmp(hash, pre[i], strlen(pre[i])) == 0)
			return 1;
	return 0;
}

int
auth_verify(const char *secret, const char *hash)
{
	struct crypt_data *cd;
	const char *h;
	int ok;

	if (!auth_hash_valid(hash) || strlen(secret) > 512)
		return 0;
	cd = xcalloc(1, sizeof(*cd));
	h = crypt_r(secret, hash, cd);
	ok = h && h[0] != '*' && ct_equal(h, hash);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok;
}

int
auth_hash(const char *secret, int token, char *out, size_t size)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd;
	const char *h;
	int rc = 0;

	/* Tokens are 160 random bits: a fast salted hash is enough. */
	if (crypt_gensalt_rn(token ? "$5$" : "$y$", token ? 1000 : 0, NULL, 0,
	        salt, sizeof(salt)) == NULL)
		return -errno;
	cd = xcalloc(1, sizeof(*cd));
	h = crypt_r(secret, salt, cd);
	if (h == NULL || h[0] == '*')
		rc = -EINVAL;
	else if (strlcpy_(out, h, size) >= size)
		rc = -ENOSPC;
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return rc;
}

static enum auth_role
remembered(struct auth *a, const char *header, const char **who)
{
	int64_t now = mono_ms();
	enum auth_role role = AUTH_NONE;

	pthread_mutex_lock(&a->mu);
	for (size_t i = 0; i < OK_SLOTS; i++) {
		struct ok_slot *s = &a->ok[i];

		if (s->header && s->until_ms > now &&
		    ct_equal(s->header, header)) {
			role = a->v[s->idx].role;
			*who = a->v[s->idx].name;
			break;
		}
	}
	pthread_mutex_unlock(&a->mu);
	return role;
}

static void
remember(struct auth *a, const char *header, size_t idx)
{
	struct ok_slot *s;

	pthread_mutex_lock(&a->mu);
	s = &a->ok[a->next++ % OK_SLOTS];
	free(s->header);
	s->header = xstrdup(header);
	s->idx = idx;
	s->until_ms = mono_ms() + OK_TTL_MS;
	pthread_mutex_unlock(&a->mu);
}

enum auth_role
auth_check(struct auth *a, const char *header, const char **who)
{
	char buf[HEADER_MAX];
	const char *user, *pass;
	enum auth_role role;
	char *colon;

	*who = NULL;
	if (a == NULL || header == NULL || strlen(header) >= HEADER_MAX)
		return AUTH_NONE;
	if ((role = remembered(a, header, who)) != AUTH_NONE)
		return role;
	if (strncasecmp(header, "Bearer ", 7) == 0) {
		const char *tok = header + 7;

		for (size_t i = 0; i < a->n; i++)
			if (a->v[i].token && auth_verify(tok, a->v[i].hash)) {
				remember(a, header, i);
				*who = a->v[i].name;
				return a->v[i].role;
			}
		return AUTH_NONE;
	}
	if (strncasecmp(header, "Basic ", 6) != 0 ||
	    auth_b64_decode(header + 6, buf, sizeof(buf)) < 0)
		return AUTH_NONE;
	colon = strchr(buf, ':');
	if (colon == NULL)
		return AUTH_NONE;
	*colon = '\0';
	user = buf;
	pass = colon + 1;
	for (size_t i = 0; i < a->n; i++)
		if (!a->v[i].token && strcmp(a->v[i].name, user) == 0 &&
		    auth_verify(pass, a->v[i].hash)) {
			explicit_bzero(buf, sizeof(buf));
			remember(a, header, i);
			*who = a->v[i].name;
			return a->v[i].role;
		}
	explicit_bzero(buf, sizeof(buf));
	return AUTH_NONE;
}

/* ------------------------------------------------------------------ CLI */

static int
read_secret(char *buf, size_t size)
{
	struct termios old, quiet;
	int tty = isatty(0), n;

	if (tty) {
		fputs("password: ", stderr);
		tcgetattr(0, &old);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(0, TCSANOW, &quiet);
	}
	if (fgets(buf, (int)size, stdin) == NULL)
		buf[0] = '\0';
	if (tty) {
		tcsetattr(0, TCSANOW, &old);
		fputc('\n', stderr);
	}
	n = (int)strcspn(buf, "\r\n");
	buf[n] = '\0';
	return n;
}

int
auth_cli(int argc, char **argv)
{
	const char *cmd = argv[0], *name = NULL, *role = "read";
	char secret[256], hash[256];
	int token = strcmp(cmd, "token") == 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--role") == 0 && i + 1 < argc)
			role = argv[++i];
		else if (argv[i][0] != '-' && name == NULL)
			name = argv[i];
		else {
			fprintf(stderr,
			    "usage: chokepoint %s NAME [--role "
			    "read|admin]\n",
			    cmd);
			return 2;
		}
	}
	if (name == NULL || auth_role_parse(role) < 0) {
		fprintf(stderr,
		    "usage: chokepoint %s NAME [--role read|admin]\n", cmd);
		return 2;
	}
	if (token) {
		unsigned char raw[20];

		if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
			fprintf(stderr, "chokepoint: no randomness: %s\n",
			    strerror(errno));
			return 2;
		}
		strlcpy_(secret, "cpt_", sizeof(secret));
		for (size_t i = 0; i < sizeof(raw); i++)
			snprintf(secret + 4 + 2 * i, 3, "%02x", raw[i]);
	} else if (read_secret(secret, sizeof(secret)) < 8) {
		fprintf(stderr, "chokepoint: the password needs at least 8 "
		                "characters (read from standard input)\n");
		return 2;
	}
	if (auth_hash(secret, token, hash, sizeof(hash)) < 0) {
		fprintf(
		    stderr, "chokepoint: cannot hash: %s\n", strerror(errno));
		return 2;
	}
	if (token)
		fprintf(stderr, "token (shown once, keep it): %s\n", secret);
	explicit_bzero(secret, sizeof(secret));
	printf("# under web: auth: %s:\n", token ? "tokens" : "users");
	printf("- {name: %s, hash: '%s', role: %s}\n", name, hash, role);
	if (token)
		printf("# use: Authorization: Bearer <token>\n");
	return 0;
}
