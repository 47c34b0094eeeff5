#!/bin/sh
# snmp_entity against snmpsim: ENTITY-MIB inventory with ENTITY-STATE-MIB
# states, firmware versions, and hot-swap: the recording is rewritten
# between polls (a PSU pulled, a serial changed) -> exactly one event each;
# the FRU baseline survives a restart (PSU put back while "down" ->
# one inserted event); an unchanged entLastChangeTime skips the walk.
. "$(dirname "$0")/lib_snmp.sh"

PORT=$(free_port)
mkdir -p "$T/sim"
cp "$FIX/access48.snmprec" "$FIX/core52.snmprec" "$T/sim/"
sim_start "$PORT" "$T/sim" access48 || { nok "snmpsimd starts"; finish; }
cat > "$T/c.yaml" <<EOC
agent: {data_dir: $T/data}
devices:
  - {name: access1, role: l2, address: "127.0.0.1:$PORT", snmp: {version: 2c, community: access48}}
  - {name: core1, role: core, address: "127.0.0.1:$PORT", snmp: {version: 2c, community: core52}}
EOC
REC="$T/sim/access48.snmprec"
# edit PATTERN-FILTER LASTCHANGE: rewrite the recording in place (snmpsim
# re-indexes a file whose mtime changed)
edit() {
	python3 - "$REC" "$1" "$2" <<'EOP'
import sys
path, op, lc = sys.argv[1], sys.argv[2], sys.argv[3]
out = []
for line in open(path):
    oid = line.split("|", 1)[0]
    if op == "pull-psu2" and (oid.startswith("1.3.6.1.2.1.47.1.1.1.1.") or
                              oid.startswith("1.3.6.1.2.1.131.1.1.1.")) \
            and oid.endswith(".7"):
        continue
    if op == "reserial-psu1" and oid == "1.3.6.1.2.1.47.1.1.1.1.11.6":
        line = oid + "|4|PSU0009Z\n"
    if oid == "1.3.6.1.2.1.47.1.4.1.0":
        line = oid + "|67|" + lc + "\n"
    out.append(line)
open(path + ".new", "w").writelines(out)
EOP
	chmod a+r "$REC.new"
	mv "$REC.new" "$REC"
}
drv "$T/c.yaml" 4 3000 snmp_entity > "$T/o1" 2> "$T/e1" &
DRV=$!
PIDS="$PIDS $DRV"
sleep 1.5
edit pull-psu2 7000
sleep 3
edit reserial-psu1 8000
wait $DRV
check "4 polls ran" test "$(grep -c '^R ' "$T/o1")" -eq 4
check "access1 inventory: 8 entities" grep -q '^I access1 entity count=8$' "$T/o1"
check "PSU 2 described with model, serial, FRU flag" grep -q '^I access1 entity 7 {index="7",class="powerSupply",name="PSU 2",descr="HPE X372 250W 100-240VAC Power Supply",model="JL085A",serial="PSU0002B",hardware_rev="A",.*field_replaceable="true",contained_in="5"' "$T/o1"
check "ENTITY-STATE-MIB states attached" grep -q '^I access1 entity 1 .*state_admin="unlocked",state_oper="enabled"' "$T/o1"
check "core1 inventory: 62 entities" grep -q '^I core1 entity count=62$' "$T/o1"
check "firmware: access1 OS WC.16.11.0005 from sysDescr" grep -q '^I access1 firmware os {component="os",os="ProCurve",version="WC.16.11.0005",source="sysDescr"' "$T/o1"
check "firmware: core1 OS 17.9.4a, chassis software 17.09.04a" sh -c "grep -q '^I core1 firmware os {component=\"os\",os=\"IOS-XE\",version=\"17.9.4a\"' '$T/o1' && grep -q '^I core1 firmware entity.1 .*software_rev=\"17.09.04a\"' '$T/o1'"
nrem=$(grep -c '^E access1 hotswap component="PSU 2" .*removed' "$T/o1")
check "PSU 2 pulled: exactly one removed event ($nrem)" test "$nrem" -eq 1
nrep=$(grep -c '^E access1 hotswap component="PSU 1" .*before="PSU0001A" after="PSU0009Z"' "$T/o1")
check "PSU 1 serial changed: exactly one replaced event ($nrep)" test "$nrep" -eq 1
check "no other hot-swap events" test "$(grep -c '^E .* hotswap ' "$T/o1")" -eq 2
check "no events for core1" sh -c "! grep -q '^E core1 ' '$T/o1'"
# Poll 4 saw an unchanged entLastChangeTime: no walk, so no inventory put.
check "unchanged entLastChangeTime: 3 inventory puts for access1 in 4 polls" test "$(grep -c '^I access1 entity count=' "$T/o1")" -eq 3
check "baseline persisted in the data dir" test -s "$T/data/snmp_entity/access1.fru"

# Agent "restarts" while the PSU goes back in (original recording).
cp "$FIX/access48.snmprec" "$REC.new" && chmod a+r "$REC.new" && mv "$REC.new" "$REC"
drv "$T/c.yaml" 1 3000 snmp_entity > "$T/o2" 2> "$T/e2"
nins=$(grep -c '^E access1 hotswap component="PSU 2" .*inserted' "$T/o2")
check "after a restart the baseline is kept: PSU 2 inserted once ($nins)" test "$nins" -eq 1
check "... and PSU 1's old serial is back: one replaced event" test "$(grep -c '^E access1 hotswap component="PSU 1" .*after="PSU0001A"' "$T/o2")" -eq 1
finish
