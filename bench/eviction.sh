#!/usr/bin/env bash
# eviction.sh: writes under eviction, redis-server and smallredis side by
# side. For each policy, each round starts both servers fresh with
#
#   --maxmemory MAXMEMORY --maxmemory-policy POLICY
#
# fills them to the limit, then runs (servers alternating, the order flipped
# every round)
#
#   redis-benchmark -t set -c 50 -d 1024 -r 1000000 -P 16 -n N
#
# where nearly every SET evicts a key. Reports per server the median
# throughput over the rounds, the median p50 / p99 latency, the CPU time per
# request (utime+stime of the server process from /proc/PID/stat over the
# run, divided by N: the figure that still compares on a loaded machine),
# and used_memory after the run against maxmemory. Prints a Markdown table.
#
# Environment (defaults in brackets):
#   POLICIES       ["default allkeys-lru"]; "default" = the server's own default
#                  eviction policy (Redis's is noeviction, which cannot run this
#                  row, so Redis gets allkeys-lru there too)
#   MAXMEMORY      [64mb]
#   N              requests per run [1000000]
#   ROUNDS         [3]
#   CLIENTS DATA_SIZE KEYSPACE PIPELINE   [50 1024 1000000 16]
#   SMALLREDIS     smallredis binary instead of building ./cmd/smallredis
#   REDIS_SERVER   [redis-server]
#   WAIT_QUIET     wait (up to WAIT_QUIET_MAX s) for a 1-min load average below this first
set -euo pipefail
source "$(dirname "$0")/lib.sh"

POLICIES=${POLICIES:-default allkeys-lru}
MAXMEMORY=${MAXMEMORY:-64mb}
N=${N:-1000000}
ROUNDS=${ROUNDS:-3}
CLIENTS=${CLIENTS:-50}
DATA_SIZE=${DATA_SIZE:-1024}
KEYSPACE=${KEYSPACE:-1000000}
PIPELINE=${PIPELINE:-16}
BENCH=${REDIS_BENCHMARK:-redis-benchmark}
TICK=$(getconf CLK_TCK)

build_ours
[ -n "$OURS_BIN" ] || { echo "smallredis: $OURS_WHY" >&2; exit 1; }
REDIS_LABEL="redis-server $(redis_version)"

# cpu_ticks PID: utime+stime of the process (fields 14 and 15 of
# /proc/PID/stat, counted after the parenthesised command name).
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }

# bench_run PORT REQUESTS: one redis-benchmark SET run, CSV on stdout.
bench_run() {
	timeout 600 "$BENCH" -p "$1" -t set -c "$CLIENTS" -d "$DATA_SIZE" -r "$KEYSPACE" -n "$2" -P "$PIPELINE" --csv 2>"$TMP/err"
}

wait_quiet
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
RAW=$TMP/raw.csv # policy,server,round,rps,p50,p99,cpu_us_per_req,used-maxmemory
: >"$RAW"
fill=$(($(to_bytes "$MAXMEMORY") / DATA_SIZE * 3 / 2))
for policy in $POLICIES; do
	for round in $(seq "$ROUNDS"); do
		order=(redis ours)
		((round % 2 == 0)) && order=(ours redis)
		for s in "${order[@]}"; do
			bin=$OURS_BIN
			pol=$policy
			if [ "$s" = redis ]; then
				bin=$REDIS_SERVER
				[ "$pol" = default ] && pol=allkeys-lru
			fi
			args=(--save '' --appendonly no --maxmemory "$MAXMEMORY")
			[ "$pol" = default ] || args+=(--maxmemory-policy "$pol")
			start_server "$s" "$bin" "${args[@]}" || { echo "$s did not start: $SERVER_WHY" >&2; exit 1; }
			pid=$SERVER_PID port=$SERVER_PORT
			# Fill to the limit first, so the measured run evicts throughout.
			bench_run "$port" "$fill" >/dev/null || true
			log "$policy, round $round, $s"
			t0=$(cpu_ticks "$pid")
			if ! bench_run "$port" "$N" >"$TMP/out.csv"; then
				log "$s: redis-benchmark failed: $(head -c 300 "$TMP/err")"
			fi
			t1=$(cpu_ticks "$pid")
			used=$(cli "$port" INFO memory | tr -d '\r' | awk -F: '$1 == "used_memory" { print $2 }')
			max=$(cli "$port" CONFIG GET maxmemory | tail -n 1)
			tr -d '"' <"$TMP/out.csv" | awk -F, -v pol="$policy" -v s="$s" -v r="$round" -v cpu="$(((t1 - t0) * 1000000 / TICK))" \
				-v n="$N" -v over="$((used - max))" \
				'$1 == "SET" { printf "%s,%s,%s,%s,%s,%s,%.2f,%d\n", pol, s, r, $2, $5, $7, cpu / n, over }' >>"$RAW"
			stop_server "$pid" "$port"
		done
	done
done

echo
echo "### Writes under eviction: maxmemory $MAXMEMORY, redis-benchmark -t set -c $CLIENTS -d $DATA_SIZE -r $KEYSPACE -P $PIPELINE -n $N"
echo
echo "$(machine_note) (at the end; $LOAD0 at the start), client and servers on the same machine; $ROUNDS rounds, servers"
echo "alternating, each run on a fresh server filled to the limit first. Medians over the rounds; CPU is the server's"
echo "utime+stime per request (/proc/PID/stat). \"default\" is smallredis's default policy; Redis runs allkeys-lru there."
echo
echo "| policy | $REDIS_LABEL SET/s | smallredis SET/s | ratio | redis p50 / p99 ms | smallredis p50 / p99 ms | redis CPU µs/req | smallredis CPU µs/req | used − maxmemory (redis / ours) |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
python3 - "$RAW" "$POLICIES" <<'EOF'
import csv, statistics, sys
rows = list(csv.reader(open(sys.argv[1])))
med = lambda pol, s, i: statistics.median(float(r[i]) for r in rows if r[0] == pol and r[1] == s)
for pol in sys.argv[2].split():
    try:
        rr, ro = med(pol, "redis", 3), med(pol, "ours", 3)
    except statistics.StatisticsError:
        print(f"| {pol} | n/a | n/a | | | | | | |")
        continue
    lat = lambda s: f"{med(pol, s, 4):.2f} / {med(pol, s, 5):.2f}"
    over = lambda s: max(int(r[7]) for r in rows if r[0] == pol and r[1] == s)
    print(f"| {pol} | {rr / 1000:.0f} k | {ro / 1000:.0f} k | {ro / rr:.2f} × | {lat('redis')} | {lat('ours')} "
          f"| {med(pol, 'redis', 6):.2f} | {med(pol, 'ours', 6):.2f} | {over('redis'):+,} / {over('ours'):+,} |")
EOF
