#!/usr/bin/env bash
# scripting.sh: Lua scripting on redis-server and smallredis, side by side,
# servers alternating, several rounds. Prints a Markdown table.
#
#   EVALSHA get+incr   redis-benchmark EVALSHA of a script doing one GET and
#                      one INCR on key:__rand_int__, at -P 1 and -P 16, -c 50
#   CPU loop           one EVAL of a pure-Lua loop (LOOP iterations of a
#                      function call, arithmetic and a table write), wall time per call
#   other loops        with OTHER_LOOPS=1, one EVAL each of other CPU-bound
#                      scripts (server CPU only): arithmetic without calls,
#                      floats, string building with .. and table.concat,
#                      table writes and reads, cjson.encode
#
# Each row also has the server's CPU time (utime+stime from /proc/PID/stat)
# per request (per EVAL for the loop): unlike ops/s, it holds on a busy
# machine.
#
# Environment (defaults in brackets):
#   N_P1 / N_P16   requests per EVALSHA test without / with pipelining [100000 / 300000]
#   ROUNDS         [3]
#   CLIENTS KEYSPACE   redis-benchmark -c -r [50 100000]
#   LOOP           iterations of the CPU loop [1000000]
#   SMALLREDIS     smallredis binary instead of building ./cmd/smallredis
#   REDIS_SERVER   [redis-server]
#   WAIT_QUIET     wait (up to WAIT_QUIET_MAX s) for a 1-min load average below this first
#   OTHER_LOOPS    1: also the other loops (~10 s more per round)
#
# Takes about 2 minutes (2 cores).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

N_P1=${N_P1:-100000}
N_P16=${N_P16:-300000}
ROUNDS=${ROUNDS:-3}
CLIENTS=${CLIENTS:-50}
KEYSPACE=${KEYSPACE:-100000}
LOOP=${LOOP:-1000000}
BENCH=${REDIS_BENCHMARK:-redis-benchmark}
SCRIPT="local v = redis.call('get', KEYS[1]) return redis.call('incr', KEYS[1])"
CPU="local function f(x) return x * 2 end local t = {} local s = 0 for i = 1, $LOOP do s = s + f(i) t[i % 100 + 1] = s end return s"
declare -A OTHER=(
	[nocall]="local s = 0 for i = 1, 3000000 do s = s + i * 3 - (i % 7) end return s"
	[float]="local s = 0.5 for i = 1, 3000000 do s = s * 1.000001 + 0.25 end return tostring(s)"
	[concat]="local s = '' for i = 1, 20000 do s = s .. i end local t = {} for i = 1, 200000 do t[#t+1] = tostring(i) end return #s + #table.concat(t, ',')"
	[table]="local t = {} for i = 1, 200000 do t['k' .. (i % 1000)] = i end local s = 0 for j = 1, 5 do for i = 1, 1000 do s = s + t['k' .. i % 1000] end end local a = {} for i = 1, 300000 do a[i] = i end for i = 1, 300000 do s = s + a[i] end return s"
	[cjson]="local t = {} for i = 1, 2000 do t[i] = {id = i, name = 'n' .. i, v = i * 1.5, tags = {'a', 'b'}} end local n = 0 for j = 1, 20 do n = n + #cjson.encode(t) end return n"
)
OTHER_NAMES="nocall float concat table cjson"

build_ours
REDIS_LABEL="redis-server $(redis_version)"
start_both

wait_quiet
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
RAW=$TMP/raw.csv # server,row,value (ops/s, or ms for the CPU loop; row_cpu: CPU µs per request)
: >"$RAW"
HZ=$(getconf CLK_TCK)
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
cpu_us() { awk -v a="$1" -v b="$2" -v n="$3" -v hz="$HZ" 'BEGIN { printf "%.2f", (b - a) / hz * 1e6 / n }'; }
for round in $(seq "$ROUNDS"); do
	order=("${names[@]}")
	if ((round % 2 == 0)) && ((${#names[@]} == 2)); then order=("${names[1]}" "${names[0]}"); fi
	for s in "${order[@]}"; do
		port=${PORT[$s]}
		cli "$port" FLUSHALL >/dev/null
		sha=$(cli "$port" SCRIPT LOAD "$SCRIPT")
		for P in 1 16; do
			n=$N_P1
			((P > 1)) && n=$N_P16
			log "round $round, -P $P, $s"
			c0=$(ticks "${PID[$s]}")
			rps=$(timeout 300 "$BENCH" -p "$port" -c "$CLIENTS" -r "$KEYSPACE" -n "$n" -P "$P" --csv \
				EVALSHA "$sha" 1 'key:__rand_int__' 2>/dev/null | tr -d '"' | awk -F, 'NR > 1 { print $2 }')
			c1=$(ticks "${PID[$s]}")
			echo "$s,P$P,${rps:-0}" >>"$RAW"
			echo "$s,P${P}_cpu,$(cpu_us "$c0" "$c1" "$n")" >>"$RAW"
		done
		log "round $round, CPU loop, $s"
		c0=$(ticks "${PID[$s]}")
		t0=$(date +%s%N)
		cli "$port" EVAL "$CPU" 0 >/dev/null
		t1=$(date +%s%N)
		c1=$(ticks "${PID[$s]}")
		echo "$s,cpu,$(((t1 - t0) / 1000000))" >>"$RAW"
		echo "$s,cpu_cpu,$(cpu_us "$c0" "$c1" 1)" >>"$RAW"
		if [ "${OTHER_LOOPS:-}" = 1 ]; then
			for o in $OTHER_NAMES; do
				c0=$(ticks "${PID[$s]}")
				cli "$port" EVAL "${OTHER[$o]}" 0 >/dev/null
				c1=$(ticks "${PID[$s]}")
				echo "$s,${o}_cpu,$(cpu_us "$c0" "$c1" 1)" >>"$RAW"
			done
		fi
		kill -0 "${PID[$s]}" 2>/dev/null || log "$s died"
	done
done
for s in "${names[@]}"; do stop_server "${PID[$s]}" "${PORT[$s]}"; done

echo
echo "### Scripting: EVALSHA (one GET, one INCR) with redis-benchmark -c $CLIENTS -r $KEYSPACE; a CPU-bound Lua loop of $LOOP iterations"
echo
echo "$(machine_note) (at the end; $LOAD0 at the start), client and server on the same machine, $ROUNDS rounds, servers alternating;"
echo "min–max over the rounds, ratio of the means (for the loop and CPU time: smallredis's / Redis's, lower is better);"
echo "CPU time is the server's utime+stime per request (clock ticks of $((1000 / HZ)) ms: a short run's figure is coarse)."
[ -n "$OURS_BIN" ] && [ -n "${PORT[ours]:-}" ] || echo "smallredis: n/a ($OURS_WHY)."
echo
echo "| test | $REDIS_LABEL | smallredis | smallredis / redis |"
echo "|---|---:|---:|---:|"
awk -F, -v others="$([ "${OTHER_LOOPS:-}" = 1 ] && echo "$OTHER_NAMES")" '
BEGIN {
	no = split(others, os, " ")
	for (i = 1; i <= no; i++) other[os[i] "_cpu"] = 1
}
function fmt(t, x) {
	if (t == "cpu") return sprintf("%d ms", x)
	if (t == "cpu_cpu" || t in other) return sprintf("%.0f ms", x / 1000)
	if (t ~ /_cpu$/) return sprintf("%.1f µs", x)
	return sprintf("%.0f k/s", x / 1000)
}
function range(s, t,   lo, hi) {
	if (!((s, t) in n)) return "n/a"
	lo = fmt(t, min[s, t]); hi = fmt(t, max[s, t])
	return lo == hi ? lo : lo "–" hi
}
{
	s = $1; t = $2
	if (!((s, t) in n) || $3 < min[s, t]) min[s, t] = $3
	if (!((s, t) in n) || $3 > max[s, t]) max[s, t] = $3
	n[s, t]++; sum[s, t] += $3
}
END {
	nt = split("P1 P16 cpu P1_cpu P16_cpu cpu_cpu", ts, " ")
	for (i = 1; i <= no; i++) { ts[++nt] = os[i] "_cpu"; label[os[i] "_cpu"] = "other loop: " os[i] " (server CPU per EVAL)" }
	label["P1"] = "-P 1 EVALSHA get+incr"; label["P16"] = "-P 16 EVALSHA get+incr"; label["cpu"] = "CPU-bound Lua loop (time per EVAL)"
	label["P1_cpu"] = "-P 1 server CPU per request"; label["P16_cpu"] = "-P 16 server CPU per request"; label["cpu_cpu"] = "CPU-bound Lua loop (server CPU per EVAL)"
	for (i = 1; i <= nt; i++) {
		t = ts[i]
		ratio = ((("ours", t) in n) && (("redis", t) in n) && sum["redis", t] > 0) ? sprintf("%.2f ×", (sum["ours", t] / n["ours", t]) / (sum["redis", t] / n["redis", t])) : "n/a"
		printf "| %s | %s | %s | %s |\n", label[t], range("redis", t), range("ours", t), ratio
	}
}' "$RAW"
