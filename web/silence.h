/* SPDX-License-Identifier: MIT */
/*
 * The body of POST /api/v1/silences, parsed and checked apart from the
 * alert engine (so that tests/fuzz/fuzz_web_params.c can reach it):
 * {"match": {label: glob, ...}, "start": RFC 3339 | ms (default now),
 *  "end": RFC 3339 | ms or "duration": "2h", "author": s, "comment": s}.
 */
#ifndef CHOKEPOINT_SILENCE_H
#define CHOKEPOINT_SILENCE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct silence_req {
	struct match_cfg match;       /* keys and values point into json */
	int64_t start, end;           /* ms; end > start */
	const char *author, *comment; /* NULL when absent */
	json_t *json;                 /* the parsed body */
};

/*
 * 0 and q filled (silence_req_free() it), or -EINVAL with the offending
 * field in *param (NULL: the body as a whole) and the reason in *msg.
 */
int silence_parse(const char *body, size_t len, int64_t now,
    struct silence_req *q, const char **param, const char **msg);
void silence_req_free(struct silence_req *q);

#endif
