#!/bin/sh
# Runs the cmocka unit tests given as arguments; VALGRIND=1 runs each under
# valgrind's memcheck. Prints a summary line and fails if any test failed.
BUILD=${BUILD:-build}
export BUILD
export LSAN_OPTIONS="suppressions=$(cd "$(dirname "$0")" && pwd)/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
pass=0 fail=0 failed=""
for t in "$@"; do
	name=$(basename "$t")
	if [ "${VALGRIND:-}" = 1 ]; then
		valgrind -q --error-exitcode=99 --leak-check=full \
			--errors-for-leak-kinds=definite "$t" > "$t.log" 2>&1
	else
		"$t" > "$t.log" 2>&1
	fi
	rc=$?
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1))
		echo "PASS: $name ($(grep -c '^\[       OK \]' "$t.log") tests)"
	else
		fail=$((fail + 1))
		failed="$failed $name"
		echo "FAIL: $name (exit $rc)"
		sed 's/^/    /' "$t.log" | tail -40
	fi
done
echo "unit: $pass passed, $fail failed"
[ $fail -eq 0 ]
