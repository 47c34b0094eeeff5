#!/bin/sh
# SPDX-License-Identifier: MIT
# HTTP benchmark: wrk -t2 -c32 -d10s --latency on loopback, REPS runs each
# (default 3, medians reported), in one run side by side:
#   1. our /metrics with 10,000 series (plus the agent's own), fed by the
#      test-only synth collector (series: 10000; never in a default build)
#   2. prometheus-node-exporter's /metrics (Debian defaults; it collects on
#      every scrape), started here beside ours
#   3. a device JSON page (/api/v1/devices/sw1, 48 ports)
#   4. a 1-day graph PNG, cached (one URL: served from the graph cache)
#   5. a 1-day graph PNG, cold (the width varies per request: every
#      request is a cache miss and an rrd_graph render)
# Prints req/s, p50/p99, server CPU seconds per run, page size and samples,
# and the per-sample cost. Everything started is killed by PID.
#   usage: sh bench/http.sh [REPS]     (BUILD=build dir, absolute or relative to the tree; default build)
#   PIN=1: the servers on CPU 0, one wrk thread (-t1) on CPU 1, so that the
#   load generator does not share a CPU with the server: the server's own
#   latency, not the scheduler's time slices between wrk and the server.
#   ONLY="device graph-cached": just those pages.
#   THREADS=N: web.limits.threads (default: the agent's, half the CPUs).
set -u
REPS=${1:-3}
PIN=${PIN:-0}
ONLY=${ONLY:-}
if [ "$PIN" = 1 ]; then
	SRV="taskset -c 0"
	WRK="taskset -c 1 wrk -t1"
else
	SRV=
	WRK="wrk -t2"
fi
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
BIN="$BUILD/chokepoint"
SYNTH="$BUILD/test-collectors/synth.so"
for t in wrk prometheus-node-exporter curl; do
	command -v $t >/dev/null || { echo "http.sh: $t not installed (make deps)" >&2; exit 1; }
done
[ -x "$BIN" ] && [ -f "$SYNTH" ] || { echo "http.sh: build first (make)" >&2; exit 1; }
W=$(mktemp -d /tmp/cp-httpbench.XXXXXX)
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$W"
}
trap cleanup EXIT INT TERM
HZ=$(getconf CLK_TCK)
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

P=$(port)
NP=$(port)
mkdir -p "$W/plugins"
ln -s "$SYNTH" "$W/plugins/synth.so"
# Small RRAs (~30 kB per file, ~320 MB for the 10,913 files): the bench
# reads, not keeps, and the 1-day graph reads the 1-minute RRA.
cat > "$W/bench.yaml" <<YAML
agent:
  name: bench
  hostname: benchhost
  data_dir: $W/data
  interval: 10s
  plugin_dir: $W/plugins
  log_level: warning
web:
  listen: 127.0.0.1:$P
${THREADS:+  limits: {threads: $THREADS\}}
storage:
  rra:
    - {step: full, keep: 1h}
    - {step: 1m, keep: 1d}
collectors:
  synth: {device: sw1, ports: 48, host: true, series: 10000}
YAML
$SRV "$BIN" run -c "$W/bench.yaml" > "$W/agent.log" 2>&1 &
APID=$!
PIDS="$PIDS $APID"
$SRV prometheus-node-exporter --web.listen-address=127.0.0.1:$NP > "$W/node.log" 2>&1 &
NPID=$!
PIDS="$PIDS $NPID"
U=http://127.0.0.1:$P
# Wait for two collection runs (rates) and the RRD files of everything.
for _ in $(seq 1 600); do
	c=$(curl -sf "$U/metrics" | grep -c '^chokepoint_synth_value' || true)
	[ "${c:-0}" -ge 10000 ] && curl -sf "$U/api/v1/devices/sw1" | grep -q '"in_bps":[0-9]' && break
	sleep 0.5
done
# New files are created within 30 s of their first value: wait until the
# writer has made all of them, so that runs measure the server, not a
# one-off creation of 10,000 files (agent.log has the start-up line).
prev=-1
for _ in $(seq 1 300); do
	n=$(find "$W/data/rrd" -name '*.rrd' | wc -l)
	[ "$n" -ge 10000 ] && [ "$n" = "$prev" ] && break
	prev=$n
	sleep 2
done
echo "RRD files: $n"
sleep 2
echo "== HTTP benchmark: $WRK -c32 -d10s --latency, servers ${SRV:-unpinned}, $REPS runs, $(nproc) CPUs, $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
cat > "$W/cold.lua" <<'LUA'
-- A different width per request: never in the graph cache.
local n = 0
request = function()
	n = n + 1
	return wrk.format("GET", wrk.path .. "&w=" .. (200 + n % 1800))
end
LUA
bench() { # bench NAME PID URL [wrk args]
	name=$1 pid=$2 url=$3; shift 3
	case " ${ONLY:-$name} " in *" $name "*) ;; *) return 0 ;; esac
	curl -s -o "$W/page" "$url"
	size=$(wc -c < "$W/page")
	samples=$(grep -avc '^#' "$W/page" 2>/dev/null || echo 0)
	echo "$name: $url: $size bytes, $samples lines"
	: > "$W/rps.$name"; : > "$W/p99.$name"; : > "$W/cpu.$name"
	for r in $(seq 1 "$REPS"); do
		c0=$(ticks "$pid")
		$WRK -c32 -d10s --latency "$@" "$url" > "$W/wrk" 2>&1
		c1=$(ticks "$pid")
		rps=$(awk '/^Requests\/sec:/{print $2}' "$W/wrk")
		p50=$(awk '$1=="50%"{print $2}' "$W/wrk")
		p99=$(awk '$1=="99%"{print $2}' "$W/wrk")
		tput=$(awk '/^Transfer\/sec:/{print $2}' "$W/wrk")
		errs=$(grep -E 'Non-2xx|Socket errors' "$W/wrk" | tr -s ' ' | tr '\n' ' ')
		cpu=$(awk -v d=$((c1 - c0)) -v hz="$HZ" 'BEGIN{printf "%.2f", d/hz}')
		echo "  run $r: $rps req/s, $tput/s, p50 $p50, p99 $p99, server cpu ${cpu}s/10s $errs"
		echo "$rps" >> "$W/rps.$name"; echo "$p99" >> "$W/p99.$name"; echo "$cpu" >> "$W/cpu.$name"
		sleep 1
	done
	med=$(sort -g "$W/rps.$name" | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
	mcpu=$(sort -g "$W/cpu.$name" | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
	echo "  median: $med req/s; p99 runs: $(tr '\n' ' ' < "$W/p99.$name")"
	if [ "$samples" -gt 0 ] && [ "$name" != "device" ] && [ "${name#graph}" = "$name" ]; then
		awk -v r="$med" -v s="$samples" -v c="$mcpu" 'BEGIN{
		    printf "  %.0f samples/s; server CPU per sample %.1f ns\n", r * s, c / (r * 10 * s) * 1e9 }'
	fi
}
bench metrics "$APID" "$U/metrics"
bench node "$NPID" "http://127.0.0.1:$NP/metrics"
bench device "$APID" "$U/api/v1/devices/sw1"
G="$U/graph/sw1/if_in_octets_per_second.png?labels=ifindex=1&from=-1d"
bench graph-cached "$APID" "$G"
bench graph-cold "$APID" "$G" -s "$W/cold.lua"
echo "agent: VmHWM $(awk '/VmHWM/{print $2}' /proc/$APID/status) kB, series $(curl -s "$U/metrics" | awk '/^chokepoint_agent_series[ {]/{print $NF}')"
