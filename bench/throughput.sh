#!/usr/bin/env bash
# throughput.sh: redis-benchmark SET/GET throughput and latency of
# redis-server and smallredis, side by side, servers alternating, several
# rounds. Prints a Markdown table.
#
#   redis-benchmark -t set,get -c 50 -d 64 -r 1000000 -n N -P 1   (and -P 16)
#
# Environment (defaults in brackets):
#   N_P1 / N_P16   requests per test without / with pipelining [200000 / 1000000]
#   ROUNDS         [2]
#   CLIENTS DATA_SIZE KEYSPACE   redis-benchmark -c -d -r [50 64 1000000]
#   PIPELINES      [1 16]
#   SMALLREDIS     smallredis binary instead of building ./cmd/smallredis
#   REDIS_SERVER   [redis-server]
#   WAIT_QUIET     wait (up to WAIT_QUIET_MAX s) for a 1-min load average below this first
#
# Both servers run with --save '' --appendonly no and no maxmemory; each run
# starts from an empty server (FLUSHALL). Takes about 1 minute (2 cores).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

N_P1=${N_P1:-200000}
N_P16=${N_P16:-1000000}
ROUNDS=${ROUNDS:-2}
CLIENTS=${CLIENTS:-50}
DATA_SIZE=${DATA_SIZE:-64}
KEYSPACE=${KEYSPACE:-1000000}
PIPELINES=${PIPELINES:-1 16}
BENCH=${REDIS_BENCHMARK:-redis-benchmark}

build_ours
REDIS_LABEL="redis-server $(redis_version)"
start_both

wait_quiet
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
RAW=$TMP/raw.csv # server,round,pipeline,test,rps,p50,p99
: >"$RAW"
for round in $(seq "$ROUNDS"); do
	order=("${names[@]}")
	# Alternate who goes first, so that neither always runs on a warmer machine.
	if ((round % 2 == 0)) && ((${#names[@]} == 2)); then order=("${names[1]}" "${names[0]}"); fi
	for P in $PIPELINES; do
		n=$N_P1
		((P > 1)) && n=$N_P16
		for s in "${order[@]}"; do
			cli "${PORT[$s]}" FLUSHALL >/dev/null
			log "round $round, -P $P, $s"
			# --csv: "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
			if ! timeout 300 "$BENCH" -p "${PORT[$s]}" -t set,get -c "$CLIENTS" -d "$DATA_SIZE" -r "$KEYSPACE" \
				-n "$n" -P "$P" --csv >"$TMP/out.csv" 2>"$TMP/err"; then
				log "$s: redis-benchmark failed: $(head -c 300 "$TMP/err")"
			fi
			tr -d '"' <"$TMP/out.csv" | awk -F, -v s="$s" -v r="$round" -v p="$P" \
				'$1 == "SET" || $1 == "GET" { print s "," r "," p "," $1 "," $2 "," $5 "," $7 }' >>"$RAW"
			kill -0 "${PID[$s]}" 2>/dev/null || { log "$s died"; tail -n 5 "$TMP"/*"${PORT[$s]}".log >&2; }
		done
	done
done
for s in "${names[@]}"; do stop_server "${PID[$s]}" "${PORT[$s]}"; done

echo
echo "### Throughput: redis-benchmark -t set,get -c $CLIENTS -d $DATA_SIZE -r $KEYSPACE (-n $N_P1 at -P 1, $N_P16 pipelined)"
echo
echo "$(machine_note) (at the end; $LOAD0 at the start), client and server on the same machine, $ROUNDS rounds, servers alternating;"
echo "ops/s as min–max over the rounds, ratio of the means, latency p50 / p99 in ms (mean over rounds)."
[ -n "$OURS_BIN" ] && [ -n "${PORT[ours]:-}" ] || echo "smallredis: n/a ($OURS_WHY)."
echo
echo "| test | $REDIS_LABEL ops/s | smallredis ops/s | smallredis / redis | redis p50 / p99 | smallredis p50 / p99 |"
echo "|---|---:|---:|---:|---:|---:|"
awk -F, -v pipes="$PIPELINES" '
function k(x) { return sprintf("%.0f k", x / 1000) }
function range(s, t,   lo, hi) {
	if (!((s, t) in n)) return "n/a"
	lo = min[s, t]; hi = max[s, t]
	return (k(lo) == k(hi)) ? k(lo) : k(lo) "–" k(hi)
}
function lat(s, t) { return ((s, t) in n) ? sprintf("%.3f / %.3f", p50[s, t] / n[s, t], p99[s, t] / n[s, t]) : "n/a" }
{
	t = "P" $3 " " $4; s = $1
	if (!((s, t) in n) || $5 < min[s, t]) min[s, t] = $5
	if (!((s, t) in n) || $5 > max[s, t]) max[s, t] = $5
	n[s, t]++; sum[s, t] += $5; p50[s, t] += $6; p99[s, t] += $7
}
END {
	np = split(pipes, ps, " ")
	for (i = 1; i <= np; i++) {
		split("SET GET", ts, " ")
		for (j = 1; j <= 2; j++) {
			t = "P" ps[i] " " ts[j]
			ratio = (((("ours", t) in n) && (("redis", t) in n))) ? sprintf("%.2f ×", (sum["ours", t] / n["ours", t]) / (sum["redis", t] / n["redis", t])) : "n/a"
			printf "| -P %s %s | %s | %s | %s | %s | %s |\n", ps[i], ts[j], range("redis", t), range("ours", t), ratio, lat("redis", t), lat("ours", t)
		}
	}
}' "$RAW"
