#!/bin/sh
# make demo: switch monitoring without hardware. Serves the project's own
# simulated devices (tests/fixtures/snmp: a 52-port core switch, a 48-port
# access switch, a Linux DB server) with Debian's snmpsimd on 127.0.0.1,
# and runs the agent polling them plus this host. Dashboard:
# http://127.0.0.1:${DEMO_HTTP_PORT:-8080}/ ; Ctrl-C stops everything.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
port=${DEMO_SNMP_PORT:-16161}
http=${DEMO_HTTP_PORT:-8080}
work=$(mktemp -d /tmp/chokepoint-demo.XXXXXX)
data=${DEMO_DATA_DIR:-$top/chokepoint-demo-data}
sim=""
agent=""

stop() {
	[ -n "$agent" ] && kill "$agent" 2>/dev/null && wait "$agent" 2>/dev/null
	[ -n "$sim" ] && kill "$sim" 2>/dev/null && wait "$sim" 2>/dev/null
	rm -rf "$work"
}
trap stop EXIT
trap 'exit 0' INT TERM

if ss -lun 2>/dev/null | grep -q "127.0.0.1:$port "; then
	echo "demo: UDP port $port is in use; set DEMO_SNMP_PORT" >&2
	exit 2
fi
# snmpsimd serves files readable by the user it runs as.
mkdir -p "$work/data" "$work/cache"
cp "$top"/tests/fixtures/snmp/*.snmprec "$work/data/"
chmod -R a+rX "$work"
set -- --data-dir="$work/data" --agent-udpv4-endpoint=127.0.0.1:"$port" \
	--cache-dir="$work/cache" --force-index-rebuild --logging-method=null
if [ "$(id -u)" -eq 0 ]; then
	chown -R nobody "$work/cache"
	grp=nogroup
	getent group nogroup >/dev/null || grp=nobody
	set -- "$@" --process-user=nobody --process-group=$grp
fi
snmpsimd "$@" > "$work/snmpsim.log" 2>&1 &
sim=$!
i=0
until snmpget -v2c -c core52 -t 1 -r 0 -On 127.0.0.1:"$port" 1.3.6.1.2.1.1.5.0 >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -ge 30 ] || ! kill -0 $sim 2>/dev/null; then
		echo "demo: snmpsimd did not start:" >&2
		cat "$work/snmpsim.log" >&2
		exit 1
	fi
	sleep 0.5
done
cat > "$work/demo.yaml" <<EOC
# The demo: three simulated devices (community = recording name) and this host.
agent:
  name: demo
  data_dir: $data
  interval: 10s
web:
  listen: 127.0.0.1:$http
collectors:
  cpu: {}
  memory: {}
  diskio: {}
devices:
  - {name: core1, role: core, address: 127.0.0.1:$port, snmp: {version: 2c, community: core52}}
  - {name: access1, role: l2, address: 127.0.0.1:$port, snmp: {version: 2c, community: access48}}
  - {name: db1, role: db, address: 127.0.0.1:$port, snmp: {version: 2c, community: db1}}
EOC
echo "demo: simulated devices on udp 127.0.0.1:$port (snmpsimd pid $sim)"
echo "demo: config $work/demo.yaml, data in $data"
echo "demo: dashboard http://127.0.0.1:$http/  (Ctrl-C to stop)"
"$top/$BUILD/chokepoint" run -c "$work/demo.yaml" &
agent=$!
wait $agent
