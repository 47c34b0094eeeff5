#!/bin/sh
# The shared real-device recordings (../shared/fixtures, read in place):
# every recording is served by snmpsim and polled by snmp_if and
# snmp_entity; interfaces (ifName per ifIndex, speed in bit/s, count) and
# versions are compared with LibreNMS's results, every disagreement listed.
# Skipped when the shared fixtures are absent.
. "$(dirname "$0")/lib_snmp.sh"

SH="$TOP/../shared/fixtures"
[ -d "$SH/snmprec" ] || SH=/work/shared/fixtures
if [ ! -d "$SH/snmprec" ] || [ ! -d "$SH/expected" ]; then
	echo "ok 1 # SKIP no shared fixtures (../shared/fixtures)"
	echo "1..1"
	exit 0
fi
names=$(cd "$SH/snmprec" && ls *.snmprec | sed 's/\.snmprec$//')
PORT=$(free_port)
first=$(echo "$names" | head -1)
# snmpsimd reads the recordings where they are (it drops to nobody as
# root: they must be world-readable, which they are).
sim_start "$PORT" "$SH/snmprec" "$first" 2>/dev/null || {
	nok "snmpsimd serves $SH/snmprec"
	finish
}
ok "snmpsimd serves $(echo "$names" | wc -l) shared recordings"
{
	echo "agent: {data_dir: $T/data}"
	echo "devices:"
	for n in $names; do
		echo "  - {name: $n, role: core, address: \"127.0.0.1:$PORT\", timeout: 3s, snmp: {version: 2c, community: $n}}"
	done
} > "$T/c.yaml"
plugins=snmp_if
[ -f "$B/collectors/snmp_entity.so" ] && plugins="$plugins snmp_entity"
# shellcheck disable=SC2086
drv "$T/c.yaml" 1 60000 $plugins > "$T/o" 2> "$T/e"
for n in $names; do
	check "$n polled completely" grep -q "^T $n up=1 .*reason=\"\"" "$T/o"
done
python3 "$TOP/tests/integration/snmp_compare.py" "$T/o" "$SH/expected" $names > "$T/cmp"
while IFS= read -r line; do
	case "$line" in
	"PASS "*) ok "${line#PASS }" ;;
	"FAIL "*) nok "${line#FAIL }" ;;
	"SKIP "*) ok "${line#SKIP } # SKIP" ;;
	"#"*) echo "$line" ;;
	esac
done < "$T/cmp"
finish
