#!/bin/sh
# snmp_host: servers over SNMP give the local collectors' metric names.
# Against snmpsim (db1 recording: known rates) and this host's real snmpd.
. "$(dirname "$0")/lib_snmp.sh"

PORT=$(free_port)
mkdir -p "$T/sim"
cp "$FIX/db1.snmprec" "$FIX/core52.snmprec" "$T/sim/"
sim_start "$PORT" "$T/sim" db1 || { nok "snmpsimd starts"; finish; }
SPORT=$(free_port)
mkdir -p "$T/persist"
printf 'agentAddress udp:127.0.0.1:%s\nrocommunity hostcheck 127.0.0.1\n' "$SPORT" > "$T/snmpd.conf"
SNMP_PERSISTENT_DIR="$T/persist" snmpd -f -Lf "$T/snmpd.log" -C -c "$T/snmpd.conf" -p "$T/snmpd.pid" >/dev/null 2>&1 &
PIDS="$PIDS $!"
# snmpd takes a moment to bind; on a loaded machine more than a second.
i=0
until snmpget -v2c -c hostcheck -t 1 -r 0 -On 127.0.0.1:"$SPORT" 1.3.6.1.2.1.1.3.0 >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -ge 20 ] && { diag "snmpd on $SPORT did not answer"; sed 's/^/# /' "$T/snmpd.log"; break; }
	sleep 0.5
done
cat > "$T/c.yaml" <<EOC
agent: {data_dir: $T/data}
devices:
  - {name: db1, role: db, address: "127.0.0.1:$PORT", snmp: {version: 2c, community: db1}}
  - {name: core1, role: core, address: "127.0.0.1:$PORT", snmp: {version: 2c, community: core52}}
  - {name: self, role: web, address: "127.0.0.1:$SPORT", snmp: {version: 2c, community: hostcheck}}
EOC
drv "$T/c.yaml" 3 2000 snmp_host > "$T/o" 2> "$T/e"
v() { values "$T/o" "$1" "$2" "$3" | tail -1; }
check "db1 memory_total_bytes = memTotalReal x 1024" test "$(v db1 memory_total_bytes '')" = 16694673408
check "db1 memory_available_bytes = free + buffers + cached" test "$(v db1 memory_available_bytes '')" = 8501248000
check "db1 memory_used_ratio" sh -c "echo $(v db1 memory_used_ratio '') | awk '\$1<0.49||\$1>0.492{exit 1}'"
check "db1 swap_used_bytes" test "$(v db1 swap_used_bytes '')" = 512000000
check "db1 load1 = laLoadInt/100" test "$(v db1 load1 '')" = 3.1200000000000001
check "db1 cpu user share 0.30 from ssCpuRaw deltas" sh -c "grep -F 'S db1 cpu_ratio{cpu=\"total\",mode=\"user\"}' '$T/o' | awk '{print \$5}' | awk '\$1<0.29||\$1>0.31{exit 1} END{exit NR<2}'"
check "db1 cpu busy 0.455 (user+nice+kernel+irq+softirq)" sh -c "grep -F 'S db1 cpu_busy_ratio{cpu=\"total\"}' '$T/o' | awk '{print \$5}' | awk '\$1<0.445||\$1>0.465{exit 1} END{exit NR<2}'"
check "db1 disk sda read bytes from diskIONReadX (Counter64)" sh -c "grep -F 'S db1 disk_read_bytes_total{disk=\"sda\"}' '$T/o' | grep -q counter64"
check "db1 disk sda reads (Counter32)" sh -c "grep -F 'S db1 disk_reads_total{disk=\"sda\"}' '$T/o' | grep -q counter32"
check "core1 (role core) is not polled by snmp_host" sh -c "! grep -q '^S core1 ' '$T/o'"
check "self (real snmpd): memory, load, cpu and disks" sh -c "grep -q '^S self memory_used_ratio' '$T/o' && grep -q '^S self load1' '$T/o' && grep -q '^S self cpu_busy_ratio' '$T/o' && grep -q '^S self disk_reads_total' '$T/o'"
check "self: cpu mode shares sum to 1" sh -c "grep -F 'S self cpu_ratio{cpu=\"total\",mode=' '$T/o' | tail -9 | grep -v guest | awk '{s+=\$5} END{exit !(s>0.99 && s<1.01)}'"
check "self: memory_total_bytes within 5% of /proc/meminfo" sh -c "t=\$(awk '/^MemTotal/{print \$2*1024}' /proc/meminfo); grep -F 'S self memory_total_bytes' '$T/o' | tail -1 | awk -v t=\$t '{d=\$5-t; if (d<0) d=-d; exit !(d < t*0.05)}'"
finish
