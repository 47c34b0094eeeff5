// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for everything that parses a request: percent-decoding
 * (http_unescape), the parameter validators (params.c) and the
 * Authorization header parser (auth.c, with no users, so no crypt cost),
 * and the body of POST /api/v1/silences (silence_parse, alert_api.c; the
 * whole input is one body).
 * The input is split at NUL bytes into up to 8 fields fed to each parser.
 * Invariants checked: accepted static paths have no "."-led segment (so
 * no ".."), graph paths
 * yield valid names, labels come out sorted; an accepted silence has a
 * matcher, string keys and values, and ends after it starts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "http.h"
#include "params.h"
#include "silence.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
silence(const uint8_t *data, size_t size)
{
	struct silence_req q;
	const char *param, *msg;

	if (silence_parse((const char *)data, size, 1700000000000, &q, &param,
	        &msg) < 0) {
		if (msg == NULL || *msg == '\0')
			abort();
		return;
	}
	if (q.match.n == 0 || q.end <= q.start)
		abort();
	for (size_t i = 0; i < q.match.n; i++)
		if (q.match.keys[i] == NULL || q.match.values[i] == NULL)
			abort();
	silence_req_free(&q);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct auth *a;
	char *buf, *f[8];
	size_t nf = 0, i = 0;
	struct cp_label l[PARAM_MAX_LABELS];
	char lbuf[PARAM_MAX_LEN + 1], t[160], m[160], out[1024];
	const char *who;
	int64_t v;
	size_t n;
	int svg;

	if (size > 4096)
		return 0;
	if (a == NULL)
		a = auth_new();
	silence(data, size);
	buf = malloc(size + 1);
	memcpy(buf, data, size);
	buf[size] = '\0';
	while (nf < 8) {
		f[nf++] = buf + i;
		while (i < size && buf[i])
			i++;
		if (i >= size)
			break;
		i++;
	}
	for (size_t k = 0; k < nf; k++) {
		char *s = f[k];
		size_t before = strlen(s);

		if (http_unescape(s) > before)
			abort();
		param_target(s);
		param_metric(s);
		param_time(s, 1700000000, &v);
		param_int(s, -1000, 1000, &v);
		if (param_labels(
		        s, l, PARAM_MAX_LABELS, &n, lbuf, sizeof(lbuf)) == 0)
			for (size_t j = 1; j < n; j++)
				if (strcmp(l[j - 1].key, l[j].key) >= 0)
					abort();
		/* No accepted segment may be "..", "." or hidden. */
		if (param_static_path(s) == 0 &&
		    (s[0] == '.' || s[0] == '/' || strstr(s, "/.")))
			abort();
		if (param_graph_path(s, t, sizeof(t), m, sizeof(m), &svg) ==
		        0 &&
		    (param_target(t) || param_metric(m)))
			abort();
		auth_b64_decode(s, out, sizeof(out));
		auth_check(a, s, &who);
	}
	free(buf);
	return 0;
}
