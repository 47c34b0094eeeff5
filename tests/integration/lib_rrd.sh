# Shared by the RRD store's integration tests (sourced after lib.sh): the
# agent's config (1 s, written every 2 s, small archives, the built-in
# rrd-writes-blocked rule sooner) and checks on its files and its own
# metrics. TGT is the agent's name, PORT its HTTP port.

# rrd_conf FILE DATA_DIR: write the agent's config.
rrd_conf() {
	cat > "$1" <<EOC
agent:
  name: $TGT
  hostname: $TGT
  data_dir: $2
  interval: 1s
  plugin_dir: $PLUGINS
web:
  listen: 127.0.0.1:$PORT
storage:
  flush_interval: 2s
  rra:
    - {step: full, keep: 1h}
    - {step: 1m, keep: 1d}
collectors:
  cpu: {}
  memory: {}
alerts:
  # The built-in rule waits a minute; the same rule, sooner.
  - {name: rrd-writes-blocked, metric: rrd_write_blocked, above: 0, for: 2s,
     severity: critical}
EOC
}
# start_agent LOG [CONFIG]: runs it in the background, through the command
# prefix $RUN_AS if set (another user); its pid in $AP.
start_agent() {
	# shellcheck disable=SC2086 # RUN_AS is a command prefix
	$RUN_AS "$CP" run -c "${2:-$T/agent.yaml}" > "$1" 2>&1 &
	AP=$!
	track "$AP"
}
# stop_agent: SIGTERM; the exit status in $RC.
stop_agent() {
	kill -TERM "$AP"
	wait "$AP"
	RC=$?
}
# metrics: the agent's /metrics into $T/m.txt.
metrics() { curl -fsS "http://127.0.0.1:$PORT/metrics" > "$T/m.txt" 2>/dev/null; }
# self_value METRIC: the agent's own METRIC in the last $T/m.txt.
self_value() { metric_value "$1" "target=\"$TGT\"" "$T/m.txt"; }
# self_is METRIC VALUE: the agent's own METRIC in /metrics is VALUE.
self_is() { metrics && [ "$(self_value "$1")" = "$2" ]; }
# no_gap FILE FROM TO: every second in [FROM, TO] holds a value > 0.
no_gap() {
	rrdtool fetch "$1" AVERAGE -r 1 -s "$(($2 - 1))" -e "$3" |
		awk -v a="$2" -v b="$3" '
		NF == 2 { t = $1 + 0; sub(":", "", $1) }
		NF == 2 && t >= a && t <= b { n++; if (!($2 + 0 > 0)) bad++ }
		END { exit !(n >= b - a + 1 && bad == 0) }'
}
# firing: the rrd-writes-blocked alert fires.
firing() {
	curl -fsS "http://127.0.0.1:$PORT/api/v1/alerts" |
		python3 -c 'import json,sys; a=json.load(sys.stdin); sys.exit(not any(x.get("rule") == "rrd-writes-blocked" and x.get("status") == "firing" for x in a.get("alerts", [])))'
}
