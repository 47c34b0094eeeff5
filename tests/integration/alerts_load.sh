#!/bin/sh
# 1,000 alerts firing together must not delay collection: a procfs copy
# with 1,000 disks whose in-flight count jumps above a rule's threshold in
# one interval, every instance notified separately (group: false, so 1,000
# hook processes). The diskio collector's run time (median over the
# intervals before and during the storm) may grow by at most 10% of the
# interval, and no collection tick may be skipped.
. "$(dirname "$0")/lib.sh"

FIX="$TOP/tests/fixtures/host/linux-6.8-two-snapshots/t0"
DB="$T/data/chokepoint.db"
N=1000
command -v sqlite3 >/dev/null || { not_ok "sqlite3 CLI missing (make deps)"; finish; }
[ -f "$PLUGINS/diskio.so" ] || { skip "diskio collector not built"; finish; }

cp -R "$FIX/proc" "$T/proc"
disks() { # disks INFLIGHT: N disks, counters fixed, in-flight as given
	# Names of letters only: a trailing digit would read as a partition.
	awk -v n=$N -v f="$1" 'BEGIN { a = "abcdefghijklmnopqrstuvwxyz"
		for (i = 0; i < n; i++) {
			nm = "vd" substr(a, int(i / 676) % 26 + 1, 1) \
			    substr(a, int(i / 26) % 26 + 1, 1) substr(a, i % 26 + 1, 1)
			printf "%4d %7d %s 100 0 800 50 200 0 1600 90 %d 120 140 0 0 0 0 0 0\n",
				252, i, nm, f } }' > "$T/proc/diskstats.new"
	mv "$T/proc/diskstats.new" "$T/proc/diskstats"
}
PORT=$(free_port)
cat > "$T/l.yaml" <<EOC
agent:
  hostname: load1
  data_dir: $T/data
  interval: 1s
  procfs: $T/proc
  sysfs: $FIX/sys
  plugin_dir: $PLUGINS
# 1 s steps: small RRAs, or 2 days of them are 2.7 MB a file.
storage: {rra: [{step: full, keep: 2m}]}
web:
  listen: 127.0.0.1:$PORT
collectors:
  diskio: {}
alerts:
  - {name: storm, metric: disk_inflight, above: 5, severity: critical}
hooks:
  - {name: each, exec: [/bin/true], group: false, concurrency: 4,
     match: {rule: storm}}
EOC

# sample SECONDS FILE: diskio's last run time, once a second.
sample() {
	i=0
	while [ $i -lt "$1" ]; do
		curl -fsS "http://127.0.0.1:$PORT/metrics" 2>/dev/null |
			grep -E '^chokepoint_collector_duration_seconds\{.*collector="diskio"' |
			awk '{print $NF}' >> "$2"
		sleep 1
		i=$((i + 1))
	done
}
skipped() {
	curl -fsS "http://127.0.0.1:$PORT/metrics" 2>/dev/null |
		grep -E '^chokepoint_collector_skipped_total\{.*collector="diskio"' |
		awk '{print $NF}'
}
median() { sort -g "$1" | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

disks 0
"$CP" run -c "$T/l.yaml" > "$T/agent.log" 2>&1 &
AGENT=$!
track $AGENT
wait_http "http://127.0.0.1:$PORT/healthz" || diag "agent did not answer"
sleep 3
sample 8 "$T/before"
sk0=$(skipped)
disks 10
sample 8 "$T/during"
sk1=$(skipped)
b=$(median "$T/before")
d=$(median "$T/during")
diag "diskio run time, median: before $b s, during the storm $d s (interval 1 s)"
fired=$(sqlite3 "$DB" "SELECT count(*) FROM alert_log WHERE rule = 'storm' AND to_state = 'firing'")
check "all $N alerts fired in the log" test "$fired" -eq $N
check "collection not delayed by more than 10% of the interval" \
	awk -v b="$b" -v d="$d" 'BEGIN { exit !(d - b <= 0.1) }'
check "no collection tick skipped during the storm (skipped $sk0 -> $sk1)" test "${sk1:-x}" = "${sk0:-y}"
ts=$(date +%s)
wait_for sh -c "[ \"\$(sqlite3 $DB \"SELECT count(*) FROM hook_runs WHERE result = 'ok'\")\" -ge $N ]"
runs=$(sqlite3 "$DB" "SELECT count(*) FROM hook_runs WHERE result = 'ok'")
diag "hook runs completed: $runs (waited $(($(date +%s) - ts)) s)"
check "every instance notified once ($N hook runs, no more)" test "$runs" -eq $N
ev=$(curl -fsS "http://127.0.0.1:$PORT/metrics" | grep -E '^chokepoint_alert_eval_seconds' | awk '{print $NF}')
diag "last alert pass took $ev s"
diag "data directory: $(du -sh "$T/data" | cut -f1)"
ts=$(date +%s)
kill $AGENT
wait $AGENT
rc=$?
diag "stop took $(($(date +%s) - ts)) s"
check "agent stops cleanly with $N alerts firing" test $rc -eq 0
finish
