#!/bin/sh
# SPDX-License-Identifier: MIT
# RRD writer benchmark: N files (default 10,000), K values per file per round
# (1 and 10), 3 rounds each, through the store (store_update + flush), a plain
# rrd_update_r loop (one value per call), rrdc_update through a real rrdcached
# (one value per call) and the store via rrdcached. Everything lives in a
# temp dir (page cache); rrdcached is started here and killed by pid.
# Last, store-bounded: the store with max_pending = N (one value per file)
# fed 10 per file, to show the memory bound and what it costs.
#   usage: sh bench/rrd.sh [N] [ROUNDS]      (BUILD=build-dir, default build)
set -eu
N=${1:-10000}
R=${2:-3}
BIN=${BUILD:-build}/tools/rrd_bench
[ -x "$BIN" ] || { echo "rrd.sh: $BIN missing (make tools)" >&2; exit 1; }
command -v rrdcached >/dev/null || { echo "rrd.sh: rrdcached not installed (make deps)" >&2; exit 1; }
W=$(mktemp -d /tmp/cp-rrdbench.XXXXXX)
RPID=
cleanup() {
	[ -n "$RPID" ] && kill "$RPID" 2>/dev/null && wait "$RPID" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT INT TERM
mkdir -p "$W/data/rrd" "$W/journal"
SOCK="$W/rrdcached.sock"
rrdcached -g -l "unix:$SOCK" -b "$W/data/rrd" -j "$W/journal" -F -p "$W/rrdcached.pid" \
	>"$W/rrdcached.log" 2>&1 &
RPID=$!
i=0
while [ ! -S "$SOCK" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -S "$SOCK" ] || { echo "rrd.sh: rrdcached did not start" >&2; cat "$W/rrdcached.log" >&2; exit 1; }

echo "== RRD writer benchmark: N=$N files, rounds=$R, $(rrdtool 2>/dev/null | head -1), $(nproc) CPUs"
# Timestamps: 30 days ago, advancing past every value already written.
TS=$(( $(date +%s) / 3600 * 3600 - 30 * 86400 ))
RES="$W/results"
: >"$RES"
run() { # run MODE K
	"$BIN" "$1" "$W/data" "$N" "$2" "$R" "$TS" "unix:$SOCK" | tee -a "$W/out"
	grep '^RESULT' "$W/out" | tail -1 >>"$RES"
	TS=$((TS + 10 * (R * $2 + 2)))
}
for K in 1 10; do
	run store $K
	run plain $K
	run cached $K
	run store-cached $K
done
run store-bounded 10
du -sh "$W/data/rrd" | awk '{print "size on disk: " $1}'
echo "rrdcached peak RSS: $(awk '/VmHWM/{print $2}' /proc/$RPID/status) kB"
echo
echo "| method | values per file per round | updates/s (median of $R) | peak RSS (kB) |"
echo "|---|---|---|---|"
sed 's/[a-z_]*=//g' "$RES" | while read -r _ mode n k rate rss err; do
	echo "| $mode | $k | $rate | $rss |"
done
