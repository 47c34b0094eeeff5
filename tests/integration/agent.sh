#!/bin/sh
# The built agent end to end: CLI, config errors, a run at a 1 s interval
# against a fixture procfs/sysfs tree and against the real /proc, /metrics
# through promtool, RRD files readable with rrdtool, SIGTERM flush, SIGHUP
# with a broken and a good config, exit codes, plugin refusal, a slow
# collector skipped without delaying the others.
. "$(dirname "$0")/lib.sh"

FIX="$TOP/tests/fixtures/host/linux-6.8-two-snapshots"

# ---------------------------------------------------------------- CLI
check "--help exits 0" "$CP" --help
"$CP" --version | grep -q '^chokepoint [0-9]' && ok "--version" || not_ok "--version"
"$CP" bogus >/dev/null 2>&1
[ $? -eq 2 ] && ok "unknown command exits 2" || not_ok "unknown command exits 2"

# ------------------------------------------------------------- check
cat > "$T/bad.yaml" <<EOC
agent:
  interval: 10 seconds
  plugin_dir: $PLUGINS
collectors:
  cpu: {}
  nosuch: {}
  memory: {bogus_option: 1}
EOC
"$CP" check -c "$T/bad.yaml" > "$T/check.out" 2>&1
rc=$?
[ $rc -eq 1 ] && ok "check: invalid config exits 1" || not_ok "check: invalid config exits 1 (got $rc)"
grep -q "bad.yaml:2:13: 'interval': expected a duration" "$T/check.out" &&
	ok "check: bad duration at 2:13" || { not_ok "check: bad duration at 2:13"; sed 's/^/# /' "$T/check.out"; }
grep -q "bad.yaml:6:11: unknown collector 'nosuch'" "$T/check.out" &&
	ok "check: unknown collector at 6:11" || not_ok "check: unknown collector at 6:11"
grep -q "bad.yaml:7:12: unknown key 'bogus_option' in collector 'memory'" "$T/check.out" &&
	ok "check: unknown collector option at 7:12" || not_ok "check: unknown collector option at 7:12"
printf 'agent: {plugin_dir: %s}\ncollectors: {cpu: {}}\n' "$PLUGINS" > "$T/good.yaml"
check "check: valid config exits 0" "$CP" check -c "$T/good.yaml"
"$CP" run -c "$T/bad.yaml" > "$T/run-bad.out" 2>&1
[ $? -eq 1 ] && grep -q "not starting" "$T/run-bad.out" &&
	ok "run refuses an invalid config (exit 1)" || not_ok "run refuses an invalid config"

# ------------------------------------------------- environment errors
PORT=$(free_port)
printf 'agent: {plugin_dir: %s, data_dir: /dev/null/x}\nweb: {listen: 127.0.0.1:%s}\ncollectors: {}\n' \
	"$PLUGINS" "$PORT" > "$T/nodir.yaml"
"$CP" run -c "$T/nodir.yaml" > "$T/nodir.out" 2>&1
refused "unusable data dir: one line, exit 2" "$T/nodir.out" $? "data directory"
printf 'agent: {plugin_dir: %s/none, data_dir: %s/d0}\nweb: {listen: 127.0.0.1:%s}\ncollectors: {}\n' \
	"$T" "$T" "$PORT" > "$T/noplug.yaml"
"$CP" run -c "$T/noplug.yaml" > "$T/noplug.out" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q "plugin directory" "$T/noplug.out" &&
	ok "missing plugin dir: exit 2" || not_ok "missing plugin dir: exit 2 (rc $rc)"
python3 -c 'import socket,time,sys
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); time.sleep(30)' "$PORT" &
BUSY=$!
track $BUSY
wait_for sh -c "ss -ltn | grep -q ':$PORT '"
printf 'agent: {plugin_dir: %s, data_dir: %s/d1}\nweb: {listen: 127.0.0.1:%s}\ncollectors: {}\n' \
	"$PLUGINS" "$T" "$PORT" > "$T/busy.yaml"
"$CP" run -c "$T/busy.yaml" > "$T/busy.out" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q "cannot listen on 127.0.0.1:$PORT" "$T/busy.out" &&
	ok "port in use: exit 2" || { not_ok "port in use: exit 2 (rc $rc)"; sed 's/^/# /' "$T/busy.out"; }
kill $BUSY 2>/dev/null

# ------------------------------------ a run against a fixture tree
mkdir -p "$T/root" "$T/plugins"
cp -R "$FIX/t0/." "$T/root/"
cp "$PLUGINS"/*.so "$T/plugins/"
cc -std=c11 -fPIC -shared -fvisibility=hidden -I"$TOP/agent" -o "$T/plugins/badabi.so" "$TOP/tests/plugins/badabi.c"
cc -std=c11 -fPIC -shared -fvisibility=hidden -I"$TOP/agent" -o "$T/plugins/slow.so" "$TOP/tests/plugins/slow.c"
PORT=$(free_port)
cat > "$T/fix.yaml" <<EOC
agent:
  name: it-site
  hostname: fixhost
  data_dir: $T/data
  interval: 1s
  procfs: $T/root/proc
  sysfs: $T/root/sys
  plugin_dir: $T/plugins
web:
  listen: 127.0.0.1:$PORT
storage:
  flush_interval: 1h
collectors:
  cpu: {}
  memory: {processes: {web: [nginx, php-fpm], db: [postgres]}}
  diskio: {}
  badabi: {}
  slow: {sleep: 2500ms}
EOC
"$CP" run -c "$T/fix.yaml" > "$T/agent.log" 2>&1 &
AGENT=$!
track $AGENT
if wait_http "http://127.0.0.1:$PORT/healthz"; then ok "agent serves /healthz"; else not_ok "agent serves /healthz"; fi
# A second agent on the same data directory (another port) is refused,
# and told which process holds it.
sed "s|127.0.0.1:$PORT|127.0.0.1:$(free_port)|" "$T/fix.yaml" > "$T/fix2.yaml"
"$CP" run -c "$T/fix2.yaml" > "$T/second.out" 2>&1
refused "a second agent on the data directory: one line naming the first, exit 2" \
	"$T/second.out" $? "data directory $T/data is in use by another agent (pid $AGENT)"
grep -q "collector 'badabi' refused: .*ABI 999.*this agent has ABI 1" "$T/agent.log" &&
	ok "wrong-ABI plugin refused with a clear line, agent runs" || { not_ok "wrong-ABI plugin refused"; sed 's/^/# /' "$T/agent.log"; }
sleep 2.2
cp -R "$FIX/t1/." "$T/root/"
sleep 3.5
curl -fsS "http://127.0.0.1:$PORT/metrics" > "$T/m1.txt"
for m in cpu_ratio cpu_busy_ratio load1 memory_total_bytes memory_used_ratio \
	process_rss_bytes disk_util_ratio disk_read_bytes_per_second; do
	grep -q "^chokepoint_$m{target=\"fixhost\"" "$T/m1.txt" && ok "/metrics has $m" || not_ok "/metrics has $m"
done
v=$(metric_value memory_total_bytes 'target="fixhost"' "$T/m1.txt")
exp=$(awk '/^MemTotal:/ {printf "%.0f", $2 * 1024}' "$FIX/t1/proc/meminfo")
[ "$v" = "$exp" ] && ok "memory_total_bytes = MemTotal of the fixture ($exp)" || not_ok "memory_total_bytes $v != $exp"
if command -v promtool >/dev/null; then
	promtool check metrics < "$T/m1.txt" > "$T/promtool.out" 2>&1
	rc=$?
	[ $rc -eq 0 ] && ok "promtool check metrics passes" || { not_ok "promtool check metrics (rc $rc)"; head -20 "$T/promtool.out" | sed 's/^/# /'; }
else
	not_ok "promtool missing (make deps installs prometheus)"
fi
grep -q '^# HELP chokepoint_cpu_ratio ' "$T/m1.txt" && grep -q '^# TYPE chokepoint_cpu_ratio gauge' "$T/m1.txt" &&
	grep -q '^# TYPE chokepoint_context_switches_total counter' "$T/m1.txt" &&
	ok "HELP and TYPE lines" || not_ok "HELP and TYPE lines"

# The slow collector: skipped ticks counted, the others kept their pace.
skipped=$(metric_value collector_skipped_total 'collector="slow"' "$T/m1.txt")
cpu_runs=$(metric_value collector_runs_total 'collector="cpu"' "$T/m1.txt")
slow_runs=$(metric_value collector_runs_total 'collector="slow"' "$T/m1.txt")
diag "after ~6 s: cpu runs $cpu_runs, slow runs $slow_runs, slow skipped $skipped"
[ "${skipped:-0}" -ge 1 ] && ok "slow collector's overlapping ticks are skipped and counted" || not_ok "skipped ticks counted ($skipped)"
[ "${cpu_runs:-0}" -ge 5 ] && ok "other collectors keep their 1 s pace ($cpu_runs runs)" || not_ok "cpu kept its pace ($cpu_runs runs)"

# SIGHUP with a broken config: keeps running with the old one.
cp "$T/fix.yaml" "$T/fix.good"
printf 'agent: [\n' >> "$T/fix.yaml"
kill -HUP $AGENT
sleep 1
grep -q "new config is invalid; keeping the running one" "$T/agent.log" && kill -0 $AGENT &&
	curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null &&
	ok "SIGHUP with a broken config keeps running" || not_ok "SIGHUP with a broken config keeps running"
grep -q "config: $T/fix.yaml:[0-9]*:[0-9]*: " "$T/agent.log" &&
	ok "the reload error names FILE:LINE:COL" || not_ok "the reload error names FILE:LINE:COL"
# SIGHUP with a good config: reloaded (slow collector dropped).
sed '/slow:/d; /badabi:/d' "$T/fix.good" > "$T/fix.yaml"
kill -HUP $AGENT
wait_for grep -q "agent: reloaded: 3 collectors" "$T/agent.log" &&
	ok "SIGHUP with a valid config reloads" || not_ok "SIGHUP with a valid config reloads"

# Reload after reload while HTTP requests read the config: a replaced
# config is freed once no request holds it, so memory stays flat (it grew
# 4.5 kB a reload when every old config was kept), and nothing reads a
# freed one (a SAN=1 build aborts on a use after free).
hup_burst() { # N
	j=0
	while [ $j -lt "$1" ]; do
		kill -HUP $AGENT
		curl -s -o /dev/null "http://127.0.0.1:$PORT/api/v1/targets"
		curl -s -o /dev/null "http://127.0.0.1:$PORT/api/v1/bottlenecks"
		j=$((j + 1))
	done
}
reloads() { grep -c "agent: reloaded" "$T/agent.log"; }
hup_burst 50
sleep 1
rss0=$(awk '/^VmRSS/ {print $2}' /proc/$AGENT/status)
n0=$(reloads)
hup_burst 250
sleep 1
rss1=$(awk '/^VmRSS/ {print $2}' /proc/$AGENT/status)
n=$(($(reloads) - n0))
diag "$n reloads: RSS $rss0 -> $rss1 kB"
kill -0 $AGENT && curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null &&
	[ "$n" -ge 100 ] && ok "$n reloads under HTTP requests: still serving" ||
	not_ok "reloads under HTTP requests ($n reloads, agent $(kill -0 $AGENT 2>/dev/null && echo alive || echo gone))"
per=$((n > 0 ? (rss1 - rss0) * 1024 / n : 0))
if [ "${SAN:-}" = 1 ]; then
	skip "RSS per reload (the sanitizer keeps freed memory)"
elif [ "$n" -ge 100 ] && [ "$per" -lt 1000 ]; then
	ok "memory per reload under 1 kB ($per B)"
else
	not_ok "memory per reload: $per B over $n reloads"
fi

# SIGTERM flushes: flush_interval is 1h, so nothing is on disk before it.
n_before=$(find "$T/data/rrd" -name '*.rrd' 2>/dev/null | wc -l)
kill -TERM $AGENT
i=0
while kill -0 $AGENT 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -0 $AGENT 2>/dev/null && not_ok "agent exits on SIGTERM" || ok "agent exits on SIGTERM"
wait $AGENT
rc=$?
[ $rc -eq 0 ] && ok "exit status 0 after SIGTERM" || not_ok "exit status 0 after SIGTERM ($rc)"
f="$T/data/rrd/fixhost/memory_total_bytes/value.rrd"
if [ -f "$f" ]; then
	ok "RRD file at DATA_DIR/rrd/TARGET/METRIC/INSTANCE.rrd"
	last=$(rrdtool lastupdate "$f" | tail -1 | awk '{print $2}')
	[ "$(printf '%.0f' "$last")" = "$exp" ] && ok "SIGTERM flushed: lastupdate = $exp" || not_ok "lastupdate $last != $exp"
	rrdtool fetch "$f" AVERAGE -s -2min | grep -qE '^[0-9]+: [0-9]' &&
		ok "rrdtool fetch AVERAGE shows values" || not_ok "rrdtool fetch AVERAGE shows values"
	rrdtool fetch "$f" MAX -s -2min | grep -qE '^[0-9]+: [0-9]' &&
		ok "rrdtool fetch MAX shows values" || not_ok "rrdtool fetch MAX shows values"
	rrdtool info "$f" | grep -q 'rra\[0\].cf = "AVERAGE"' && rrdtool info "$f" | grep -q '"MAX"' &&
		ok "RRAs keep AVERAGE and MAX" || not_ok "RRAs keep AVERAGE and MAX"
else
	not_ok "RRD file at DATA_DIR/rrd/TARGET/METRIC/INSTANCE.rrd"
fi
diag "rrd files before SIGTERM: $n_before, after: $(find "$T/data/rrd" -name '*.rrd' | wc -l)"
ls "$T/data/rrd/fixhost/disk_read_bytes_per_second/" 2>/dev/null | grep -q '\.rrd$' &&
	ok "counter rates stored as RRD series" || not_ok "counter rates stored as RRD series"
[ -f "$T/data/chokepoint.db" ] && [ "$(sqlite3 "$T/data/chokepoint.db" 'PRAGMA user_version')" -ge 1 ] &&
	ok "SQLite store created with a schema version" || not_ok "SQLite store created with a schema version"

# --------------------------------------------- against the real /proc
PORT=$(free_port)
cat > "$T/real.yaml" <<EOC
agent: {data_dir: $T/data2, interval: 1s, plugin_dir: $PLUGINS, hostname: realhost}
web: {listen: 127.0.0.1:$PORT}
collectors: {cpu: {}, memory: {processes: {self: [chokepoint]}}, diskio: {}}
EOC
"$CP" run -c "$T/real.yaml" > "$T/real.log" 2>&1 &
REAL=$!
track $REAL
wait_http "http://127.0.0.1:$PORT/healthz"
sleep 3.2
curl -fsS "http://127.0.0.1:$PORT/metrics" > "$T/m2.txt"
busy=$(metric_value cpu_busy_ratio 'cpu="total"' "$T/m2.txt")
awk -v b="$busy" 'BEGIN {exit !(b != "" && b >= 0 && b <= 1)}' &&
	ok "real /proc: cpu_busy_ratio total in 0..1 ($busy)" || not_ok "real /proc: cpu_busy_ratio ($busy)"
n=$(metric_value process_instances 'group="self"' "$T/m2.txt")
[ "${n:-0}" -ge 1 ] && ok "real /proc: process group finds the agent itself ($n)" || not_ok "real /proc: process group self ($n)"
promtool check metrics < "$T/m2.txt" >/dev/null 2>&1 && ok "real /proc: promtool passes" || not_ok "real /proc: promtool passes"
grep -qi "warning" "$T/real.log" && { diag "warnings:"; grep -i warning "$T/real.log" | head -5 | sed 's/^/# /'; }
kill -TERM $REAL
wait $REAL
# ----------------------------------------- the file template helper
H="$TOP/$BUILD/chokepoint-rrd-create"
"$H" >/dev/null 2>&1
[ $? -eq 2 ] && ok "rrd helper: no arguments exits 2" || not_ok "rrd helper: no arguments exits 2"
"$H" __rrd-create "$T/h.rrd" 0 1700000000 DS:value:GAUGE:20:U:U RRA:AVERAGE:0.5:1:10 2>"$T/h.err"
[ $? -eq 2 ] && grep -q "bad step '0'" "$T/h.err" && [ ! -e "$T/h.rrd" ] &&
	ok "rrd helper: a bad step exits 2 and says so" || not_ok "rrd helper: bad step"
"$H" __rrd-create "$T/h.rrd" 10 1700000000 DS:value:GAUGE:20:U:U RRA:BOGUS:0.5:1:10 2>"$T/h.err"
[ $? -eq 1 ] && grep -q "h.rrd: " "$T/h.err" && [ ! -e "$T/h.rrd" ] &&
	ok "rrd helper: librrd's refusal exits 1 naming the file" ||
	{ not_ok "rrd helper: librrd's refusal"; sed 's/^/# /' "$T/h.err"; }
"$H" __rrd-create "$T/h.rrd" 10 1700000000 DS:value:GAUGE:20:U:U \
	RRA:AVERAGE:0.5:1:10 RRA:MAX:0.5:1:10 &&
	rrdtool info "$T/h.rrd" > "$T/h.info" && grep -q '^step = 10$' "$T/h.info" &&
	grep -q '^last_update = 1700000000$' "$T/h.info" && grep -q '^rra\[1\]\.cf = "MAX"$' "$T/h.info" &&
	ok "rrd helper makes the file librrd was asked for" || not_ok "rrd helper makes the file"
# An installed agent (PREFIX/bin) runs the helper in PREFIX/lib/chokepoint
# (here a wrapper that logs its arguments) for each template, and copies
# its files from the template.
mkdir -p "$T/inst/bin" "$T/inst/lib/chokepoint"
cp "$CP" "$T/inst/bin/chokepoint"
cat > "$T/inst/lib/chokepoint/chokepoint-rrd-create" <<EOS
#!/bin/sh
echo "\$*" >> "$T/helper.calls"
exec "$H" "\$@"
EOS
chmod 755 "$T/inst/lib/chokepoint/chokepoint-rrd-create"
PORT=$(free_port)
cat > "$T/helper.yaml" <<EOC
agent: {data_dir: $T/data-h, interval: 1s, plugin_dir: $PLUGINS, procfs: $FIX/t0/proc, sysfs: $FIX/t0/sys, hostname: hh}
web: {listen: 127.0.0.1:$PORT}
storage: {flush_interval: 1s}
collectors: {cpu: {}}
EOC
"$T/inst/bin/chokepoint" run -c "$T/helper.yaml" > "$T/helper.log" 2>&1 &
HP=$!
track $HP
wait_http "http://127.0.0.1:$PORT/healthz"
n=0
for _ in $(seq 1 50); do
	n=$(find "$T/data-h/rrd" -name '*.rrd' 2>/dev/null | wc -l)
	[ "$n" -gt 0 ] && break
	sleep 0.2
done
kill -TERM $HP
wait $HP
grep -q "^__rrd-create $T/data-h/rrd/.template-1-[0-9]* 1 [0-9]* DS:value:GAUGE:" "$T/helper.calls" 2>/dev/null &&
	[ "$n" -gt 0 ] && rrdtool info "$(find "$T/data-h/rrd" -name '*.rrd' | head -1)" >/dev/null &&
	ok "an installed agent makes templates with PREFIX/lib/chokepoint/chokepoint-rrd-create ($n files)" ||
	{ not_ok "an installed agent makes templates with its helper ($n files)"; sed 's/^/# /' "$T/helper.log" "$T/helper.calls"; }
# ------------------------------- kill -9 never leaves an unreadable RRD
PORT=$(free_port)
cat > "$T/k9.yaml" <<EOC
agent: {data_dir: $T/data3, interval: 1s, plugin_dir: $PLUGINS, hostname: k9host}
web: {listen: 127.0.0.1:$PORT}
storage: {flush_interval: 1s}
collectors: {cpu: {interval: 500ms}, memory: {interval: 500ms}, diskio: {interval: 500ms}}
EOC
"$CP" run -c "$T/k9.yaml" > "$T/k9.log" 2>&1 &
K9=$!
track $K9
wait_http "http://127.0.0.1:$PORT/healthz"
sleep 3.3
kill -9 $K9
wait $K9 2>/dev/null
bad=0
total=0
for f in $(find "$T/data3/rrd" -name '*.rrd'); do
	total=$((total + 1))
	rrdtool info "$f" >/dev/null 2>&1 || { bad=$((bad + 1)); diag "unreadable: $f"; }
done
[ $total -gt 0 ] && [ $bad -eq 0 ] && ok "after kill -9 all $total RRD files are readable" ||
	not_ok "after kill -9: $bad of $total RRD files unreadable"
left=$(find "$T/data3/rrd" -name '*.tmp*' | wc -l)
diag "temporary files left by the kill: $left"
"$CP" run -c "$T/k9.yaml" > "$T/k9b.log" 2>&1 &
K9=$!
track $K9
wait_http "http://127.0.0.1:$PORT/healthz" && sleep 2.5 &&
	curl -fsS "http://127.0.0.1:$PORT/metrics" | grep -q '^chokepoint_cpu_ratio{target="k9host"' &&
	ok "restart after kill -9 collects again" || not_ok "restart after kill -9 collects again"
kill -TERM $K9
wait $K9
[ $? -eq 0 ] && ok "clean exit after the restart" || not_ok "clean exit after the restart"
# Templates of new files: a kill -9 leaves them, the next start and stop clear them.
tl=$(find "$T/data3/rrd" -maxdepth 1 -name '.template-*' | wc -l)
[ "$tl" -eq 0 ] && ok "no file template left after restart and stop" ||
	not_ok "file templates left after restart and stop: $tl"
if grep -qi "corrupt" "$T/k9b.log"; then diag "$(grep -i corrupt "$T/k9b.log" | head -3)"; fi

# ------------------- a damaged events database does not stop monitoring
# It is moved aside (kept), a new one is made, and collection goes on.
head -c 65536 /dev/urandom > "$T/data3/chokepoint.db"
cp "$T/data3/chokepoint.db" "$T/garbage.db"
rm -f "$T/data3/chokepoint.db-wal" "$T/data3/chokepoint.db-shm"
"$CP" run -c "$T/k9.yaml" > "$T/k9c.log" 2>&1 &
K9=$!
track $K9
if wait_http "http://127.0.0.1:$PORT/healthz" &&
	grep -q "file is not a database; moved aside to chokepoint.db.corrupt-" "$T/k9c.log"; then
	ok "a garbage chokepoint.db: the agent starts, and says it moved it aside"
else
	not_ok "a garbage chokepoint.db: the agent starts, and says it moved it aside"
fi
aside=$(find "$T/data3" -maxdepth 1 -name 'chokepoint.db.corrupt-*' ! -name '*-wal' ! -name '*-shm' | head -1)
check "the damaged file is kept byte for byte" cmp "$aside" "$T/garbage.db"
check "the new database has the current schema" \
	test "$(sqlite3 "$T/data3/chokepoint.db" 'PRAGMA user_version')" -ge 1

# The whole data directory removed while it runs (to free space, say):
# the database is opened again at the next maintenance tick (10 s), with
# every module's tables, and the RRD files are made again. First let the
# writer open them (flush_interval 1s).
sleep 3
rm -rf "$T/data3"
# The log line comes after the file is made again: wait for it.
if wait_for_s 15 grep -q "chokepoint.db was deleted or replaced while running; opened it again" "$T/k9c.log"; then
	ok "data directory removed: the database is opened again, and the log says so"
else
	not_ok "data directory removed: the database is opened again, and the log says so"
fi
check "with the alert engine's tables in it" \
	sh -c "sqlite3 '$T/data3/chokepoint.db' .tables | grep -q alert_log"
if ls -l "/proc/$K9/fd" | grep -q 'chokepoint.db.*(deleted)'; then
	not_ok "no deleted database file held open"
else
	ok "no deleted database file held open"
fi
check "RRD files made again" wait_for sh -c "find '$T/data3/rrd' -name '*.rrd' | grep -q ."
check "and the log says they were deleted" grep -q "deleted while the agent runs; making a new one" "$T/k9c.log"
# The template went with the directory: made again once, not bypassed by
# a librrd create per file.
if grep -q "copy of .*template" "$T/k9c.log"; then
	not_ok "the deleted template is made again"
else
	ok "the deleted template is made again"
fi
kill -TERM $K9
wait $K9
check "clean exit" test $? -eq 0
finish
