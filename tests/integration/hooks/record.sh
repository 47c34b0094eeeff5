#!/bin/sh
# A hook for the integration tests: records one call, its JSON (stdin) as
# DIR/N.json and its CHOKEPOINT_* environment as DIR/N.env, N = 1, 2, ...
# (run with concurrency 1). Optional second argument: exit with this code.
dir=$1
mkdir -p "$dir"
n=1
while ! mkdir "$dir/.n$n" 2>/dev/null; do n=$((n + 1)); done
cat > "$dir/$n.tmp"
env | grep '^CHOKEPOINT_' | sort > "$dir/$n.env"
mv "$dir/$n.tmp" "$dir/$n.json"
echo "recorded call $n"
exit "${2:-0}"
