#!/bin/sh
# Alerts end to end in the built agent: a copy of a real procfs fixture
# whose /proc/meminfo is rewritten between intervals drives memory_used_ratio
# across a rule's thresholds (above 0.9, clear 0.8, for 2s). A recording
# hook must run exactly once on firing with the expected JSON and
# CHOKEPOINT_* environment, again at the repeat interval, not at all inside
# the hysteresis band, and exactly once on recovery. Then: a silence made
# through the API holds a firing back (logged with the reason), a restart
# while firing neither re-sends nor forgets it, a hung hook is killed at
# its timeout and a failing hook is retried (hook_runs in SQLite).
. "$(dirname "$0")/lib.sh"

FIX="$TOP/tests/fixtures/host/linux-6.8-two-snapshots/t0"
HOOKS="$TOP/tests/integration/hooks"
DB="$T/data/chokepoint.db"
REC="$T/rec"
command -v sqlite3 >/dev/null || { not_ok "sqlite3 CLI missing (make deps)"; finish; }
[ -f "$PLUGINS/memory.so" ] || { skip "memory collector not built"; finish; }

cp -R "$FIX/proc" "$T/proc"
mem() { # mem RATIO: rewrite meminfo atomically with this used ratio
	awk -v r="$1" '/^MemTotal:/ {t=$2} {l[NR]=$0} END {
		for (i = 1; i <= NR; i++) {
			if (l[i] ~ /^MemAvailable:/)
				printf "MemAvailable:   %d kB\n", t * (1 - r)
			else
				print l[i]
		}}' "$FIX/proc/meminfo" > "$T/proc/meminfo.new"
	mv "$T/proc/meminfo.new" "$T/proc/meminfo"
}
calls() { find "$REC" -name '*.json' 2>/dev/null | wc -l; }
wait_calls() { # wait_calls N: until at least N calls (10 s)
	i=0
	while [ "$(calls)" -lt "$1" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}
jget() { # jget N EXPR: python expression on the Nth call's JSON as j
	python3 -c "import json,sys; j=json.load(open('$REC/$1.json')); print($2)"
}
q() { sqlite3 "$DB" "$1" 2>/dev/null; }

PORT=$(free_port)
cat > "$T/a.yaml" <<EOC
agent:
  name: site-a
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
  memory: {}
bottlenecks: {host_role: db}
alerts:
  - {name: memory-used, enabled: false}
  - name: mem-high
    metric: memory_used_ratio
    above: 0.9
    clear: 0.8
    for: 2s
    severity: critical
    repeat: 5s
hooks:
  - name: rec
    exec: [$HOOKS/record.sh, $REC]
    match: {rule: mem-high}
    concurrency: 1
    timeout: 5s
  - name: hang
    exec: [$HOOKS/hang.sh, $T/hang.log]
    match: {rule: mem-high}
    timeout: 1s
    retries: 0
    repeat: 0s
  - name: flaky
    exec: [$HOOKS/flaky.sh, $T/flaky.log]
    match: {rule: mem-high}
    retries: 3
    backoff: 200ms
    repeat: 0s
EOC

start() {
	"$CP" run -c "$T/a.yaml" >> "$T/agent.log" 2>&1 &
	AGENT=$!
	track $AGENT
	wait_http "http://127.0.0.1:$PORT/healthz" || diag "agent did not answer"
}
stop() {
	kill $AGENT
	wait $AGENT
}

mem 0.50
start
sleep 3
check "below the threshold: no hook call" test "$(calls)" -eq 0

mem 0.95
t0=$(date +%s)
wait_calls 1
t1=$(date +%s)
sleep 1.5
check "firing: the hook ran exactly once" test "$(calls)" -eq 1
check "firing waited for 'for' (>= 2 s)" test $((t1 - t0)) -ge 2
check "JSON: status firing after pending" test "$(jget 1 "j['status'],j['previous_status']")" = "firing pending"
check "JSON: rule, target, role, severity" test "$(jget 1 "j['rule'],j['target'],j['role'],j['severity']")" = "mem-high db1 db critical"
check "JSON: value and threshold" python3 -c "import json; j=json.load(open('$REC/1.json')); assert 0.94 < j['value'] < 0.96 and j['threshold'] == 0.9"
check "JSON: id, transition id, started, duration, dashboard URL" python3 -c "
import json; j=json.load(open('$REC/1.json'))
assert len(j['id']) == 16 and j['transition_id'] > 0
assert j['started'].endswith('Z') and j['duration_seconds'] >= 0
assert j['dashboard_url'] == 'http://127.0.0.1:$PORT/?page=alerts&id=' + j['id']
assert j['count'] == 1 and j['instances'][0]['labels']['metric'] == 'memory_used_ratio'"
check "env: CHOKEPOINT_* match the JSON" sh -c "grep -qx CHOKEPOINT_STATUS=firing $REC/1.env &&
	grep -qx CHOKEPOINT_RULE=mem-high $REC/1.env && grep -qx CHOKEPOINT_TARGET=db1 $REC/1.env &&
	grep -qx CHOKEPOINT_SEVERITY=critical $REC/1.env && grep -qx CHOKEPOINT_HOOK=rec $REC/1.env &&
	grep -qx \"CHOKEPOINT_ID=\$(python3 -c \"import json; print(json.load(open('$REC/1.json'))['id'])\")\" $REC/1.env"

# Repeat at 5 s while firing.
wait_calls 2
check "re-notified at the repeat interval" test "$(calls)" -eq 2
check "the repeat says so and keeps the id" test "$(jget 2 "j['repeat'], j['id'] == '$(jget 1 "j['id']")'")" = "True True"

# Inside the hysteresis band: still firing, no recovery.
mem 0.85
sleep 2.5
n=$(calls)
check "inside the band (0.85): no recovery" sh -c "! grep -l '\"status\":\"resolved\"' $REC/*.json"
mem 0.50
wait_for sh -c "grep -l '\"status\":\"resolved\"' $REC/*.json"
sleep 2
check "exactly one recovery" test "$(grep -l '"status":"resolved"' "$REC"/*.json | wc -l)" -eq 1
last=$(calls)
check "the recovery: resolved after firing, same id" test "$(jget "$last" "j['status'],j['previous_status'],j['id'] == '$(jget 1 "j['id']")'")" = "resolved firing True"
check "API: the log shows pending, firing, repeat, resolved" python3 -c "
import json, urllib.request
j = json.load(urllib.request.urlopen('http://127.0.0.1:$PORT/api/v1/alerts?limit=50'))
tos = [r['to'] for r in j['log'] if r['rule'] == 'mem-high']
for t in ('pending', 'firing', 'firing (repeat)', 'resolved'): assert t in tos, (t, tos)
assert not [a for a in j['alerts'] if a['rule'] == 'mem-high']"

# Hung and failing hooks (from the first firing): killed, retried.
check "hung hook killed at its 1 s timeout" sh -c "[ \"\$(sqlite3 $DB \"SELECT count(*) FROM hook_runs WHERE hook = 'hang' AND result = 'timeout' AND duration_ms < 4000\")\" -ge 1 ]"
check "failing hook retried until it worked" test "$(q "SELECT group_concat(result, ',') FROM (SELECT result FROM hook_runs WHERE hook = 'flaky' ORDER BY id LIMIT 3)")" = "failed,failed,ok"

# A silence through the API holds the next firing back.
sil=$(curl -fsS -X POST -d '{"match":{"rule":"mem-high"},"duration":"1h","comment":"db migration"}' \
	"http://127.0.0.1:$PORT/api/v1/silences")
check "POST /api/v1/silences creates one" python3 -c "import json; assert json.loads('$sil')['id'] > 0"
check "bad silences are refused with 400" test "$(curl -s -o /dev/null -w '%{http_code}' -X POST -d '{"match":{}}' "http://127.0.0.1:$PORT/api/v1/silences")" = 400
before=$(calls)
mem 0.95
wait_for sh -c "[ \"\$(sqlite3 $DB \"SELECT count(*) FROM alert_log WHERE rule = 'mem-high' AND to_state = 'firing' AND notified = 0 AND reason LIKE 'silence #%db migration'\")\" -ge 1 ]"
sleep 1
check "silenced firing: logged with the reason, no hook call" test "$(calls)" -eq "$before"
sid=$(python3 -c "import json; print(json.loads('$sil')['id'])")
check "DELETE /api/v1/silences/ID" curl -fsS -X DELETE "http://127.0.0.1:$PORT/api/v1/silences/$sid"
wait_calls $((before + 1))
check "after the silence: the firing alert goes out once" test "$(calls)" -eq $((before + 1))

# Restart while firing: no re-send, no loss; the recovery still comes.
stop
firing_id=$(jget "$(calls)" "j['id']")
before=$(calls)
start
sleep 3
# Only the 5 s repeat may come in this window, never a fresh firing.
fresh() { # fresh FROM: calls after FROM that are not repeats
	c=0
	for n in $(seq $(($1 + 1)) "$(calls)"); do
		[ "$(jget "$n" "j['repeat']")" = True ] || c=$((c + 1))
	done
	echo $c
}
check "restart while firing: nothing re-sent" test "$(fresh "$before")" -eq 0
check "restart while firing: still firing in the API" python3 -c "
import json, urllib.request
j = json.load(urllib.request.urlopen('http://127.0.0.1:$PORT/api/v1/alerts'))
assert [a for a in j['alerts'] if a['rule'] == 'mem-high' and a['status'] == 'firing' and a['id'] == '$firing_id']"
mem 0.50
wait_for sh -c "grep -l '\"status\":\"resolved\"' $REC/*.json | wc -l | grep -qx 2"
sleep 1.5
check "after restart: exactly one recovery, with the old id" test "$(fresh "$before") $(jget "$(calls)" "j['status'],j['id']")" = "1 resolved $firing_id"
# SIGHUP: a lower threshold takes effect without a restart.
before=$(calls)
sed -i 's/^    above: 0.9$/    above: 0.45/; s/^    clear: 0.8$/    clear: 0.4/' "$T/a.yaml"
kill -HUP $AGENT
wait_calls $((before + 1))
check "SIGHUP: the new threshold fires at 0.50" test "$(jget "$(calls)" "j['status'], j['threshold']")" = "firing 0.45"
stop
check "agent log has no errors" sh -c "! grep -E 'ERROR|AddressSanitizer|runtime error' $T/agent.log"
finish
