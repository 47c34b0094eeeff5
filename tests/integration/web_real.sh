#!/bin/sh
# The web API and dashboard over real collectors: snmp_if and snmp_entity
# polling Debian's snmpsim serving the project's 48-port access switch
# recording (tests/fixtures/snmp/access48.snmprec), and the local cpu and
# memory collectors reading the linux-6.8 fixture tree (t0 then t1, so the
# CPU shares are the fixture's). Checks the device JSON against the
# recording, the host values against the fixture's expected.txt, and loads
# the device and host pages in headless Chromium (screenshots kept).
. "$(dirname "$0")/lib_web.sh"

FIXS="$TOP/tests/fixtures/snmp/access48.snmprec"
FIXH="$TOP/tests/fixtures/host/linux-6.8-two-snapshots"
for t in snmpsimd snmpget; do
	command -v $t >/dev/null || { nok "$t installed (make deps)"; finish; }
done
[ -f "$FIXS" ] && [ -d "$FIXH" ] || { nok "fixtures present"; finish; }

# snmpsim on a free UDP port, as its own user when root (it refuses root).
SP=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$W/sim" "$W/simcache"
cp "$FIXS" "$W/sim/"
chmod -R a+rX "$W" "$W/sim"
set -- --data-dir="$W/sim" --agent-udpv4-endpoint=127.0.0.1:"$SP" --cache-dir="$W/simcache" \
    --force-index-rebuild --logging-method=null
if [ "$(id -u)" -eq 0 ]; then
	chown nobody "$W/simcache"
	grp=nogroup; getent group nogroup >/dev/null || grp=nobody
	set -- "$@" --process-user=nobody --process-group=$grp
fi
snmpsimd "$@" > "$W/sim.log" 2>&1 &
PIDS="$PIDS $!"
for _ in $(seq 1 50); do
	snmpget -v2c -c access48 -t 1 -r 0 127.0.0.1:"$SP" 1.3.6.1.2.1.1.5.0 >/dev/null 2>&1 && break
	sleep 0.2
done
snmpget -v2c -c access48 -t 1 -r 0 127.0.0.1:"$SP" 1.3.6.1.2.1.1.5.0 >/dev/null 2>&1 &&
    ok "snmpsimd serves access48 on 127.0.0.1:$SP" || { nok "snmpsimd starts" "$(cat "$W/sim.log")"; finish; }

# The host tree: a symlink switched from t0 to t1 after the first run.
ln -s "$FIXH/t0" "$W/root"
P=$(free_port)
U=http://127.0.0.1:$P
cat > "$W/real.yaml" <<YAML
agent:
  name: real-test
  hostname: testhost
  data_dir: $W/data-real
  interval: 1s
  procfs: $W/root/proc
  sysfs: $W/root/sys
  plugin_dir: $TOP/$BUILD/collectors
web:
  listen: 127.0.0.1:$P
storage:
  rra:
    - {step: full, keep: 1h}
    - {step: 1m, keep: 2d}
collectors:
  cpu: {}
  memory: {processes: {web: [nginx, php-fpm], db: [postgres]}}
  diskio: {}
devices:
  - {name: access1, role: l2, address: "127.0.0.1:$SP", snmp: {version: 2c, community: access48}, interval: 2s}
YAML
start_agent real "$U" || { nok "agent starts"; finish; }
for _ in $(seq 1 50); do
	curl -sf "$U/api/v1/metrics?target=testhost&metric=memory_used_ratio" | jq -e '.series | length == 1' >/dev/null 2>&1 && break
	sleep 0.1
done
ln -sfn "$FIXH/t1" "$W/root.new" && mv -T "$W/root.new" "$W/root"
# Two SNMP polls (rates) and a few host runs on t1.
for _ in $(seq 1 100); do
	curl -sf "$U/api/v1/devices/access1" 2>/dev/null | jq -e '[.interfaces[].in_bps] | any(. != null)' >/dev/null 2>&1 && break
	sleep 0.2
done
sleep 2

get() { curl -sf "$U$1"; }
jqcheck() {
	if body=$(get "$2") && printf '%s' "$body" | jq -e "$3" >/dev/null; then ok "$1"; else
		nok "$1" "$(printf '%s' "$body" | head -c 600)"; fi
}
descr=$(sed -n 's/^1\.3\.6\.1\.2\.1\.1\.1\.0|4|//p' "$FIXS")
jqcheck "targets: access1 polled and up" /api/v1/targets \
    '.targets | map(select(.name == "access1" and .state == "up" and .role == "l2")) | length == 1'
get /api/v1/devices/access1 > "$W/dev.json"
check "device: sys.descr and name are the recording's" jq -e --arg d "$descr" \
    '.sys.descr == $d and .sys.name == "access1" and (.sys.uptime_s | type) == "number"' "$W/dev.json"
curl -sf "$U/metrics" > "$W/metrics"
nports=$(grep -c '^chokepoint_if_oper_status{.*target="access1"' "$W/metrics")
check "device: one interface per polled port ($nports), every field present" jq -e --argjson n "$nports" \
    '(.interfaces | length) == $n and $n >= 48 and (.interfaces | all(.speed_bps != null and .oper_status != null))' "$W/dev.json"
check "device: port 1 as recorded (name 1, 1 Gbit/s)" jq -e \
    '.interfaces[0] | .ifindex == 1 and .name == "1" and .speed_bps == 1e9' "$W/dev.json"
check "device: utilisation and rates from two polls" jq -e \
    '[.interfaces[] | select(.oper_status == 1) | .in_util] | all(. != null and . >= 0 and . <= 1)' "$W/dev.json"
check "device: inventory from ENTITY-MIB (PSU serials, containment)" jq -e \
    '(.inventory | map(select(.serial == "PSU0001A")) | length) == 1 and
     (.inventory | map(select(.serial == "CN12HP0123")) | length) == 1 and
     (.inventory | all((.index | type) == "number"))' "$W/dev.json"
# Host values: the fixture's expected.txt (memory at t1; CPU shares t0->t1).
exp() { awk -v k="$1" '$1 == k {print $2}' "$FIXH/expected.txt"; }
mem=$(exp memory_used_ratio)
cpu=$(exp 'cpu_busy_ratio{cpu="total"}')
jqcheck "host: memory_used_ratio = expected.txt ($mem)" "/api/v1/metrics?target=testhost&metric=memory_used_ratio" \
    "(.series[0].value - $mem | fabs) < 1e-9"
jqcheck "host: cpu_busy_ratio{cpu=total} = expected.txt ($cpu), from the t0->t1 run" \
    "/api/v1/metrics?target=testhost&metric=cpu_busy_ratio" \
    ".series | map(select(.labels.cpu == \"total\"))[0].value as \$v | (\$v - $cpu | fabs) < 1e-9"
jqcheck "host: process groups listed" "/api/v1/metrics?target=testhost&metric=process_*" \
    '[.series[].labels.group] | unique | (index("web") != null and index("db") != null)'
jqcheck "overview: access1 ports and testhost pressure" /api/v1/overview \
    '(.ports | length) > 0 and (.ports | all(.target == "access1")) and (.hosts | map(.target) | index("testhost") != null)'
code=$(curl -s -o "$W/g.png" -w '%{http_code}' "$U/graph/testhost/memory_used_ratio.png?from=-10m")
[ "$code" = 200 ] && head -c 8 "$W/g.png" | grep -q PNG && ok "graph of a host series" || nok "graph of a host series" "$code $(head -c 300 "$W/g.png"; tail -5 "$W/real.log")"

# The pages in Chromium, when the browser test's tools are there.
NODE_DIR="$TOP/$BUILD/node"
if [ -d "$NODE_DIR/node_modules/playwright-core" ] && [ -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
	cp "$TOP/tests/browser/web.mjs" "$NODE_DIR/web.mjs"
	port=$(jq '[.interfaces[] | select(.in_bps != null and .in_util != null)][0].ifindex' "$W/dev.json")
	MODE=real DEVICE=access1 PORT_IFINDEX=$port BASE=$U ARTIFACTS="$TOP/$BUILD/artifacts" timeout 120 \
	    node "$NODE_DIR/web.mjs" > "$W/browser.tap" 2>&1
	while IFS= read -r line; do
		case "$line" in
		"ok "*) ok "browser: ${line#ok * - }" ;;
		"not ok "*) nok "browser: ${line#not ok * - }" ;;
		"1.."*) ;;
		*) echo "# $line" ;;
		esac
	done < "$W/browser.tap"
else
	echo "# browser part skipped: run web_browser.sh first (installs playwright-core)"
fi
finish
