#!/bin/sh
# The hardware collectors in the built agent: three runs against the
# hw-server-1/2/3 fixture trees on one data directory (a disk and a power
# supply pulled while the agent was down, then a new disk, a swapped NVMe
# drive, a new BIOS), checked in SQLite with the sqlite3 CLI; then
# `chokepoint firmware --json`, `chokepoint check` on a bad baseline, and
# the ecc collector on a host without EDAC reporting it once.
. "$(dirname "$0")/lib.sh"

FIX="$TOP/tests/fixtures/host"
DB="$T/data/chokepoint.db"
command -v sqlite3 >/dev/null || { not_ok "sqlite3 CLI missing (make deps)"; finish; }

q() { sqlite3 "$DB" "$1" 2>/dev/null; }

use() {
	ln -sfn "$FIX/$1/sys" "$T/sys"
	ln -sfn "$FIX/$1/proc" "$T/proc"
}

PORT=$(free_port)
cat > "$T/hw.yaml" <<EOC
agent:
  name: hw-site
  hostname: hwhost
  data_dir: $T/data
  interval: 1s
  procfs: $T/proc
  sysfs: $T/sys
  plugin_dir: $PLUGINS
web:
  listen: 127.0.0.1:$PORT
collectors:
  ecc: {}
  hotswap: {uevent: false}
  firmware: {rescan: 1s}
firmware:
  baseline:
    - {kind: bios, model: "Dell Inc. PowerEdge R6*", version: "2.12.*"}
EOC

# run NAME: one agent run until the firmware inventory of this tree is
# stored and a few collections went by, then SIGTERM.
run() {
	"$CP" run -c "$T/hw.yaml" > "$T/agent-$1.log" 2>&1 &
	AGENT=$!
	track $AGENT
	wait_http "http://127.0.0.1:$PORT/healthz" || diag "no /healthz in run $1"
	wait_for sh -c "[ \"\$(sqlite3 '$DB' \"SELECT count(*) FROM inventory WHERE kind = 'firmware' AND attrs LIKE '%$2%'\")\" -ge 1 ]"
	sleep 2.5
	curl -fsS "http://127.0.0.1:$PORT/metrics" > "$T/metrics-$1.txt" 2>/dev/null
	curl -fsS "http://127.0.0.1:$PORT/api/v1/firmware" > "$T/api-fw-$1.json" 2>/dev/null
	curl -fsS "http://127.0.0.1:$PORT/api/v1/events?kind=hotswap" > "$T/api-ev-$1.json" 2>/dev/null
	kill $AGENT
	wait $AGENT
	rc=$?
	[ $rc -eq 0 ] && ok "run $1: agent stops cleanly on SIGTERM" || {
		not_ok "run $1: agent exit $rc"; tail -20 "$T/agent-$1.log" | sed 's/^/# /'; }
}

n_events() { q "SELECT count(*) FROM events WHERE kind = '$1' $2"; }

# ------------------------------------------------------------ run 1
use hw-server-1
run 1 "2.10.2"
[ "$(n_events hotswap)" = 0 ] && ok "run 1: first inventory is a baseline (no hot-swap events)" ||
	not_ok "run 1: hot-swap events on a first run: $(n_events hotswap)"
[ "$(q "SELECT count(*) FROM inventory WHERE target = 'hwhost' AND kind = 'disk'")" = 3 ] &&
	ok "run 1: 3 disks in the stored inventory" || not_ok "run 1: disks stored: $(q "SELECT count(*) FROM inventory WHERE kind = 'disk'")"
[ "$(n_events drift "AND component = 'BIOS' AND severity = 1")" = 1 ] &&
	ok "run 1: BIOS 2.10.2 drifts from the 2.12.* baseline: one warning" || not_ok "run 1: drift events: $(n_events drift)"
[ "$(n_events ecc "AND message LIKE '%no EDAC memory controller%'")" = 1 ] &&
	ok "run 1: no EDAC here: reported once" || not_ok "run 1: no-EDAC events: $(n_events ecc)"
grep -q '^chokepoint_hotswap_present{target="hwhost",kind="disk"} 3' "$T/metrics-1.txt" &&
	ok "run 1: /metrics hotswap_present{kind=disk} 3" || {
		not_ok "run 1: hotswap_present in /metrics"; grep hotswap "$T/metrics-1.txt" | sed 's/^/# /'; }
grep -q '^chokepoint_ecc_edac_available{target="hwhost"} 0' "$T/metrics-1.txt" &&
	ok "run 1: /metrics ecc_edac_available 0" || not_ok "run 1: ecc_edac_available in /metrics"

# api_bios FILE: "status drift-count" of the BIOS in /api/v1/firmware.
api_bios() {
	python3 -c 'import json,sys
r = json.load(open(sys.argv[1]))["baseline"]
b = [c for c in r["components"] if c["key"] == "bios:BIOS" and c["target"] == "hwhost"][0]
print(b["status"], r["drift"])' "$1" 2>&1
}
[ "$(api_bios "$T/api-fw-1.json")" = "drift 1" ] && ok "run 1: /api/v1/firmware shows the BIOS drifting" ||
	not_ok "run 1: /api/v1/firmware: $(api_bios "$T/api-fw-1.json")"

# ------------------------------------------------------------ run 2
use hw-server-2
run 2 "2.10.2"
[ "$(n_events hotswap)" = 2 ] && ok "run 2: exactly two hot-swap events" || {
	not_ok "run 2: hot-swap events: $(n_events hotswap)"; q "SELECT message FROM events WHERE kind='hotswap'" | sed 's/^/# /'; }
[ "$(n_events hotswap "AND component = 'disk ata2' AND message LIKE '%removed (while the agent was not running)%S45PNA0M507777%' AND before = 'S45PNA0M507777' AND severity = 1")" = 1 ] &&
	ok "run 2: disk ata2 removed while down, with its serial" || not_ok "run 2: disk ata2 removed"
[ "$(n_events hotswap "AND component = 'power supply PSU2' AND message LIKE '%removed%'")" = 1 ] &&
	ok "run 2: PSU2 removed" || not_ok "run 2: PSU2 removed"

# ------------------------------------------------------------ run 3
use hw-server-3
run 3 "2.12.1"
[ "$(n_events hotswap)" = 5 ] && ok "run 3: five hot-swap events in all" || {
	not_ok "run 3: hot-swap events: $(n_events hotswap)"; q "SELECT message FROM events WHERE kind='hotswap'" | sed 's/^/# /'; }
[ "$(n_events hotswap "AND component = 'disk ata2' AND message LIKE '%inserted%' AND after = 'S45PNA0R909090'")" = 1 ] &&
	ok "run 3: new disk in ata2: inserted once" || not_ok "run 3: disk inserted"
[ "$(n_events hotswap "AND component = 'disk nvme 0000:3b:00.0' AND message LIKE '%replaced (was S4F7NE0M100001)%' AND before = 'S4F7NE0M100001' AND after = 'S4F7NE0M200002'")" = 1 ] &&
	ok "run 3: NVMe drive replaced once (same slot, new serial)" || not_ok "run 3: NVMe replaced"
[ "$(n_events hotswap "AND component = 'power supply PSU2' AND message LIKE '%inserted%'")" = 1 ] &&
	ok "run 3: PSU2 inserted once" || not_ok "run 3: PSU2 inserted"
[ "$(q "SELECT count(*) FROM firmware_log WHERE target = 'hwhost' AND item = 'bios:BIOS' AND old_version = '2.10.2' AND new_version = '2.12.1'")" = 1 ] &&
	ok "run 3: firmware log: BIOS 2.10.2 -> 2.12.1 recorded once" || not_ok "run 3: BIOS change in the log"
[ "$(q "SELECT count(*) FROM firmware_log")" = 2 ] &&
	ok "run 3: firmware log has BIOS and microcode changes only" || not_ok "run 3: firmware_log rows: $(q "SELECT count(*) FROM firmware_log")"
[ "$(n_events firmware "AND component = 'BIOS' AND before = '2.10.2' AND after = '2.12.1'")" = 1 ] &&
	ok "run 3: firmware change event" || not_ok "run 3: firmware change event"
[ "$(n_events drift "AND component = 'BIOS' AND severity = 0 AND message LIKE '%back within%'")" = 1 ] &&
	ok "run 3: drift cleared once" || not_ok "run 3: drift cleared"
[ "$(n_events ecc)" = 1 ] && ok "after three runs: still one no-EDAC report" || not_ok "ecc events: $(n_events ecc)"
[ "$(api_bios "$T/api-fw-3.json")" = "ok 0" ] && ok "run 3: /api/v1/firmware: BIOS within the baseline" ||
	not_ok "run 3: /api/v1/firmware: $(api_bios "$T/api-fw-3.json")"
n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["events"]))' "$T/api-ev-3.json" 2>&1)
[ "$n" = 5 ] && ok "run 3: /api/v1/events?kind=hotswap serves the five events" || not_ok "run 3: /api/v1/events: $n"

# ------------------------------------------------ chokepoint firmware
"$CP" firmware -c "$T/hw.yaml" --json > "$T/fw.json" 2> "$T/fw.err"
rc=$?
[ $rc -eq 0 ] && ok "chokepoint firmware --json exits 0" || { not_ok "firmware --json exit $rc"; sed 's/^/# /' "$T/fw.err"; }
python3 - "$T/fw.json" > "$T/fw.check" 2>&1 <<'EOP'
import json, sys
r = json.load(open(sys.argv[1]))
c = {x["key"]: x for x in r["components"]}
assert c["bios:BIOS"]["version"] == "2.12.1", c["bios:BIOS"]
assert c["bios:BIOS"]["status"] == "ok"
assert c["bios:BIOS"]["target"] == "hwhost"
assert c["disk:S4F7NE0M200002"]["version"] == "1.2.0"
assert c["os:kernel"]["version"] == "6.1.0-18-amd64"
assert c["bmc:BMC"]["version"] == "4.40"
assert c["nic:eno1"]["model"] == "i40e"
assert r["drift"] == 0
ch = [x for x in r["changes"] if x["key"] == "bios:BIOS"]
assert len(ch) == 1 and ch[0]["old_version"] == "2.10.2" and ch[0]["new_version"] == "2.12.1"
print("ok")
EOP
grep -q '^ok$' "$T/fw.check" && ok "firmware --json: versions, status, change log" || {
	not_ok "firmware --json content"; sed 's/^/# /' "$T/fw.check"; }
"$CP" firmware -c "$T/hw.yaml" > "$T/fw.txt" 2>&1
grep -q '^hwhost .*bios .*BIOS .*2.12.1 .*ok' "$T/fw.txt" && grep -q '2.10.2 -> 2.12.1' "$T/fw.txt" &&
	ok "firmware table" || { not_ok "firmware table"; sed 's/^/# /' "$T/fw.txt"; }
[ "$(q "SELECT count(*) FROM firmware_log")" = 2 ] &&
	ok "the command records nothing twice" || not_ok "firmware_log after the command: $(q "SELECT count(*) FROM firmware_log")"

# ------------------------------------- live uevents through the agent loop
# The real kernel: a synthetic "change" uevent must reach the collector's
# netlink socket through the agent's epoll loop.
if [ -w /sys/block/loop0/uevent ]; then
	PORT2=$(free_port)
	cat > "$T/live.yaml" <<EOC
agent:
  hostname: livehost
  data_dir: $T/live
  interval: 1s
  plugin_dir: $PLUGINS
web:
  listen: 127.0.0.1:$PORT2
collectors:
  hotswap: {uevent: true, ipmi: false}
EOC
	"$CP" run -c "$T/live.yaml" > "$T/agent-live.log" 2>&1 &
	LIVE=$!
	track $LIVE
	wait_http "http://127.0.0.1:$PORT2/healthz" || diag "no /healthz (live)"
	got=0
	i=0
	while [ $i -lt 30 ] && [ "$got" -lt 1 ]; do
		echo change > /sys/block/loop0/uevent 2>/dev/null
		sleep 0.5
		curl -fsS "http://127.0.0.1:$PORT2/metrics" > "$T/live.txt" 2>/dev/null
		got=$(metric_value hotswap_uevents_total 'target="livehost"' "$T/live.txt" | cut -d. -f1)
		got=${got:-0}
		i=$((i + 1))
	done
	[ "$got" -ge 1 ] && ok "live: kernel uevents reach the collector through the agent loop ($got)" || {
		not_ok "live: no uevent counted"; tail -5 "$T/agent-live.log" | sed 's/^/# /'; }
	kill $LIVE
	wait $LIVE
else
	skip "live uevents: /sys/block/loop0/uevent not writable here"
fi

# ------------------------------------------------------ check
cat > "$T/bad.yaml" <<EOC
agent: {plugin_dir: $PLUGINS}
firmware:
  baseline:
    - {kind: bios}
  drift_events: true
EOC
"$CP" check -c "$T/bad.yaml" > "$T/check.out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "bad.yaml:4:7: a baseline rule needs 'version'" "$T/check.out" &&
	grep -q "bad.yaml:5:3: .*drift_events" "$T/check.out" &&
	ok "check: baseline errors at line:col, exit 1" || { not_ok "check: baseline errors (rc $rc)"; sed 's/^/# /' "$T/check.out"; }
finish
