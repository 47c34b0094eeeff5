#!/bin/sh
# SPDX-License-Identifier: MIT
# `make bench`: runs every bench/*.sh (or only bench/$BENCH.sh), each with
# its default arguments. Benchmark-only packages (the programs we compare
# against) are installed here, not by `make deps`, so `make check` never
# pulls them in; without root, say what is missing and let each benchmark
# skip what it cannot run.
#   usage: sh bench/run.sh            BENCH=host sh bench/run.sh
set -eu
cd "$(dirname "$0")/.."

# Debian packages the benchmarks compare against: host.sh (collectd's
# plugins, node_exporter; http.sh: wrk, node_exporter; snmp.sh: snmp_exporter,
# collectd; pcap.sh: tcpdump, tshark); rrd.sh needs rrdcached, which `make deps` has.
PKGS="collectd-core prometheus-node-exporter prometheus-snmp-exporter tcpdump tshark wrk"

missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" = 0 ]; then
		echo "bench: installing$missing"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends $missing >/dev/null
		# On a systemd host Debian starts their services; host.sh runs
		# its own instances on free ports, so those only add load.
		for s in collectd prometheus-node-exporter; do
			systemctl is-active -q "$s" 2>/dev/null &&
				echo "bench: note: service $s is running (systemctl stop $s for quieter figures)" >&2
		done
	else
		echo "bench: missing packages:$missing (as root: apt-get install$missing);" \
			"benchmarks that need them skip those parts" >&2
	fi
fi

if [ -n "${BENCH:-}" ]; then
	[ -f "bench/$BENCH.sh" ] || { echo "bench: no bench/$BENCH.sh" >&2; exit 2; }
	set -- "bench/$BENCH.sh"
else
	set -- bench/*.sh
fi
rc=0
for b in "$@"; do
	[ "$b" = bench/run.sh ] && continue
	[ -f "$b" ] || continue
	echo "=== $b"
	sh "$b" || { echo "bench: $b failed" >&2; rc=1; }
done
exit $rc
