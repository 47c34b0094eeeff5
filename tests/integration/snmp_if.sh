#!/bin/sh
# snmp_if against snmpsim serving the project's own recordings
# (tests/fixtures/snmp): interface discovery, HC and 32-bit counters with
# wrap, utilisation, speeds, version parsing, a device reboot (simulator
# restarted: lower counters and uptime) -> no spike, one reboot event, a
# clear status; faults: no answer, a device that stops mid-walk, wrong
# types, truncated tables, noSuchObject/endOfMibView, a 2,000-port table.
. "$(dirname "$0")/lib_snmp.sh"

PORT=$(free_port)
mkdir -p "$T/sim"
cp "$FIX"/core52.snmprec "$FIX"/access48.snmprec "$FIX"/db1.snmprec "$T/sim/"
sim_start "$PORT" "$T/sim" core52 || { nok "snmpsimd starts"; finish; }
ok "snmpsimd serves the fixtures on $PORT"
GHOST=$(free_port)

cat > "$T/c1.yaml" <<EOC
agent: {data_dir: $T/data}
devices:
  - {name: core1, role: core, address: "127.0.0.1:$PORT", snmp: {version: 2c, community: core52}}
  - {name: access1, role: l2, address: "127.0.0.1:$PORT", snmp: {version: 2c, community: access48}}
  - {name: db1, role: db, address: "127.0.0.1:$PORT", snmp: {version: 1, community: db1}}
  - {name: ghost, role: l2, address: "127.0.0.1:$GHOST", timeout: 300ms, retries: 1}
EOC
# 8 polls 2 s apart: the 32-bit counters of access1 ports 45-48 wrap
# 12 s after the simulator started.
drv "$T/c1.yaml" 8 2000 snmp_if > "$T/o1" 2> "$T/e1"
check "8 polls ran" test "$(grep -c '^R ' "$T/o1")" -eq 8
check "core1 is up" sh -c "last_status() { grep '^T core1 ' \"$T/o1\" | tail -1; }; last_status | grep -q 'up=1 '"
check "core1 version 17.9.4a (IOS-XE) from sysDescr" grep -q '^T core1 .*version="17.9.4a",os="IOS-XE"' "$T/o1"
check "access1 version WC.16.11.0005 (ProCurve)" grep -q '^T access1 .*version="WC.16.11.0005",os="ProCurve"' "$T/o1"
check "db1 over SNMPv1 is up, Linux kernel version" grep -q '^T db1 up=1 .*version="6.1.0-18-amd64",os="Linux"' "$T/o1"
n=$(grep -F 'S core1 if_info{' "$T/o1" | head -55 | wc -l)
u=$(grep -F 'S core1 if_info{' "$T/o1" | sed -n 's/.*ifname="\([^"]*\)".*/\1/p' | sort -u | wc -l)
check "core1: 55 interfaces found (got $u)" test "$u" -eq 55
check "core1 Te1/0/1 speed 10G" sh -c "grep -F 'S core1 if_speed_bps{ifname=\"Te1/0/1\"' \"$T/o1\" | grep -q 'gauge 10000000000\$'"
check "core1 Hu1/0/49 speed 100G" sh -c "grep -F 'S core1 if_speed_bps{ifname=\"Hu1/0/49\"' \"$T/o1\" | grep -q 'gauge 100000000000\$'"
check "core1 Te1/0/1 octets are Counter64" sh -c "samples() { grep -F \"S core1 if_in_octets_total{ifname=\\\"Te1/0/1\\\"\" \"$T/o1\"; }; samples | grep -q counter64"
te1_util_ok() { values "$T/o1" core1 if_in_util_ratio 'ifname="Te1/0/1"' | in_range 0.032 0.048; }
check "core1 Te1/0/1 in utilisation 0.04 (400 Mbit/s of 10G)" te1_util_ok
# access1 ports 45-48 have no HC counters: 32-bit, wrapping.
check "access1 port 46 octets are Counter32" sh -c "grep -F 'S access1 if_in_octets_total{ifname=\"46\"' \"$T/o1\" | grep -q counter32"
wraps=$(values "$T/o1" access1 if_in_octets_total 'ifname="46"' | awk 'NR>1 && $1<prev {w++} {prev=$1} END{print w+0}')
check "access1 port 46 32-bit counter wrapped during the run ($wraps)" test "$wraps" -ge 1
nu=$(values "$T/o1" access1 if_in_util_ratio 'ifname="46"' | wc -l)
check "port 46 utilisation across the wrap: 7 values, all 0.03 (got $nu)" sh -c "test $nu -eq 7 && grep -F 'S access1 if_in_util_ratio{ifname=\"46\"' \"$T/o1\" | awk '{print \$5}' | awk '\$1<0.024||\$1>0.036{exit 1}'"
check "down ports report oper status 2" sh -c "grep -F 'S core1 if_oper_status{ifname=\"Te1/0/41\"' \"$T/o1\" | grep -q 'gauge 2\$'"
check "no utilisation on a 0-speed-free loopback spike: all util <= 1" sh -c "grep 'util_ratio' \"$T/o1\" | awk '{print \$5}' | awk '\$1>1||\$1<0{exit 1}'"
check "ghost (nothing listening) is down with the reason" grep -q '^T ghost up=0 .*reason="no response (timeout 300ms' "$T/o1"
slow=$(grep '^T core1 ' "$T/o1" | sed -n 's/.*poll_seconds=\([0-9.]*\).*/\1/p' | awk '$1>0.9{n++} END{print n+0}')
check "a dead device does not delay the others (core1 polls < 0.9 s)" test "$slow" -eq 0
check "no events without changes" test "$(grep -c '^E ' "$T/o1")" -eq 0
check "max_rate of Te1/0/1 octets = 10G/8 x 1.5" sh -c "grep -F 'S core1 if_in_octets_total{ifname=\"Te1/0/1\"' \"$T/o1\" | grep -q 'max_rate=1875000000 '"

# ------------------------------------------------------------- reboot
# Restart the simulator mid-run: counters and sysUpTime start again lower.
drv "$T/c1.yaml" 9 2000 snmp_if > "$T/o2" 2> "$T/e2" &
DRV=$!
PIDS="$PIDS $DRV"
sleep 5
stop_pid "$SIM_PID"
sim_start "$PORT" "$T/sim" core52
wait $DRV
check "reboot run completed" test "$(grep -c '^R ' "$T/o2")" -eq 9
for d in core1 access1 db1; do
	nr=$(grep -c "^E $d reboot " "$T/o2")
	check "$d: exactly one reboot event ($nr)" test "$nr" -eq 1
done
diag "core1 during the restart: $(grep '^T core1 ' "$T/o2" | sed 's/ {.*//' | tr '\n' ';')"
check "core1 status clear at the end" sh -c "grep '^T core1 ' \"$T/o2\" | tail -1 | grep -q 'up=1 poll_seconds=[0-9.]* reason=\"\"'"
check "first counters after the reboot flagged discontinuity" sh -c "grep -F 'S core1 if_in_octets_total{ifname=\"Te1/0/1\"' \"$T/o2\" | grep -q 'disc=1'"
check "no utilisation spike across the reboot (Te1/0/1 stays 0.04)" sh -c "grep -F 'S core1 if_in_util_ratio{ifname=\"Te1/0/1\"' \"$T/o2\" | awk '{print \$5}' | awk '\$1<0.032||\$1>0.048{exit 1}'"
check "no utilisation above 1 anywhere" sh -c "grep 'util_ratio' \"$T/o2\" | awk '{print \$5}' | awk '\$1>1{exit 1}'"

# ------------------------------------------------- selection, flaps, speed
# A copy of core52 under another community, with port selection and a
# capacity override; between polls port 1 goes down and port 2 drops to 1G.
cp "$T/sim/core52.snmprec" "$T/sim/flap.snmprec"
stop_pid "$SIM_PID" # snmpsimd indexes its data files at start
sim_start "$PORT" "$T/sim" flap
cat > "$T/c5.yaml" <<EOC
agent: {data_dir: $T/data5}
devices:
  - name: flap
    role: core
    address: "127.0.0.1:$PORT"
    snmp: {version: 2c, community: flap}
    ports: {exclude: ["Te1/0/1?"], exclude_types: [24], speed: {"Hu1/0/49": 40G}}
EOC
drv "$T/c5.yaml" 4 2000 snmp_if > "$T/o5" 2> "$T/e5" &
DRV=$!
PIDS="$PIDS $DRV"
sleep 3
python3 - "$T/sim/flap.snmprec" <<'EOP'
import sys
p = sys.argv[1]
out = []
for line in open(p):
    oid = line.split("|", 1)[0]
    if oid == "1.3.6.1.2.1.2.2.1.8.1":
        line = oid + "|2|2\n"
    if oid == "1.3.6.1.2.1.31.1.1.1.15.2":
        line = oid + "|66|1000\n"
    out.append(line)
open(p + ".new", "w").writelines(out)
EOP
chmod a+r "$T/sim/flap.snmprec.new" && mv "$T/sim/flap.snmprec.new" "$T/sim/flap.snmprec"
wait $DRV
check "excluded ports (Te1/0/1?) not reported" sh -c "! grep -qF 'ifname=\"Te1/0/15\"' '$T/o5'"
check "excluded type (softwareLoopback, Lo0) not reported" sh -c "! grep -qF 'ifname=\"Lo0\"' '$T/o5'"
check "other ports reported (Te1/0/20)" grep -qF 'S flap if_in_octets_total{ifname="Te1/0/20"' "$T/o5"
check "speed override: Hu1/0/49 at 40G" sh -c "grep -F 'S flap if_speed_bps{ifname=\"Hu1/0/49\"' '$T/o5' | tail -1 | grep -q 'gauge 40000000000\$'"
check "speed override drives the line-rate limit" sh -c "grep -F 'S flap if_in_octets_total{ifname=\"Hu1/0/49\"' '$T/o5' | tail -1 | grep -q 'max_rate=7500000000 '"
nl=$(grep -c '^E flap link component="Te1/0/1" sev=1 before="up" after="down"' "$T/o5")
check "port 1 went down: exactly one link event ($nl)" test "$nl" -eq 1
ns=$(grep -c '^E flap speed component="Te1/0/2" sev=0 before="10G" after="1G"' "$T/o5")
check "port 2 10G -> 1G: exactly one speed event ($ns)" test "$ns" -eq 1
check "no other events" test "$(grep -c '^E ' "$T/o5")" -eq 2

# -------------------------------------------------------------- faults
# A broken device: no sysUpTime (noSuchObject), wrong value types, a
# truncated column, and the MIB ending inside ifXTable (endOfMibView).
python3 - "$FIX/core52.snmprec" "$T/sim/broken.snmprec" <<'EOP'
import sys
out = []
for line in open(sys.argv[1]):
    oid, tag, val = line.rstrip("\n").split("|", 2)
    o = [int(x) for x in oid.split(".")]
    if oid == "1.3.6.1.2.1.1.3.0":
        continue                                   # no sysUpTime
    if oid == "1.3.6.1.2.1.31.1.1.1.6.3":
        tag, val = "4", "not a counter"            # wrong type
    if oid == "1.3.6.1.2.1.2.2.1.8.4":
        tag, val = "4", "up"                       # wrong type
    if o[:-1] == [1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 10] and o[-1] >= 10:
        continue                                   # truncated column
    if o[:10] == [1, 3, 6, 1, 2, 1, 31, 1, 1, 1] and o[10] > 15:
        continue
    if o > [1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 16]:
        continue                                   # endOfMibView here
    out.append("%s|%s|%s" % (oid, tag, val))
open(sys.argv[2], "w").write("\n".join(out) + "\n")
EOP
# A proxy that stops forwarding after 3 requests: stops mid-walk.
PPORT=$(free_port)
python3 "$TOP/tests/tools/udpfault.py" "$PPORT" "$PORT" 3 > "$T/proxy.log" 2>&1 &
PROXY=$!
PIDS="$PIDS $PROXY"
stop_pid "$SIM_PID"
sim_start "$PORT" "$T/sim" core52
cat > "$T/c3.yaml" <<EOC
agent: {data_dir: $T/data}
devices:
  - {name: broken, role: core, address: "127.0.0.1:$PORT", snmp: {version: 2c, community: broken}}
  - {name: stalls, role: core, address: "127.0.0.1:$PPORT", timeout: 300ms, retries: 1, snmp: {version: 2c, community: core52}}
EOC
drv "$T/c3.yaml" 2 2000 snmp_if > "$T/o3" 2> "$T/e3"
check "broken device polled without a crash" test "$(grep -c '^R ' "$T/o3")" -eq 2
check "broken device is up, no sysUpTime needed" grep -q '^T broken up=1 ' "$T/o3"
check "wrong type (OctetString for ifHCInOctets): port 3 falls back to 32-bit ifInOctets" sh -c "grep -F 'S broken if_in_octets_total{ifname=\"Te1/0/3\"' \"$T/o3\" | grep -q counter32"
check "wrong type (string ifOperStatus): no oper gauge for port 4" sh -c "! grep -qF 'S broken if_oper_status{ifname=\"Te1/0/4\"' \"$T/o3\""
check "other ports keep their counters" grep -qF 'S broken if_in_octets_total{ifname="Te1/0/5"' "$T/o3"
check "truncated ifHCOutOctets: port 20 falls back to 32-bit ifOutOctets" sh -c "grep -F 'S broken if_out_octets_total{ifname=\"Te1/0/20\"' \"$T/o3\" | grep -q counter32"
check "port 5 (before the cut) keeps HC out octets" sh -c "grep -F 'S broken if_out_octets_total{ifname=\"Te1/0/5\"' \"$T/o3\" | grep -q counter64"
check "endOfMibView ends the walk: 55 interfaces still" test "$(grep -F 'S broken if_info{' "$T/o3" | sed -n 's/.*ifname="\([^"]*\)".*/\1/p' | sort -u | wc -l)" -eq 55
check "device that stops mid-walk: down with the reason" grep -q '^T stalls up=0 .*stopped answering during walk' "$T/o3"
check "... and what it did answer is kept" grep -q '^S stalls ' "$T/o3"
stop_pid "$PROXY"

# A path that loses every response above 1,400 bytes: big GETBULKs time
# out, smaller ones (then GETNEXT) get through and the size is learnt.
SPORT=$(free_port)
python3 "$TOP/tests/tools/udpfault.py" "$SPORT" "$PORT" 1000000 1400 > "$T/proxy2.log" 2>&1 &
PIDS="$PIDS $!"
cat > "$T/c6.yaml" <<EOC
agent: {data_dir: $T/data6}
devices:
  - {name: lossy, role: core, address: "127.0.0.1:$SPORT", timeout: 300ms, retries: 2, snmp: {version: 2c, community: core52}}
EOC
drv "$T/c6.yaml" 2 8000 snmp_if > "$T/o6" 2> "$T/e6"
check "big responses lost: the poll still completes" sh -c "grep '^T lossy ' '$T/o6' | head -1 | grep -q 'up=1 .*reason=\"\"'"
check "... with all 55 interfaces" test "$(grep -F 'S lossy if_info{' "$T/o6" | sed -n 's/.*ifname="\([^"]*\)".*/\1/p' | sort -u | wc -l)" -eq 55
t1=$(grep -F 'S lossy snmp_timeouts_total{' "$T/o6" | head -1 | awk '{print $5}')
t2=$(grep -F 'S lossy snmp_timeouts_total{' "$T/o6" | tail -1 | awk '{print $5}')
check "timeouts in the first poll ($t1), none in the second (size learnt: $t2)" sh -c "[ '$t1' -gt 0 ] && [ '$t1' = '$t2' ]"

# ------------------------------------------------------- 2,000 ports
python3 "$FIX/gen.py" "$T/sim" --ports 2000 big
stop_pid "$SIM_PID"
SIM_MAX_VARBINDS=256 sim_start "$PORT" "$T/sim" big
cat > "$T/c4.yaml" <<EOC
agent: {data_dir: $T/data}
devices:
  - {name: big, role: l2, address: "127.0.0.1:$PORT", snmp: {version: 2c, community: big}}
EOC
drv "$T/c4.yaml" 1 120000 snmp_if > "$T/o4" 2> "$T/e4"
nb=$(grep -cF 'S big if_info{' "$T/o4")
check "2,000-port table: 2000 interfaces ($nb)" test "$nb" -eq 2000
check "2,000-port poll complete" grep -q '^T big up=1 .*reason=""' "$T/o4"
diag "$(grep '^T big' "$T/o4" | sed 's/reason.*//')"
# The same table against a whole-poll deadline far too short for it: the
# run ends on time, keeps what it got and names what is missing.
cat > "$T/c7.yaml" <<EOC
agent: {data_dir: $T/data7}
collectors: {snmp_if: {deadline: 700ms}}
devices:
  - {name: big, role: l2, address: "127.0.0.1:$PORT", snmp: {version: 2c, community: big}}
EOC
drv "$T/c7.yaml" 1 120000 snmp_if > "$T/o7" 2> "$T/e7"
w=$(sed -n 's/^R 0 wall=\([0-9.]*\).*/\1/p' "$T/o7")
check "deadline 700 ms: the run ends on time ($w s)" sh -c "echo '$w' | awk '\$1>1.5{exit 1}'"
check "... the status names the deadline and the unfinished columns" grep -q '^T big .*reason="poll deadline reached during .*unfinished: ' "$T/o7"
diag "$(grep '^T big' "$T/o7" | cut -c1-200)"
finish
