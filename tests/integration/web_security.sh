#!/bin/sh
# Negative tests of the web server: bad parameters (400 with a JSON error
# naming the parameter), path traversal (plain and encoded), oversized URLs
# and headers, too many parameters, slow clients, methods; authentication
# (basic and bearer, roles, hashes made by `chokepoint passwd`/`token`);
# TLS with a test certificate and the HTTP->HTTPS redirect; refusal to bind
# a non-loopback address without auth; config errors of the web: section.
. "$(dirname "$0")/lib_web.sh"

P=$(free_port)
U=http://127.0.0.1:$P
write_config plain "$P" "limits: {timeout: 2s, per_ip: 16}"
start_agent plain "$U" || { nok "agent starts"; finish; }
wait_data "$U" || true

# expect STATUS PARAM PATH: a JSON error naming PARAM ("-": no param check).
expect() {
	code=$(curl -s --path-as-is -o "$W/body" -w '%{http_code}' "$U$3")
	if [ "$code" != "$1" ]; then
		nok "$3 -> $1" "got $code: $(head -c 300 "$W/body")"
	elif [ "$2" != "-" ] && ! jq -e --arg p "$2" '.param == $p and (.error | length) > 0' "$W/body" >/dev/null 2>&1; then
		nok "$3 -> $1 naming '$2'" "$(head -c 300 "$W/body")"
	else
		ok "$3 -> $1${2:+ naming '$2'}"
	fi
}

S=/api/v1/series
expect 400 target "$S?metric=if_in_util_ratio"
expect 400 target "$S?target=sw1%00x&metric=if_in_util_ratio"
expect 400 metric "$S?target=sw1"
expect 400 metric "$S?target=sw1&metric=if-in"
expect 400 labels "$S?target=sw1&metric=if_in_util_ratio&labels=ifindex"
expect 400 labels "$S?target=sw1&metric=if_in_util_ratio&labels=ifindex=1,ifindex=2"
expect 400 labels "$S?target=sw1&metric=if_in_util_ratio"
expect 400 from "$S?target=sw1&metric=if_in_util_ratio&labels=ifindex=1&from=yesterday"
expect 400 from "$S?target=sw1&metric=if_in_util_ratio&labels=ifindex=1&from=-5"
expect 400 to "$S?target=sw1&metric=if_in_util_ratio&labels=ifindex=1&to=1e9"
expect 400 from "$S?target=sw1&metric=if_in_util_ratio&labels=ifindex=1&from=-1m&to=-2m"
expect 400 step "$S?target=sw1&metric=if_in_util_ratio&labels=ifindex=1&step=0"
expect 400 step "$S?target=sw1&metric=if_in_util_ratio&labels=ifindex=1&step=99999999999"
expect 400 cf "$S?target=sw1&metric=if_in_util_ratio&labels=ifindex=1&cf=MIN"
expect 404 metric "$S?target=sw1&metric=no_such_metric"
expect 400 w "/graph/sw1/if_in_util_ratio.png?labels=ifindex=1&w=99999"
expect 400 h "/graph/sw1/if_in_util_ratio.png?labels=ifindex=1&h=-3"
expect 400 theme "/graph/sw1/if_in_util_ratio.png?labels=ifindex=1&theme=%3Cscript%3E"
expect 400 path "/graph/sw1/if_in_util_ratio.gif"
expect 400 path "/graph/sw1/x/if_in_util_ratio.png"
expect 400 limit "/api/v1/events?limit=0"
expect 400 limit "/api/v1/events?limit=abc"
expect 400 since "/api/v1/events?since=tomorrow"
expect 400 kind "/api/v1/events?kind=a%20b"
expect 400 target "/api/v1/metrics?target=..%2F.."
expect 400 metric "/api/v1/metrics?metric=*x"
expect 400 name "/api/v1/devices/sw1%2F..%2F..%2Fetc"
expect 404 name "/api/v1/devices/nosuch"
expect 404 - "/api/v2/anything"

# Traversal: nothing outside web/static and the RRD tree is ever served.
for p in '/../../../../etc/passwd' '/%2e%2e/%2e%2e/%2e%2e/etc/passwd' '/..%2f..%2f..%2fetc%2fpasswd' \
    '/.git/config' '//etc/passwd' '/static/../../agent/agent.c' '/%252e%252e/etc/passwd' \
    '/graph/..%2f..%2f..%2fetc/passwd.png' '/graph/../../rrd/sw1.png' '/app.js%00.png' \
    '/index.html/..' '/web/static/app.js' '/./app.js'; do
	code=$(curl -s --path-as-is -o "$W/body" -w '%{http_code}' "$U$p")
	if [ "$code" -ge 400 ] && [ "$code" -lt 500 ] && ! grep -q -e 'root:' -e 'SPDX' "$W/body"; then
		ok "traversal $p -> $code, nothing leaked"
	else
		nok "traversal $p -> $code" "$(head -c 200 "$W/body")"
	fi
done

# Sizes: a 40 kB URL and a 40 kB header are refused, the server lives on.
long=$(python3 -c 'print("a" * 40000)')
code=$(curl -s -o /dev/null -w '%{http_code}' "$U/api/v1/targets?x=$long")
case "$code" in 414|431|413|400) ok "oversized URL -> $code" ;; *) nok "oversized URL -> $code" ;; esac
code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $long" "$U/api/v1/targets")
case "$code" in 431|413|400) ok "oversized header -> $code" ;; *) nok "oversized header -> $code" ;; esac
code=$(curl -s -o /dev/null -w '%{http_code}' "$U/$(python3 -c 'print("b" * 2000)')")
[ "$code" = 414 ] && ok "path over 1024 bytes -> 414" || nok "path over 1024 bytes -> $code"
q=$(python3 -c 'print("&".join("a%d=1" % i for i in range(40)))')
expect 400 query "/api/v1/targets?$q"
code=$(curl -s -o "$W/body" -w '%{http_code}' -X POST -d 'x=1' "$U/api/v1/targets")
[ "$code" = 405 ] && ok "POST -> 405" || nok "POST -> 405" "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' "$U/healthz")
[ "$code" = 200 ] && ok "still healthy after the abuse" || nok "still healthy after the abuse" "$code"

# Slow clients: half a request is dropped at the 2 s timeout; meanwhile
# others are served.
check "slowloris: a half-sent request is closed by the timeout, others served" python3 - "$P" <<'PY'
import socket, sys, time, urllib.request
port = int(sys.argv[1])
socks = []
for _ in range(8):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /api/v1/targets HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    socks.append(s)
t0 = time.time()
assert urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port, timeout=2).status == 200
for s in socks:
    s.settimeout(6)
    data = s.recv(100)   # b"" when the server closed it
    assert data == b"" or data.startswith(b"HTTP/1.1 4"), data
took = time.time() - t0
assert 1.0 <= took <= 6, "closed after %.1fs" % took
print("closed after %.1fs" % took)
PY

# ----------------------------------------------------------- auth
pw='correct horse battery'
printf '%s\n' "$pw" | "$BIN" passwd alice --role admin > "$W/alice" 2>/dev/null
printf 'wrong\n' | "$BIN" passwd bob > /dev/null 2>&1 && nok "passwd refuses a short password" ||
    ok "passwd refuses a short password"
"$BIN" passwd carol --role superuser < /dev/null > /dev/null 2>&1 && nok "passwd refuses an unknown role" ||
    ok "passwd refuses an unknown role"
printf 'readonly pass\n' | "$BIN" passwd rita > "$W/rita" 2>/dev/null
"$BIN" token bot > "$W/bot" 2> "$W/bot.err"
token=$(sed -n 's/^token (shown once, keep it): //p' "$W/bot.err")
if grep -qF "hash: '\$y\$" "$W/alice" && grep -qF "hash: '\$5\$" "$W/bot" && ! grep -qF "$pw" "$W/alice" &&
    [ -n "$token" ] && ! grep -qF "$token" "$W/bot"; then
	ok "passwd/token print salted hashes only (yescrypt, sha256crypt)"
else
	nok "passwd/token print salted hashes only" "$(cat "$W/alice" "$W/bot")"
fi
h1=$(printf '%s\n' "$pw" | "$BIN" passwd alice | sed -n "s/.*hash: '\([^']*\)'.*/\1/p")
h2=$(printf '%s\n' "$pw" | "$BIN" passwd alice | sed -n "s/.*hash: '\([^']*\)'.*/\1/p")
[ -n "$h1" ] && [ "$h1" != "$h2" ] && ok "the same password hashes differently (salt)" || nok "salted" "$h1 / $h2"

PA=$(free_port)
UA=http://127.0.0.1:$PA
write_config auth "$PA" "auth:" "  users:" "    $(grep '^-' "$W/alice")" "    $(grep '^-' "$W/rita")" \
    "  tokens:" "    $(grep '^-' "$W/bot")"
start_agent auth "$UA" || nok "agent with auth starts"
code=$(curl -s -D "$W/h401" -o "$W/body" -w '%{http_code}' "$UA/api/v1/targets")
[ "$code" = 401 ] && grep -qi '^WWW-Authenticate: Basic' "$W/h401" && jq -e '.param == "Authorization"' "$W/body" >/dev/null &&
    ok "auth on: no credentials -> 401 with WWW-Authenticate" || nok "no credentials -> 401" "$code"
for path in /metrics / /app.js /graph/sw1/if_in_util_ratio.png; do
	code=$(curl -s -o /dev/null -w '%{http_code}' "$UA$path")
	[ "$code" = 401 ] && ok "auth on: $path -> 401" || nok "auth on: $path -> 401" "$code"
done
code=$(curl -s -o /dev/null -w '%{http_code}' "$UA/healthz")
[ "$code" = 200 ] && ok "auth on: /healthz stays open for probes" || nok "healthz open" "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' -u "alice:wrong password" "$UA/api/v1/targets")
[ "$code" = 401 ] && ok "wrong password -> 401" || nok "wrong password -> 401" "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' -u "mallory:$pw" "$UA/api/v1/targets")
[ "$code" = 401 ] && ok "unknown user -> 401" || nok "unknown user -> 401" "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer cpt_0000000000000000000000000000000000000000" "$UA/api/v1/targets")
[ "$code" = 401 ] && ok "wrong token -> 401" || nok "wrong token -> 401" "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Basic !!!notbase64" "$UA/api/v1/targets")
[ "$code" = 401 ] && ok "malformed Authorization -> 401" || nok "malformed Authorization -> 401" "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' -u "alice:$pw" "$UA/api/v1/targets")
[ "$code" = 200 ] && ok "right password -> 200" || nok "right password -> 200" "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$UA/metrics")
[ "$code" = 200 ] && ok "right bearer token -> 200" || nok "right bearer token -> 200" "$code"
jqa() { curl -s "$@" "$UA/api/v1/whoami"; }
jqa -u "alice:$pw" | jq -e '.user == "alice" and .role == "admin"' >/dev/null &&
    jqa -u "rita:readonly pass" | jq -e '.user == "rita" and .role == "read"' >/dev/null &&
    jqa -H "Authorization: Bearer $token" | jq -e '.user == "bot" and .role == "read"' >/dev/null &&
    ok "roles: alice admin, rita and the token read-only" || nok "roles" "$(jqa -u "alice:$pw")"
code=$(curl -s -o /dev/null -w '%{http_code}' -u "rita:readonly pass" "$UA/api/v1/admin/stats")
code2=$(curl -s -o /dev/null -w '%{http_code}' -u "alice:$pw" "$UA/api/v1/admin/stats")
[ "$code" = 403 ] && [ "$code2" = 200 ] && ok "admin pages: read role -> 403, admin -> 200" ||
    nok "admin pages: read 403 / admin 200" "$code $code2"

# SIGHUP puts new users and tokens in force without a restart: the bot's
# token is replaced by another one, rita is removed.
"$BIN" token bot2 > "$W/bot2" 2> "$W/bot2.err"
token2=$(sed -n 's/^token (shown once, keep it): //p' "$W/bot2.err")
write_config auth "$PA" "auth:" "  users:" "    $(grep '^-' "$W/alice")" \
    "  tokens:" "    $(grep '^-' "$W/bot2")"
kill -HUP "$AGENT_PID"
for _ in $(seq 1 50); do
	grep -q 'web: authentication reloaded' "$W/auth.log" && break
	sleep 0.1
done
c_old=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$UA/metrics")
c_new=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token2" "$UA/metrics")
c_rita=$(curl -s -o /dev/null -w '%{http_code}' -u "rita:readonly pass" "$UA/api/v1/targets")
c_alice=$(curl -s -o /dev/null -w '%{http_code}' -u "alice:$pw" "$UA/api/v1/targets")
[ "$c_old" = 401 ] && [ "$c_new" = 200 ] && [ "$c_rita" = 401 ] && [ "$c_alice" = 200 ] &&
    ok "SIGHUP reloads users and tokens (old token 401, new 200, removed user 401)" ||
    nok "SIGHUP reloads auth" "old $c_old new $c_new rita $c_rita alice $c_alice"

# ------------------------------------------------------------ TLS
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/key.pem" -out "$W/cert.pem" -days 2 \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 > /dev/null 2>&1
PT=$(free_port)
PR=$(free_port)
write_config tls "$PT" "tls: {cert: $W/cert.pem, key: $W/key.pem}" "redirect_http: 127.0.0.1:$PR"
CURL_OPTS="--cacert $W/cert.pem" start_agent tls "https://127.0.0.1:$PT" && ok "agent serves HTTPS" || nok "agent serves HTTPS"
out=$(curl -sv --cacert "$W/cert.pem" "https://127.0.0.1:$PT/api/v1/targets" 2>&1)
printf '%s' "$out" | grep -q 'SSL connection using TLSv1.[23]' && printf '%s' "$out" | grep -q '"site":"web-test"' &&
    ok "TLS handshake with the test cert (verified), JSON over HTTPS" || nok "TLS handshake" "$(printf '%s' "$out" | tail -5)"
curl -s -o /dev/null "http://127.0.0.1:$PT/healthz" && nok "plain HTTP to the TLS port fails" || ok "plain HTTP to the TLS port fails"
loc=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "http://127.0.0.1:$PR/api/v1/targets?x=1")
[ "$loc" = "301 https://127.0.0.1:$PT/api/v1/targets" ] && ok "HTTP -> HTTPS redirect: $loc" || nok "redirect" "$loc"

# --------------------------------------------- refusals and config errors
LISTEN=0.0.0.0:$(free_port) write_config open 0
"$BIN" run -c "$W/open.yaml" > "$W/open.log" 2>&1 &
pid=$!
PIDS="$PIDS $pid"
for _ in $(seq 1 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
wait $pid
rc=$?
[ $rc -eq 2 ] && grep -q 'refusing to listen on 0.0.0.0.*without authentication' "$W/open.log" &&
    ok "0.0.0.0 without auth: refused at start (exit 2, clear message)" || nok "0.0.0.0 refused" "rc $rc $(cat "$W/open.log")"
write_config bad1 "$(free_port)" "auth:" "  users:" "    - {name: eve, hash: plaintext, role: admin}"
out=$("$BIN" check -c "$W/bad1.yaml" 2>&1)
[ $? -eq 1 ] && printf '%s' "$out" | grep -q "bad1.yaml:[0-9]*:[0-9]*: .*'hash' must be a salted hash" &&
    ok "check: a plain-text secret is refused with FILE:LINE:COL" || nok "plain-text secret refused" "$out"
write_config bad2 "$(free_port)" "limits: {conections: 5}" "tls: {cert: /nonexistent.pem, key: /nonexistent.key}"
out=$("$BIN" check -c "$W/bad2.yaml" 2>&1)
[ $? -eq 1 ] && printf '%s' "$out" | grep -q "conections" && printf '%s' "$out" | grep -q "nonexistent.pem" &&
    ok "check: unknown web.limits key and unreadable TLS files named" || nok "web config errors" "$out"

finish
