#!/bin/sh
# make fuzz: runs each libFuzzer target for FUZZ_SECONDS (default 60) seeded
# from tests/fuzz/corpus/NAME (fixtures copied there are ours) and any
# extra seed dirs the target lists in tests/fuzz/NAME.seeds (one path per
# line, relative to the repo). Crashes land in build-fuzz/crashes/NAME/.
# SEEDS=1 (make fuzz-seeds, run by `make check`): no fuzzing, each target
# runs every seed once (-runs=0): the targets build and the seeds, which
# include inputs that once found a bug, still pass.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
secs=${FUZZ_SECONDS:-60}
export LSAN_OPTIONS="suppressions=$top/tests/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
rc=0
for bin in "$@"; do
	name=$(basename "$bin" | sed 's/^fuzz_//')
	work="$top/build-fuzz/corpus/$name"
	crashes="$top/build-fuzz/crashes/$name"
	mkdir -p "$work" "$crashes"
	seeds=""
	[ -d "$top/tests/fuzz/corpus/$name" ] && seeds="$top/tests/fuzz/corpus/$name"
	if [ -f "$top/tests/fuzz/$name.seeds" ]; then
		while read -r d; do
			[ -n "$d" ] && [ -e "$top/$d" ] && seeds="$seeds $top/$d"
		done < "$top/tests/fuzz/$name.seeds"
	fi
	if [ "${SEEDS:-0}" = 1 ]; then
		# A scratch first directory: libFuzzer writes new inputs there.
		rm -rf "$work.seedrun" && mkdir -p "$work.seedrun"
		# shellcheck disable=SC2086
		if "$bin" -runs=0 -max_len=65536 -timeout=10 \
			-artifact_prefix="$crashes/" "$work.seedrun" $seeds \
			> "$work.log" 2>&1; then
			n=$(grep -a -o 'seed corpus: files: [0-9]*' "$work.log" | grep -o '[0-9]*$')
			[ -n "$n" ] && n="$n inputs" || n="no seeds, the empty input"
			echo "fuzz: $name seeds ok ($n)"
		else
			echo "fuzz: $name seeds FAILED (see $work.log)"
			tail -30 "$work.log"
			rc=1
		fi
		rm -rf "$work.seedrun"
		continue
	fi
	echo "fuzz: $name for ${secs}s"
	# shellcheck disable=SC2086
	if ! "$bin" -max_total_time="$secs" -max_len=65536 -timeout=10 \
		-artifact_prefix="$crashes/" "$work" $seeds > "$work.log" 2>&1; then
		echo "fuzz: $name FAILED (see $work.log, $crashes)"
		tail -30 "$work.log"
		rc=1
	else
		tail -1 "$work.log"
	fi
done
exit $rc
