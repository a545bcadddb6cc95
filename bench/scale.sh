#!/usr/bin/env bash
# scale.sh: does a GET's latency stay flat as the keyspace grows? redis-server
# and smallredis side by side, loaded with KEYS_SMALL and then KEYS_BIG keys
# (key:%012d, VALUE_SIZE-byte values, by bench/scale), each size measured
# with ROUNDS alternating runs of
#
#   redis-benchmark -t get -c 50 -P 1 -r <keys> -n REQUESTS
#
# Per server and size: ops/s, p50 / p99 / p99.9 (ms, from redis-benchmark's
# percentile distribution), CPU time per request (utime+stime from
# /proc/PID/stat around the run), RSS; for smallredis also the Go GC's share
# of that CPU (INFO runtime go_cpu_gc_seconds over the process's CPU), GC
# cycles and pause p50 / p99.9 / max during the runs (INFO runtime after
# CONFIG RESETSTAT) and the heap the GC scans. Medians over the rounds.
#
# Environment (defaults in brackets):
#   KEYS_SMALL KEYS_BIG   [10000 10000000]
#   REQUESTS              GETs per run [1000000]
#   ROUNDS                [3]
#   VALUE_SIZE            [64]
#   SMALLREDIS REDIS_SERVER WAIT_QUIET KEEP_TMP PORT_RANGE   as in bench/README.md
#
# Needs ~3 GB of RAM at 10 M keys (both servers). Takes ~5 min (2 cores).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

KEYS_SMALL=${KEYS_SMALL:-10000}
KEYS_BIG=${KEYS_BIG:-10000000}
REQUESTS=${REQUESTS:-1000000}
ROUNDS=${ROUNDS:-3}
VALUE_SIZE=${VALUE_SIZE:-64}
BENCH=${REDIS_BENCHMARK:-redis-benchmark}
TICK=$(getconf CLK_TCK)

build_ours
(cd "$ROOT" && go build -o "$TMP/loader" ./bench/scale)
REDIS_LABEL="redis-server $(redis_version)"
start_both

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
runtime_field() { cli "$1" INFO runtime | tr -d '\r' | awk -F: -v k="$2" '$1 == k { print $2 }'; }

wait_quiet
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
RAW=$TMP/raw.csv # server,keys,round,rps,p50,p99,p999,cpu_us_per_req,rss_mb,gc_share,gc_cycles,pause_p50,pause_p999,pause_max,scan_heap_mb
: >"$RAW"
loaded=0
for keys in $KEYS_SMALL $KEYS_BIG; do
	for s in "${names[@]}"; do
		log "$s: loading keys $loaded..$((keys - 1))"
		"$TMP/loader" -addr "127.0.0.1:${PORT[$s]}" -keys "$keys" -from "$loaded" -size "$VALUE_SIZE"
		[ "$(cli "${PORT[$s]}" DBSIZE)" = "$keys" ] || log "$s: DBSIZE $(cli "${PORT[$s]}" DBSIZE), want $keys"
	done
	loaded=$keys
	for round in $(seq "$ROUNDS"); do
		order=("${names[@]}")
		if ((round % 2 == 0)) && ((${#names[@]} == 2)); then order=("${names[1]}" "${names[0]}"); fi
		for s in "${order[@]}"; do
			port=${PORT[$s]} pid=${PID[$s]}
			log "$keys keys, round $round, $s"
			cli "$port" CONFIG RESETSTAT >/dev/null
			gc0=0
			[ "$s" = ours ] && gc0=$(runtime_field "$port" go_cpu_gc_seconds)
			t0=$(cpu_ticks "$pid")
			if ! timeout 600 "$BENCH" -p "$port" -t get -c 50 -P 1 -r "$keys" -n "$REQUESTS" >"$TMP/out" 2>"$TMP/err"; then
				log "$s: redis-benchmark failed: $(head -c 300 "$TMP/err")"
				continue
			fi
			t1=$(cpu_ticks "$pid")
			hits=$(cli "$port" INFO stats | tr -d '\r' | awk -F: '$1 == "keyspace_misses" { print $2 }')
			[ "$hits" = 0 ] || log "$s: $hits GETs missed"
			gc="n/a,n/a,n/a,n/a,n/a,n/a"
			if [ "$s" = ours ]; then
				cli "$port" INFO runtime | tr -d '\r' >"$TMP/rt"
				gc=$(awk -F: -v gc0="$gc0" -v cpu="$(((t1 - t0)))" -v tick="$TICK" '
					{ v[$1] = $2 }
					END {
						share = cpu > 0 ? (v["go_cpu_gc_seconds"] - gc0) / (cpu / tick) : 0
						printf "%.4f,%d,%s,%s,%s,%.1f", share, v["go_gc_cycles"], v["go_gc_pause_p50_usec"],
							v["go_gc_pause_p999_usec"], v["go_gc_pause_max_usec"], v["go_gc_scan_heap_bytes"] / 1048576
					}' "$TMP/rt")
			fi
			tr '\r' '\n' <"$TMP/out" | awk -v s="$s" -v k="$keys" -v r="$round" -v cpu="$((t1 - t0))" -v tick="$TICK" \
				-v n="$REQUESTS" -v rss="$(rss_kb "$pid")" -v gc="$gc" '
				/Latency by percentile distribution/ { dist = 1; next }
				dist && /^[0-9.]+% <=/ {
					p = $1 + 0; ms = $3
					if (p50 == "" && p >= 50) p50 = ms
					if (p99 == "" && p >= 99) p99 = ms
					if (p999 == "" && p >= 99.9) p999 = ms
				}
				/^Cumulative distribution/ { dist = 0 }
				/throughput summary:/ { rps = $3 }
				END { printf "%s,%s,%s,%s,%s,%s,%s,%.2f,%.0f,%s\n", s, k, r, rps, p50, p99, p999, cpu / tick * 1e6 / n, rss / 1024, gc }
			' >>"$RAW"
			kill -0 "$pid" 2>/dev/null || { log "$s died"; tail -n 5 "$TMP"/*"$port".log >&2; }
		done
	done
done
for s in "${names[@]}"; do stop_server "${PID[$s]}" "${PORT[$s]}"; done

echo
echo "### Scale with keys: redis-benchmark -t get -c 50 -P 1 -n $REQUESTS -r <keys>, $VALUE_SIZE-byte values"
echo
echo "$(machine_note) (at the end; $LOAD0 at the start), $ROUNDS rounds per size, servers alternating; medians over the rounds."
echo "CPU µs/req: the server's utime+stime over the run / requests. GC: smallredis's Go GC share of that CPU, cycles and pauses during the runs."
[ -n "$OURS_BIN" ] && [ -n "${PORT[ours]:-}" ] || echo "smallredis: n/a ($OURS_WHY)."
echo
echo "| server | keys | ops/s | p50 ms | p99 ms | p99.9 ms | CPU µs/req | RSS MB | GC CPU share | GC cycles | GC pause p50 / p99.9 / max µs | heap scanned MB |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
sort -t, -k1,1 -k2,2n "$RAW" | awk -F, -v rl="$REDIS_LABEL" '
function median(list,   a, n, i, j, t) {
	n = split(list, a, " ")
	for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{
	g = $1 SUBSEP $2
	if (!(g in seen)) { seen[g] = 1; order[++ng] = g }
	for (f = 4; f <= 15; f++) col[g, f] = col[g, f] " " $f
}
END {
	for (i = 1; i <= ng; i++) {
		g = order[i]; split(g, sk, SUBSEP)
		name = sk[1] == "ours" ? "smallredis" : rl
		m = ""
		for (f = 4; f <= 15; f++) med[f] = (col[g, f] ~ /n\/a/) ? "n/a" : median(col[g, f])
		printf "| %s | %d | %.0f k | %.3f | %.3f | %.3f | %.2f | %.0f | %s | %s | %s / %s / %s | %s |\n", name, sk[2],
			med[4] / 1000, med[5], med[6], med[7], med[8], med[9],
			med[10] == "n/a" ? "n/a" : sprintf("%.1f %%", med[10] * 100), med[11], med[12], med[13], med[14], med[15]
	}
}'
echo
echo "p99.9 at $KEYS_BIG keys over p99.9 at $KEYS_SMALL keys (target ≤ 2):"
awk -F, -v small="$KEYS_SMALL" -v big="$KEYS_BIG" '
{ v[$1, $2] = v[$1, $2] " " $7 }
function median(list,   a, n, i, j, t) {
	n = split(list, a, " ")
	for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
END {
	split("redis ours", ss, " ")
	for (i = 1; i <= 2; i++) {
		s = ss[i]
		if (((s, small) in v) && ((s, big) in v)) printf "- %s: %.2f ×\n", s == "ours" ? "smallredis" : "redis-server", median(v[s, big]) / median(v[s, small])
	}
}' "$RAW"
