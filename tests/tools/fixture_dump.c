// SPDX-License-Identifier: MIT
/*
 * fixture_dump CASE_DIR...: runs the cpu, memory and diskio collectors over
 * each fixture case (t0 then t1) and prints what they emit at t1, in the
 * format of CASE/expected.txt. tests/fixtures-update.sh writes its output
 * there; the unit tests compare against it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/helpers/harness.h"

int
main(int argc, char **argv)
{
	static const char *const collectors[] = {"cpu", "diskio", "memory"};
	char err[4096], *out;
	size_t i;

	if (argc != 2) {
		fprintf(stderr,
		    "usage: fixture_dump CASE (a directory name "
		    "under $FIXTURES, default tests/fixtures/host)\n");
		return 2;
	}
	printf("# Written by `make fixtures-update` (tests/tools/"
	       "fixture_dump.c): what the\n# collectors emit at t1 of this "
	       "case, one section per collector.\n");
	for (i = 0; i < sizeof(collectors) / sizeof(collectors[0]); i++) {
		out =
		    harness_run_case(argv[1], collectors[i], err, sizeof(err));
		if (out == NULL) {
			fprintf(stderr, "fixture_dump: %s: %s: %s\n", argv[1],
			    collectors[i], err);
			return 1;
		}
		printf("# %s\n%s", collectors[i], out);
		free(out);
	}
	return 0;
}
