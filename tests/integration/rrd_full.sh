#!/bin/sh
# The RRD writer when the data directory's filesystem fills up: values stay
# queued (nothing dropped), writing pauses and resumes by itself once there
# is room, files that exist go on being written while only new ones wait
# (a full ext4 or tmpfs takes updates), a read-only remount pauses writing
# too, a restart with chokepoint.db on the full disk still monitors, and the
# agent survives librrd's SIGBUS (a write through its
# mapping that the filesystem cannot back; XFS and btrfs raise it when full,
# here a sparse RRD file on a full tmpfs). DATA_DIR/rrd is a small tmpfs
# mounted in a private mount namespace, so nothing stays mounted whatever
# happens; needs root, unshare(1) and fallocate(1) (util-linux).
if [ -z "${CP_MNTNS:-}" ] && [ "$(id -u)" = 0 ] &&
	command -v unshare >/dev/null 2>&1 &&
	unshare -m --propagation private true 2>/dev/null; then
	CP_MNTNS=1 exec unshare -m --propagation private sh "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_rrd.sh"

if [ -z "${CP_MNTNS:-}" ] || ! command -v fallocate >/dev/null 2>&1; then
	skip "needs root, unshare -m and fallocate for a tmpfs data directory"
	finish
fi

D="$T/data"
R="$D/rrd"
mkdir -p "$R"
PORT=$(free_port)
TGT=full
rrd_conf "$T/agent.yaml" "$D"
M="$R/full/memory_total_bytes/value.rrd"

# fill: take every free block of the tmpfs.
fill() { dd if=/dev/zero of="$R/fill" bs=64k 2>/dev/null; }
# kept_from_to FROM TO: the check that $M holds every second of a pause.
kept_from_to() {
	if no_gap "$M" "$1" "$2"; then
		ok "values from the paused $(($2 - $1)) s are all in the file"
	else
		not_ok "values from the paused $(($2 - $1)) s are all in the file"
		rrdtool fetch "$M" AVERAGE -r 1 -s $(($1 - 3)) -e "$2" | sed 's/^/# /'
	fi
}
# settle: wait until no new files come (the agent's own series start
# later); their number in $n.
settle() {
	n=0 same=0 tries=0
	while [ $same -lt 3 ] && [ $tries -lt 30 ]; do
		tries=$((tries + 1))
		sleep 1
		m=$(find "$R" -name '*.rrd' | wc -l)
		if [ "$m" = "$n" ] && [ "$m" -gt 0 ]; then same=$((same + 1)); else same=0; fi
		n=$m
	done
}
# recovered WHEN: after room came back, write_blocked returns to 0, nothing
# was dropped WHEN, and SIGTERM ends the agent cleanly.
recovered() {
	check "write_blocked back to 0" wait_tick blocked_is 0
	metrics
	check "nothing dropped $1" \
		test "$(self_value rrd_dropped_total)" = 0
	stop_agent
	check "SIGTERM: exits 0" test "$RC" = 0
}
# wait_tick COMMAND...: up to 25 s, as self-metrics and alert passes come
# every 10 s.
wait_tick() { wait_for_s 25 "$@"; }
blocked_is() { self_is rrd_write_blocked "$1"; }

# 1. A full filesystem before the first file: creation fails with ENOSPC.
mount -t tmpfs -o size=16m tmpfs "$R" || {
	not_ok "mount a tmpfs on $R"
	finish
}
fill
start_agent "$T/a1.log"
if wait_http "http://127.0.0.1:$PORT/healthz" 100 &&
	wait_for grep -q "cannot create it: No space left on device; new files wait" "$T/a1.log"; then
	ok "no space for new files: they wait, and the log says so"
else
	not_ok "no space for new files: they wait, and the log says so"
fi
check "write_blocked is 1 in /metrics" wait_tick blocked_is 1
check "the rrd-writes-blocked alert fires" wait_tick firing
stop_agent
check "SIGTERM while paused: exits 0" test "$RC" = 0
check "the values it could not write are reported at exit" \
	grep -q "values lost at exit (no room for new files)" "$T/a1.log"

start_agent "$T/a2.log"
wait_http "http://127.0.0.1:$PORT/healthz" 100
t0=$(date +%s)
wait_for grep -q "new files wait" "$T/a2.log"
sleep 5
rm -f "$R/fill"
t1=$(date +%s)
check "room again: writing resumes without a restart" wait_for grep -q "creating files again after" "$T/a2.log"
check "the file is created once there is room" wait_for test -f "$M"
recovered "while paused"
# The first value comes with the first collection after the server is up;
# all of those queued while the filesystem was full are in the file.
kept_from_to $((t0 + 2)) "$t1"

# 2. Files that exist but whose blocks are gone (punched holes, as a
# shared XFS or btrfs block that needs a copy): librrd's write through its
# mapping faults with SIGBUS when the filesystem is full.
umount "$R"
rm -rf "$R"
mkdir -p "$R"
mount -t tmpfs -o size=16m tmpfs "$R"
start_agent "$T/b.log"
wait_http "http://127.0.0.1:$PORT/healthz" 100
settle
diag "$n files; punching holes past their first 4 kB, then filling the tmpfs"
for f in $(find "$R" -name '*.rrd'); do
	fallocate --punch-hole --offset 4096 \
		--length $(($(stat -c %s "$f") - 4096)) "$f"
done
fill
t0=$(date +%s)
check "SIGBUS from librrd's mapping is caught and logged" wait_for grep -q "SIGBUS writing through librrd's mapping" "$T/b.log"
check "and still serves /metrics with write_blocked 1" wait_tick blocked_is 1
sleep 4
check "the agent survives it" kill -0 "$AP"
rm -f "$R/fill"
t1=$(date +%s)
check "room again: writing resumes" wait_for grep -q "writing again after" "$T/b.log"
check "write_blocked back to 0" wait_tick blocked_is 0
metrics
check "nothing dropped" \
	test "$(self_value rrd_dropped_total)" = 0
PID=$AP
# What the cut-short librrd calls had open was released.
if [ -d "/proc/$PID/fd" ] && ! ls -l "/proc/$PID/fd" | grep -q '\.rrd$'; then
	ok "no RRD file left open after the faults"
else
	not_ok "no RRD file left open after the faults"
fi
if [ -r "/proc/$PID/maps" ] && ! grep -q '\.rrd$' "/proc/$PID/maps"; then
	ok "no RRD file left mapped after the faults"
else
	not_ok "no RRD file left mapped after the faults"
fi
stop_agent
check "SIGTERM: exits 0" test "$RC" = 0
# The value a faulting call was writing is written again; every paused
# second is there (holes read as 0, a gap as NaN: both fail).
kept_from_to $((t0 + 1)) "$t1"
check "rrdtool reads every file" sh -c \
	"for f in \$(find '$R' -name '*.rrd'); do rrdtool info \"\$f\" >/dev/null || exit 1; done"
umount "$R"

# 3. A full tmpfs (as ext4) still takes updates of files that exist: a new
# series (a process group added by SIGHUP) waits for room, every other file
# goes on being written on time, and nothing is lost either way.
rm -rf "$R"
mkdir -p "$R"
mount -t tmpfs -o size=16m tmpfs "$R"
start_agent "$T/c.log"
wait_http "http://127.0.0.1:$PORT/healthz" 100
settle
fill
sed 's/^  memory: {}$/  memory: {processes: {shells: [sh]}}/' "$T/agent.yaml" > "$T/new.yaml"
mv "$T/new.yaml" "$T/agent.yaml"
kill -HUP "$AP"
t0=$(date +%s)
NEW="$R/full/process_instances/shells.rrd"
check "a new series on a full filesystem waits for room" wait_for grep -q "process_instances/shells.rrd: cannot create it: No space left on device; new files wait" "$T/c.log"
check "write_blocked is 1 while it waits" wait_tick blocked_is 1
sleep 6
# flush_interval is 2 s: a file that is written is at most a few s behind.
fresh() { [ $(($(date +%s) - $(rrdtool last "$M"))) -le 5 ]; }
check "files that exist are still written meanwhile" fresh
check "and writing them never paused" sh -c "! grep -q 'writes paused' '$T/c.log'"
rm -f "$R/fill"
t1=$(date +%s)
check "room again: the new file is made" wait_for test -f "$NEW"
check "the log says so" grep -q "creating files again after" "$T/c.log"
recovered "while it waited"
if no_gap "$NEW" $((t0 + 2)) "$t1"; then
	ok "the new series kept every second it waited"
else
	not_ok "the new series kept every second it waited"
	rrdtool fetch "$NEW" AVERAGE -r 1 -s $((t0 - 1)) -e "$t1" | sed 's/^/# /'
fi
if no_gap "$M" "$t0" "$t1"; then
	ok "the files that exist have every second too"
else
	not_ok "the files that exist have every second too"
fi
umount "$R"

# 4. The data directory remounted read-only: librrd cannot open a file for
# writing. Writing pauses (nothing dropped) and resumes within a second of
# the filesystem being read-write again.
rm -rf "$R"
mkdir -p "$R"
mount -t tmpfs -o size=16m tmpfs "$R"
start_agent "$T/d.log"
wait_http "http://127.0.0.1:$PORT/healthz" 100
settle
mount -o remount,ro "$R"
t0=$(date +%s)
check "read-only: writes paused, and the log says so" wait_for grep -q "Read-only file system; writes paused" "$T/d.log"
check "write_blocked is 1 while read-only" wait_tick blocked_is 1
mount -o remount,rw "$R"
t1=$(date +%s)
check "read-write again: writing resumes within seconds" \
	wait_for_s 5 grep -q "writing again after" "$T/d.log"
recovered "while read-only"
kept_from_to "$t0" "$t1"
umount "$R"

# 5. A restart with the whole data directory full, chokepoint.db included:
# SQLite cannot even open it. Monitoring starts anyway, events wait in
# memory, and the database opens within 10 s of there being room.
D5="$T/data5"
mkdir -p "$D5"
mount -t tmpfs -o size=16m tmpfs "$D5"
sed "s|data_dir: $D\$|data_dir: $D5|" "$T/agent.yaml" > "$T/five.yaml"
start_agent "$T/e1.log" "$T/five.yaml"
wait_http "http://127.0.0.1:$PORT/healthz" 100
wait_for test -s "$D5/chokepoint.db"
sleep 2
stop_agent
dd if=/dev/zero of="$D5/fill" bs=64k 2>/dev/null
start_agent "$T/e2.log" "$T/five.yaml"
check "full data directory at start: the agent runs" \
	wait_http "http://127.0.0.1:$PORT/healthz" 100
check "and says it runs without the database" \
	grep -q "chokepoint.db: .*; running without it" "$T/e2.log"
code() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT$1"; }
check "/api/v1/events answers 503 meanwhile" test "$(code /api/v1/events)" = 503
check "db_write_blocked is 1" wait_tick self_is db_write_blocked 1
check "the dashboard's overview still answers" test "$(code /api/v1/overview)" = 200
rm -f "$D5/fill"
check "room again: the database opens" \
	wait_for_s 15 grep -q "chokepoint.db: open after" "$T/e2.log"
check "/api/v1/events answers 200" test "$(code /api/v1/events)" = 200
check "db_write_blocked back to 0" wait_tick self_is db_write_blocked 0
# sql_has QUERY: the query's count(*) on the database is above 0.
sql_has() {
	python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
sys.exit(0 if c.execute(sys.argv[2]).fetchone()[0] > 0 else 1)' "$D5/chokepoint.db" "$1"
}
check "the alert tables are in it" \
	sql_has "SELECT count(*) FROM sqlite_master WHERE name LIKE 'alert%'"
check "the alert log has what happened while it was not open" wait_for sql_has \
	"SELECT count(*) FROM alert_log WHERE rule = 'db-writes-blocked' AND to_state = 'pending'"
stop_agent
check "SIGTERM: exits 0" test "$RC" = 0
umount "$D5"
finish
