#!/bin/sh
# bench/snmp.sh: one full poll of IF-MIB counters for a fleet of real snmpd
# "switches" (../shared/rig/switches.sh up 50 48: 50 x 49 interfaces),
# chokepoint's poller side by side, in the same run, with sequential and
# parallel snmpbulkwalk, prometheus-snmp-exporter and collectd's snmp
# plugin, all measured by the anchors' harness (../shared/anchors; their
# scripts are run from there, not copied). Medians of RUNS runs.
#
#   sudo sh bench/snmp.sh [RUNS]        (needs root: the rig uses netns)
#
# Environment: SHARED (default REPO/../shared, else /work/shared),
# RIG_KEEP=1 (leave the rig up), SKIP="walk exporter collectd agent".
set -u
RUNS=${1:-5}
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
SHARED=${SHARED:-$TOP/../shared}
[ -d "$SHARED/rig" ] || SHARED=/work/shared
RIG="$SHARED/rig/switches.sh"
ANCH="$SHARED/anchors"
N=50
PORTS=48
SKIP=${SKIP:-}
W=$(mktemp -d /tmp/cp-bench-snmp.XXXXXX)
LOG="$W/bench.log"
PIDS=""

say() { echo "$*" | tee -a "$LOG"; }
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	sleep 1
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	if [ -z "${RIG_KEEP:-}" ] && [ -n "${RIG_STARTED:-}" ]; then
		"$RIG" down > /dev/null 2>&1
	fi
}
trap cleanup EXIT INT TERM
skip() { case " $SKIP " in *" $1 "*) return 0 ;; esac; return 1; }

[ "$(id -u)" -eq 0 ] || { echo "bench/snmp.sh: needs root (network namespaces)" >&2; exit 1; }
[ -x "$BUILD/tools/snmpdrv" ] || { echo "bench/snmp.sh: make first" >&2; exit 1; }
if "$RIG" status 2>/dev/null | grep -q "no rig"; then
	"$RIG" up $N $PORTS > "$W/rig.log" 2>&1 || { cat "$W/rig.log"; exit 1; }
	RIG_STARTED=1
fi
"$RIG" traffic 10 > /dev/null 2>&1
say "# rig: $N switches x $PORTS ports, $(nproc) CPUs, $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"

# --------------------------------------------------- chokepoint's poller
{
	echo "agent: {data_dir: $W/data}"
	# Interval 200 ms so every trigger finds every device due; the run's
	# deadline stays that of a 10 s interval.
	echo "collectors: {snmp_if: {deadline: 9s}}"
	echo "devices:"
	i=1
	while [ $i -le $N ]; do
		echo "  - {name: sw$i, role: l2, address: \"127.0.0.1:$((16100 + i))\", timeout: 2s, snmp: {version: 2c, community: public}}"
		i=$((i + 1))
	done
} > "$W/cp.yaml"
mkdir -p "$W/fifo"
"$BUILD/tools/snmpdrv" -c "$W/cp.yaml" -q -n 1 -i 200 -F "$W/fifo" \
	"$BUILD/collectors/snmp_if.so" > "$W/drv.out" 2>&1 &
DRV=$!
PIDS="$PIDS $DRV"
sleep 2
# The trigger: one line into the server's FIFO, its answer back. The
# server's own rusage per poll lands in own.txt (precise to 1 us; the
# harness reads /proc ticks of 10 ms).
cat > "$W/trigger.sh" <<EOT
#!/bin/sh
echo go > "$W/fifo/go"
cat "$W/fifo/done" >> "$W/own.txt"
EOT
chmod +x "$W/trigger.sh"
say "## chokepoint snmp_if (16 columns: 8 HC counters, in/out errors and discards, admin/oper status, ifHighSpeed, ifCounterDiscontinuityTime)"
python3 "$ANCH/harness.py" --label chokepoint --runs "$RUNS" --server-pid $DRV \
	--json "$W/results.jsonl" -- "$W/trigger.sh" 2>&1 | tee -a "$LOG"
say "chokepoint own rusage per poll (wall cpu), warm-up first: $(tr '\n' ';' < "$W/own.txt")"
awk 'NR>1 {print $2}' "$W/own.txt" | sort -n | awk '{v[NR]=$1} END{printf "chokepoint median own CPU per poll: %.4f s\n", v[int((NR+1)/2)]}' | tee -a "$LOG"
awk 'NR>1 {print $1}' "$W/own.txt" | sort -n | awk '{v[NR]=$1} END{printf "chokepoint median own wall per poll: %.4f s\n", v[int((NR+1)/2)]}' | tee -a "$LOG"
grep -c . "$W/drv.out" > /dev/null
echo quit > "$W/fifo/go"
wait $DRV 2>/dev/null

# ------------------------------------------------------------ snmpbulkwalk
if ! skip walk; then
	say "## snmpbulkwalk, one process per column per switch, sequential"
	python3 "$ANCH/harness.py" --label walk-seq --runs "$RUNS" --json "$W/results.jsonl" \
		-- "$ANCH/poll_walk.sh" cols 1 2>&1 | tee -a "$LOG"
	say "## snmpbulkwalk, 8 switches at a time"
	python3 "$ANCH/harness.py" --label walk-par8 --runs "$RUNS" --json "$W/results.jsonl" \
		-- "$ANCH/poll_walk.sh" cols 8 2>&1 | tee -a "$LOG"
fi

# ------------------------------------------------ prometheus-snmp-exporter
if ! skip exporter && command -v prometheus-snmp-exporter > /dev/null; then
	prometheus-snmp-exporter --config.file="$ANCH/snmp_exporter/snmp.yml" \
		--web.listen-address=127.0.0.1:9116 > "$W/exporter.log" 2>&1 &
	EXP=$!
	PIDS="$PIDS $EXP"
	sleep 2
	say "## prometheus-snmp-exporter, module rig_if (10 columns), 50 scrapes in turn"
	python3 "$ANCH/harness.py" --label exporter-seq --runs "$RUNS" --server-pid $EXP \
		--json "$W/results.jsonl" -- "$ANCH/poll_exporter.sh" rig_if seq 2>&1 | tee -a "$LOG"
	say "## prometheus-snmp-exporter, 50 scrapes at once"
	python3 "$ANCH/harness.py" --label exporter-par --runs "$RUNS" --server-pid $EXP \
		--json "$W/results.jsonl" -- "$ANCH/poll_exporter.sh" rig_if par 2>&1 | tee -a "$LOG"
	kill $EXP
fi

# ------------------------------------------------------------- collectd
if ! skip collectd && [ -x /usr/sbin/collectd ]; then
	say "## collectd snmp plugin, BulkSize 25, no writer: CPU per 10 s interval over 60 s"
	(cd "$ANCH" && ./collectd_snmp.sh steady $N none 25 60) 2>&1 | tail -4 | tee -a "$LOG"
fi

# ---------------------------------------------- the whole agent, 10 s
if ! skip agent; then
	WP=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	{
		echo "agent: {data_dir: $W/agent-data, interval: 10s, plugin_dir: $BUILD/collectors}"
		echo "web: {listen: \"127.0.0.1:$WP\"}"
		echo "collectors: {snmp_entity: {inventory_interval: 1h}, snmp_host: {roles: [web, db]}}"
		sed -n '/^devices:/,$p' "$W/cp.yaml"
	} > "$W/agent.yaml"
	"$BUILD/chokepoint" run -c "$W/agent.yaml" > "$W/agent.log" 2>&1 &
	AG=$!
	PIDS="$PIDS $AG"
	sleep 25 # first polls, RRD files created
	t0=$(awk '{print $14 + $15}' /proc/$AG/stat)
	sleep 60
	t1=$(awk '{print $14 + $15}' /proc/$AG/stat)
	hz=$(getconf CLK_TCK)
	say "## the whole agent (snmp_if + snmp_entity + pipeline + cache + RRD + SQLite), 10 s interval"
	say "agent CPU per 10 s interval over 60 s: $(echo "$t0 $t1 $hz" | awk '{printf "%.3f s", ($2 - $1) / $3 / 6}'), RSS $(awk '/VmHWM/{print $2, $3}' /proc/$AG/status)"
	say "agent samples at /metrics: $(curl -s "http://127.0.0.1:$WP/metrics" | grep -c '^chokepoint_if_')"
	kill $AG
fi
say "# log: $LOG"
