#!/bin/sh
# Every libFuzzer target (tests/fuzz/fuzz_*.c, built with clang, ASan and
# UBSan into build-fuzz/) runs each of its seeds once, no fuzzing (`make
# fuzz-seeds`): the targets keep building, and the seeds, which include
# inputs that once found a bug (proc_cpu/guest-above-user), keep passing.
# Once per CI: skipped in the SAN=1 run (the fuzz build is sanitized anyway).
. "$(dirname "$0")/lib.sh"

if [ "${SAN:-}" = 1 ]; then
	skip "fuzz seeds: run once, in the plain make check"
	finish
fi
if ! command -v clang >/dev/null 2>&1; then
	not_ok "clang installed (make deps installs it)"
	finish
fi
if make -C "$TOP" -s fuzz-seeds > "$T/out" 2>&1; then
	ok "make fuzz-seeds"
else
	not_ok "make fuzz-seeds"
	sed 's/^/# /' "$T/out" | tail -40
fi
n=0
for f in "$TOP"/tests/fuzz/fuzz_*.c; do
	name=$(basename "$f" .c | sed 's/^fuzz_//')
	n=$((n + 1))
	check "fuzz target $name: every seed passes" \
	    grep -q "^fuzz: $name seeds ok" "$T/out"
done
[ "$n" -ge 12 ] && ok "$n fuzz targets" || not_ok "only $n fuzz targets"
finish
