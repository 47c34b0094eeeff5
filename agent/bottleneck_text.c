// SPDX-License-Identifier: MIT
/*
 * The bottleneck ranking for people: bottlenecks_json() output rendered as
 * text by `chokepoint report` and /api/v1/bottlenecks?format=text.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>

#include "bottleneck.h"

static void
pct(FILE *out, const char *name, double v)
{
	fprintf(out, "%s %.0f%%", name, v * 100);
}

int
bottlenecks_text(const char *json, FILE *out)
{
	json_t *root = json_loads(json, 0, NULL), *arr, *b;
	size_t i;

	if (root == NULL)
		return -EINVAL;
	arr = json_object_get(root, "bottlenecks");
	fprintf(out,
	    "bottlenecks (USE method), window %llds, %lld resources; "
	    "score = %s\n",
	    (long long)json_integer_value(
	        json_object_get(root, "window_seconds")),
	    (long long)json_integer_value(json_object_get(root, "resources")),
	    json_string_value(json_object_get(root, "score")));
	if (json_array_size(arr) == 0)
		fprintf(out, "  no resources known yet\n");
	for (i = 0; i < json_array_size(arr); i++) {
		json_t *u, *e, *x, *a;
		size_t j;

		b = json_array_get(arr, i);
		u = json_object_get(b, "utilization");

		fprintf(out, "%2zu. %-32s [%s] score %.1f%s\n", i + 1,
		    json_string_value(json_object_get(b, "resource")),
		    json_string_value(json_object_get(b, "class")),
		    json_real_value(json_object_get(b, "score")),
		    json_is_true(json_object_get(b, "fault")) ? "  FAULT" : "");
		fprintf(out, "    ");
		pct(out, "util", json_real_value(json_object_get(u, "now")));
		fprintf(out,
		    " (p95 %.0f%%, max %.0f%%), saturation %.2f, "
		    "errors %.2f, trend %s",
		    json_real_value(json_object_get(u, "p95")) * 100,
		    json_real_value(json_object_get(u, "max")) * 100,
		    json_real_value(json_object_get(b, "saturation")),
		    json_real_value(json_object_get(b, "errors")),
		    json_string_value(json_object_get(b, "trend")));
		if (json_is_string(json_object_get(b, "since")))
			fprintf(out, ", since %s",
			    json_string_value(json_object_get(b, "since")));
		fprintf(out, "\n    evidence:");
		a = json_object_get(b, "evidence");
		for (j = 0; j < json_array_size(a); j++) {
			e = json_array_get(a, j);
			fprintf(out, "%s %s=%.4g", j ? "," : "",
			    json_string_value(json_object_get(e, "metric")),
			    json_real_value(json_object_get(e, "value")));
		}
		fprintf(out, "\n");
		a = json_object_get(b, "consumers");
		if (json_array_size(a))
			fprintf(out, "    top consumers:");
		for (j = 0; j < json_array_size(a); j++) {
			const char *n;

			x = json_array_get(a, j);
			n = json_string_value(json_object_get(x, "group"));
			if (n == NULL)
				n = json_string_value(
				    json_object_get(x, "ifname"));
			fprintf(out, "%s %s (%s %.4g)%s", j ? "," : "",
			    n ? n : "?",
			    json_string_value(json_object_get(x, "metric")),
			    json_real_value(json_object_get(x, "value")),
			    j + 1 == json_array_size(a) ? "\n" : "");
		}
		a = json_object_get(b, "events");
		for (j = 0; j < json_array_size(a); j++) {
			x = json_array_get(a, j);
			fprintf(out, "    event: %s %s: %s\n",
			    json_string_value(json_object_get(x, "kind")),
			    json_string_value(json_object_get(x, "component")),
			    json_string_value(json_object_get(x, "message")));
		}
	}
	json_decref(root);
	return 0;
}
