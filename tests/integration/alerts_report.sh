#!/bin/sh
# `chokepoint report --json` on a DB server whose data disk is saturated: a
# copy of a real procfs fixture whose /proc/diskstats advances in real
# time (sdb 100% busy with 8 I/Os queued and slow writes, sda nearly idle),
# the agent collecting every second. The report of the running agent
# (through /api/v1/bottlenecks) and the report sampled locally after the
# agent stopped (history from its RRD files) both rank sdb first as the
# "DB disk I/O" choke point, with evidence, p95 and max.
. "$(dirname "$0")/lib.sh"

FIX="$TOP/tests/fixtures/host/linux-6.8-two-snapshots/t0"
[ -f "$PLUGINS/diskio.so" ] || { skip "diskio collector not built"; finish; }

cp -R "$FIX/proc" "$T/proc"
# The writer: counters = base + rate x elapsed, rewritten every 100 ms.
cat > "$T/writer.py" <<'EOP'
import os, sys, time
out = sys.argv[1]
t0 = time.time()
# reads, rd_ms, writes, wr_ms, in_flight, io_ms, weighted_ms per second
disks = {
    "sda": (5, 5, 10, 20, 0, 20, 25),
    "sdb": (300, 1800, 900, 7200, 8, 1000, 8000),
}
while True:
    dt = time.time() - t0
    lines = []
    for i, (name, r) in enumerate(sorted(disks.items())):
        rd, rdms, wr, wrms, io, wt = (int(1000 + r[k] * dt)
                                      for k in (0, 1, 2, 3, 5, 6))
        infl = r[4]
        lines.append("   8 %7d %s %d 0 %d %d %d 0 %d %d %d %d %d 0 0 0 0 0 0\n"
                     % (i * 16, name, rd, rd * 8, rdms, wr, wr * 8, wrms,
                        infl, io, wt))
    with open(out + ".new", "w") as f:
        f.writelines(lines)
    os.rename(out + ".new", out)
    time.sleep(0.1)
EOP
python3 "$T/writer.py" "$T/proc/diskstats" &
track $!

PORT=$(free_port)
cat > "$T/r.yaml" <<EOC
agent:
  hostname: db1
  data_dir: $T/data
  interval: 1s
  procfs: $T/proc
  sysfs: $FIX/sys
  plugin_dir: $PLUGINS
# 1 s steps: small RRAs, or 2 days of them are 2.7 MB a file.
storage: {rra: [{step: full, keep: 10m}]}
web:
  listen: 127.0.0.1:$PORT
collectors:
  cpu: {}
  memory: {}
  diskio: {}
bottlenecks: {host_role: db, window: 5m}
EOC

"$CP" run -c "$T/r.yaml" > "$T/agent.log" 2>&1 &
AGENT=$!
track $AGENT
wait_http "http://127.0.0.1:$PORT/healthz" || diag "agent did not answer"
sleep 8

first() { # first FILE EXPR: python expression on the first bottleneck b
	python3 -c "import json; j=json.load(open('$1')); b=j['bottlenecks'][0]; print($2)"
}
"$CP" report -c "$T/r.yaml" --json > "$T/live.json" 2> "$T/live.err"
check "report --json (running agent) exits 0 with JSON" python3 -c "import json; json.load(open('$T/live.json'))"
check "running agent: the saturated DB disk ranks first" test "$(first "$T/live.json" "b['resource'], b['class']")" = "db1 disk sdb DB disk I/O"
check "running agent: evidence of utilisation and queue" python3 -c "
import json; b = json.load(open('$T/live.json'))['bottlenecks'][0]
ev = {e['metric']: e for e in b['evidence']}
assert ev['disk_util_ratio']['value'] > 0.9, ev
assert ev['disk_queue_size']['value'] > 4, ev
assert b['saturation'] > 0.2 and b['utilization']['p95'] > 0.9, b"
check "running agent: sda is quiet and ranks below" python3 -c "
import json; bs = json.load(open('$T/live.json'))['bottlenecks']
sda = [b for b in bs if b['resource'] == 'db1 disk sda'][0]
assert sda['rank'] > 1 and sda['utilization']['now'] < 0.1"
"$CP" report -c "$T/r.yaml" > "$T/live.txt"
check "text report names the disk and its class" grep -q "1\. db1 disk sdb .*\[DB disk I/O\]" "$T/live.txt"
check "/api/v1/bottlenecks?window=bad is a 400" test "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/api/v1/bottlenecks?window=bad")" = 400

kill $AGENT
wait $AGENT
# Without the agent: sampled here, history from the RRD files it left.
"$CP" report -c "$T/r.yaml" --json --sample 1s > "$T/local.json" 2> "$T/local.err"
check "report --json without the agent exits 0" test $? -eq 0
check "local sample: the saturated DB disk ranks first" test "$(first "$T/local.json" "b['resource'], b['class']")" = "db1 disk sdb DB disk I/O"
check "local sample: p95 and max come from the RRD history" python3 -c "
import json; b = json.load(open('$T/local.json'))['bottlenecks'][0]
ev = {e['metric']: e for e in b['evidence']}
assert 'p95' in ev['disk_util_ratio'] and ev['disk_util_ratio']['max'] > 0.9, ev"
check "report: bad --window is a usage error" sh -c "! '$CP' report -c '$T/r.yaml' --window 5x"
finish
