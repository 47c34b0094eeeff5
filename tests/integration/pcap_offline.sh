#!/bin/sh
# SPDX-License-Identifier: MIT
# `chokepoint pcap FILE`: the scripted capture written by pcapgen (see
# scenario_health in tests/tools/pcapgen.c) must give exactly its counts,
# and latencies within the histogram's step (1.6%); bad input never crashes.
set -u
BUILD=${BUILD:-build}
CP=${CHOKEPOINT:-$BUILD/chokepoint}
GEN=$BUILD/tools/pcapgen
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT INT TERM
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fail=1; echo "not ok $n - $1"; }
check() { # description, python expression over r (the JSON report)
	if python3 - "$T/r.json" "$2" <<'PY'
import json, sys
try:
    r = json.load(open(sys.argv[1]))
except ValueError:
    print("# no JSON report", file=sys.stderr)
    sys.exit(1)
port = {p["port"]: p for p in r["ports"]}
def near(v, want, rel=0.016):
    return abs(v - want) <= want * rel
ok = eval(sys.argv[2])
if not ok:
    print("# failed: " + sys.argv[2], file=sys.stderr)
sys.exit(0 if ok else 1)
PY
	then ok "$1"; else notok "$1"; fi
}

echo "1..27"
if [ "$($GEN health "$T/h.pcap")" = 75 ]; then
	ok "pcapgen wrote 75 packets"
else
	echo "Bail out! pcapgen failed"
	exit 1
fi
if $CP pcap "$T/h.pcap" --json --vip 192.0.2.10 > "$T/r.json" 2> "$T/err"; then
	ok "pcap --json exits 0"
else
	notok "pcap --json exits 0"; cat "$T/err" | sed 's/^/# /'
fi
check "totals by family, VLAN, transport" \
	'r["totals"]["packets"] == 75 and r["totals"]["ipv4"] == 57 and r["totals"]["ipv6"] == 12 and r["totals"]["vlan"] == 12 and r["totals"]["udp"] == 1'
check "1 non-IP, 2 truncated, 3 malformed frames counted" \
	'r["totals"]["non_ip"] == 1 and r["totals"]["truncated"] == 2 and r["totals"]["malformed"] == 3'
check "port 80: 4 connections, 2 established" \
	'port[80]["connections"] == 4 and port[80]["established"] == 2'
check "port 80: 3 SYNs unanswered (1 retried then answered, 2 never)" \
	'port[80]["syn_unanswered"] == 3'
check "port 80: 3 retransmissions, 2 zero windows, 2 resets" \
	'port[80]["retransmits"] == 3 and port[80]["zero_windows"] == 2 and port[80]["resets"] == 2'
check "port 80: 4 HTTP responses, p50 100 ms, p95/p99 300 ms" \
	'port[80]["http"]["count"] == 4 and near(port[80]["http"]["p50"], 0.1) and near(port[80]["http"]["p95"], 0.3) and near(port[80]["http"]["p99"], 0.3) and near(port[80]["http"]["min"], 0.05)'
check "port 80: handshake 2 ms (from the answered SYN)" \
	'port[80]["handshake"]["count"] == 2 and near(port[80]["handshake"]["p99"], 0.002)'
check "port 5432 (IPv6, VLAN 10): 2 queries at 25 and 75 ms" \
	'port[5432]["postgresql"]["count"] == 2 and near(port[5432]["postgresql"]["p50"], 0.025) and near(port[5432]["postgresql"]["p99"], 0.075)'
check "port 3306: 1 query at 40 ms, login not counted" \
	'port[3306]["mysql"]["count"] == 1 and near(port[3306]["mysql"]["p50"], 0.04)'
check "port 443: TLS handshake 31 ms, first data 50 ms" \
	'port[443]["tls_handshake"]["count"] == 1 and near(port[443]["tls_handshake"]["p50"], 0.031) and near(port[443]["tls_first_data"]["p50"], 0.05)'
check "bytes: port 80 out = SYN-ACK + 4 x 1040 + FIN + B (240 + SYN-ACK) + RST" \
	'port[80]["bytes_out"] == 40 + 4 * 1040 + 40 + 40 + 240 + 40 and port[80]["packets_out"] == 9'
check "DSR VIP: 3 request packets in, 2 response packets (2080 bytes) out" \
	'r["vips"][0]["vip"] == "192.0.2.10" and r["vips"][0]["request_packets"] == 3 and r["vips"][0]["response_packets"] == 2 and r["vips"][0]["response_bytes"] == 2080'
check "top talker: 10.0.0.100 -> 10.0.0.1 port 80, 4240 bytes, 6 packets" \
	'r["top_talkers"][0] == {"src": "10.0.0.100", "dst": "10.0.0.1", "proto": "tcp", "port": 80, "bytes": 4240, "packets": 6}'

# The same through a config file.
cat > "$T/c.yaml" <<YAML
collectors:
  pcap:
    ports: [80, 5432]
    vips: [192.0.2.10]
    top_talkers: 3
YAML
if $CP pcap "$T/h.pcap" -c "$T/c.yaml" --json > "$T/r.json" 2> "$T/err"; then
	check "-c: ports, vips and top_talkers from collectors.pcap" \
		'sorted(port) == [80, 5432] and port[80]["retransmits"] == 3 and len(r["top_talkers"]) == 3 and r["vips"][0]["response_packets"] == 2'
else
	notok "-c: ports, vips and top_talkers from collectors.pcap"; sed 's/^/# /' "$T/err"
fi
cat > "$T/bad.yaml" <<YAML
collectors:
  pcap:
    ports: [80, http]
    vips: [not-an-ip]
YAML
$CP pcap "$T/h.pcap" -c "$T/bad.yaml" > /dev/null 2> "$T/err"
rc=$?
if [ $rc = 1 ] && grep -q "bad.yaml:3:.*port" "$T/err" && grep -q "bad.yaml:4:.*address" "$T/err"; then
	ok "bad config: exit 1, each error at FILE:LINE:COL"
else
	notok "bad config: exit 1, each error at FILE:LINE:COL (rc $rc)"; sed 's/^/# /' "$T/err"
fi
if $CP pcap "$T/h.pcap" > "$T/out.txt" && grep -q "^port 80: connections 4, established 2, SYN unanswered 3, retransmits 3, zero windows 2, resets 2" "$T/out.txt"; then
	ok "text report"
else
	notok "text report"
fi

# Bad input.
$GEN junk "$T/junk.pcap" 5000 > /dev/null
if $CP pcap "$T/junk.pcap" --json > "$T/r.json" 2> "$T/err"; then
	check "5000 random frames: all counted, none crashes" \
		'r["totals"]["packets"] == 5000 and r["totals"]["malformed"] + r["totals"]["truncated"] > 1000'
else
	notok "5000 random frames"; sed 's/^/# /' "$T/err"
fi
$CP pcap "$T/none.pcap" > /dev/null 2> "$T/err"
rc=$?
if [ $rc = 1 ] && grep -q "none.pcap" "$T/err"; then ok "missing file: exit 1 naming it"; else notok "missing file (rc $rc)"; fi
head -c 3000 "$T/h.pcap" > "$T/cut.pcap"
$CP pcap "$T/cut.pcap" --json > "$T/r.json" 2> "$T/err"
rc=$?
if [ $rc = 1 ] && grep -q "cut.pcap" "$T/err"; then
	check "capture cut mid-record: exit 1, report of what was read" \
		'0 < r["totals"]["packets"] < 75'
else
	notok "capture cut mid-record (rc $rc)"; sed 's/^/# /' "$T/err"
fi
printf 'not a capture file at all' > "$T/text.pcap"
$CP pcap "$T/text.pcap" > /dev/null 2> "$T/err"
rc=$?
if [ $rc = 1 ] && grep -q "text.pcap" "$T/err"; then ok "not a capture: exit 1 naming it"; else notok "not a capture (rc $rc)"; fi

# The same capture as big-endian pcap and as pcapng: the same report.
$CP pcap "$T/h.pcap" --json | grep -v '"file"' > "$T/le.json"
python3 - "$T/h.pcap" "$T/be.pcap" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
out = bytearray(struct.pack(">IHHiIII", *struct.unpack("<IHHiIII", d[:24])))
off = 24
while off + 16 <= len(d):
    ts, us, cap, ln = struct.unpack("<IIII", d[off:off + 16])
    out += struct.pack(">IIII", ts, us, cap, ln) + d[off + 16:off + 16 + cap]
    off += 16 + cap
open(sys.argv[2], "wb").write(out)
PY
if $CP pcap "$T/be.pcap" --json | grep -v '"file"' | cmp -s - "$T/le.json"; then
	ok "big-endian capture: same report"
else
	notok "big-endian capture: same report"
fi
if command -v editcap > /dev/null; then
	editcap -F pcapng "$T/h.pcap" "$T/h.pcapng"
	if $CP pcap "$T/h.pcapng" --json | grep -v '"file"' | cmp -s - "$T/le.json"; then
		ok "pcapng capture (through libpcap): same report"
	else
		notok "pcapng capture (through libpcap): same report"
	fi
else
	ok "pcapng capture # SKIP editcap not installed"
fi
# A record claiming a 1 GB capture length.
python3 - "$T/h.pcap" "$T/huge.pcap" <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], "rb").read()[:24 + 16 + 60])
struct.pack_into("<I", d, 24 + 8, 1 << 30)
open(sys.argv[2], "wb").write(d)
PY
$CP pcap "$T/huge.pcap" > /dev/null 2> "$T/err"
rc=$?
if [ $rc = 1 ] && grep -q "huge.pcap: record at byte 24: capture length 1073741824" "$T/err"; then
	ok "absurd record length: exit 1, named with its offset"
else
	notok "absurd record length (rc $rc)"; sed 's/^/# /' "$T/err"
fi

# The flow table's hard cap: 1 MiB for ~10,500 connections.
$GEN bench "$T/bench.pcap" 200000 > /dev/null
printf 'collectors:\n  pcap:\n    flow_memory_mb: 1\n' > "$T/cap.yaml"
if $CP pcap "$T/bench.pcap" -c "$T/cap.yaml" --json > "$T/r.json" 2> "$T/err"; then
	check "flow cap 1 MiB: table full, least recent evicted and counted" \
		'r["totals"]["flow_memory_bytes"] <= 1 << 20 and r["totals"]["flows"] == r["totals"]["flow_capacity"] and r["totals"]["flow_evictions"] > 0'
	# pcapgen keeps 256 connections open: those at the end of the file
	# never complete; every other one is counted once despite evictions.
	check "flow cap: every connection still counted once" \
		'port[80]["connections"] - port[80]["established"] == 256 and port[80]["established"] == port[80]["http"]["count"] and port[80]["connections"] > r["totals"]["flow_capacity"]'
else
	notok "flow cap run"; notok "flow cap run"; sed 's/^/# /' "$T/err"
fi
exit $fail
