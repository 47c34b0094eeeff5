#!/bin/sh
# Alerts on a core switch polled over SNMP (snmpsim serving the project's
# core52 recording, counters moving at set rates): six 10G uplinks go from
# 40% to 97% out (the simulator restarted with new rates, a device reboot)
# and back. The hook must get ONE grouped notification listing the six
# ports when they saturate and ONE grouped recovery; a switch that stops
# answering raises target-down once.
. "$(dirname "$0")/lib.sh"

FIX="$TOP/tests/fixtures/snmp"
HOOKS="$TOP/tests/integration/hooks"
command -v snmpsimd >/dev/null || { skip "snmpsimd missing (make deps)"; finish; }
[ -f "$PLUGINS/snmp_if.so" ] || { skip "snmp_if collector not built"; finish; }

SPORT=$(free_port)
mkdir -p "$T/sim" "$T/simcache"
chmod 755 "$T"
# rates OUT_BYTES_PER_S: the recording with uplinks 1-6 sending that much.
rates() {
	awk -F'|' -v r="$1" '
		$1 ~ /^1\.3\.6\.1\.2\.1\.31\.1\.1\.1\.10\.[1-6]$/ {
			sub(/rate=[0-9]+/, "rate=" r, $3); print $1 "|" $2 "|" $3; next }
		{ print }' "$FIX/core52.snmprec" > "$T/sim/core52.snmprec"
	chmod -R a+rX "$T/sim"
}
SIM=""
sim() {
	set -- --data-dir="$T/sim" --agent-udpv4-endpoint=127.0.0.1:"$SPORT" \
		--cache-dir="$T/simcache" --force-index-rebuild --logging-method=null
	if [ "$(id -u)" -eq 0 ]; then
		chown nobody "$T/simcache"
		grp=nogroup
		getent group nogroup >/dev/null || grp=nobody
		set -- "$@" --process-user=nobody --process-group=$grp
	fi
	snmpsimd "$@" > "$T/sim.log" 2>&1 &
	SIM=$!
	track $SIM
	wait_for snmpget -v2c -c core52 -t 1 -r 0 127.0.0.1:"$SPORT" 1.3.6.1.2.1.1.5.0
}
sim_stop() {
	kill $SIM 2>/dev/null
	wait $SIM 2>/dev/null
}
REC="$T/rec"
DOWN="$T/down"
calls() { find "$1" -name '*.json' 2>/dev/null | wc -l; }
wait_calls() { # wait_calls DIR N [TENTHS]
	i=0
	while [ "$(calls "$1")" -lt "$2" ] && [ $i -lt "${3:-150}" ]; do
		sleep 0.1
		i=$((i + 1))
	done
}
jget() { python3 -c "import json; j=json.load(open('$1')); print($2)"; }

APORT=$(free_port)
cat > "$T/s.yaml" <<EOC
agent:
  name: site-a
  data_dir: $T/data
  interval: 1s
  plugin_dir: $PLUGINS
# 1 s steps: small RRAs, or 2 days of them are 2.7 MB a file.
storage: {rra: [{step: full, keep: 10m}]}
web:
  listen: 127.0.0.1:$APORT
devices:
  - name: core1
    role: core
    address: 127.0.0.1:$SPORT
    snmp: {version: 2c, community: core52}
    interval: 1s
    timeout: 500ms
    retries: 0
alerts:
  - name: core-uplink-saturated
    metric: if_out_util_ratio
    match: {role: core, ifname: "Te1/0/[1-6]"}
    above: 0.85
    clear: 0.75
    for: 2s
    severity: critical
  - {name: target-down, absent: target, for: 8s, severity: critical}
hooks:
  - name: uplinks
    exec: [$HOOKS/record.sh, $REC]
    match: {rule: core-uplink-saturated}
    concurrency: 1
  - name: down
    exec: [$HOOKS/record.sh, $DOWN]
    match: {rule: target-down}
    concurrency: 1
EOC

rates 500000000 # 40% of 10G
sim || { not_ok "snmpsimd starts"; finish; }
"$CP" run -c "$T/s.yaml" > "$T/agent.log" 2>&1 &
AGENT=$!
track $AGENT
wait_http "http://127.0.0.1:$APORT/healthz" || diag "agent did not answer"
wait_for sh -c "curl -fsS http://127.0.0.1:$APORT/metrics | grep -q 'if_out_util_ratio{target=\"core1\".*ifname=\"Te1/0/1\"'"
sleep 3
check "uplinks at 40%: no notification" test "$(calls "$REC")" -eq 0

sim_stop
rates 1212500000 # 97%
sim || not_ok "snmpsimd restarts"
wait_calls "$REC" 1
sleep 3
check "six saturated uplinks: exactly one notification" test "$(calls "$REC")" -eq 1
check "it lists the six ports" test "$(jget "$REC/1.json" "j['count'], sorted(i['labels']['ifname'] for i in j['instances'])")" = \
	"6 ['Te1/0/1', 'Te1/0/2', 'Te1/0/3', 'Te1/0/4', 'Te1/0/5', 'Te1/0/6']"
check "firing, critical, core1, role core" test "$(jget "$REC/1.json" "j['status'], j['severity'], j['target'], j['role']")" = "firing critical core1 core"
diag "values: $(jget "$REC/1.json" "[round(i['value'], 3) for i in j['instances']]")"
check "values above the threshold, near 0.97" python3 -c "
import json; j = json.load(open('$REC/1.json'))
assert all(0.85 < i['value'] <= 1.0 for i in j['instances']), [i['value'] for i in j['instances']]"
check "env: CHOKEPOINT_COUNT=6" grep -qx CHOKEPOINT_COUNT=6 "$REC/1.env"
check "bottlenecks: a saturated core uplink ranks first" python3 -c "
import json, urllib.request
b = json.load(urllib.request.urlopen('http://127.0.0.1:$APORT/api/v1/bottlenecks'))['bottlenecks'][0]
assert b['class'] == 'core switch capacity' and b['target'] == 'core1', b
assert b['instance'] in ['Te1/0/%d' % i for i in range(1, 7)], b"

sim_stop
rates 500000000
sim || not_ok "snmpsimd restarts"
wait_calls "$REC" 2
sleep 3
check "back to 40%: exactly one grouped recovery" test "$(calls "$REC")" -eq 2
check "the recovery lists the six ports" test "$(jget "$REC/2.json" "j['status'], j['count']")" = "resolved 6"
check "no target-down for the short restarts" test "$(calls "$DOWN")" -eq 0

sim_stop
wait_calls "$DOWN" 1 250
sleep 2
check "switch silent: target-down once" test "$(calls "$DOWN")" -eq 1
check "target-down names core1" test "$(jget "$DOWN/1.json" "j['rule'], j['target'], j['status']")" = "target-down core1 firing"
kill $AGENT
wait $AGENT
check "agent stops cleanly" test $? -eq 0
finish
