# Shared helpers of the snmp_*.sh integration tests (sourced; not a test).
# TAP output, free UDP ports, snmpsimd and snmpd on 127.0.0.1 started and
# stopped by pid, the snmpdrv driver and the agent.
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
B="$TOP/$BUILD"
FIX="$TOP/tests/fixtures/snmp"
T=$(mktemp -d /tmp/cp-snmp-test.XXXXXX)
chmod 755 "$T"
N=0
FAILS=0
PIDS=""

ok() { N=$((N + 1)); echo "ok $N - $*"; }
nok() { N=$((N + 1)); FAILS=$((FAILS + 1)); echo "not ok $N - $*"; }
# check DESCRIPTION COMMAND...: ok when the command succeeds
check() {
	_desc=$1
	shift
	if "$@"; then ok "$_desc"; else nok "$_desc"; fi
}
diag() { echo "# $*"; }

cleanup() {
	for p in $PIDS; do
		kill "$p" 2>/dev/null
	done
	for p in $PIDS; do
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.2
			i=$((i + 1))
		done
		kill -9 "$p" 2>/dev/null
	done
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT INT TERM

finish() {
	if [ -s "$T/drv-failed" ]; then
		nok "snmpdrv runs exited cleanly: $(tr '\n' ';' < "$T/drv-failed")"
	else
		ok "every snmpdrv run exited cleanly (no crash, no sanitizer report)"
	fi
	echo "1..$N"
	[ "$FAILS" -eq 0 ]
	exit $?
}

free_port() {
	python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# sim_start PORT DATADIR COMMUNITY: snmpsimd in the background, waits
# until COMMUNITY answers; sets SIM_PID.
sim_start() {
	cache="$T/simcache-$1"
	mkdir -p "$cache"
	chmod -R a+rX "$2"
	set -- "$1" "$2" "$3" --data-dir="$2" --agent-udpv4-endpoint=127.0.0.1:"$1" \
		--cache-dir="$cache" --force-index-rebuild --logging-method=null \
		--max-varbinds="${SIM_MAX_VARBINDS:-64}"
	if [ "$(id -u)" -eq 0 ]; then
		chown nobody "$cache"
		grp=nogroup
		getent group nogroup >/dev/null || grp=nobody
		set -- "$@" --process-user=nobody --process-group=$grp
	fi
	port=$1 comm=$3
	shift 3
	snmpsimd "$@" > "$T/sim-$port.log" 2>&1 &
	SIM_PID=$!
	PIDS="$PIDS $SIM_PID"
	i=0
	while [ $i -lt 40 ]; do
		if snmpget -v2c -c "$comm" -t 1 -r 0 -On 127.0.0.1:"$port" \
			1.3.6.1.2.1.1.5.0 >/dev/null 2>&1; then
			return 0
		fi
		kill -0 $SIM_PID 2>/dev/null || break
		i=$((i + 1))
	done
	echo "# snmpsimd on $port did not start:" >&2
	sed 's/^/# /' "$T/sim-$port.log" >&2
	return 1
}

# stop PID: TERM, wait, KILL
stop_pid() {
	kill "$1" 2>/dev/null
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# drv CONFIG RUNS INTERVAL_MS PLUGIN... : snmpdrv output on stdout
drv() {
	_c=$1 _r=$2 _i=$3
	shift 3
	_plugins=""
	for _p in "$@"; do _plugins="$_plugins $B/collectors/$_p.so"; done
	# shellcheck disable=SC2086
	"$B/tools/snmpdrv" -c "$_c" -n "$_r" -i "$_i" $_plugins
	_rc=$?
	# A crash, a sanitizer report (SAN=1 builds) or a leak fails the test.
	[ $_rc -eq 0 ] || echo "snmpdrv -c $_c exited $_rc" >> "$T/drv-failed"
	return $_rc
}

# Lines of a status / sample / event for a target.
status_of() { grep "^T $2 " "$1"; }
last_status() { grep "^T $2 " "$1" | tail -1; }
# samples FILE TARGET METRIC LABELPREFIX -> "KIND VALUE [scale= max_rate= disc= t=]"
samples() { grep -F "S $2 $3{$4" "$1" | sed 's/^[^{]*{[^}]*} //'; }
# values FILE TARGET METRIC LABELPREFIX -> the values, one a line
values() { samples "$@" | awk '{print $2}'; }
# all values within [lo, hi] (and at least one)
in_range() {
	awk -v lo="$1" -v hi="$2" 'BEGIN{n=0; bad=0} {n++; if ($1 < lo || $1 > hi) bad++} END{exit !(n > 0 && bad == 0)}'
}
