#!/bin/sh
# SPDX-License-Identifier: MIT
# A real exchange on 127.0.0.1 captured by tcpdump, analysed by
# `chokepoint pcap`: a Python HTTP server answering after 100/200/300 ms,
# one client abort (RST) and one refused connection. Connection and reset
# counts must match exactly; response times within the server's delay plus
# a scheduling margin. Needs root (capture) and tcpdump.
set -u
BUILD=${BUILD:-build}
CP=${CHOKEPOINT:-$BUILD/chokepoint}
if [ "$(id -u)" != 0 ] || ! command -v tcpdump > /dev/null; then
	echo "1..0 # SKIP needs root and tcpdump"
	exit 0
fi
T=$(mktemp -d)
SRV= DUMP=
cleanup() {
	[ -n "$SRV" ] && kill "$SRV" 2>/dev/null
	[ -n "$DUMP" ] && kill "$DUMP" 2>/dev/null
	[ -n "${KEEP:-}" ] && cp "$T/lo.pcap" /tmp/lo-debug.pcap; rm -rf "$T"
}
trap cleanup EXIT INT TERM
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fail=1; echo "not ok $n - $1"; }
echo "1..6"

cat > "$T/server.py" <<'PY'
import http.server, sys, time
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        time.sleep(int(self.path.rsplit("/", 1)[1]) / 1000.0)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_address[1]))
s.serve_forever()
PY
python3 "$T/server.py" "$T/port" &
SRV=$!
i=0
while [ ! -s "$T/port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
PORT=$(cat "$T/port")
# A port with nothing listening: bind, note it, close.
CLOSED=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

tcpdump -i lo --immediate-mode -U -n -w "$T/lo.pcap" "tcp port $PORT or tcp port $CLOSED" 2> "$T/dump.err" &
DUMP=$!
i=0
while ! grep -q "listening on" "$T/dump.err" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
sleep 0.3

python3 - "$PORT" "$CLOSED" <<'PY'
import socket, struct, sys
port, closed = int(sys.argv[1]), int(sys.argv[2])
def get(delay, abort=False):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /delay/%d HTTP/1.0\r\n\r\n" % delay)
    data = b""
    while b"ok" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    if abort:  # linger 0: close() sends a RST
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
for d in (100, 200, 300):
    get(d)
get(100, abort=True)
try:
    socket.create_connection(("127.0.0.1", closed))
except ConnectionRefusedError:
    pass
PY
sleep 0.5
kill -INT "$DUMP"
wait "$DUMP" 2>/dev/null
DUMP=
if [ -s "$T/lo.pcap" ]; then ok "tcpdump captured the exchange"; else notok "tcpdump captured the exchange"; fi

if $CP pcap "$T/lo.pcap" --port "$PORT" --port "$CLOSED" --json > "$T/r.json" 2> "$T/err"; then
	ok "chokepoint pcap exits 0"
else
	notok "chokepoint pcap exits 0"; sed 's/^/# /' "$T/err"
fi
check() {
	if python3 - "$T/r.json" "$PORT" "$CLOSED" "$2" <<'PY'
import json, sys
try:
    r = json.load(open(sys.argv[1]))
except ValueError:
    sys.exit(1)
port = {p["port"]: p for p in r["ports"]}
srv, closed = port[int(sys.argv[2])], port[int(sys.argv[3])]
ok = eval(sys.argv[4])
if not ok:
    print("# failed: %s\n# server: %s\n# closed: %s" % (sys.argv[4], {k: v for k, v in srv.items() if not isinstance(v, dict)}, {k: v for k, v in closed.items() if not isinstance(v, dict)}), file=sys.stderr)
sys.exit(0 if ok else 1)
PY
	then ok "$1"; else notok "$1"; fi
}
check "server port: 4 connections, 4 established, 0 unanswered, 0 retransmits" \
	'srv["connections"] == 4 and srv["established"] == 4 and srv["syn_unanswered"] == 0 and srv["retransmits"] == 0'
check "server port: exactly 1 reset (the client abort)" 'srv["resets"] == 1'
check "server port: 4 HTTP responses, p50 100-130 ms, max 300-340 ms" \
	'srv["http"]["count"] == 4 and 0.1 <= srv["http"]["p50"] <= 0.13 and 0.3 <= srv["http"]["max"] <= 0.34'
check "closed port: 1 attempt refused by 1 RST, not counted unanswered" \
	'closed["connections"] == 1 and closed["resets"] == 1 and closed["syn_unanswered"] == 0 and closed["established"] == 0'
exit $fail
