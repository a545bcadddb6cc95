#!/usr/bin/env bash
# families.sh: redis-benchmark throughput of the collection families' hot
# commands on redis-server and smallredis, side by side, servers
# alternating, several rounds. Prints a Markdown table.
#
#   HSET / SADD / LPUSH / RPOP / LRANGE_100: redis-benchmark's own tests
#     (-t hset,sadd,lpush,rpop,lrange_100: one hash "myhash" with fields
#     element:__rand_int__, one set "myset", one list "mylist")
#   HGET / SISMEMBER: custom commands on the hash and set those tests filled
#   ZADD / ZRANGE_LIMIT / ZRANK / ZINCRBY: on one sorted set of ZSET_SIZE
#     members element:NNNNNNNNNNNN with random scores, loaded first with
#     redis-cli --pipe (ZADD and ZINCRBY on random members of it, ZRANGE
#     bigz <random> +inf BYSCORE LIMIT 0 10, ZRANK of a random member),
#     -r ZSET_SIZE
#
# each at -P 1 and -P 16, -c 50, -r KEYSPACE.
#
# Environment (defaults in brackets):
#   N_P1 / N_P16   requests per test without / with pipelining [100000 / 500000]
#   ROUNDS         [3]
#   CLIENTS KEYSPACE   redis-benchmark -c -r [50 100000]
#   PIPELINES      [1 16]
#   ZSET_SIZE      members of the sorted set [1000000]; 0 skips the sorted set rows
#   SMALLREDIS     smallredis binary instead of building ./cmd/smallredis
#   REDIS_SERVER   [redis-server]
#   WAIT_QUIET     wait (up to WAIT_QUIET_MAX s) for a 1-min load average below this first
#
# Takes about 3 minutes (2 cores).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

N_P1=${N_P1:-100000}
N_P16=${N_P16:-500000}
ROUNDS=${ROUNDS:-3}
CLIENTS=${CLIENTS:-50}
KEYSPACE=${KEYSPACE:-100000}
PIPELINES=${PIPELINES:-1 16}
BENCH=${REDIS_BENCHMARK:-redis-benchmark}
ZSET_SIZE=${ZSET_SIZE:-1000000}
ROWS="HSET HGET SADD SISMEMBER LPUSH RPOP LRANGE_100"
((ZSET_SIZE > 0)) && ROWS+=" ZADD ZRANGE_LIMIT ZRANK ZINCRBY"

build_ours
REDIS_LABEL="redis-server $(redis_version)"
start_both

# bench PORT P N ARGS...: one redis-benchmark run, CSV rows "name,rps" on stdout.
bench() {
	local port=$1 p=$2 n=$3
	shift 3
	if ! timeout 300 "$BENCH" -p "$port" -c "$CLIENTS" -r "$KEYSPACE" -n "$n" -P "$p" --csv "$@" >"$TMP/out.csv" 2>"$TMP/err"; then
		log "redis-benchmark failed on port $port: $(head -c 300 "$TMP/err")"
	fi
	tr -d '"' <"$TMP/out.csv" | awk -F, 'NR > 1 { print $1 "," $2 }'
}

# The sorted set, as redis-benchmark's __rand_int__ spells members.
ZLOAD=$TMP/zset.resp
((ZSET_SIZE > 0)) && awk -v n="$ZSET_SIZE" 'BEGIN { srand(3); for (i = 0; i < n; i++) { s = sprintf("%.3f", rand() * n)
	printf "*4\r\n$4\r\nZADD\r\n$4\r\nbigz\r\n$%d\r\n%s\r\n$20\r\nelement:%012d\r\n", length(s), s, i } }' >"$ZLOAD"

# zbench PORT P N: the sorted set rows.
zbench() {
	local port=$1 p=$2 n=$3
	cli "$port" FLUSHALL >/dev/null
	"$REDIS_CLI" -p "$port" --pipe <"$ZLOAD" >/dev/null 2>&1 || log "loading the sorted set failed on $port"
	[ "$(cli "$port" ZCARD bigz)" = "$ZSET_SIZE" ] || log "the sorted set on $port has $(cli "$port" ZCARD bigz) members"
	KEYSPACE=$ZSET_SIZE bench "$port" "$p" "$n" ZADD bigz __rand_int__ 'element:__rand_int__' | sed 's/^[^,]*,/ZADD,/'
	KEYSPACE=$ZSET_SIZE bench "$port" "$p" "$n" ZRANGE bigz __rand_int__ +inf BYSCORE LIMIT 0 10 | sed 's/^[^,]*,/ZRANGE_LIMIT,/'
	KEYSPACE=$ZSET_SIZE bench "$port" "$p" "$n" ZRANK bigz 'element:__rand_int__' | sed 's/^[^,]*,/ZRANK,/'
	KEYSPACE=$ZSET_SIZE bench "$port" "$p" "$n" ZINCRBY bigz 1 'element:__rand_int__' | sed 's/^[^,]*,/ZINCRBY,/'
}

wait_quiet
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
RAW=$TMP/raw.csv # server,pipeline,row,rps
: >"$RAW"
for round in $(seq "$ROUNDS"); do
	order=("${names[@]}")
	if ((round % 2 == 0)) && ((${#names[@]} == 2)); then order=("${names[1]}" "${names[0]}"); fi
	for P in $PIPELINES; do
		n=$N_P1
		((P > 1)) && n=$N_P16
		for s in "${order[@]}"; do
			port=${PORT[$s]}
			cli "$port" FLUSHALL >/dev/null
			log "round $round, -P $P, $s"
			{
				bench "$port" "$P" "$n" -t hset,sadd,lpush,rpop,lrange_100
				bench "$port" "$P" "$n" HGET myhash 'element:__rand_int__' | sed 's/^[^,]*,/HGET,/'
				bench "$port" "$P" "$n" SISMEMBER myset 'element:__rand_int__' | sed 's/^[^,]*,/SISMEMBER,/'
				if ((ZSET_SIZE > 0)); then zbench "$port" "$P" "$n"; fi
			} | awk -F, -v s="$s" -v p="$P" '/needed/ { next } { t = $1; sub(/ .*/, "", t); print s "," p "," t "," $2 }' >>"$RAW"
			kill -0 "${PID[$s]}" 2>/dev/null || { log "$s died"; tail -n 5 "$TMP"/*"$port".log >&2; }
		done
	done
done
for s in "${names[@]}"; do stop_server "${PID[$s]}" "${PORT[$s]}"; done

echo
echo "### Collection commands: redis-benchmark -c $CLIENTS -r $KEYSPACE (-n $N_P1 at -P 1, $N_P16 pipelined)"
echo
echo "$(machine_note) (at the end; $LOAD0 at the start), client and server on the same machine, $ROUNDS rounds, servers alternating;"
echo "ops/s as min–max over the rounds, ratio of the means."
[ -n "$OURS_BIN" ] && [ -n "${PORT[ours]:-}" ] || echo "smallredis: n/a ($OURS_WHY)."
echo
echo "| test | $REDIS_LABEL ops/s | smallredis ops/s | smallredis / redis |"
echo "|---|---:|---:|---:|"
awk -F, -v pipes="$PIPELINES" -v rows="$ROWS" '
function k(x) { return sprintf("%.0f k", x / 1000) }
function range(s, t,   lo, hi) {
	if (!((s, t) in n)) return "n/a"
	lo = min[s, t]; hi = max[s, t]
	return (k(lo) == k(hi)) ? k(lo) : k(lo) "–" k(hi)
}
{
	t = "P" $2 " " $3; s = $1
	if (!((s, t) in n) || $4 < min[s, t]) min[s, t] = $4
	if (!((s, t) in n) || $4 > max[s, t]) max[s, t] = $4
	n[s, t]++; sum[s, t] += $4
}
END {
	np = split(pipes, ps, " ")
	nr = split(rows, rs, " ")
	for (i = 1; i <= np; i++) {
		for (j = 1; j <= nr; j++) {
			t = "P" ps[i] " " rs[j]
			ratio = (((("ours", t) in n) && (("redis", t) in n))) ? sprintf("%.2f ×", (sum["ours", t] / n["ours", t]) / (sum["redis", t] / n["redis", t])) : "n/a"
			printf "| -P %s %s | %s | %s | %s |\n", ps[i], rs[j], range("redis", t), range("ours", t), ratio
		}
	}
}' "$RAW"
