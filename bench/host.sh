#!/bin/sh
# SPDX-License-Identifier: MIT
# Host collection cost: the agent (cpu, memory, diskio, RRD files) side by
# side with collectd (cpu, memory, disk, load + rrdtool) and
# prometheus-node-exporter (scraped by bench/scrape.c at the same interval),
# all started together so they share the same machine load. A second agent
# instance is scraped too, to show what serving /metrics adds.
# Method as in ../shared/anchors/host_agents.sh (section (b) of its README):
# CPU = user+sys over a window that starts WARM s after start; peak RSS =
# VmHWM. CPU here comes from /proc/PID/task/*/schedstat (ns) and is
# cross-checked against /proc/PID/stat (clock ticks, includes dead threads).
# "series": RRD files written (agent, collectd), samples on one /metrics page
# (node_exporter, the scraped agent). WARM=45 starts the window after the
# agent's first flush, which creates its RRD files: the steady state.
#   usage: sh bench/host.sh [SECONDS] [RUNS] [INTERVALS]   (120 3 "1 10")
#          sh bench/host.sh --summary LOG   (the table again from a saved log)
#   env: BUILD (build dir, default build), WARM (default 2),
#        TMPROOT (directory the runs' data directories go under, default
#        /tmp: put it on another filesystem, e.g. XFS, to compare),
#        RRA=collectd (the agent keeps about what collectd's rrdtool plugin
#        keeps by default, 1 h at full resolution to 1 year at 1 day, instead
#        of its own default of 2 days at full resolution to 5 years)
set -eu
summary() { # RESULT-LOG
	# Medians over runs; ratios are per run (same machine load), then the median.
	echo
	echo "| agent | interval | CPU s / ${SECS} s, median (runs) | % of one core | agent / collectd | agent / node_exporter | peak RSS (VmHWM) | RSS at end | PSS at end | Private_Dirty | series | RRD files |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
	awk -v secs="$SECS" '
		function med(s,   a, n, t, j, k) {
			n = split(s, a, " ")
			for (j = 2; j <= n; j++) for (k = j; k > 1 && a[k] < a[k - 1]; k--) {
				t = a[k]; a[k] = a[k - 1]; a[k - 1] = t
			}
			return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		}
		$1 != "RESULT" { next }
		{
			for (j = 2; j <= NF; j++) { split($j, kv, "="); f[kv[1]] = kv[2] }
			k = f["agent"] SUBSEP f["interval"]
			if (!(k in seen)) { seen[k] = 1; order[++no] = k }
			cpu[k] = cpu[k] " " f["cpu"]
			ct[f["run"], f["interval"], f["agent"]] = f["cpu"]
			scr[k] = scr[k] " " f["scraper_cpu"]
			hwm[k] = hwm[k] " " f["hwm_kb"]; rss[k] = rss[k] " " f["rss_kb"]
			pss[k] = pss[k] " " f["pss_kb"]; pd[k] = pd[k] " " f["private_dirty_kb"]
			ser[k] = f["series"]; dk[k] = f["rrd_kb"]
			runs[f["run"]] = 1
		}
		END {
			for (o = 1; o <= no; o++) {
				k = order[o]; split(k, ai, SUBSEP); a = ai[1]; iv = ai[2]
				rc = ""; rn = ""
				for (r in runs) {
					if (ct[r, iv, "collectd"] > 0)
						rc = rc " " ct[r, iv, a] / ct[r, iv, "collectd"]
					if (ct[r, iv, "node_exporter"] > 0)
						rn = rn " " ct[r, iv, a] / ct[r, iv, "node_exporter"]
				}
				m = med(cpu[k]); ms = med(scr[k])
				name = a
				if (a == "node_exporter") name = "node_exporter (+ scraper " sprintf("%.3f", ms) " s)"
				if (a == "chokepoint+scraped") name = "chokepoint, /metrics scraped (+ scraper " sprintf("%.3f", ms) " s)"
				printf "| %s | %s s | %.3f (%s) | %.2f%% | %s | %s | %.1f MB | %.1f MB | %.1f MB | %.1f MB | %s | %s |\n", \
				    name, iv, m, substr(cpu[k], 2), 100 * m / secs, \
				    rc == "" ? "-" : sprintf("%.2f", med(rc)), \
				    rn == "" ? "-" : sprintf("%.2f", med(rn)), \
				    med(hwm[k]) / 1024, med(rss[k]) / 1024, med(pss[k]) / 1024, \
				    med(pd[k]) / 1024, ser[k], \
				    (dk[k] > 0 ? sprintf("%.0f MB", dk[k] / 1024) : "-")
			}
		}' "$1"
}

if [ "${1:-}" = --summary ]; then
	SECS=$(sed -n 's/^== host collection cost: \([0-9]*\)s windows.*/\1/p' \
		"${2:?usage: host.sh --summary LOG}" | head -1)
	summary "$2"
	exit 0
fi
SECS=${1:-120}
RUNS=${2:-3}
INTERVALS=${3:-"1 10"}
BUILD=${BUILD:-build}
WARM=${WARM:-2}
HZ=$(getconf CLK_TCK)

AGENT=$BUILD/chokepoint
SCRAPE=$BUILD/tools/scrape
for f in "$AGENT" "$SCRAPE" "$BUILD/collectors/cpu.so" \
	"$BUILD/collectors/memory.so" "$BUILD/collectors/diskio.so"; do
	[ -e "$f" ] || { echo "host.sh: $f missing (make all)" >&2; exit 1; }
done
HAVE_COLLECTD=1
HAVE_NODE=1
command -v collectd >/dev/null && [ -e /usr/lib/collectd/rrdtool.so ] || {
	echo "host.sh: collectd not installed (apt-get install collectd-core); skipping it" >&2
	HAVE_COLLECTD=0
}
command -v prometheus-node-exporter >/dev/null || {
	echo "host.sh: prometheus-node-exporter not installed; skipping it" >&2
	HAVE_NODE=0
}

W=$(mktemp -d "${TMPROOT:-/tmp}/cp-hostbench.XXXXXX")
PIDS=
cleanup() {
	for _k in $PIDS; do kill "$_k" 2>/dev/null || true; done
	for _k in $PIDS; do wait "$_k" 2>/dev/null || true; done
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A TCP port nobody listens on (per /proc/net/tcp{,6}), from BASE upwards.
# (sh has no locals: helpers use their own _names.)
listening() { # PORT
	awk -v p="$(printf '%04X' "$1")" \
		'$4 == "0A" && substr($2, length($2) - 3) == p {f = 1} END {exit !f}' \
		/proc/net/tcp /proc/net/tcp6 2>/dev/null
}
free_port() {
	_p=$1
	while listening "$_p"; do _p=$((_p + 1)); done
	echo "$_p"
}
wait_port() { # PORT PID: until something listens on PORT (max 10 s)
	_n=0
	while [ $_n -lt 100 ]; do
		kill -0 "$2" 2>/dev/null || return 1
		listening "$1" && return 0
		sleep 0.1
		_n=$((_n + 1))
	done
	return 1
}

# Per-process figures: "NS TICKS TIDS CHILD_TICKS" now (CHILD_TICKS: CPU of
# its ended child processes, e.g. the agent's `__rrd-create`); memory at the end.
cpu_sample() {
	_ns=0
	_tids=
	for _t in /proc/"$1"/task/*; do
		read -r _v _ <"$_t/schedstat" 2>/dev/null || continue
		_ns=$((_ns + _v))
		_tids="$_tids${_t##*/},"
	done
	echo "$_ns $(awk '{print $14 + $15}' /proc/"$1"/stat) $_tids $(awk '{print $16 + $17}' /proc/"$1"/stat)"
}
mem_sample() { # "HWM RSS PSS PRIVATE_DIRTY" in kB
	awk -v hwm="$(awk '/^VmHWM/ {print $2}' /proc/"$1"/status)" '/^Rss:/ {r = $2} /^Pss:/ {p = $2} /^Private_Dirty:/ {d = $2}
		END {print hwm, r, p, d}' /proc/"$1"/smaps_rollup
}

agent_conf() { # DIR PORT INTERVAL
	mkdir -p "$1"
	cat >"$1/chokepoint.yaml" <<EOF
agent:
  data_dir: $1/data
  interval: ${3}s
  plugin_dir: $BUILD/collectors
  log_level: warning
web:
  listen: 127.0.0.1:$2
collectors:
  cpu: {}
  memory: {}
  diskio: {}
EOF
	# collectd's defaults: 1200 rows over 1 h, 1 d, 1 w, 31 d and 366 d.
	if [ "${RRA:-}" = collectd ]; then
		cat >>"$1/chokepoint.yaml" <<EOF
storage:
  rra:
    - {step: full, keep: 1h}
    - {step: 1m, keep: 1d}
    - {step: 10m, keep: 7d}
    - {step: 1h, keep: 31d}
    - {step: 1d, keep: 366d}
EOF
	fi
}

collectd_conf() { # DIR INTERVAL
	mkdir -p "$1"
	cat >"$1/collectd.conf" <<EOF
Hostname "host"
FQDNLookup false
Interval $2
BaseDir "$1"
PIDFile "$1/collectd.pid"
PluginDir "/usr/lib/collectd"
TypesDB "/usr/share/collectd/types.db"
LoadPlugin logfile
<Plugin logfile>
  LogLevel "info"
  File "$1/collectd.log"
</Plugin>
LoadPlugin cpu
LoadPlugin memory
LoadPlugin disk
LoadPlugin load
LoadPlugin rrdtool
<Plugin rrdtool>
  DataDir "$1/rrd"
</Plugin>
EOF
}

RES=$W/results
: >"$RES"
BUILD=$(cd "$BUILD" && pwd)
AGENT=$BUILD/chokepoint
SCRAPE=$BUILD/tools/scrape

# One run: every agent started together at interval $1, measured over SECS.
one_run() { # RUN INTERVAL
	r=$1
	i=$2
	d=$W/run$r-$i
	names=
	PIDS=
	port=$(free_port 18400)
	agent_conf "$d/chokepoint" "$port" "$i"
	"$AGENT" run -c "$d/chokepoint/chokepoint.yaml" >"$d/chokepoint/log" 2>&1 &
	pid_agent=$!
	PIDS="$PIDS $pid_agent"
	names="$names chokepoint:$pid_agent"
	wait_port "$port" "$pid_agent" || { echo "host.sh: agent did not start" >&2; cat "$d/chokepoint/log" >&2; exit 1; }

	sport=$(free_port $((port + 1)))
	agent_conf "$d/chokepoint-scraped" "$sport" "$i"
	"$AGENT" run -c "$d/chokepoint-scraped/chokepoint.yaml" >"$d/chokepoint-scraped/log" 2>&1 &
	pid_sagent=$!
	PIDS="$PIDS $pid_sagent"
	names="$names chokepoint+scraped:$pid_sagent"
	wait_port "$sport" "$pid_sagent" || { echo "host.sh: agent did not start" >&2; exit 1; }

	if [ $HAVE_COLLECTD = 1 ]; then
		collectd_conf "$d/collectd" "$i"
		collectd -f -C "$d/collectd/collectd.conf" >"$d/collectd/stdout" 2>&1 &
		pid_cd=$!
		PIDS="$PIDS $pid_cd"
		names="$names collectd:$pid_cd"
	fi
	if [ $HAVE_NODE = 1 ]; then
		nport=$(free_port $((sport + 1)))
		mkdir -p "$d/node"
		prometheus-node-exporter --web.listen-address=127.0.0.1:"$nport" \
			>"$d/node/stdout" 2>&1 &
		pid_node=$!
		PIDS="$PIDS $pid_node"
		names="$names node_exporter:$pid_node"
		wait_port "$nport" "$pid_node" || { echo "host.sh: node_exporter did not start" >&2; exit 1; }
	fi

	sleep "$WARM"
	for nm in $names; do
		echo "${nm%%:*} $(cpu_sample "${nm#*:}")" >>"$d/t0"
	done
	"$SCRAPE" $((i * 1000)) "$SECS" 127.0.0.1:"$sport" "$d/agent.prom" >"$d/scrape-agent" &
	sc1=$!
	PIDS="$PIDS $sc1"
	sc2=
	if [ $HAVE_NODE = 1 ]; then
		"$SCRAPE" $((i * 1000)) "$SECS" 127.0.0.1:"$nport" "$d/node.prom" >"$d/scrape-node" &
		sc2=$!
		PIDS="$PIDS $sc2"
	fi
	# In the background so that a signal ends the run at once.
	sleep "$SECS" &
	wait $!
	wait $sc1 || echo "host.sh: agent scrapes failed: $(cat "$d/scrape-agent")" >&2
	[ -z "$sc2" ] || wait $sc2 || echo "host.sh: node_exporter scrapes failed: $(cat "$d/scrape-node")" >&2
	for nm in $names; do
		echo "${nm%%:*} $(cpu_sample "${nm#*:}") $(mem_sample "${nm#*:}")" >>"$d/t1"
	done
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null || true; done
	for p in $PIDS; do wait "$p" 2>/dev/null || true; done
	PIDS=

	series_agent=$(find "$d/chokepoint/data/rrd" -name '*.rrd' | wc -l)
	disk_agent=$(du -sk "$d/chokepoint/data/rrd" | cut -f1)
	disk_sagent=$(du -sk "$d/chokepoint-scraped/data/rrd" | cut -f1)
	series_cd=0
	disk_cd=0
	if [ $HAVE_COLLECTD = 1 ]; then
		series_cd=$(find "$d/collectd/rrd" -name '*.rrd' | wc -l)
		disk_cd=$(du -sk "$d/collectd/rrd" | cut -f1)
	fi
	# "scrapes=N failures=N body_bytes=N body_lines=N cpu=S"
	scpu_agent=$(sed -n 's/.*cpu=\([0-9.]*\).*/\1/p' "$d/scrape-agent")
	scpu_node=$(sed -n 's/.*cpu=\([0-9.]*\).*/\1/p' "$d/scrape-node" 2>/dev/null)
	samples_node=$(grep -vc '^#' "$d/node.prom" 2>/dev/null || echo 0)
	samples_agent=$(grep -vc '^#' "$d/agent.prom" 2>/dev/null || echo 0)
	awk -v r="$r" -v i="$i" -v hz="$HZ" -v secs="$SECS" \
	    -v sa="$series_agent" -v sc="$series_cd" -v sn="$samples_node" \
	    -v sag="$samples_agent" -v scpu_a="${scpu_agent:-0}" -v scpu_n="${scpu_node:-0}" \
	    -v da="$disk_agent" -v dsa="$disk_sagent" -v dc="$disk_cd" '
		FNR == NR { ns0[$1] = $2; tk0[$1] = $3; tid0[$1] = $4; ch0[$1] = $5; next }
		{
			cpu = ($2 - ns0[$1]) / 1e9
			tcpu = ($3 - tk0[$1]) / hz
			# A thread that ended in the window took its schedstat time
			# with it: then only the tick count is complete.
			src = "schedstat"
			if ($4 != tid0[$1]) { cpu = tcpu; src = "ticks" }
			# Child processes that ended in the window count too.
			child = ($5 - ch0[$1]) / hz
			cpu += child
			tcpu += child
			series = $1 == "collectd" ? sc : $1 == "node_exporter" ? sn : \
			    $1 == "chokepoint" ? sa : sag
			scr = $1 == "node_exporter" ? scpu_n : $1 == "chokepoint+scraped" ? scpu_a : 0
			disk = $1 == "collectd" ? dc : $1 == "chokepoint" ? da : \
			    $1 == "chokepoint+scraped" ? dsa : 0
			printf "RESULT run=%s interval=%s agent=%s cpu=%.3f cpu_ticks=%.2f " \
			    "src=%s scraper_cpu=%.3f hwm_kb=%s rss_kb=%s pss_kb=%s " \
			    "private_dirty_kb=%s series=%s rrd_kb=%s threads=%d " \
			    "child_cpu=%.2f\n", r, i, \
			    $1, cpu, tcpu, src, scr, $6, $7, $8, $9, series, disk, \
			    split($4, x, ",") - 1, child
		}' "$d/t0" "$d/t1" | tee -a "$RES"
	[ -s "$d/chokepoint/log" ] && sed 's/^/  agent log: /' "$d/chokepoint/log" | head -5
	rm -rf "$d"
}

cpu_model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
echo "== host collection cost: ${SECS}s windows from ${WARM}s after start, $RUNS runs x intervals ($INTERVALS)"
echo "== $(nproc) CPUs ($cpu_model), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== $("$AGENT" --version 2>&1 | head -1)$([ $HAVE_COLLECTD = 1 ] && echo ", $(collectd -h 2>&1 | sed -n 's/^collectd \([0-9]*\.[0-9]*\.[0-9]*\).*/collectd \1/p' | head -1)")$([ $HAVE_NODE = 1 ] && echo ", node_exporter $(prometheus-node-exporter --version 2>&1 | sed -n 's/.*version \([0-9.]*\).*/\1/p' | head -1)")"
echo "== data directories under $W ($(stat -f -c %T "$W") filesystem)"
for r in $(seq 1 "$RUNS"); do
	for i in $INTERVALS; do
		one_run "$r" "$i"
	done
done
summary "$RES"
