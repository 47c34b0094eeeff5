#!/bin/sh
# Runs every tests/integration/*.sh (each prints TAP and exits non-zero on
# failure) with the build directory in BUILD, and sums up.
BUILD=${BUILD:-build}
export BUILD
export LSAN_OPTIONS="suppressions=$(cd "$(dirname "$0")" && pwd)/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
top=$(cd "$(dirname "$0")/.." && pwd)
export TOP="$top"
pass=0 fail=0 failed=""
for t in "$top"/tests/integration/*.sh; do
	[ -f "$t" ] || continue
	case "$(basename "$t")" in lib*.sh) continue ;; esac
	name=$(basename "$t" .sh)
	if [ -n "${ONLY:-}" ] && [ "$ONLY" != "$name" ]; then
		continue
	fi
	log="$top/$BUILD/integration-$name.log"
	mkdir -p "$top/$BUILD"
	timeout "${TIMEOUT:-600}" sh "$t" > "$log" 2>&1
	rc=$?
	oks=$(grep -c '^ok ' "$log")
	noks=$(grep -c '^not ok ' "$log")
	if [ $rc -eq 0 ] && [ "$noks" -eq 0 ]; then
		pass=$((pass + 1))
		echo "PASS: $name ($oks checks)"
	else
		fail=$((fail + 1))
		failed="$failed $name"
		echo "FAIL: $name (exit $rc, $noks failed checks)"
		grep -E '^(not ok|#)' "$log" | head -40 | sed 's/^/    /'
		tail -15 "$log" | sed 's/^/    | /'
	fi
done
echo "integration: $pass passed, $fail failed"
[ $fail -eq 0 ]
