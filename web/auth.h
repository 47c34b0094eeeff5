/* SPDX-License-Identifier: MIT */
/*
 * Dashboard and API authentication: HTTP basic (users) and bearer tokens,
 * each with a role (read or admin). Secrets are stored only as salted
 * crypt(3) hashes made by `chokepoint passwd` / `chokepoint token`.
 */
#ifndef CHOKEPOINT_AUTH_H
#define CHOKEPOINT_AUTH_H

#include <stddef.h>

enum auth_role { AUTH_NONE = 0, AUTH_READ = 1, AUTH_ADMIN = 2 };

struct auth;

struct auth *auth_new(void);
void auth_free(struct auth *a); /* takes NULL */
/* Add a user (token 0) or token (1) with its crypt(3) hash; copies. */
void auth_add(struct auth *a, const char *name, const char *hash,
    enum auth_role role, int token);
size_t auth_count(const struct auth *a);
/*
 * Check an Authorization header value. Returns the role (> 0) and the
 * user's name in *who (borrowed from a), or AUTH_NONE.
 */
enum auth_role auth_check(struct auth *a, const char *header, const char **who);

/* Salted hash of secret (yescrypt for passwords, sha256crypt for tokens:
 * they are random already) into out. 0 or -errno. */
int auth_hash(const char *secret, int token, char *out, size_t size);
/* 1 when secret matches hash (constant time compare), else 0. */
int auth_verify(const char *secret, const char *hash);
/* A hash as accepted in config: a crypt(3) string we can verify. */
int auth_hash_valid(const char *hash);
/* Base64 (RFC 4648) decode into out (NUL-terminated); length or -EINVAL. */
int auth_b64_decode(const char *in, char *out, size_t size);
/* Parse "read"/"admin". */
int auth_role_parse(const char *s);

/* `chokepoint passwd NAME [--role R]` and `chokepoint token NAME [--role R]`.
 */
int auth_cli(int argc, char **argv);

#endif
