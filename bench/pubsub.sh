#!/usr/bin/env bash
# pubsub.sh: pub/sub fan-out of redis-server and smallredis side by side —
# one publisher, SUBS subscribers of one channel, messages/s delivered —
# and, for each server, a subscriber that never reads while BOUND_TOTAL
# bytes are published to it: the server must disconnect it at its
# client-output-buffer-limit (pubsub 32mb 8mb 60, the default) and keep its
# RSS bounded (peak RSS printed). Each server's CPU time per delivered
# message (utime+stime from /proc/PID/stat around the fan-out runs) is
# printed too: on a shared machine it moves less than the rates do.
#
# Environment (defaults in brackets):
#   SUBS MESSAGES SIZE PIPELINE   fan-out shape [100 20000 64 64]
#   ROUNDS                        [3]
#   BOUND_TOTAL BOUND_SIZE        never-reading run [1gb 65536]
#   SMALLREDIS REDIS_SERVER       binaries (default: build ./cmd/smallredis)
#
# Takes about a minute on 2 cores. The machine is shared: compare the
# ratio of one run, not absolute rates across runs.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

SUBS=${SUBS:-100}
MESSAGES=${MESSAGES:-20000}
SIZE=${SIZE:-64}
PIPELINE=${PIPELINE:-64}
ROUNDS=${ROUNDS:-3}
BOUND_TOTAL=${BOUND_TOTAL:-1gb}
BOUND_SIZE=${BOUND_SIZE:-65536}

build_ours
[ -n "$OURS_BIN" ] || { echo "smallredis $OURS_WHY" >&2; exit 1; }
(cd "$ROOT" && go build -o "$TMP/pubsub" ./bench/pubsub)
declare -A PORT PID
start_server redis "$REDIS_SERVER" --save '' --appendonly no || { echo "redis-server: $SERVER_WHY" >&2; exit 1; }
PORT[redis]=$SERVER_PORT PID[redis]=$SERVER_PID
start_server ours "$OURS_BIN" --save '' --appendonly no || { echo "smallredis: $SERVER_WHY" >&2; exit 1; }
PORT[ours]=$SERVER_PORT PID[ours]=$SERVER_PID

# cpu_ticks PID: the process's utime+stime, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

declare -A SUM CPU
SUM[redis]=0 SUM[ours]=0 CPU[redis]=0 CPU[ours]=0
for round in $(seq "$ROUNDS"); do
	order=(redis ours)
	((round % 2 == 0)) && order=(ours redis)
	for s in "${order[@]}"; do
		log "round $round: $s"
		t0=$(cpu_ticks "${PID[$s]}")
		out=$("$TMP/pubsub" -addr "127.0.0.1:${PORT[$s]}" -subs "$SUBS" -messages "$MESSAGES" -size "$SIZE" -pipeline "$PIPELINE")
		CPU[$s]=$((CPU[$s] + $(cpu_ticks "${PID[$s]}") - t0))
		log "$out"
		rate=$(sed -E 's/.*: ([0-9]+) messages\/s delivered.*/\1/' <<<"$out")
		SUM[$s]=$((SUM[$s] + rate))
	done
done
r=$((SUM[redis] / ROUNDS)) o=$((SUM[ours] / ROUNDS))
echo
echo "Fan-out: 1 publisher (pipeline $PIPELINE), $SUBS subscribers, $MESSAGES messages of $SIZE B, mean of $ROUNDS rounds; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
# CPU µs per delivered message: ticks / CLK_TCK over ROUNDS × SUBS × MESSAGES deliveries.
hz=$(getconf CLK_TCK)
per() { awk -v t="$1" -v hz="$hz" -v n="$((ROUNDS * SUBS * MESSAGES))" 'BEGIN { printf "%.3f", t / hz * 1e6 / n }'; }
rc=$(per "${CPU[redis]}") oc=$(per "${CPU[ours]}")
echo "| server | messages/s delivered | ratio | server CPU µs per message | CPU ratio |"
echo "|---|---:|---:|---:|---:|"
echo "| redis-server $(redis_version) | $r | 1.00 | $rc | 1.00 |"
echo "| smallredis | $o | $(awk -v a="$o" -v b="$r" 'BEGIN { printf "%.2f", a / b }') | $oc | $(awk -v a="$oc" -v b="$rc" 'BEGIN { printf "%.2f", a / b }') |"
echo
echo "A subscriber that never reads, $BOUND_TOTAL published in $BOUND_SIZE B messages (default pubsub limit 32mb 8mb 60):"
echo
for s in redis ours; do
	log "never-reading subscriber: $s"
	echo "- $s: $("$TMP/pubsub" -addr "127.0.0.1:${PORT[$s]}" -subs 0 -never-read -total "$BOUND_TOTAL" -size "$BOUND_SIZE" -pid "${PID[$s]}" | tail -n 2 | paste -sd ';' -)"
done
