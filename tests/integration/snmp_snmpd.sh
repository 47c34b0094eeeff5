#!/bin/sh
# snmp_if against Debian's real snmpd on 127.0.0.1: SNMPv2c, SNMPv3
# authPriv (SHA/AES, SHA-256/AES), authNoPriv (SHA-256) and a wrong passphrase;
# the interfaces found must be this host's, and no secret may appear in any output.
. "$(dirname "$0")/lib_snmp.sh"

PORT=$(free_port)
mkdir -p "$T/persist"
cat > "$T/snmpd.conf" <<EOC
agentAddress udp:127.0.0.1:$PORT
rocommunity chk-community 127.0.0.1
createUser cpuser SHA "auth-Secret-111" AES "priv-Secret-222"
createUser cpuser256 SHA-256 "auth-Secret-333" AES "priv-Secret-444"
rouser cpuser priv
createUser cpuser3 SHA "auth-Secret-555" AES "priv-Secret-666"
createUser cpauth SHA-256 "auth-Secret-777"
rouser cpauth auth
rouser cpuser256 priv
rouser cpuser3 priv
EOC
SNMP_PERSISTENT_DIR="$T/persist" snmpd -f -Lf "$T/snmpd.log" -C -c "$T/snmpd.conf" \
	-p "$T/snmpd.pid" > /dev/null 2>&1 &
SNMPD=$!
PIDS="$PIDS $SNMPD"
i=0
until snmpget -v2c -c chk-community -t 1 -r 0 127.0.0.1:$PORT 1.3.6.1.2.1.1.5.0 >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 20 ] || break
	sleep 0.3
done
check "snmpd answers on 127.0.0.1:$PORT" test $i -lt 20

cat > "$T/c.yaml" <<EOC
agent: {data_dir: $T/data}
devices:
  - {name: v2, role: web, address: "127.0.0.1:$PORT", snmp: {version: 2c, community: chk-community}}
  - name: v3sha
    role: web
    address: 127.0.0.1:$PORT
    snmp: {version: 3, user: cpuser, auth: {protocol: SHA, passphrase: auth-Secret-111}, priv: {protocol: AES, passphrase: priv-Secret-222}}
  - name: v3sha256
    role: db
    address: 127.0.0.1:$PORT
    snmp: {version: 3, user: cpuser256, auth: {protocol: SHA-256, passphrase: auth-Secret-333}, priv: {protocol: AES, passphrase: priv-Secret-444}}
  - name: v3auth
    role: web
    address: 127.0.0.1:$PORT
    snmp: {version: 3, user: cpauth, auth: {protocol: SHA-256, passphrase: auth-Secret-777}}
  - name: v3wrong
    role: db
    address: 127.0.0.1:$PORT
    timeout: 500ms
    retries: 0
    snmp: {version: 3, user: cpuser3, auth: {protocol: SHA, passphrase: wrong-Secret-999}, priv: {protocol: AES, passphrase: priv-Secret-222}}
EOC
SNMPDRV_DEBUG=1 drv "$T/c.yaml" 2 2000 snmp_if > "$T/o" 2> "$T/e"
nif=$(ls /sys/class/net | wc -l)
for d in v2 v3sha v3sha256 v3auth; do
	check "$d is up" grep -q "^T $d up=1 " "$T/o"
	n=$(grep -F "S $d if_info{" "$T/o" | sed -n 's/.*ifname="\([^"]*\)".*/\1/p' | sort -u | wc -l)
	check "$d: $nif interfaces like /sys/class/net (got $n)" test "$n" -eq "$nif"
	check "$d: lo found with its counters" grep -qF "S $d if_in_octets_total{ifname=\"lo\"" "$T/o"
done
check "v3 with a wrong passphrase is down: security error" grep -q "^T v3wrong up=0 .*reason=\"SNMPv3 security error" "$T/o"
diag "$(grep '^T v3wrong' "$T/o" | head -1 | sed 's/ {.*//')"
check "v2 and v3 see the same interface names" sh -c "[ \"\$(grep -F 'S v2 if_info{' '$T/o' | sed -n 's/.*ifname=\"\([^\"]*\)\".*/\1/p' | sort -u)\" = \"\$(grep -F 'S v3sha if_info{' '$T/o' | sed -n 's/.*ifname=\"\([^\"]*\)\".*/\1/p' | sort -u)\" ]"
check "no secret in any output or log" sh -c "! grep -rq 'Secret-' '$T/o' '$T/e'"
check "sysDescr of this host parsed as Linux" grep -q '^T v2 up=1 .*os="Linux"' "$T/o"
finish
