#!/bin/sh
# make deps: install every Debian package needed to build, run and test
# chokepoint, skipping those already installed. Idempotent.
set -eu

# Build: compiler, pkg-config and the libraries (pkg-config names in the
# Makefile: netsnmp libmicrohttpd libpcap librrd sqlite3 libfyaml jansson).
BUILD="build-essential pkg-config libsnmp-dev libmicrohttpd-dev libpcap-dev
librrd-dev libsqlite3-dev libfyaml-dev libjansson-dev"
# Run: the agent uses librrd, rrdcached (optional), SQLite.
RUN="rrdtool rrdcached sqlite3"
# Test: cmocka, real SNMP agents (snmpd, snmpsim), promtool (prometheus),
# curl, clang + compiler-rt for fuzzing, valgrind, python3 for test helpers.
TEST="libcmocka-dev snmp snmpd snmpsim prometheus curl clang
libclang-rt-14-dev valgrind python3 procps iproute2 tcpdump jq clang-format cppcheck"
# Extra packages named by the make fragments of modules (tests/deps-*.txt).
EXTRA=""
dir=$(dirname "$0")
for f in "$dir"/deps-*.txt; do
	[ -f "$f" ] || continue
	EXTRA="$EXTRA $(grep -v '^#' "$f" | tr '\n' ' ')"
done

# An entry "PKG@CMD" is satisfied by CMD on the PATH whatever package
# provides it (node and npm often come from NodeSource's nodejs, which
# conflicts with Debian's npm package).
missing=""
for e in $BUILD $RUN $TEST $EXTRA; do
	p=${e%%@*}
	if [ "$p" != "$e" ] && command -v "${e#*@}" >/dev/null 2>&1; then
		continue
	fi
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	echo "deps: all packages installed"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages:$missing" >&2
	echo "deps: run 'make deps' as root (or: sudo apt-get install$missing)" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# Package services must not start inside the build (snmpd, rrdcached...).
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 755 "$policy" && created_policy=1
fi
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
[ "$created_policy" -eq 1 ] && rm -f "$policy"
echo "deps: done"
