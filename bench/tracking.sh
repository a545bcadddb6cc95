#!/usr/bin/env bash
# tracking.sh: what client-side caching buys. rueidis reads (DoCache GET) on a
# read-heavy Zipf workload (bench/tracking), with the client cache on
# (CLIENT TRACKING and invalidations) and off (DisableCache), against
# redis-server and smallredis side by side. Prints a Markdown table of reads/s.
#
# Environment (defaults in brackets):
#   DURATION   measured time per run, Go duration [5s]
#   KEYS       key space [10000]
#   WORKERS    concurrent goroutines of the client [16]
#   WRITE_PCT  share of operations that are SETs [5]
#   ZIPF       Zipf exponent [1.1]
#   SMALLREDIS smallredis binary instead of building ./cmd/smallredis
#   REDIS_SERVER [redis-server]
#
# Takes about 30 s (2 cores). The client and the server share the machine,
# so a loaded machine moves both columns.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

DURATION=${DURATION:-5s}
KEYS=${KEYS:-10000}
WORKERS=${WORKERS:-16}
WRITE_PCT=${WRITE_PCT:-5}
ZIPF=${ZIPF:-1.1}

(cd "$ROOT" && go build -o "$TMP/tracking" ./bench/tracking)
build_ours
declare -A ROW
for name in redis ours; do
	bin=$REDIS_SERVER
	[ "$name" = ours ] && bin=$OURS_BIN
	if [ -z "$bin" ]; then
		ROW[$name]="| $name | n/a: $OURS_WHY | | |"
		continue
	fi
	start_server "$name" "$bin" --save '' --appendonly no || { ROW[$name]="| $name | n/a: $SERVER_WHY | | |"; continue; }
	pid=$SERVER_PID port=$SERVER_PORT
	cells=()
	for cache in false true; do
		cli "$port" FLUSHALL >/dev/null
		log "$name cache=$cache"
		out=$("$TMP/tracking" -addr "127.0.0.1:$port" -cache=$cache -duration "$DURATION" -keys "$KEYS" \
			-workers "$WORKERS" -write-pct "$WRITE_PCT" -zipf "$ZIPF")
		cells+=("$(jq -r .reads_per_sec <<<"$out")")
		[ "$cache" = true ] && hit=$(jq -r '.local_hit_pct|floor' <<<"$out")
	done
	ratio=$(awk -v a="${cells[1]}" -v b="${cells[0]}" 'BEGIN { printf "%.1f", a / b }')
	label="redis-server $(redis_version)"
	[ "$name" = ours ] && label=smallredis
	ROW[$name]="| $label | ${cells[0]} | ${cells[1]} | ${ratio}× | ${hit} % |"
	stop_server "$pid" "$port"
done
echo
echo "rueidis DoCache GET, Zipf $ZIPF over $KEYS keys, $WRITE_PCT % SETs, $WORKERS goroutines, $DURATION per run; $(machine_note)"
echo
echo "| server | reads/s, cache off | reads/s, cache on | on/off | reads served locally |"
echo "|---|---|---|---|---|"
echo "${ROW[redis]}"
echo "${ROW[ours]}"
