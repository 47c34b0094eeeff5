# Shared by the web_*.sh tests (sourced; run-integration.sh skips lib*.sh):
# a temp dir, free loopback ports, the agent run with the synth test
# collector (a simulated switch sw1 and pressure signals for the host
# "testhost"), TAP helpers. Everything started is killed by PID.
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
BIN="$TOP/$BUILD/chokepoint"
W=$(mktemp -d /tmp/cp-web.XXXXXX)
PIDS=""
n=0
fails=0

cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$W"
}
trap cleanup EXIT INT TERM

ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() {
	n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"
	if [ -n "${2:-}" ]; then printf '%s\n' "$2" | head -20 | sed 's/^/# /'; fi
}
# check "what" command...: ok when the command succeeds.
check() {
	what=$1; shift
	if out=$("$@" 2>&1); then ok "$what"; else nok "$what" "$out"; fi
}
finish() {
	echo "1..$n"
	[ "$fails" -eq 0 ]
	exit $?
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# write_config NAME PORT [extra web: lines]: a config in $W/NAME.yaml.
write_config() {
	name=$1 port=$2; shift 2
	mkdir -p "$W/plugins"
	ln -sf "$TOP/$BUILD/test-collectors/synth.so" "$W/plugins/synth.so"
	{
		printf 'agent:\n  name: web-test\n  hostname: testhost\n'
		printf '  data_dir: %s\n  interval: 1s\n  plugin_dir: %s\n' \
		    "$W/data-$name" "$W/plugins"
		printf 'web:\n  listen: %s\n' "${LISTEN:-127.0.0.1:$port}"
		for l in "$@"; do printf '  %s\n' "$l"; done
		# Values wait up to 30 s in the store: reads must flush first.
		# Small RRAs: at 1 s steps the defaults (2 days at full
		# resolution) would take 2.7 MB per series.
		printf 'storage:\n  flush_interval: 30s\n'
		printf '  rra:\n    - {step: full, keep: 1h}\n    - {step: 1m, keep: 2d}\n'
		[ -n "${RRDCACHED:-}" ] && printf '  rrdcached: %s\n' "$RRDCACHED"
		printf 'collectors:\n  synth: {device: sw1, ports: 8, host: true}\n'
	} > "$W/$name.yaml"
}

# start_agent NAME URL: run it, wait until URL/healthz answers (curl opts
# in CURL_OPTS). Sets AGENT_PID.
start_agent() {
	"$BIN" run -c "$W/$1.yaml" > "$W/$1.log" 2>&1 &
	AGENT_PID=$!
	PIDS="$PIDS $AGENT_PID"
	for _ in $(seq 1 100); do
		# shellcheck disable=SC2086
		if curl -sf ${CURL_OPTS:-} -o /dev/null "$2/healthz"; then
			return 0
		fi
		kill -0 "$AGENT_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "# agent $1 did not start:"; sed 's/^/# /' "$W/$1.log"
	return 1
}

# Wait until the first rates are in (counters need two runs).
wait_data() {
	for _ in $(seq 1 50); do
		# shellcheck disable=SC2086
		if curl -sf ${CURL_OPTS:-} "$1/api/v1/devices/sw1" 2>/dev/null |
		    jq -e '.interfaces[0].in_bps != null' >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.2
	done
	return 1
}
