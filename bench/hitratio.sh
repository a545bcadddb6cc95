#!/usr/bin/env bash
# hitratio.sh: hit ratio of redis-server and smallredis side by side, under
# the same maxmemory (bytes), for each eviction policy, on the four workloads
# of bench/hitratio. Prints Markdown tables.
#
# Environment (defaults in brackets):
#   MAXMEMORY      memory limit given to both servers, redis.conf units [64mb]
#   MAXMEMORY_OURS a different limit for smallredis, e.g. to compare at equal
#                  RSS rather than equal used_memory [$MAXMEMORY]
#   REQUESTS       requests per workload, warm-up included [6000000]
#   WARMUP         requests left out of the hit ratio [1000000]
#   WORKLOADS      [zipf scan loop shift]
#   POLICIES       policies run on both servers [allkeys-lru allkeys-lfu]
#   POLICIES_OURS  policies run on smallredis [$POLICIES]; names the server
#                  rejects are reported as n/a
#   LOOP_BASIS     redis: the loop covers LOOP_FACTOR × the values that fit in
#                  redis-server (allkeys-lru), the same keys for every row;
#                  each: every row loops over 1.1 × its own capacity [redis]
#   CACHE_KEYS     fix the loop's "values that fit" instead of measuring it
#   RUN_TIMEOUT    time limit per workload run, Go duration [150s]
#   HITRATIO_FLAGS extra flags for bench/hitratio (e.g. "-value-size 512")
#   SMALLREDIS     smallredis binary to use instead of building ./cmd/smallredis
#   REDIS_SERVER   [redis-server]
#   WAIT_QUIET     wait (up to WAIT_QUIET_MAX s) for a 1-min load average below this first
#
# A full run with the defaults takes about 1 minute per row (2 cores).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

MAXMEMORY=${MAXMEMORY:-64mb}
REQUESTS=${REQUESTS:-6000000}
WARMUP=${WARMUP:-1000000}
WORKLOADS=${WORKLOADS:-zipf scan loop shift}
POLICIES=${POLICIES:-allkeys-lru allkeys-lfu}
POLICIES_OURS=${POLICIES_OURS:-$POLICIES}
LOOP_BASIS=${LOOP_BASIS:-redis}
CACHE_KEYS=${CACHE_KEYS:-}
RUN_TIMEOUT=${RUN_TIMEOUT:-150s}
HITRATIO_FLAGS=${HITRATIO_FLAGS:-}
MAXBYTES=$(to_bytes "$MAXMEMORY")
MAXBYTES_OURS=$(to_bytes "${MAXMEMORY_OURS:-$MAXMEMORY}")

(cd "$ROOT" && go build -o "$TMP/hitratio" ./bench/hitratio)
build_ours
RESULTS=$TMP/results.jsonl # one line per workload run, plus server and policy
ROWS=$TMP/rows.tsv         # label, policy, status, values that fit
: >"$RESULTS"
: >"$ROWS"

# run_row LABEL BIN POLICY MAXBYTES: one server process, all workloads.
run_row() {
	local label=$1 bin=$2 policy=$3 maxbytes=$4 w out cal keys rss
	log "$label $policy: starting"
	if [ -z "$bin" ]; then
		printf '%s\t%s\tn/a: %s\t\n' "$label" "$policy" "$OURS_WHY" >>"$ROWS"
		return
	fi
	if ! start_server "${label%% *}-$policy" "$bin" --save '' --appendonly no \
		--maxmemory "$maxbytes" --maxmemory-policy "$policy"; then
		printf '%s\t%s\tn/a: did not start (%s)\t\n' "$label" "$policy" "$SERVER_WHY" >>"$ROWS"
		return
	fi
	local pid=$SERVER_PID port=$SERVER_PORT addr=127.0.0.1:$SERVER_PORT
	local got
	got=$(cli "$port" CONFIG GET maxmemory-policy 2>&1 | tail -n 1)
	if [ "$got" != "$policy" ]; then
		printf '%s\t%s\tn/a: policy not accepted (CONFIG GET says %s)\t\n' "$label" "$policy" "$got" >>"$ROWS"
		stop_server "$pid" "$port"
		return
	fi
	# The calibration doubles as the eviction check: it fills the server
	# until evicted_keys moves, or gives up.
	if ! cal=$("$TMP/hitratio" -addr "$addr" -workload calibrate -flushall -json $HITRATIO_FLAGS 2>&1); then
		printf '%s\t%s\tn/a: eviction not implemented yet (%s)\t\n' "$label" "$policy" "${cal#hitratio: }" >>"$ROWS"
		stop_server "$pid" "$port"
		return
	fi
	keys=$(jq -r .cache_keys <<<"$cal")
	printf '%s\t%s\tok\t%s\n' "$label" "$policy" "$keys" >>"$ROWS"
	if [ -z "$CACHE_KEYS" ] && [ "$LOOP_BASIS" = redis ] && [[ $label == redis-server* ]]; then
		CACHE_KEYS=$keys
		log "loop workload: 1.1 × $CACHE_KEYS values (what fits in redis-server, $policy)"
	fi
	local loopkeys=${CACHE_KEYS:-$keys}
	[ "$LOOP_BASIS" = each ] && loopkeys=$keys
	for w in $WORKLOADS; do
		cli "$port" FLUSHALL >/dev/null
		log "$label $policy: $w"
		if out=$("$TMP/hitratio" -addr "$addr" -workload "$w" -json -requests "$REQUESTS" -warmup "$WARMUP" \
			-cache-keys "$loopkeys" -timeout "$RUN_TIMEOUT" $HITRATIO_FLAGS 2>"$TMP/err"); then
			rss=$(awk '$1 == "VmRSS:" { print $2 * 1024 }' "/proc/$pid/status" 2>/dev/null || echo -1)
			jq -c --arg s "$label" --arg p "$policy" --argjson rss "${rss:--1}" \
				'. + {server: $s, policy: $p, rss: $rss}' <<<"$out" >>"$RESULTS"
		else
			jq -nc --arg s "$label" --arg p "$policy" --arg w "$w" --arg e "$(head -c 200 "$TMP/err")" \
				'{server: $s, policy: $p, workload: $w, error: $e}' >>"$RESULTS"
			log "$label $policy $w failed: $(cat "$TMP/err")"
			if ! kill -0 "$pid" 2>/dev/null; then
				log "$label died; see its log:"
				tail -n 5 "$SERVER_LOG" >&2
				break
			fi
		fi
	done
	stop_server "$pid" "$port"
}

REDIS_LABEL="redis-server $(redis_version)"
OURS_LABEL="smallredis"
wait_quiet
start=$(date +%s)
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
for p in $POLICIES; do
	run_row "$REDIS_LABEL" "$REDIS_SERVER" "$p" "$MAXBYTES"
	if [[ " $POLICIES_OURS " == *" $p "* ]]; then
		run_row "$OURS_LABEL" "$OURS_BIN" "$p" "$MAXBYTES_OURS"
	fi
done
for p in $POLICIES_OURS; do
	[[ " $POLICIES " == *" $p "* ]] || run_row "$OURS_LABEL" "$OURS_BIN" "$p" "$MAXBYTES_OURS"
done

# ---- report ----
# cell SERVER POLICY WORKLOAD prints the table cell of one run.
cell() {
	jq -r --arg s "$1" --arg p "$2" --arg w "$3" --argjson max "$MAXBYTES" '
		def f1: (. * 10 | round) as $v | "\($v / 10 | floor).\($v % 10)";
		select(.server == $s and .policy == $p and .workload == $w) |
		if .error then "error"
		elif .set_errors > 0 then "n/a (\(.set_errors) SETs refused)"
		elif .used_memory > (if .maxmemory > 0 then .maxmemory else $max end) * 1.1 then
			"n/a: used_memory \(.used_memory / 1048576 | floor) MiB > maxmemory"
		else
			(if .workload == "scan" then "\(.hot_hit_ratio | f1) / \(.hit_ratio | f1)"
			 else .hit_ratio | f1 end)
			+ (if .evicted_keys == 0 then " ‡" else "" end)
			+ (if .timed_out or .bad_values > 0 or .errors > 0 then " (!)" else "" end)
		end' "$RESULTS"
}

echo
echo "### Hit ratio, % (cache-aside GET/SET, maxmemory $MAXMEMORY = $MAXBYTES B$([ "$MAXBYTES_OURS" = "$MAXBYTES" ] || echo ", smallredis $MAXBYTES_OURS B"), $(jq -r 'select(.value_size) | .value_size' "$RESULTS" | head -1)-byte values)"
echo
if [ "$LOOP_BASIS" = each ]; then
	loopnote="each row's loop covers 1.1 × its own values that fit"
else
	loopnote="the loop covers $(jq -r 'select(.workload == "loop") | .loop' "$RESULTS" | head -1 | cut -d' ' -f1) keys in every row"
fi
echo "$(machine_note) (at the end; $LOAD0 at the start), $REQUESTS requests per workload, first $WARMUP excluded; $loopnote."
echo
header="| server | policy | values that fit |"
sep="|---|---|---:|"
for w in $WORKLOADS; do
	case $w in
	scan) header+=" scan (hot / all) |" ;;
	*) header+=" $w |" ;;
	esac
	sep+="---:|"
done
echo "$header"
echo "$sep"
while IFS=$'\t' read -r label policy status keys; do
	line="| $label | $policy |"
	if [ "$status" != ok ]; then
		line+=" — |"
		for w in $WORKLOADS; do line+=" n/a |"; done
		echo "$line"
		echo "|  | ↳ $status |  |$(for w in $WORKLOADS; do printf ' |'; done)"
		continue
	fi
	line+=" $keys |"
	for w in $WORKLOADS; do line+=" $(cell "$label" "$policy" "$w") |"; done
	echo "$line"
done <"$ROWS"
echo
echo "‡ = nothing was evicted: the workload's keys fit. (!) = timed out, GET errors or wrong values; see the details."
echo
echo "<details><summary>Per run: requests/s, DBSIZE, evicted_keys, used_memory and RSS at the end</summary>"
echo
echo "| server | policy | workload | req/s | DBSIZE | evicted_keys | used_memory | RSS MiB | problems |"
echo "|---|---|---|---:|---:|---:|---:|---:|---|"
jq -r 'if .error then "| \(.server) | \(.policy) | \(.workload) | | | | | | error: \(.error) |"
	else "| \(.server) | \(.policy) | \(.workload) | \(.requests / .seconds | floor) | \(.dbsize) | \(.evicted_keys) | \(.used_memory) | \(if .rss > 0 then .rss / 1048576 | floor else "n/a" end) | " +
		([if .timed_out then "timed out after \(.requests) requests" else empty end,
		  if .errors > 0 then "\(.errors) GET errors" else empty end,
		  if .bad_values > 0 then "\(.bad_values) wrong values" else empty end,
		  if .set_errors > 0 then "\(.set_errors) SET errors" else empty end] | join(", ")) + " |" end' "$RESULTS"
echo
echo "</details>"
log "done in $(($(date +%s) - start)) s"
