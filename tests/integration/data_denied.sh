#!/bin/sh
# Files in the data directory the agent may not write: a run as root left
# RRD files, a directory and chokepoint.db owned by root, and the agent now
# runs as its own user (here nobody). They are not damaged: nothing is
# moved aside or recreated, their values and the events wait in memory
# while every other file is written, the agent says so and counts them
# (rrd_files_denied, rrd_write_blocked, db_write_blocked), and once the
# ownership is fixed what waited is written, with no restart. Needs root
# and setpriv(1) (util-linux) to run the agent as nobody.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_rrd.sh"

if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null 2>&1 ||
	! id nobody >/dev/null 2>&1 ||
	! setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
		"$CP" --version >/dev/null 2>&1; then
	skip "needs root, setpriv and a user nobody who can run $CP"
	finish
fi

chmod 755 "$T" # nobody works under it
D="$T/data"
R="$D/rrd"
mkdir -p "$D"
chown nobody "$D"
PORT=$(free_port)
TGT=den
rrd_conf "$T/agent.yaml" "$D"
M="$R/den/memory"
F1="${M}_total_bytes/value.rrd"     # root's, readable
F2="${M}_available_bytes/value.rrd" # root's, unreadable
F3="${M}_used_bytes/value.rrd"      # gone, in a directory of root's
OTHER="$R/den/load1/value.rrd"

RUN_AS="setpriv --reuid=nobody --regid=$(id -g nobody) --clear-groups"
kept() { # NAME FILE FROM TO
	if no_gap "$2" "$3" "$4"; then
		ok "$1: every second of the $(($4 - $3)) s it waited is in the file"
	else
		not_ok "$1: every second of the $(($4 - $3)) s it waited is in the file"
		rrdtool fetch "$2" AVERAGE -r 1 -s $(($3 - 3)) -e "$4" | sed 's/^/# /'
	fi
}
last_update() { rrdtool last "$1" 2>/dev/null; }
fresh() { # FILE: updated within the last 5 s
	lu=$(last_update "$1") && [ $(($(date +%s) - lu)) -le 5 ]
}

# A whole data directory of root's stops the start, with one line that
# says whose it is and who the agent is.
mkdir "$T/rootdir"
chmod 755 "$T/rootdir"
rrd_conf "$T/root.yaml" "$T/rootdir"
# shellcheck disable=SC2086 # RUN_AS is a command prefix
$RUN_AS "$CP" run -c "$T/root.yaml" > "$T/root.out" 2>&1
refused "a data directory of root's: one line naming owner, mode and uid, exit 2" \
	"$T/root.out" $? "data directory $T/rootdir is not writable: Permission denied (owner uid 0, mode 0755; the agent runs as uid $(id -u nobody))"

# A first run as nobody makes the files.
start_agent "$T/run1.log"
check "first run: files made" wait_for_s 20 test -f "$F3"
sleep 3
stop_agent
check "first run: exits 0" test "$RC" = 0

# What a run as root leaves behind.
chown root "$F1" "$F2"
chmod 644 "$F1"
chmod 600 "$F2"
rm -f "$F3"
chown root "$(dirname "$F3")"
chmod 755 "$(dirname "$F3")"
chown root "$D"/chokepoint.db*
chmod 644 "$D"/chokepoint.db*

start_agent "$T/run2.log"
t0=$(date +%s)
check "agent answers" wait_http "http://127.0.0.1:$PORT/healthz" 100
check "three files counted in rrd_files_denied" \
	wait_for_s 20 self_is rrd_files_denied 3
check "rrd_write_blocked is 1" self_is rrd_write_blocked 1
check "rrd-writes-blocked fires" wait_for_s 25 firing
if grep -q "value.rrd: Permission denied (owner uid 0, mode 0644; the agent runs as uid $(id -u nobody))" "$T/run2.log"; then
	ok "the log names a file, its owner and mode, and the agent's uid"
else
	not_ok "the log names a file, its owner and mode, and the agent's uid"
	sed 's/^/# /' "$T/run2.log"
fi
n=$(grep -c "not writable so far)" "$T/run2.log")
check "said once for the three files (not once a file, nor once a try): $n" test "$n" = 1
check "no file moved aside" test -z "$(find "$R" -name '*.corrupt-*')"
check "the unreadable file is still there, root's" test "$(stat -c %u "$F2")" = 0
check "the file of root's directory is not made" test ! -e "$F3"
check "other files are written on time" fresh "$OTHER"
grep -q "chokepoint.db: not writable by the agent (owner uid 0, mode 0644; the agent runs as uid $(id -u nobody)); running without it" "$T/run2.log" &&
	ok "root's chokepoint.db: the agent runs without it and says why" ||
	{ not_ok "root's chokepoint.db: the agent runs without it and says why"; sed 's/^/# /' "$T/run2.log"; }
check "db_write_blocked is 1" wait_for_s 15 self_is db_write_blocked 1
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/api/v1/events")
check "/api/v1/events answers 503 meanwhile ($code)" test "$code" = 503
sleep 3
metrics
check "nothing dropped while they wait" \
	test "$(self_value rrd_dropped_total)" = 0
# rrd_pending is one of the agent's own metrics, published every 10 s, so
# a sample can be that old. The three files hold every value since the
# first collection (about 2 s after t0), three a second: any snapshot from
# 10 s after the start on shows 15 or more (other files' short queues can
# only add). That every one of them reaches the files once they are
# writable is checked below (kept).
pending_at_least() { metrics && [ "$(self_value rrd_pending)" -ge "$1" ]; }
wait_for_s 15 pending_at_least 15
pend=$(self_value rrd_pending)
check "their values wait in memory (rrd_pending $pend after $(($(date +%s) - t0)) s, want >= 15)" \
	test "${pend:-0}" -ge 15

# The operator fixes the ownership: no restart.
chown -R nobody "$D"
t1=$(date +%s)
check "rrd_files_denied back to 0" wait_for_s 20 self_is rrd_files_denied 0
check "rrd_write_blocked back to 0" self_is rrd_write_blocked 0
check "the log says they are writable again" \
	grep -q "every file is writable again (the last: .*); the values that waited are written" "$T/run2.log"
check "db_write_blocked back to 0 (tried every 10 s)" wait_for_s 25 self_is db_write_blocked 0
grep -q "db: $D/chokepoint.db: open after" "$T/run2.log" &&
	ok "the log says the database is open" || not_ok "the log says the database is open"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/api/v1/events")
check "/api/v1/events answers 200 ($code)" test "$code" = 200
kept "root's readable file" "$F1" $((t0 + 2)) "$t1"
kept "root's unreadable file" "$F2" $((t0 + 2)) "$t1"
kept "the file made once its directory was fixed" "$F3" $((t0 + 2)) "$t1"
metrics
check "nothing dropped" \
	test "$(self_value rrd_dropped_total)" = 0
stop_agent
check "SIGTERM: exits 0" test "$RC" = 0
if grep -q "lost at exit" "$T/run2.log"; then
	not_ok "no value lost at exit"
	sed 's/^/# /' "$T/run2.log"
else
	ok "no value lost at exit"
fi
finish
