#!/usr/bin/env bash
# memory.sh: memory per key of redis-server and smallredis after loading
# KEYS × SET key:%012d <32-byte value> (16-byte keys) with redis-cli --pipe,
# each into a fresh process. Reports the growth of INFO used_memory and of
# the process's resident set (VmRSS, /proc/PID/status) per key, and the peak
# (VmHWM) growth. Prints a Markdown table.
#
# Environment (defaults in brackets):
#   KEYS           [1000000]
#   SETTLE         seconds to wait after the load before measuring [2]
#   SMALLREDIS     smallredis binary instead of building ./cmd/smallredis
#   REDIS_SERVER   [redis-server]
#   WORKLOAD       keys [keys]; ttl: the same SETs with EX 86400; or list: one list
#                  of KEYS × RPUSH list <16-byte value>, reported per element
#   WAIT_QUIET     wait (up to WAIT_QUIET_MAX s) for a 1-min load average below this first
set -euo pipefail
source "$(dirname "$0")/lib.sh"

KEYS=${KEYS:-1000000}
SETTLE=${SETTLE:-2}
WORKLOAD=${WORKLOAD:-keys}

build_ours
LOAD=$TMP/load.resp
if [ "$WORKLOAD" = list ]; then
	log "generating $KEYS RPUSHes"
	awk -v n="$KEYS" 'BEGIN { for (i = 0; i < n; i++) printf "*3\r\n$5\r\nRPUSH\r\n$4\r\nlist\r\n$16\r\nv%015d\r\n", i }' >"$LOAD"
	WANT_DBSIZE=1
	TITLE="one list of $KEYS × RPUSH list <16-byte value>, per element"
elif [ "$WORKLOAD" = ttl ]; then
	log "generating $KEYS SETs with a TTL"
	awk -v n="$KEYS" 'BEGIN { for (i = 0; i < n; i++) printf "*5\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n$32\r\nv%031d\r\n$2\r\nEX\r\n$5\r\n86400\r\n", i, i }' >"$LOAD"
	WANT_DBSIZE=$KEYS
	TITLE="$KEYS × SET key:%012d <32-byte value> EX 86400 (16-byte keys with a TTL)"
else
	log "generating $KEYS SETs"
	awk -v n="$KEYS" 'BEGIN { for (i = 0; i < n; i++) printf "*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n$32\r\nv%031d\r\n", i, i }' >"$LOAD"
	WANT_DBSIZE=$KEYS
	TITLE="$KEYS × SET key:%012d <32-byte value> (16-byte keys)"
fi

status_kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }
used_memory() { cli "$1" INFO memory | tr -d '\r' | awk -F: '$1 == "used_memory" { print $2 }'; }

# measure LABEL BIN: prints one table row.
measure() {
	local label=$1 bin=$2
	if [ -z "$bin" ]; then
		echo "| $label | n/a | n/a | n/a | n/a | $OURS_WHY |"
		return
	fi
	if ! start_server "${label%% *}" "$bin" --save '' --appendonly no; then
		echo "| $label | n/a | n/a | n/a | n/a | did not start: $SERVER_WHY |"
		return
	fi
	local pid=$SERVER_PID port=$SERVER_PORT
	sleep 1
	local um0 rss0 hwm0 um1 rss1 hwm1 out dbsize t0 t1 note=""
	um0=$(used_memory "$port")
	rss0=$(status_kb "$pid" VmRSS)
	hwm0=$(status_kb "$pid" VmHWM)
	log "$label: loading"
	t0=$(date +%s.%N)
	out=$(timeout 600 "$REDIS_CLI" -p "$port" --pipe <"$LOAD" 2>&1 | tail -n 1)
	t1=$(date +%s.%N)
	sleep "$SETTLE"
	dbsize=$(cli "$port" DBSIZE)
	um1=$(used_memory "$port")
	rss1=$(status_kb "$pid" VmRSS)
	hwm1=$(status_kb "$pid" VmHWM)
	[ "$dbsize" = "$WANT_DBSIZE" ] || note="DBSIZE $dbsize ≠ $WANT_DBSIZE; "
	note+="$out; load $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f s", b - a }')"
	local per_um="n/a"
	if [ -n "$um0" ] && [ -n "$um1" ]; then
		per_um=$(awk -v a="$um0" -v b="$um1" -v n="$KEYS" 'BEGIN { printf "%.1f", (b - a) / n }')
	fi
	echo "| $label | $per_um | $(awk -v a="$rss0" -v b="$rss1" -v n="$KEYS" 'BEGIN { printf "%.1f", (b - a) * 1024 / n }') |" \
		"$(awk -v a="$hwm0" -v b="$hwm1" -v n="$KEYS" 'BEGIN { printf "%.1f", (b - a) * 1024 / n }') |" \
		"$(awk -v a="$rss1" 'BEGIN { printf "%.0f", a / 1024 }') | $note |"
	stop_server "$pid" "$port"
}

wait_quiet
rows=$(
	measure "redis-server $(redis_version)" "$REDIS_SERVER"
	measure smallredis "$OURS_BIN"
)
echo
echo "### Memory: $TITLE via redis-cli --pipe"
echo
echo "$(machine_note); fresh server each, --save '' --appendonly no, measured ${SETTLE} s after the load."
echo
echo "| server | used_memory Δ B/key | RSS Δ B/key | peak RSS (VmHWM) Δ B/key | RSS after, MiB | notes |"
echo "|---|---:|---:|---:|---:|---|"
echo "$rows"
