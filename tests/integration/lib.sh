# Shared helpers for integration tests (sourced, POSIX sh): TAP output, a
# temp dir and processes cleaned up on exit, free ports on 127.0.0.1.
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
CP="$TOP/$BUILD/chokepoint"
PLUGINS="$TOP/$BUILD/collectors"
T=$(mktemp -d /tmp/cp-it.XXXXXX)
_n=0
_fail=0
_pids=""

ok() { _n=$((_n + 1)); echo "ok $_n - $*"; }
not_ok() { _n=$((_n + 1)); _fail=$((_fail + 1)); echo "not ok $_n - $*"; }
skip() { _n=$((_n + 1)); echo "ok $_n - # SKIP $*"; }
diag() { echo "# $*"; }
# check DESCRIPTION COMMAND...: ok when the command succeeds.
check() {
	_d=$1
	shift
	if "$@" >/dev/null 2>&1; then ok "$_d"; else not_ok "$_d"; fi
}
# Remember a pid to kill (TERM, then KILL) at exit.
track() { _pids="$_pids $1"; }
cleanup() {
	for p in $_pids; do
		kill "$p" 2>/dev/null
	done
	for p in $_pids; do
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -9 "$p" 2>/dev/null
	done
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
# finish: print the plan and exit non-zero if anything failed.
finish() {
	echo "1..$_n"
	[ $_fail -eq 0 ]
	exit $?
}
# A free TCP/UDP port on 127.0.0.1.
free_port() {
	python3 -c 'import socket
s=socket.socket(); s.bind(("127.0.0.1",0)); p=s.getsockname()[1]; s.close()
u=socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    u.bind(("127.0.0.1",p)); u.close(); print(p)
except OSError:
    print(0)'
}
# wait_http URL [TRIES]: until the URL answers 200.
wait_http() {
	i=0
	while [ $i -lt "${2:-100}" ]; do
		curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
# wait_for_s SECONDS COMMAND...: retry for up to SECONDS.
wait_for_s() {
	_t=$(($1 * 10))
	shift
	i=0
	while [ $i -lt $_t ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
# wait_for COMMAND...: retry for up to 10 s.
wait_for() { wait_for_s 10 "$@"; }
# refused DESCRIPTION OUT RC PATTERN: the run that wrote OUT and exited RC
# stopped with exit 2 and one line, matching PATTERN (grep).
refused() {
	if [ "$3" -eq 2 ] && [ "$(wc -l < "$2")" -eq 1 ] && grep -q "$4" "$2"; then
		ok "$1"
	else
		not_ok "$1 (rc $3)"
		sed 's/^/# /' "$2"
	fi
}
# metric_value NAME LABELFILTER FILE: the value of the first matching line.
metric_value() {
	grep -E "^chokepoint_$1\{[^}]*$2" "$3" | head -1 | awk '{print $NF}'
}
# The shared real-device recordings, when present.
SHARED=""
for d in "$TOP/../shared" /work/shared; do
	if [ -d "$d/fixtures" ]; then SHARED=$(cd "$d" && pwd); break; fi
done
