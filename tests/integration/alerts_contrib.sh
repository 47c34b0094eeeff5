#!/bin/sh
# The example pager scripts of contrib/hooks with a real alert JSON and
# environment (as the hook runner passes them): webhook-curl against a
# local HTTP server (and a failing one), syslog-logger and mail-sendmail
# with recording stand-ins for logger and sendmail first in PATH.
. "$(dirname "$0")/lib.sh"

H="$TOP/contrib/hooks"
command -v curl >/dev/null || { not_ok "curl missing (make deps)"; finish; }

cat > "$T/alert.json" <<'EOJ'
{"id":"0123456789abcdef","transition_id":7,"status":"firing","previous_status":"pending","severity":"critical","rule":"core-uplink-saturated","target":"core1","count":2,"instances":[]}
EOJ
export CHOKEPOINT_ID=0123456789abcdef CHOKEPOINT_TRANSITION_ID=7 \
	CHOKEPOINT_STATUS=firing CHOKEPOINT_PREVIOUS_STATUS=pending \
	CHOKEPOINT_SEVERITY=critical CHOKEPOINT_PREVIOUS_SEVERITY=critical \
	CHOKEPOINT_RULE=core-uplink-saturated CHOKEPOINT_TARGET=core1 \
	CHOKEPOINT_ROLE=core CHOKEPOINT_LABELS="ifname=Te1/1,metric=if_out_util_ratio" \
	CHOKEPOINT_VALUE=0.97 CHOKEPOINT_THRESHOLD=0.85 \
	CHOKEPOINT_STARTED=2027-01-15T08:00:00Z CHOKEPOINT_DURATION=120 \
	CHOKEPOINT_DASHBOARD_URL="http://127.0.0.1:8080/?page=alerts&id=0123456789abcdef" \
	CHOKEPOINT_COUNT=2 CHOKEPOINT_REPEAT=0 CHOKEPOINT_SITE=site-a \
	CHOKEPOINT_HOOK=test CHOKEPOINT_ATTEMPT=1

# A webhook receiver: answers STATUS, records body and headers.
PORT=$(free_port)
cat > "$T/srv.py" <<'EOP'
import http.server, sys
status = int(sys.argv[2])
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(n)
        with open(sys.argv[3], "ab") as f:
            f.write(body + b"\n")
            f.write(("AUTH " + str(self.headers.get("Authorization")) + "\n").encode())
            f.write(("ALERT " + str(self.headers.get("X-Chokepoint-Alert")) + "\n").encode())
        self.send_response(status)
        self.end_headers()
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOP
python3 "$T/srv.py" "$PORT" 200 "$T/posted" &
track $!
wait_for sh -c "curl -s -o /dev/null -X POST -d x http://127.0.0.1:$PORT/"
: > "$T/posted"
echo "s3cret" > "$T/token"
out=$(CHOKEPOINT_WEBHOOK_TOKEN_FILE="$T/token" "$H/webhook-curl" "http://127.0.0.1:$PORT/hook" < "$T/alert.json")
check "webhook-curl exits 0 on 200" test $? -eq 0
check "webhook-curl posted the JSON unchanged" grep -qxF "$(cat "$T/alert.json")" "$T/posted"
check "webhook-curl sent the token from the file, not argv" grep -qx "AUTH Bearer s3cret" "$T/posted"
check "webhook-curl sent the alert id header" grep -qx "ALERT 0123456789abcdef" "$T/posted"
check "webhook-curl says what it did" test "$out" = "posted firing core-uplink-saturated core1 to http://127.0.0.1:$PORT/hook"
PORT2=$(free_port)
python3 "$T/srv.py" "$PORT2" 500 "$T/posted2" &
track $!
wait_for sh -c "curl -s -o /dev/null -X POST -d x http://127.0.0.1:$PORT2/"
check "webhook-curl fails on a 500 (so the agent retries)" sh -c "! '$H/webhook-curl' http://127.0.0.1:$PORT2/ < '$T/alert.json'"
check "webhook-curl refuses a non-http URL" sh -c "! '$H/webhook-curl' file:///etc/passwd < '$T/alert.json'"

# Stand-ins for logger and sendmail record their arguments and input.
mkdir -p "$T/bin"
cat > "$T/bin/logger" <<EOF
#!/bin/sh
printf '%s\n' "\$@" > "$T/logger.args"
EOF
cat > "$T/bin/sendmail" <<EOF
#!/bin/sh
printf '%s\n' "\$@" > "$T/sendmail.args"
cat > "$T/sendmail.msg"
EOF
chmod +x "$T/bin/logger" "$T/bin/sendmail"
PATH="$T/bin:$PATH" "$H/syslog-logger" netops < "$T/alert.json"
check "syslog-logger exits 0" test $? -eq 0
check "syslog-logger: tag and crit priority" sh -c "grep -qx netops '$T/logger.args' && grep -qx daemon.crit '$T/logger.args'"
check "syslog-logger: one line with rule, target, count, value" grep -q "^firing critical core-uplink-saturated on core1 (2 instances): value 0.97 threshold 0.85" "$T/logger.args"
CHOKEPOINT_STATUS=resolved PATH="$T/bin:$PATH" "$H/syslog-logger" < "$T/alert.json"
check "syslog-logger: recoveries at notice" grep -qx daemon.notice "$T/logger.args"

PATH="$T/bin:$PATH" "$H/mail-sendmail" oncall@example.net ops@example.net < "$T/alert.json"
check "mail-sendmail exits 0" test $? -eq 0
check "mail-sendmail: recipients after --" test "$(tr '\n' ' ' < "$T/sendmail.args")" = "-oi -- oncall@example.net ops@example.net "
check "mail-sendmail: subject" grep -qx "Subject: \[chokepoint site-a\] firing critical: core-uplink-saturated on core1 (2 instances)" "$T/sendmail.msg"
check "mail-sendmail: the JSON in the body" grep -qxF "$(cat "$T/alert.json")" "$T/sendmail.msg"
check "mail-sendmail: no header injection from labels" sh -c "CHOKEPOINT_RULE='x
Bcc: evil@example.net' PATH='$T/bin:$PATH' '$H/mail-sendmail' a@example.net < '$T/alert.json' && ! sed '/^\$/q' '$T/sendmail.msg' | grep -q '^Bcc:'"
check "mail-sendmail refuses option-like recipients" sh -c "! PATH='$T/bin:$PATH' '$H/mail-sendmail' -oQ/tmp < '$T/alert.json'"
finish
