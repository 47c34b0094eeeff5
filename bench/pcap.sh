#!/bin/sh
# SPDX-License-Identifier: MIT
# Traffic analysis benchmark (see "Traffic analysis (pcap)" in
# bench/README.md). Offline: one synthetic capture of PACKETS packets read
# by `chokepoint pcap FILE` (the full analysis), `tcpdump -r FILE -w
# /dev/null` (copy, no decoding) and `tshark -r FILE -q -z conv,tcp`;
# median of RUNS runs each, packets/s and peak RSS. Live: packets injected
# on the loopback of a private network namespace (nothing leaves the
# machine) at rising rates until pcap reports drops. Needs root for live.
set -eu
BUILD=${BUILD:-build}
CP=${CHOKEPOINT:-$BUILD/chokepoint}
PACKETS=${PACKETS:-1000000}
RUNS=${RUNS:-3}
# Packets/s per injector; 0 is as fast as one injector goes, 0x2 is two
# injectors at full speed (one per core here).
RATES=${RATES:-"50000 100000 200000 0 0x2"}
LIVE_SECONDS=${LIVE_SECONDS:-3}
T=$(mktemp -d /tmp/cpbench.XXXXXX)
NS=cpbench$$
cleanup() {
	[ -n "${CAP_PID:-}" ] && kill "$CAP_PID" 2>/dev/null || true
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

for tool in tcpdump tshark; do
	command -v $tool > /dev/null || { echo "bench/pcap.sh: $tool missing (make deps)"; exit 1; }
done

median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

# run NAME CMD...: RUNS timed runs; prints "NAME seconds rss_kb"
run() {
	name=$1; shift
	: > "$T/times"
	i=0
	while [ $i -lt "$RUNS" ]; do
		/usr/bin/time -f "%e %M" -o "$T/t1" "$@" > "$T/out" 2> "$T/err" || {
			echo "bench/pcap.sh: $name failed:"; cat "$T/err"; exit 1; }
		cat "$T/t1" >> "$T/times"
		i=$((i + 1))
	done
	s=$(awk '{print $1}' "$T/times" | median)
	m=$(awk '{print $2}' "$T/times" | median)
	echo "$name $s $m" >> "$T/results"
}

echo "generating $PACKETS packets..."
"$BUILD/tools/pcapgen" bench "$T/bench.pcap" "$PACKETS" > /dev/null
size=$(stat -c %s "$T/bench.pcap")
cat "$T/bench.pcap" > /dev/null # page cache, as in the issue's figures
: > "$T/results"
run chokepoint "$CP" pcap "$T/bench.pcap" --json
got=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["totals"]["packets"])' "$T/out")
[ "$got" = "$PACKETS" ] || { echo "bench/pcap.sh: chokepoint saw $got packets"; exit 1; }
run tcpdump tcpdump -r "$T/bench.pcap" -w /dev/null
run tshark tshark -r "$T/bench.pcap" -q -z conv,tcp

echo
echo "offline: $PACKETS packets, $((size / 1048576)) MiB, median of $RUNS runs ($(nproc) cores, $(uname -r))"
printf '%-12s %10s %14s %10s\n' tool seconds packets/s "RSS MiB"
awk -v n="$PACKETS" '{ printf "%-12s %10.2f %14.0f %10.1f\n", $1, $2, n / $2, $3 / 1024 }' "$T/results"
awk -v n="$PACKETS" '
	{ s[$1] = $2; m[$1] = $3 }
	END {
		printf "chokepoint/tcpdump rate %.2f (goal >= 0.5), chokepoint/tshark %.0fx (goal >= 50), chokepoint RSS %.1f MiB (goal < 64)\n",
		    s["tcpdump"] / s["chokepoint"], s["tshark"] / s["chokepoint"], m["chokepoint"] / 1024
	}' "$T/results"

if [ "$(id -u)" != 0 ]; then
	echo "live: skipped (needs root for a network namespace and capture)"
	exit 0
fi
echo
echo "live: lo of a private netns, ${LIVE_SECONDS}s per rate, median of $RUNS runs"
ip netns add "$NS"
ip netns exec "$NS" ip link set lo up
alone=$(ip netns exec "$NS" "$BUILD/tools/pcapreplay" lo "$T/bench.pcap" 0 "$LIVE_SECONDS" | awk '{print $2}')
echo "injector alone (no capture open): $alone packets/s"
printf '%-10s %12s %12s %10s %10s\n' target sent/s analysed received dropped
for rate in $RATES; do
	: > "$T/live"
	i=0
	while [ $i -lt "$RUNS" ]; do
		ip netns exec "$NS" "$CP" pcap -i lo -d $((LIVE_SECONDS + 2))s --json > "$T/live.json" &
		CAP_PID=$!
		sleep 1
		if [ "$rate" = 0x2 ]; then
			ip netns exec "$NS" "$BUILD/tools/pcapreplay" lo "$T/bench.pcap" 0 "$LIVE_SECONDS" > "$T/inj2" &
			inj=$!
			s1=$(ip netns exec "$NS" "$BUILD/tools/pcapreplay" lo "$T/bench.pcap" 0 "$LIVE_SECONDS")
			wait $inj
			sent=$(printf '%s\n%s\n' "$s1" "$(cat "$T/inj2")" | awk '{n += $1; r += $2} END {print n, r}')
		else
			sent=$(ip netns exec "$NS" "$BUILD/tools/pcapreplay" lo "$T/bench.pcap" "$rate" "$LIVE_SECONDS")
		fi
		wait "$CAP_PID"
		CAP_PID=
		python3 - "$T/live.json" "$sent" >> "$T/live" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
c = r["capture"][0]
sent, rate = sys.argv[2].split()
print(rate, r["totals"]["packets"], c["received"], c["dropped"] + c["ifdropped"])
PY
		i=$((i + 1))
	done
	label=$rate
	[ "$rate" = 0 ] && label=max
	[ "$rate" = 0x2 ] && label=max-x2
	printf '%-10s %12.0f %12.0f %10.0f %10.0f\n' "$label" \
	    "$(awk '{print $1}' "$T/live" | median)" "$(awk '{print $2}' "$T/live" | median)" \
	    "$(awk '{print $3}' "$T/live" | median)" "$(awk '{print $4}' "$T/live" | median)"
	drops=$(awk '{print $4}' "$T/live" | median)
	[ "$drops" -gt 0 ] && { echo "drops from $label packets/s"; break; }
done
