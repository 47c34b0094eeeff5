#!/bin/sh
# The JSON API, graphs, static files and /metrics of a running agent fed by
# the synth test collector (a switch sw1 with 8 ports whose counters run at
# known rates, the host testhost): JSON shapes and values, series ranges
# and their last point, PNG/SVG validity, caching headers, promtool.
. "$(dirname "$0")/lib_web.sh"

P=$(free_port)
U=http://127.0.0.1:$P
write_config api "$P"
start_agent api "$U" || { nok "agent starts"; finish; }
ok "agent starts on 127.0.0.1:$P"
wait_data "$U" && ok "first rates arrive" || nok "first rates arrive"

get() { curl -sf "$U$1"; }
jqcheck() { # jqcheck "what" URL FILTER
	if body=$(get "$2") && printf '%s' "$body" | jq -e "$3" >/dev/null; then
		ok "$1"
	else
		nok "$1" "$(printf '%s' "$body" | head -c 600)"
	fi
}

jqcheck "healthz" /healthz '.status == "ok"'
jqcheck "targets: the local host and sw1 with state, role, sys info" /api/v1/targets \
    '.site == "web-test" and
     (.targets | map(select(.name == "testhost" and .kind == "host" and .state == "up")) | length == 1) and
     (.targets | map(select(.name == "sw1" and .kind == "device" and .state == "up" and .role == "l2"
        and .info.version == "9.3(7)" and .series > 100)) | length == 1)'
jqcheck "device: sys has exactly descr, name, object_id, uptime_s, version" /api/v1/devices/sw1 \
    '(.sys | keys) == ["descr","name","object_id","uptime_s","version"] and
     .sys.name == "sw1" and .sys.object_id == "1.3.6.1.4.1.9.1.1208" and (.sys.uptime_s | type) == "number"'
jqcheck "device: 8 interfaces in ifindex order with every field" /api/v1/devices/sw1 \
    '(.interfaces | length) == 8 and (.interfaces | map(.ifindex)) == [1,2,3,4,5,6,7,8] and
     (.interfaces | all(keys == (["ifindex","name","alias","type","speed_bps","admin_status","oper_status",
        "in_bps","out_bps","in_util","out_util","in_errors_ps","out_errors_ps","in_discards_ps",
        "out_discards_ps"] | sort)))'
# The counters run at exactly 10% / 34% of the 10G port's speed: the
# pipeline's rates must come out right to float precision (the first run
# is not on a whole second); errors at ifindex-1 per second.
jqcheck "device: rates from counters (10G port: 1 Gbit/s in, 3.4 Gbit/s out)" /api/v1/devices/sw1 \
    '.interfaces[0] | .name == "Gi1/0/1" and .alias == "uplink core1" and .speed_bps == 1e10 and
     ((.in_bps / 1e9 - 1) | fabs) < 1e-9 and ((.out_bps / 3.4e9 - 1) | fabs) < 1e-9 and .type == 6 and .admin_status == 1 and .oper_status == 1'
# What a page shows side by side agrees: each up port's rate over its speed
# within the 5 points the simulated utilisation waves by; the down port 0.
jqcheck "device: rates and utilisation agree" /api/v1/devices/sw1 \
    '([.interfaces[] | select(.oper_status == 1) |
       ((.in_bps / .speed_bps - .in_util) | fabs) < 0.051 and
       ((.out_bps / .speed_bps - .out_util) | fabs) < 0.051] | length == 7 and all) and
     (.interfaces[7] | .in_bps == 0 and .out_bps == 0)'
jqcheck "device: error rates and the down port" /api/v1/devices/sw1 \
    '((.interfaces[2].in_errors_ps - 2) | fabs < 1e-6) and (.interfaces[7].oper_status == 2) and
     (.interfaces[7].in_util == 0) and (.interfaces[1].in_util > 0.1 and .interfaces[1].in_util < 0.3)'
jqcheck "device: inventory with numeric index/contained_in, and firmware" /api/v1/devices/sw1 \
    '(.inventory | length) == 5 and (.inventory[0] | .index == 1 and .class == "chassis" and .serial == "SN0001"
        and .contained_in == 0 and .model == "SX-48") and
     (.inventory | map(select(.class == "powerSupply"))[0].contained_in == 1) and
     .firmware[0].version == "9.3(7)"'
code=$(curl -s -o "$W/body" -w '%{http_code}' "$U/api/v1/devices/nosuch")
[ "$code" = 404 ] && jq -e '.param == "name"' "$W/body" >/dev/null && ok "device 404 names the parameter" ||
    nok "device 404 names the parameter" "$code $(cat "$W/body")"
# A mistyped API path is a JSON 404 that lists the endpoints there are.
code=$(curl -s -o "$W/body" -w '%{http_code}' "$U/api/v1/device/sw1")
[ "$code" = 404 ] && jq -e '.param == "path" and (.error | startswith("no such endpoint") and
    contains("/api/v1/devices/NAME, ") and contains("/api/v1/series") and (contains("silences/") | not))' \
    "$W/body" >/dev/null && ok "unknown API path: 404 listing the endpoints" ||
    nok "unknown API path: 404 listing the endpoints" "$code $(cat "$W/body")"

jqcheck "metrics list: every series of sw1, sorted, with kind and history" "/api/v1/metrics?target=sw1" \
    '(.series | length) == 144 and (.series | all(.target == "sw1")) and
     (.series | map(select(.metric == "if_in_octets_total" and .kind == "counter" and .history == false)) | length) == 8 and
     (.series | map(select(.metric == "if_in_octets_per_second" and .history)) | length) == 8 and
     ([.series[].metric] == ([.series[].metric] | sort))'
jqcheck "metrics list: prefix filter" "/api/v1/metrics?target=sw1&metric=if_speed*" \
    '(.series | length) == 8 and (.series | all(.metric == "if_speed_bps"))'

sleep 2 # a few points of history
S="/api/v1/series?target=sw1&metric=if_in_util_ratio&labels=ifindex=2"
# librrd's consolidation arithmetic may move the last bit of a double:
# "equal" is to 1e-12, far below anything displayed.
jqcheck "series: 1 s steps, times in order, last point = the current value" "$S&from=-2m" \
    '.step == 1 and (.points | length) >= 3 and
     ([.points[][0]] | . == sort) and
     (.points[-1][0] == (.current.time_ms / 1000)) and
     (((.points[-1][1] - .current.value) / .current.value | fabs) < 1e-12) and
     (.points[0][0] > .start)'
jqcheck "series: the range is respected (from/to in Unix seconds)" \
    "$S&from=$(($(date +%s) - 30))&to=$(($(date +%s) - 10))" \
    '(.points[0][0] >= (now - 32)) and (.points[-1][0] <= (now - 9)) and (.points | length) <= 21'
jqcheck "series: step=60 reads the 1-minute RRA" "$S&from=-1d&step=60" \
    '.step == 60 and (.points | length) >= 1400 and (.points | length) <= 1442'
jqcheck "series: cf=MAX" "$S&from=-5m&cf=MAX" '.cf == "MAX" and (.points | length) > 100'
jqcheck "series: labels pick the one series (ifname works too)" \
    "/api/v1/series?target=sw1&metric=if_speed_bps&labels=ifname=Gi1/0/1&from=-1m" \
    '.labels.ifindex == "1" and .current.value == 1e10'

# Graphs: PNG and SVG, valid, cached with an ETag.
G="/graph/sw1/if_in_octets_per_second.png?labels=ifindex=1&from=-1h&w=500&h=150"
curl -sf -D "$W/gh" -o "$W/g.png" "$U$G"
check "graph: a PNG of the requested size (plus rrdtool's margins)" python3 -c '
import struct, sys
d = open(sys.argv[1], "rb").read()
assert d[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h = struct.unpack(">II", d[16:24])
assert 500 < w < 700 and 150 < h < 300, (w, h)' "$W/g.png"
check "graph: plot area header for drag-zoom" grep -qi '^X-Graph-Area: [0-9]*,[0-9]*,500,150,' "$W/gh"
# An image is cached until its series gets a new value (every second
# here): try up to 5 times to fit the three requests into one second.
res=""
for _ in 1 2 3 4 5; do
	sleep 0.$(( $(date +%N | cut -c1) ))  # start anywhere in a second
	curl -sf -D "$W/gh2" -o /dev/null "$U$G"
	etag=$(awk 'tolower($1) == "etag:" {print $2}' "$W/gh2" | tr -d '\r')
	code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$U$G")
	etag2=$(curl -s -D - -o /dev/null "$U$G" | awk 'tolower($1) == "etag:" {print $2}' | tr -d '\r')
	res="etag '$etag' -> $code, then '$etag2'"
	[ -n "$etag" ] && [ "$code" = 304 ] && [ "$etag" = "$etag2" ] && break
done
[ -n "$etag" ] && [ "$code" = 304 ] && ok "graph: If-None-Match answers 304" || nok "graph: If-None-Match answers 304" "$res"
[ "$etag" = "$etag2" ] && ok "graph: served from the cache within a step (same ETag)" || nok "graph: cached" "$res"
grep -qi '^Cache-Control: max-age=' "$W/gh" && grep -qi '^Last-Modified:' "$W/gh" &&
    ok "graph: Cache-Control and Last-Modified" || nok "graph: Cache-Control and Last-Modified" "$(cat "$W/gh")"
curl -sf -H 'Accept-Encoding: gzip' -D "$W/sh" -o "$W/g.svgz" \
    "$U/graph/sw1/if_in_util_ratio.svg?labels=ifindex=3&from=-1h&theme=dark&cf=MAX"
grep -qi '^Content-Encoding: gzip' "$W/sh" && gunzip -c < "$W/g.svgz" > "$W/g.svg" &&
    ok "graph: SVG gzipped when accepted" || nok "graph: SVG gzipped when accepted" "$(cat "$W/sh")"
# Cairo writes colours as percentages: #d29922 (p95, dashed), #f85149.
check "graph: the SVG renders (rsvg-convert) and has the p95 and capacity lines" sh -c "
    rsvg-convert '$W/g.svg' -o '$W/svg.png' && head -c 8 '$W/svg.png' | grep -q PNG &&
    grep -q 'stroke-dasharray' '$W/g.svg' && grep -q 'rgb(97.254902%,31.764706%,28.627451%)' '$W/g.svg' &&
    grep -q 'rgb(82.352941%,60%,13.333333%)' '$W/g.svg'"
code=$(curl -s -o "$W/body" -w '%{http_code}' "$U/graph/sw1/if_in_octets_total.png?labels=ifindex=1")
[ "$code" = 404 ] && jq -e '.param == "metric"' "$W/body" >/dev/null &&
    ok "graph: a raw counter has no history: JSON 404" || nok "graph: raw counter" "$code $(cat "$W/body")"

jqcheck "events: the link event of sw1, filtered by kind and time" \
    "/api/v1/events?kind=link&target=sw1&since=-1h&limit=5" \
    '(.events | length) >= 1 and (.events[0] | .target == "sw1" and .kind == "link" and .severity == "warning"
        and .before == "up" and .after == "down" and .component == "Gi1/0/8")'
jqcheck "events: an unmatched kind gives none" "/api/v1/events?kind=ecc" '.events == []'
jqcheck "firmware: versions across targets" /api/v1/firmware \
    '(.targets | map(select(.target == "sw1"))[0].items[0].version) == "9.3(7)" and (.changes | type) == "array"'
jqcheck "overview: ports by utilisation, hosts by pressure" /api/v1/overview \
    '(.ports | length) == 8 and ([.ports[] | [.in_util, .out_util] | max] | . == (sort | reverse)) and
     (.hosts | map(select(.target == "testhost"))[0] | .worst == "memory_used_ratio" and .pressure == 0.63)'

# /metrics: valid exposition.
curl -sf "$U/metrics" > "$W/metrics"
# promtool 2.42 has no switch between format errors and naming lint. The
# exposition must have no format error; naming lint is reported (the
# names belong to their collectors: bits and microseconds are deliberate
# there) and must only be about units.
promtool check metrics < "$W/metrics" > "$W/promtool" 2>&1
prc=$?
if [ $prc -eq 0 ]; then
	ok "/metrics passes promtool check metrics"
elif ! grep -v 'use base unit' "$W/promtool" | grep -q .; then
	ok "/metrics passes promtool check metrics (format); unit-name lint only:"
	sed 's/^/# lint: /' "$W/promtool"
else
	nok "/metrics passes promtool check metrics" "$(cat "$W/promtool")"
fi
check "/metrics has the switch's series with the prefix" grep -q '^chokepoint_if_in_util_ratio{.*ifindex="1"' "$W/metrics"

# Static files and headers.
curl -s -D "$W/ih" -o "$W/index" "$U/"
check "dashboard: / is the HTML page" grep -q '<script src="/app.js" defer></script>' "$W/index"
check "headers: CSP without inline script, frame-ancestors 'none'" sh -c "
    grep -i '^Content-Security-Policy:' '$W/ih' | grep -q \"script-src 'self';\" &&
    grep -i '^Content-Security-Policy:' '$W/ih' | grep -q \"frame-ancestors 'none'\" &&
    ! grep -i '^Content-Security-Policy:' '$W/ih' | grep -q unsafe-inline"
check "headers: nosniff and Referrer-Policy" sh -c "
    grep -qi '^X-Content-Type-Options: nosniff' '$W/ih' && grep -qi '^Referrer-Policy: no-referrer' '$W/ih'"
check "dashboard: no inline script in the HTML" sh -c "! grep -q '<script>' '$W/index' && ! grep -qi ' on[a-z]*=' '$W/index'"
curl -s -D "$W/jh" -H 'Accept-Encoding: gzip' -o "$W/app.gz" "$U/app.js"
check "static: gzip and ETag" sh -c "grep -qi '^Content-Encoding: gzip' '$W/jh' && gunzip -c '$W/app.gz' | grep -q 'use strict'"
etag=$(awk 'tolower($1) == "etag:" {print $2}' "$W/jh" | tr -d '\r')
code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$U/app.js")
[ "$code" = 304 ] && ok "static: 304 on a matching ETag" || nok "static: 304" "$code"
check "static: nothing from a CDN or another origin" sh -c "! grep -rEn 'https?://' '$TOP/web/static' | grep -v 'www.w3.org/2000/svg'"

# Through rrdcached (holding values for an hour, the store for 30 s): the
# series API and graphs flush the file first, so history still ends at
# the value the cache shows.
if command -v rrdcached >/dev/null; then
	mkdir -p "$W/data-cached/rrd" "$W/journal"
	rrdcached -g -l "unix:$W/rrdcached.sock" -b "$W/data-cached/rrd" -j "$W/journal" \
	    -w 3600 -z 0 -F -p "$W/rrdcached.pid" > "$W/rrdcached.log" 2>&1 &
	PIDS="$PIDS $!"
	for _ in $(seq 1 50); do [ -S "$W/rrdcached.sock" ] && break; sleep 0.1; done
	PC=$(free_port)
	RRDCACHED="unix:$W/rrdcached.sock" write_config cached "$PC"
	if start_agent cached "http://127.0.0.1:$PC" && wait_data "http://127.0.0.1:$PC"; then
		sleep 3
		body=$(curl -sf "http://127.0.0.1:$PC$S&from=-1m")
		if printf '%s' "$body" | jq -e '(.points | map(select(.[1] != null)) | length) >= 2 and
		    (.points[-1][0] == (.current.time_ms / 1000)) and
		    (((.points[-1][1] - .current.value) / .current.value | fabs) < 1e-12)' >/dev/null; then
			ok "rrdcached: the file is flushed before reading; last point = current value"
		else
			nok "rrdcached: flushed before reading" "$(printf '%s' "$body" | head -c 400)"
		fi
	else
		nok "agent with rrdcached starts" "$(tail -5 "$W/cached.log")"
	fi
else
	nok "rrdcached installed (make deps)"
fi

finish
