// SPDX-License-Identifier: MIT
/*
 * Authentication (web/auth.c): salted hashes (different every time,
 * verified only by the right secret), base64 decoding, basic and bearer
 * headers, roles, the remembered-header cache, hostile headers.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "auth.h"

static void
hashes_are_salted(void **st)
{
	char a[256], b[256];

	(void)st;
	assert_int_equal(auth_hash("s3cret-pass", 0, a, sizeof(a)), 0);
	assert_int_equal(auth_hash("s3cret-pass", 0, b, sizeof(b)), 0);
	assert_memory_equal(a, "$y$", 3);
	assert_string_not_equal(a, b);
	assert_null(strstr(a, "s3cret"));
	assert_int_equal(auth_verify("s3cret-pass", a), 1);
	assert_int_equal(auth_verify("s3cret-pass", b), 1);
	assert_int_equal(auth_verify("s3cret-pasS", a), 0);
	assert_int_equal(auth_verify("", a), 0);
	assert_int_equal(auth_hash("tok", 1, a, sizeof(a)), 0);
	assert_memory_equal(a, "$5$", 3);
	assert_int_equal(auth_verify("tok", a), 1);
	assert_int_equal(auth_hash("x", 0, a, 10), -ENOSPC);
}

static void
only_crypt_hashes_accepted(void **st)
{
	(void)st;
	assert_int_equal(auth_hash_valid("plaintext"), 0);
	assert_int_equal(auth_hash_valid(""), 0);
	assert_int_equal(auth_hash_valid(NULL), 0);
	assert_int_equal(auth_hash_valid("$1$md5isweak"), 0);
	assert_int_equal(auth_hash_valid("$6$salt$x"), 1);
	/* A config holding the secret itself never verifies anything. */
	assert_int_equal(auth_verify("plaintext", "plaintext"), 0);
}

static void
base64(void **st)
{
	char out[64];

	(void)st;
	assert_int_equal(auth_b64_decode("YWxpY2U6cHc=", out, sizeof(out)), 8);
	assert_string_equal(out, "alice:pw");
	assert_int_equal(auth_b64_decode("", out, sizeof(out)), 0);
	assert_int_equal(auth_b64_decode("YQ==", out, sizeof(out)), 1);
	assert_int_equal(auth_b64_decode("YQ=", out, sizeof(out)), -EINVAL);
	assert_int_equal(auth_b64_decode("Y=Q=", out, sizeof(out)), -EINVAL);
	assert_int_equal(auth_b64_decode("!!!!", out, sizeof(out)), -EINVAL);
	assert_int_equal(auth_b64_decode("YWxpY2U6cHc=", out, 4), -EINVAL);
}

static void
headers_and_roles(void **st)
{
	struct auth *a = auth_new();
	char h1[256], h2[256];
	const char *who;

	(void)st;
	assert_int_equal(auth_hash("alicepass", 0, h1, sizeof(h1)), 0);
	assert_int_equal(auth_hash("cpt_abc", 1, h2, sizeof(h2)), 0);
	auth_add(a, "alice", h1, AUTH_ADMIN, 0);
	auth_add(a, "bot", h2, AUTH_READ, 1);
	/* alice:alicepass */
	assert_int_equal(
	    auth_check(a, "Basic YWxpY2U6YWxpY2VwYXNz", &who), AUTH_ADMIN);
	assert_string_equal(who, "alice");
	/* Remembered: the same header again, same answer. */
	assert_int_equal(
	    auth_check(a, "Basic YWxpY2U6YWxpY2VwYXNz", &who), AUTH_ADMIN);
	/* alice:alicepasS */
	assert_int_equal(
	    auth_check(a, "Basic YWxpY2U6YWxpY2VwYXNT", &who), AUTH_NONE);
	assert_null(who);
	assert_int_equal(auth_check(a, "Bearer cpt_abc", &who), AUTH_READ);
	assert_string_equal(who, "bot");
	assert_int_equal(auth_check(a, "Bearer cpt_abd", &who), AUTH_NONE);
	/* A token is not a password and the other way round. */
	assert_int_equal(auth_check(a, "Bearer alicepass", &who), AUTH_NONE);
	assert_int_equal(
	    auth_check(a, "Basic Ym90OmNwdF9hYmM=", &who), AUTH_NONE);
	assert_int_equal(auth_check(a, NULL, &who), AUTH_NONE);
	assert_int_equal(auth_check(a, "", &who), AUTH_NONE);
	assert_int_equal(auth_check(a, "Basic", &who), AUTH_NONE);
	assert_int_equal(auth_check(a, "Basic !!", &who), AUTH_NONE);
	assert_int_equal(auth_check(a, "Basic YWxpY2U=", &who), AUTH_NONE);
	assert_int_equal(auth_check(a, "Digest x", &who), AUTH_NONE);
	char big[4096];
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "Basic ", 6);
	assert_int_equal(auth_check(a, big, &who), AUTH_NONE);
	auth_free(a);
}

static void
roles_parse(void **st)
{
	(void)st;
	assert_int_equal(auth_role_parse("read"), AUTH_READ);
	assert_int_equal(auth_role_parse("admin"), AUTH_ADMIN);
	assert_int_equal(auth_role_parse("root"), -EINVAL);
	assert_int_equal(auth_role_parse(NULL), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(hashes_are_salted),
	    cmocka_unit_test(only_crypt_hashes_accepted),
	    cmocka_unit_test(base64),
	    cmocka_unit_test(headers_and_roles),
	    cmocka_unit_test(roles_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
