#!/usr/bin/env bash
# compare.sh: the side-by-side runner behind the README's performance table.
# smallredis and redis-server, started fresh with the same settings on
# loopback, run the same redis-benchmark load (or bench/pubsub for the
# fan-out row) in ROUNDS alternating rounds; per row and server it reports
# the medians of ops/s, p50 / p99 / p99.9 latency and the server's CPU time
# per request (utime + stime of the server process from /proc/PID/stat,
# the delta over the run divided by the requests), and the ratios
# smallredis / redis. CPU per request is the figure to compare on a loaded
# machine: it counts what the server spent, not what the scheduler gave it.
#
# Rows (ROWS picks a subset, in this order; `bench/compare.sh -l` lists them):
#   set-p1 set-p16 get-p1 get-p16 get-c1 mget evalsha mset incr hset hget
#   sadd lpush rpop zrange zadd xadd xrange publish evict-default evict-lru
#
# Environment (defaults in brackets):
#   ROWS            rows to run [all]; an unknown name is an error
#   ROUNDS          rounds per row, servers alternating [5]
#   SCALE           multiplies every row's request count [1], e.g. 0.1 for a quick check
#   CLIENTS         redis-benchmark -c of every row but get-c1 [50]
#   PIPELINE        -P of the command rows (mget ... zadd) [16]
#   MAXMEMORY       maxmemory of the eviction rows [64mb]
#   EVICT_SIZE      value size of the eviction rows [1024]
#   EVICT_REDIS_POLICY  Redis's policy in evict-default [allkeys-lru]: its own
#                   default, noeviction, answers OOM instead of evicting
#   OUT             raw CSV [/tmp/smallredis-compare-DATE.csv]; the table is
#                   also written next to it (.md)
#   RUN_TIMEOUT     seconds one run may take [120]
#   SMALLREDIS REDIS_SERVER REDIS_BENCHMARK KEEP_TMP WAIT_QUIET  as in bench/README.md
#
# Takes about 10 minutes with the defaults on a quiet 2-core machine, 25
# at a load average of 10-15 (the table says how long it took);
# ROWS="set-p1 get-p1" ROUNDS=3 SCALE=0.2 takes about 20 s.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

BENCH=${REDIS_BENCHMARK:-redis-benchmark}
ROUNDS=${ROUNDS:-5}
SCALE=${SCALE:-1}
CLIENTS=${CLIENTS:-50}
PIPELINE=${PIPELINE:-16}
MAXMEMORY=${MAXMEMORY:-64mb}
EVICT_SIZE=${EVICT_SIZE:-1024}
EVICT_REDIS_POLICY=${EVICT_REDIS_POLICY:-allkeys-lru}
RUN_TIMEOUT=${RUN_TIMEOUT:-120}
OUT=${OUT:-${TMPDIR:-/tmp}/smallredis-compare-$(date -u +%Y%m%d-%H%M%S).csv}
HZ=$(getconf CLK_TCK)
VAL=$(printf 'v%.0s' $(seq 64)) # the 64-byte value of the custom commands
STRINGS=1000000                  # keys of the strings data set: all of key:0..999999
HASH_FIELDS=100000
ZSET_SIZE=1000000
STREAM_SIZE=${STREAM_SIZE:-200000}
SUBS=100 MESSAGES=20000 MSG_SIZE=64 PUB_PIPELINE=64
SCRIPT="return redis.call('GET', KEYS[1])"
K10=() M10=()
for _ in $(seq 10); do
	K10+=('key:__rand_int__')
	M10+=('key:__rand_int__' "$VAL")
done

# One row per line: name|server pair|data set|keeps the data set|requests|
# clients|pipeline|keyspace (-r)|redis-benchmark arguments.
# "fresh" means FLUSHALL before every run; a named data set is loaded once
# and reused by the following rows that keep it.
ROW_TABLE="set-p1|main|fresh|no|100000|$CLIENTS|1|1000000|-d 64 -t set
set-p16|main|fresh|no|600000|$CLIENTS|16|1000000|-d 64 -t set
get-p1|main|strings|yes|100000|$CLIENTS|1|1000000|-t get
get-p16|main|strings|yes|600000|$CLIENTS|16|1000000|-t get
get-c1|main|strings|yes|40000|1|1|1000000|-t get
mget|main|strings|yes|100000|$CLIENTS|$PIPELINE|1000000|MGET ${K10[*]}
evalsha|main|strings|yes|200000|$CLIENTS|$PIPELINE|1000000|EVALSHA @SHA 1 key:__rand_int__
mset|main|fresh|no|100000|$CLIENTS|$PIPELINE|1000000|MSET ${M10[*]}
incr|main|fresh|no|600000|$CLIENTS|$PIPELINE|1000000|INCR counter:__rand_int__
hset|main|fresh|no|600000|$CLIENTS|$PIPELINE|$HASH_FIELDS|HSET myhash element:__rand_int__ $VAL
hget|main|hash|yes|600000|$CLIENTS|$PIPELINE|$HASH_FIELDS|HGET myhash element:__rand_int__
sadd|main|fresh|no|600000|$CLIENTS|$PIPELINE|100000|SADD myset element:__rand_int__
lpush|main|fresh|no|600000|$CLIENTS|$PIPELINE|-|LPUSH mylist $VAL
rpop|main|list|no|600000|$CLIENTS|$PIPELINE|-|RPOP mylist
zrange|main|zset|yes|150000|$CLIENTS|$PIPELINE|$ZSET_SIZE|ZRANGE bigz __rand_int__ +inf BYSCORE LIMIT 0 10
zadd|main|zset|yes|150000|$CLIENTS|$PIPELINE|$ZSET_SIZE|ZADD bigz __rand_int__ element:__rand_int__
xadd|main|fresh|no|600000|$CLIENTS|$PIPELINE|-|XADD mystream * field $VAL
xrange|main|stream|yes|150000|$CLIENTS|$PIPELINE|$STREAM_SIZE|XRANGE bigstream __rand_int__ + COUNT 10
publish|main|fresh|no|$MESSAGES|$SUBS|$PUB_PIPELINE|-|pubsub
evict-default|evict-default|evictfill|yes|300000|$CLIENTS|16|1000000|-d $EVICT_SIZE -t set
evict-lru|evict-lru|evictfill|yes|300000|$CLIENTS|16|1000000|-d $EVICT_SIZE -t set"

declare -A R_GROUP R_DATA R_KEEP R_N R_C R_P R_R R_ARGS
ALL_ROWS=()
while IFS='|' read -r name group data keep n c p r args; do
	ALL_ROWS+=("$name")
	R_GROUP[$name]=$group R_DATA[$name]=$data R_KEEP[$name]=$keep R_N[$name]=$n
	R_C[$name]=$c R_P[$name]=$p R_R[$name]=$r R_ARGS[$name]=$args
done <<<"$ROW_TABLE"

if [ "${1:-}" = -l ]; then
	printf '%s\n' "${ALL_ROWS[@]}"
	exit 0
fi
ROWS=${ROWS:-${ALL_ROWS[*]}}
for want in $ROWS; do
	[ -n "${R_GROUP[$want]:-}" ] || { echo "compare.sh: unknown row \"$want\"; rows: ${ALL_ROWS[*]}" >&2; exit 2; }
done
SELECTED=()
for name in "${ALL_ROWS[@]}"; do
	[[ " $ROWS " == *" $name "* ]] && SELECTED+=("$name")
done
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "compare.sh: ROUNDS must be a positive integer" >&2; exit 2; }
awk -v s="$SCALE" 'BEGIN { exit !(s > 0) }' || { echo "compare.sh: SCALE must be a positive number" >&2; exit 2; }
for name in "${SELECTED[@]}"; do
	R_N[$name]=$(awk -v n="${R_N[$name]}" -v s="$SCALE" 'BEGIN { n = int(n * s); print n < 100 ? 100 : n }')
done

# A row's label in the table: the load, in redis-benchmark's terms.
label() {
	local name=$1 args
	if [ "${R_ARGS[$name]}" = pubsub ]; then
		echo "PUBLISH fan-out: ${R_C[$name]} subscribers, ${R_N[$name]} messages of $MSG_SIZE B, pipeline ${R_P[$name]}"
		return
	fi
	args=${R_ARGS[$name]//$VAL/<64 B>}
	args=${args//__rand_int__/R}
	args=${args//@SHA/<sha>}
	args=$(sed -E 's/^-d ([0-9]+) -t set$/SET key:R <\1 B>/; s/^-t get$/GET key:R/
		s/(key:R <64 B> ){9}key:R <64 B>/(key:R <64 B>) × 10/; s/(key:R ){9}key:R/key:R × 10/' <<<"$args")
	local r=""
	[ "${R_R[$name]}" = - ] || r=" -r ${R_R[$name]}"
	echo "$args -c ${R_C[$name]} -P ${R_P[$name]}$r -n ${R_N[$name]}"
}

# cpu_ticks PID: utime + stime of the process, in clock ticks (fields 14
# and 15 of /proc/PID/stat, counted after the command name, which may
# hold spaces). Includes the time of threads that have exited.
cpu_ticks() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo -1; return; }
	stat=${stat##*) }
	set -- $stat
	echo $((${12} + ${13}))
}

# quiesce PID waits (at most 5 s) until the server uses under 5 % of a
# core, so that a FLUSHALL's or a load's background work (lazy frees, the
# garbage collector) is not billed to the next run.
quiesce() {
	local a b i
	for i in $(seq 25); do
		a=$(cpu_ticks "$1")
		sleep 0.2
		b=$(cpu_ticks "$1")
		((b - a <= HZ / 100)) && return 0
	done
	log "server $1 still busy after 5 s, going ahead"
}

error_replies() { cli "$1" INFO stats 2>/dev/null | tr -d '\r' | awk -F: '$1 == "total_error_replies" { print $2 }'; }

# load_pipe PORT FILE: redis-cli --pipe, failing on any error reply.
load_pipe() {
	local out
	out=$("$REDIS_CLI" -p "$1" --pipe <"$2" 2>&1 | tail -n 1)
	[[ $out == *"errors: 0,"* ]] || { log "loading $2 on port $1: $out"; return 1; }
}

# gen NAME prints the path of the data set's RESP file, generating it once.
gen() {
	local f=$TMP/$1.resp
	if [ ! -s "$f" ]; then
		case $1 in
		strings) awk -v n="$STRINGS" -v v="$VAL" 'BEGIN { for (i = 0; i < n; i += 100) { m = n - i < 100 ? n - i : 100
			printf "*%d\r\n$4\r\nMSET\r\n", 1 + 2 * m
			for (j = i; j < i + m; j++) printf "$16\r\nkey:%012d\r\n$%d\r\n%s\r\n", j, length(v), v } }' >"$f" ;;
		hash) awk -v n="$HASH_FIELDS" -v v="$VAL" 'BEGIN { for (i = 0; i < n; i += 100) { m = n - i < 100 ? n - i : 100
			printf "*%d\r\n$4\r\nHSET\r\n$6\r\nmyhash\r\n", 2 + 2 * m
			for (j = i; j < i + m; j++) printf "$20\r\nelement:%012d\r\n$%d\r\n%s\r\n", j, length(v), v } }' >"$f" ;;
		zset) awk -v n="$ZSET_SIZE" 'BEGIN { srand(3); for (i = 0; i < n; i += 100) { m = n - i < 100 ? n - i : 100
			printf "*%d\r\n$4\r\nZADD\r\n$4\r\nbigz\r\n", 2 + 2 * m
			for (j = i; j < i + m; j++) { s = sprintf("%.3f", rand() * n); printf "$%d\r\n%s\r\n$20\r\nelement:%012d\r\n", length(s), s, j } } }' >"$f" ;;
		stream) awk -v n="$STREAM_SIZE" -v v="$VAL" 'BEGIN { for (i = 1; i <= n; i++)
			printf "*5\r\n$4\r\nXADD\r\n$9\r\nbigstream\r\n$%d\r\n%d-1\r\n$5\r\nfield\r\n$%d\r\n%s\r\n", length(i "-1"), i, length(v), v }' >"$f" ;;
		list) awk -v n="$((R_N[rpop] + 1000))" -v v="$VAL" 'BEGIN { for (i = 0; i < n; i += 1000) { m = n - i < 1000 ? n - i : 1000
			printf "*%d\r\n$5\r\nLPUSH\r\n$6\r\nmylist\r\n", 2 + m
			for (j = 0; j < m; j++) printf "$%d\r\n%s\r\n", length(v), v } }' >"$f" ;;
		esac
	fi
	echo "$f"
}

# client_status RC FILE prints why a client run (exit code RC, output in
# FILE) failed, or nothing if it did not.
client_status() {
	if (($1 == 124)); then
		echo "timed out after ${RUN_TIMEOUT}s"
	elif grep -q 'Error from server' "$2"; then
		echo "error: $(grep -m1 -o 'Error from server: .*' "$2" | cut -c20-90)"
	elif (($1 != 0)); then
		echo "client failed: $(tr '\r' '\n' <"$2" | grep -v '^\s*$' | tail -n 1 | cut -c1-80)"
	fi
}

# prepare SERVER ROW: FLUSHALL and load the row's data set unless the
# server holds it already; SETUP_WHY says why not when it fails.
prepare() {
	local s=$1 row=$2 port=${PORT[$1]} data=${R_DATA[$2]} got want rc=0
	SETUP_WHY=""
	if [ "$data" != fresh ] && [ "${DATASET[$s]:-}" = "$data" ]; then return 0; fi
	DATASET[$s]=""
	cli "$port" FLUSHALL >/dev/null || { SETUP_WHY="FLUSHALL failed"; return 1; }
	case $data in
	fresh) return 0 ;;
	evictfill) # more 1 KB values than maxmemory holds: every measured write evicts
		timeout "$RUN_TIMEOUT" "$BENCH" -p "$port" -c "$CLIENTS" -P 16 -r 1000000 -n 150000 -d "$EVICT_SIZE" -t set -q \
			>"$TMP/fill.out" 2>&1 || rc=$?
		SETUP_WHY=$(client_status "$rc" "$TMP/fill.out")
		[ -z "$SETUP_WHY" ] || { SETUP_WHY="filling: $SETUP_WHY"; return 1; }
		got=$(cli "$port" INFO stats | tr -d '\r' | awk -F: '$1 == "evicted_keys" { print $2 }')
		((${got:-0} > 0)) || { SETUP_WHY="nothing evicted after the fill"; return 1; } ;;
	*)
		log "$s: loading the $data data set"
		load_pipe "$port" "$(gen "$data")" || { SETUP_WHY="loading the $data data set failed"; return 1; }
		case $data in
		strings) got=$(cli "$port" DBSIZE) want=$STRINGS ;;
		hash) got=$(cli "$port" HLEN myhash) want=$HASH_FIELDS ;;
		zset) got=$(cli "$port" ZCARD bigz) want=$ZSET_SIZE ;;
		list) got=$(cli "$port" LLEN mylist) want=$((R_N[rpop] + 1000)) ;;
		stream) got=$(cli "$port" XLEN bigstream) want=$STREAM_SIZE ;;
		esac
		[ "$got" = "$want" ] || { SETUP_WHY="the $data data set has $got, not $want"; return 1; }
		;;
	esac
	DATASET[$s]=$data
}

# run_one SERVER ROW ROUND appends one CSV line to $OUT.
run_one() {
	local s=$1 row=$2 round=$3 port=${PORT[$1]} pid=${PID[$1]} status=ok
	local n=${R_N[$2]} reqs ops="" p50="" p99="" p999="" cpu="" e0 e1 c0 c1 rc=0 args
	if ! prepare "$s" "$row"; then
		status="setup: $SETUP_WHY"
		kill -0 "$pid" 2>/dev/null || status="server died"
		log "$row, $s: $status"
		echo "$row,$s,$round,$status,$n,,,,," >>"$OUT"
		return
	fi
	read -ra args <<<"${R_ARGS[$row]}"
	if [ "${args[0]}" = EVALSHA ]; then
		args[1]=$(cli "$port" SCRIPT LOAD "$SCRIPT") || true
	fi
	quiesce "$pid"
	e0=$(error_replies "$port")
	c0=$(cpu_ticks "$pid")
	if [ "${args[0]}" = pubsub ]; then
		reqs=$((n * R_C[$row]))
		timeout "$RUN_TIMEOUT" "$TMP/pubsub" -addr "127.0.0.1:$port" -subs "${R_C[$row]}" -messages "$n" \
			-size "$MSG_SIZE" -pipeline "${R_P[$row]}" >"$TMP/run.out" 2>&1 || rc=$?
	else
		reqs=$n
		local r=()
		[ "${R_R[$row]}" = - ] || r=(-r "${R_R[$row]}")
		timeout "$RUN_TIMEOUT" "$BENCH" -p "$port" -c "${R_C[$row]}" -P "${R_P[$row]}" -n "$n" "${r[@]}" \
			--precision 3 "${args[@]}" >"$TMP/run.out" 2>&1 || rc=$?
	fi
	c1=$(cpu_ticks "$pid")
	if ! kill -0 "$pid" 2>/dev/null || ((c1 < 0)); then
		status="server died"
	else
		e1=$(error_replies "$port")
		if [ "${args[0]}" = pubsub ]; then
			ops=$(sed -nE 's/.*: ([0-9.]+) messages\/s delivered.*/\1/p' "$TMP/run.out")
		else
			# Summary: "throughput summary: X requests per second", then the
			# avg min p50 p95 p99 max line; p99.9 is the first step of the
			# percentile distribution at or above 99.9 % (an upper bound
			# within one sample: the steps halve toward 100 %).
			read -r ops p50 p99 p999 < <(tr '\r' '\n' <"$TMP/run.out" | awk '
				/^Latency by percentile distribution/ { dist = 1; next }
				/^Cumulative distribution/ { dist = 0 }
				dist && p999 == "" { v = $1; sub(/%/, "", v); if (v + 0 >= 99.9) p999 = $3 }
				/throughput summary:/ { ops = $3 }
				lat { p50 = $3; p99 = $5; lat = 0 }
				/avg +min +p50 +p95 +p99 +max/ { lat = 1 }
				END { if (ops != "") print ops, p50, p99, p999 }') || true
		fi
		status=$(client_status "$rc" "$TMP/run.out")
		if [ -n "$status" ]; then
			:
		elif [ -z "$ops" ]; then
			status="no result: $(tr '\r' '\n' <"$TMP/run.out" | grep -v '^\s*$' | tail -n 1 | cut -c1-80)"
		elif [ -n "$e0" ] && [ -n "$e1" ] && ((e1 > e0)); then
			status="$((e1 - e0)) error replies"
		else
			status=ok
		fi
		cpu=$(awk -v t=$((c1 - c0)) -v hz="$HZ" -v n="$reqs" 'BEGIN { printf "%.4f", t / hz * 1e6 / n }')
	fi
	[ "$status" = ok ] || { log "$row, $s: $status"; ops="" p50="" p99="" p999="" cpu=""; }
	[ "${R_KEEP[$row]}" = yes ] || DATASET[$s]=""
	echo "$row,$s,$round,${status//,/;},$reqs,$ops,$p50,$p99,$p999,$cpu" >>"$OUT"
}

# A fresh pair of servers per group, restarted (fresh) if one dies.
start_group() {
	local group=$1
	REDIS_ARGS=() OURS_ARGS=()
	case $group in
	main) start_both ;;
	evict-default)
		REDIS_ARGS=(--maxmemory-policy "$EVICT_REDIS_POLICY")
		start_both --maxmemory "$MAXMEMORY" ;;
	evict-lru) start_both --maxmemory "$MAXMEMORY" --maxmemory-policy allkeys-lru ;;
	esac
	declare -gA DATASET=() POLICY=()
	local s
	for s in "${names[@]}"; do
		POLICY[$s]=$(cli "${PORT[$s]}" CONFIG GET maxmemory-policy | tail -n 1)
	done
}

stop_group() {
	local s
	for s in "${names[@]}"; do stop_server "${PID[$s]}" "${PORT[$s]}"; done
}

build_ours
REDIS_LABEL="redis-server $(redis_version)"
OURS_LABEL=smallredis
if [ -z "${SMALLREDIS:-}" ]; then
	OURS_LABEL="smallredis $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- . 2>/dev/null || echo +dirty)"
fi
PUBSUB_WHY=""
if [[ " ${SELECTED[*]} " == *" publish "* ]]; then
	(cd "$ROOT" && go build -o "$TMP/pubsub" ./bench/pubsub) >"$TMP/pubsub-build.log" 2>&1 ||
		PUBSUB_WHY="bench/pubsub does not build"
fi

wait_quiet
START=$(date +%s)
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
DATE0=$(date -u '+%F %H:%M')
mkdir -p "$(dirname "$OUT")"
echo "row,server,round,status,requests,ops_per_s,p50_ms,p99_ms,p999_ms,cpu_us_per_req" >"$OUT"
NOTES=()
for group in main evict-default evict-lru; do
	rows=()
	for name in "${SELECTED[@]}"; do [ "${R_GROUP[$name]}" = "$group" ] && rows+=("$name"); done
	((${#rows[@]})) || continue
	start_group "$group"
	if [ "$group" != main ]; then
		NOTES+=("$group: maxmemory $MAXMEMORY, redis ${POLICY[redis]}, smallredis ${POLICY[ours]:-n/a}")
	fi
	for row in "${rows[@]}"; do
		for round in $(seq "$ROUNDS"); do
			order=("${names[@]}")
			# Alternate who goes first, so that neither always runs on a warmer machine.
			if ((round % 2 == 0)) && ((${#names[@]} == 2)); then order=("${names[1]}" "${names[0]}"); fi
			for s in "${order[@]}"; do
				if [ "$row" = publish ] && [ -n "$PUBSUB_WHY" ]; then
					echo "$row,$s,$round,$PUBSUB_WHY,0,,,,," >>"$OUT"
					continue
				fi
				log "$row, round $round, $s"
				run_one "$s" "$row" "$round"
				if ! kill -0 "${PID[$s]}" 2>/dev/null; then
					log "$s died; its log ends:"
					tail -n 5 "$TMP"/*"-${PORT[$s]}.log" >&2 || true
					stop_group
					start_group "$group"
				fi
			done
		done
	done
	stop_group
done
END=$(date +%s)
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)
DUR=$((END - START))

for name in "${SELECTED[@]}"; do echo "L,$name,$(label "$name")"; done >"$TMP/labels"
{
	echo "### smallredis / redis-server, side by side (\`bench/compare.sh\`)"
	echo
	echo "$DATE0 UTC, $(nproc) cores, load average $LOAD0 at the start and $LOAD1 at the end; took $((DUR / 60)) min $((DUR % 60)) s."
	echo "$REDIS_LABEL against $OURS_LABEL, both fresh on loopback with \`--save '' --appendonly no\`, the client on the same machine;"
	echo "$ROUNDS round(s) per row, servers alternating (the first swaps each round), medians; ratios are smallredis / Redis."
	echo "CPU µs/req: the server's utime + stime over the run per request (per delivered message for fan-out): lower is better."
	echo "Latency in ms (redis-benchmark's; p99.9 is its percentile step at 99.902 %). R: a random 12-digit number below -r; <sha>: \`$SCRIPT\`."
	[ -n "${OURS_WHY:-}" ] && echo "smallredis: $OURS_WHY."
	for note in ${NOTES[@]+"${NOTES[@]}"}; do echo "$note."; done
	echo
	echo "| row | load | Redis ops/s | smallredis ops/s | ratio | Redis p50 / p99 / p99.9 | smallredis p50 / p99 / p99.9 | Redis CPU µs/req | smallredis CPU µs/req | CPU ratio |"
	echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
	awk -F, -v rows="${SELECTED[*]}" -v why="${OURS_WHY:-not measured}" '
	$1 == "L" { lab[$2] = substr($0, length($2) + 4); next }
	$1 == "row" { next }
	{
		k = $1 SUBSEP $2
		if ($4 != "ok") { if (!(k in bad)) bad[k] = $4; nbad[k]++; next }
		n[k]++
		ops[k, n[k]] = $6; p50[k, n[k]] = $7; p99[k, n[k]] = $8; p999[k, n[k]] = $9; cpu[k, n[k]] = $10
	}
	function median(a, k,   m, i, j, v, t) {
		m = n[k]
		for (i = 1; i <= m; i++) v[i] = a[k, i] + 0
		for (i = 2; i <= m; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
		return m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
	}
	function ok(k) { return (k in n) && !(k in bad) }
	function cell(k, what) {
		if (k in bad) return what == "ops" ? "n/a: " bad[k] (n[k] ? sprintf(" (%d of %d rounds)", nbad[k], nbad[k] + n[k]) : "") : "n/a"
		if (!(k in n)) return what == "ops" ? "n/a: " why : "n/a"
		if (what == "ops") return ops_fmt(median(ops, k))
		if (what == "cpu") return sprintf("%.2f", median(cpu, k))
		if (p50[k, 1] == "") return "—"
		return sprintf("%.3f / %.3f / %.3f", median(p50, k), median(p99, k), median(p999, k))
	}
	function ops_fmt(x) { return x >= 1e6 ? sprintf("%.2f M", x / 1e6) : sprintf("%.1f k", x / 1e3) }
	function ratio(a, kr, ko,   r) {
		if (!ok(kr) || !ok(ko)) return "n/a"
		r = median(a, kr); return r > 0 ? sprintf("%.2f ×", median(a, ko) / r) : "n/a"
	}
	END {
		nr = split(rows, rs, " ")
		for (i = 1; i <= nr; i++) {
			r = rs[i]; kr = r SUBSEP "redis"; ko = r SUBSEP "ours"
			printf "| %s | `%s` | %s | %s | %s | %s | %s | %s | %s | %s |\n", r, lab[r], cell(kr, "ops"), cell(ko, "ops"), ratio(ops, kr, ko),
				cell(kr, "lat"), cell(ko, "lat"), cell(kr, "cpu"), cell(ko, "cpu"), ratio(cpu, kr, ko)
		}
	}' "$TMP/labels" "$OUT"
} >"${OUT%.csv}.md"
echo
cat "${OUT%.csv}.md"
echo
echo "Raw CSV: $OUT (table: ${OUT%.csv}.md)"
