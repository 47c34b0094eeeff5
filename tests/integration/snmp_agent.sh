#!/bin/sh
# The real agent (build/chokepoint run) polling the project's simulated
# switches and server: /metrics (rates, utilisation, status), RRD files,
# events and inventory in SQLite; traps (snmptrap) become events and
# entConfigChange re-polls the inventory; a pulled PSU gives one hot-swap
# event; a simulator restart (device reboot) gives one reboot event and no
# rate above line rate.
. "$(dirname "$0")/lib_snmp.sh"

PORT=$(free_port)
TPORT=$(free_port)
WPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$T/sim"
cp "$FIX"/core52.snmprec "$FIX"/access48.snmprec "$FIX"/db1.snmprec "$T/sim/"
sim_start "$PORT" "$T/sim" core52 || { nok "snmpsimd starts"; finish; }
cat > "$T/c.yaml" <<EOC
agent:
  data_dir: $T/data
  interval: 2s
  plugin_dir: $B/collectors
storage:
  flush_interval: 2s
web:
  listen: 127.0.0.1:$WPORT
collectors:
  snmp_trap:
    listen: "127.0.0.1:$TPORT"
    users:
      - {user: trapper, engine_id: "0x8000000001020304", auth: {protocol: SHA, passphrase: trap-Auth-123}, priv: {protocol: AES, passphrase: trap-Priv-456}}
devices:
  - {name: core1, role: core, address: "127.0.0.1:$PORT", snmp: {version: 2c, community: core52}}
  - {name: access1, role: l2, address: "127.0.0.1:$PORT", snmp: {version: 2c, community: access48}}
  - {name: db1, role: db, address: "127.0.0.1:$PORT", snmp: {version: 2c, community: db1}}
  - {name: edge9, role: l2, address: "127.0.0.9:161", timeout: 200ms, retries: 0, snmp: {version: 3, user: trapper, auth: {protocol: SHA, passphrase: trap-Auth-123}, priv: {protocol: AES, passphrase: trap-Priv-456}}}
EOC
"$B/chokepoint" check -c "$T/c.yaml" > "$T/check.out" 2>&1
check "chokepoint check accepts the SNMP config" test $? -eq 0
"$B/chokepoint" run -c "$T/c.yaml" > "$T/agent.log" 2>&1 &
AGENT=$!
PIDS="$PIDS $AGENT"
M="$T/metrics"
fetch() { curl -s -m 5 "http://127.0.0.1:$WPORT/metrics" > "$M"; }
metric() { grep -F "chokepoint_$1{" "$M" | grep -F "$2" | head -1 | awk '{print $NF}'; }
i=0
while [ $i -lt 30 ]; do
	sleep 1
	fetch
	grep -q 'chokepoint_if_in_util_ratio{target="core1"' "$M" && break
	i=$((i + 1))
done
check "agent serves SNMP metrics" grep -q 'chokepoint_if_in_util_ratio{target="core1"' "$M"
r=$(metric if_in_octets_per_second 'target="core1",ifindex="1",ifname="Te1/0/1"')
check "core1 Te1/0/1 in rate 50 MB/s (400 Mbit/s) ($r)" sh -c "echo '$r' | awk '\$1<4e7||\$1>6e7{exit 1}'"
u=$(metric if_in_util_ratio 'target="core1",ifindex="1",ifname="Te1/0/1"')
check "core1 Te1/0/1 utilisation 0.04 ($u)" sh -c "echo '$u' | awk '\$1<0.032||\$1>0.048{exit 1}'"
check "snmp_up for every device that answers" test "$(grep -c '^chokepoint_snmp_up{target="[a-z0-9]*",collector="snmp_if"} 1' "$M")" -eq 3
check "the unreachable v3 device is down, the others unaffected" grep -q '^chokepoint_snmp_up{target="edge9",collector="snmp_if"} 0' "$M"
check "db1 memory over SNMP" grep -q '^chokepoint_memory_used_ratio{target="db1"}' "$M"
check "db1 disk read rate over SNMP" grep -q '^chokepoint_disk_read_bytes_per_second{target="db1",disk="sda"}' "$M"
DB="$T/data/chokepoint.db"
check "entity inventory stored in SQLite" test "$(sqlite3 "$DB" "select count(*) from inventory where target='access1' and kind='entity'")" -eq 8
check "firmware inventory stored" sh -c "sqlite3 '$DB' \"select attrs from inventory where target='core1' and kind='firmware' and key='os'\" | grep -q '17.9.4a'"

# Traps
before=$(sqlite3 "$DB" "select max(updated_ms) from inventory where target='access1' and kind='entity'")
snmptrap -v2c -c core52 127.0.0.1:$TPORT '' 1.3.6.1.6.3.1.1.5.3 1.3.6.1.2.1.2.2.1.1.3 i 3 1.3.6.1.2.1.2.2.1.2.3 s TenGigabitEthernet1/0/3
snmptrap -v2c -c access48 127.0.0.1:$TPORT '' 1.3.6.1.2.1.47.2.0.1
# SNMPv3 authPriv trap from a configured user, and one with a wrong key.
snmptrap -v3 -e 0x8000000001020304 -u trapper -a SHA -A trap-Auth-123 -x AES -X trap-Priv-456 -l authPriv 127.0.0.1:$TPORT '' 1.3.6.1.6.3.1.1.5.4 1.3.6.1.2.1.2.2.1.1.7 i 7
snmptrap -v3 -e 0x8000000001020304 -u trapper -a SHA -A wrong-Auth-999 -x AES -X trap-Priv-456 -l authPriv 127.0.0.1:$TPORT '' 1.3.6.1.6.3.1.1.5.3 2>/dev/null
sleep 5
check "v3 authPriv trap accepted (linkUp, from the local host's address)" test "$(sqlite3 "$DB" "select count(*) from events where kind='trap' and after='linkUp'")" -eq 1
check "v3 trap with a wrong key dropped" test "$(sqlite3 "$DB" "select count(*) from events where kind='trap' and after='linkDown'")" -eq 1
check "linkDown trap stored as an event of core1" test "$(sqlite3 "$DB" "select count(*) from events where target='core1' and kind='trap' and after='linkDown'")" -eq 1
check "entConfigChange trap stored" test "$(sqlite3 "$DB" "select count(*) from events where target='access1' and kind='trap' and after='entConfigChange'")" -eq 1
i=0
while :; do
	after=$(sqlite3 "$DB" "select max(updated_ms) from inventory where target='access1' and kind='entity'")
	[ "$after" -gt "$before" ] || [ $i -ge 15 ] || { sleep 1; i=$((i + 1)); continue; }
	break
done
check "entConfigChange re-polled access1's inventory ($before -> $after)" test "$after" -gt "$before"

# Hot-swap and an OS upgrade in one maintenance window: PSU 2 pulled
# (entLastChangeTime moves) and sysDescr's revision WC.16.11.0005 -> 0009.
REC="$T/sim/access48.snmprec"
grep -v -E '^1\.3\.6\.1\.2\.1\.(47\.1\.1\.1\.1|131\.1\.1\.1)\.[0-9]+\.7\|' "$REC" | sed -e 's/^1\.3\.6\.1\.2\.1\.47\.1\.4\.1\.0|67|.*/1.3.6.1.2.1.47.1.4.1.0|67|9000/' -e '/^1\.3\.6\.1\.2\.1\.1\.1\.0|/s/revision WC\.16\.11\.0005/revision WC.16.11.0009/' > "$REC.new"
chmod a+r "$REC.new" && mv "$REC.new" "$REC"
sleep 6
check "PSU pulled: exactly one hotswap event" test "$(sqlite3 "$DB" "select count(*) from events where target='access1' and kind='hotswap'")" -eq 1
# One event per change: the firmware log's, not a second from the collector.
nfw=$(sqlite3 "$DB" "select count(*) from events where target='access1' and kind='firmware'")
check "OS upgrade: exactly one firmware event ($nfw)" test "$nfw" -eq 1
check "... from WC.16.11.0005 to WC.16.11.0009" test "$(sqlite3 "$DB" "select count(*) from events where target='access1' and kind='firmware' and before='WC.16.11.0005' and after='WC.16.11.0009'")" -eq 1
check "... and one row in the firmware log" test "$(sqlite3 "$DB" "select count(*) from firmware_log where target='access1' and item='os' and old_version='WC.16.11.0005' and new_version='WC.16.11.0009'")" -eq 1

# Reboot: restart the simulator (counters and uptime start lower)
stop_pid "$SIM_PID"
sim_start "$PORT" "$T/sim" core52
sleep 8
fetch
check "one reboot event per device" test "$(sqlite3 "$DB" "select count(*) from events where kind='reboot'")" -eq 3
r=$(metric if_in_octets_per_second 'target="core1",ifindex="1",ifname="Te1/0/1"')
check "rate after the reboot is the real one, no spike ($r)" sh -c "echo '$r' | awk '\$1<4e7||\$1>6e7{exit 1}'"
check "no utilisation above 1" sh -c "grep '^chokepoint_if_.*_util_ratio' '$M' | awk '\$NF>1{exit 1}'"
check "core1 up again" grep -q '^chokepoint_snmp_up{target="core1",collector="snmp_if"} 1' "$M"
check "agent still running" kill -0 $AGENT
stop_pid $AGENT
# The RRD writer flushes at the latest when the agent stops.
RRD=$(ls "$T"/data/rrd/core1/if_in_octets_per_second/1-Te1_0_1_*.rrd 2>/dev/null | head -1)
check "RRD file for Te1/0/1's rate" test -n "$RRD"
check "no rate above line rate in that RRD (MAX <= 1.25e9 B/s) and real values in it" sh -c "rrdtool fetch '$RRD' MAX -s -300 | awk 'NR>2 && \$2!~/nan/ {n++; if (\$2+0 > 1.25e9) bad=1} END{exit !(n>0 && !bad)}'"
check "no secret in the log" sh -c "! grep -q 'trap-Auth\|trap-Priv' '$T/agent.log'"
finish
