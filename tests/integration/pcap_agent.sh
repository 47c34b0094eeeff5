#!/bin/sh
# SPDX-License-Identifier: MIT
# The pcap collector inside the running agent: capturing on lo while a
# Python HTTP server answers after 100 ms, its metrics on /metrics, the top
# talkers in the inventory store, a bad filter refused by `check`, and the
# opt-in switch to an unprivileged user after the capture is open.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
	skip "capturing needs root"
	finish
fi

cat > "$T/bad.yaml" <<EOC
agent: {plugin_dir: $PLUGINS}
collectors:
  pcap:
    interfaces: [lo]
    filter: "tcp port"
EOC
"$CP" check -c "$T/bad.yaml" > "$T/check.out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "bad.yaml:5:1[34]: filter 'tcp port'" "$T/check.out" &&
	ok "check: a filter that does not compile, at its line:col" ||
	{ not_ok "check: bad filter (rc $rc)"; sed 's/^/# /' "$T/check.out"; }

cat > "$T/server.py" <<'PY'
import http.server, socketserver, sys, time
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        time.sleep(0.1)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H)
s.serve_forever()
PY
HPORT=$(free_port)
python3 "$T/server.py" "$HPORT" &
track $!
wait_for python3 -c "import socket; socket.create_connection(('127.0.0.1', $HPORT))"

# Traverse into $T as the unprivileged user for the second run.
chmod 711 "$T"
mkdir -p "$T/data"
chmod 777 "$T/data"
WPORT=$(free_port)
cat > "$T/pcap.yaml" <<EOC
agent:
  hostname: pcaphost
  data_dir: $T/data
  interval: 1s
  plugin_dir: $PLUGINS
web:
  listen: 127.0.0.1:$WPORT
collectors:
  pcap:
    interfaces: [lo]
    ports: [$HPORT]
    top_talkers: 3
    user: nobody
EOC
"$CP" run -c "$T/pcap.yaml" > "$T/agent.log" 2>&1 &
AGENT=$!
track $AGENT
if wait_http "http://127.0.0.1:$WPORT/healthz"; then ok "agent with pcap serves /healthz"; else not_ok "agent with pcap serves /healthz"; sed 's/^/# /' "$T/agent.log"; fi
wait_for grep -q "capturing on 1 interface" "$T/agent.log" && ok "capture open on lo" || { not_ok "capture open on lo"; sed 's/^/# /' "$T/agent.log"; }
uid=$(awk '/^Uid:/ {print $2 $3}' "/proc/$AGENT/status")
nuid=$(id -u nobody)
[ "$uid" = "$nuid$nuid" ] && grep -q "now runs as user 'nobody'" "$T/agent.log" &&
	ok "agent switched to nobody after opening the capture" || not_ok "agent switched to nobody (uid $uid)"

# Requests for 4 s: every 1 s interval has talkers to store.
python3 - "$HPORT" <<'PY' &
import socket, sys, time
port = int(sys.argv[1])
end = time.time() + 4
while time.time() < end:
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET / HTTP/1.0\r\n\r\n")
    data = b""
    while True:
        c = s.recv(4096)
        if not c:
            break
        data += c
    s.close()
PY
CLIENT=$!
track $CLIENT
sleep 3
curl -fsS "http://127.0.0.1:$WPORT/metrics" > "$T/m.txt"
for m in tcp_connections_per_second tcp_established_per_second tcp_resets_per_second \
	tcp_bytes_in_per_second app_responses_per_second; do
	grep -q "^chokepoint_$m{.*port=\"$HPORT\"" "$T/m.txt" && ok "/metrics has $m for the port" ||
		not_ok "/metrics has $m for the port"
done
for m in pcap_packets_per_second pcap_drops_per_second; do
	grep -q "^chokepoint_$m{.*iface=\"lo\"" "$T/m.txt" && ok "/metrics has $m{iface=lo}" || not_ok "/metrics has $m{iface=lo}"
done
v=$(grep "^chokepoint_app_response_seconds{.*port=\"$HPORT\".*quantile=\"0.5\"" "$T/m.txt" | awk '{print $NF}')
if [ -n "$v" ] && awk -v v="$v" 'BEGIN { exit !(v >= 0.1 && v < 0.2) }'; then
	ok "HTTP response p50 $v s (server delay 100 ms)"
else
	not_ok "HTTP response p50 '$v'"; grep app_response "$T/m.txt" | sed 's/^/# /'
fi
# The top talkers went to the inventory store.
n=$(sqlite3 "$T/data/chokepoint.db" "select count(*) from inventory where kind = 'top_talkers'" 2>/dev/null)
if [ -n "$n" ] && [ "$n" -ge 1 ]; then
	ok "top talkers stored as inventory ($n)"
else
	# Only the last interval's talkers are kept: a quiet interval has none.
	sqlite3 "$T/data/chokepoint.db" "select count(*) from inventory" 2>&1 | sed 's/^/# /'
	not_ok "top talkers stored as inventory"
fi
wait $CLIENT
[ -z "$(find "$T/data" ! -user nobody)" ] && ok "data directory handed to nobody" ||
	{ not_ok "data directory handed to nobody"; find "$T/data" ! -user nobody -ls | sed 's/^/# /'; }
grep -q "Permission denied" "$T/agent.log" && { not_ok "no permission errors after the switch"; grep "Permission" "$T/agent.log" | head -5 | sed 's/^/# /'; } ||
	ok "no permission errors after the switch"
kill $AGENT
wait $AGENT 2>/dev/null
rc=$?
[ $rc -eq 0 ] && ok "agent stops cleanly (capture thread joined)" || not_ok "agent stops cleanly (rc $rc)"
finish
