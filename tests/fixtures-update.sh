#!/bin/sh
# Regenerate tests/fixtures/host/CASE/expected.txt from what the built
# collectors emit at t1 of each case. Review the diff before committing:
# this is the reference the unit tests hold the collectors to.
set -eu
BUILD=${BUILD:-build}
export BUILD
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
tool=$BUILD/tools/fixture_dump
[ -x "$tool" ] || { echo "fixtures-update: $tool missing (run make)" >&2; exit 1; }
for dir in tests/fixtures/host/*; do
	[ -d "$dir" ] || continue
	name=$(basename "$dir")
	[ -d "$dir/t1" ] || continue
	"$tool" "$name" > "$dir/expected.txt.new"
	mv "$dir/expected.txt.new" "$dir/expected.txt"
	echo "fixtures-update: $dir/expected.txt"
done
