#!/usr/bin/env bash
# cores.sh: smallredis's throughput with 1 and 2 event loops (GOMAXPROCS=1
# and 2: the server runs one event loop per P) next to redis-server, in one
# run, servers alternating:
#
#   redis-benchmark -t set,get -c 50 -d 64 -r 1000000 -n N -P 1   (and -P 16)
#
# Per server and test: ops/s (median of the rounds), ratio to Redis, and CPU
# time per request (the server's utime+stime from /proc/PID/stat around the
# run, over the requests): on a 2-core machine redis-benchmark takes one
# core, so ops/s says little about a second event loop, and CPU per request
# shows what the loops cost each other (shared cache lines, locks).
#
# Environment (defaults in brackets):
#   N_P1 / N_P16   requests per test [300000 / 1000000]
#   ROUNDS         [3]
#   PROCS          GOMAXPROCS values to run smallredis with [1 2]
#   SMALLREDIS REDIS_SERVER WAIT_QUIET KEEP_TMP PORT_RANGE   as in bench/README.md
#
# Takes ~3 min on a quiet 2-core machine.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

N_P1=${N_P1:-300000}
N_P16=${N_P16:-1000000}
ROUNDS=${ROUNDS:-3}
PROCS=${PROCS:-1 2}
BENCH=${REDIS_BENCHMARK:-redis-benchmark}
TICK=$(getconf CLK_TCK)

build_ours
REDIS_LABEL="redis-server $(redis_version)"
declare -A PORT PID
names=(redis)
start_server redis "$REDIS_SERVER" --save '' --appendonly no || { echo "redis-server: $SERVER_WHY" >&2; exit 1; }
PORT[redis]=$SERVER_PORT PID[redis]=$SERVER_PID
if [ -n "$OURS_BIN" ]; then
	for p in $PROCS; do
		if GOMAXPROCS=$p start_server "ours$p" "$OURS_BIN" --save '' --appendonly no; then
			PORT[ours$p]=$SERVER_PORT PID[ours$p]=$SERVER_PID
			got=$(cli "$SERVER_PORT" INFO runtime | tr -d '\r' | awk -F: '$1 == "go_gomaxprocs" { print $2 }')
			[ "$got" = "$p" ] || log "ours$p: go_gomaxprocs is '$got'"
			names+=("ours$p")
		else
			OURS_WHY="did not start: $SERVER_WHY"
		fi
	done
fi

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

wait_quiet
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
RAW=$TMP/raw.csv # server,round,pipeline,test,rps,cpu_us_per_req
: >"$RAW"
for round in $(seq "$ROUNDS"); do
	# Rotate who goes first, so that no server always runs on a warmer machine.
	order=("${names[@]:round % ${#names[@]}}" "${names[@]:0:round % ${#names[@]}}")
	for P in 1 16; do
		n=$N_P1
		((P > 1)) && n=$N_P16
		for s in "${order[@]}"; do
			for t in set get; do
				[ "$t" = set ] && cli "${PORT[$s]}" FLUSHALL >/dev/null
				log "round $round, -P $P, $t, $s"
				t0=$(cpu_ticks "${PID[$s]}")
				if ! timeout 600 "$BENCH" -p "${PORT[$s]}" -t "$t" -c 50 -d 64 -r 1000000 -n "$n" -P "$P" --csv \
					>"$TMP/out.csv" 2>"$TMP/err"; then
					log "$s: redis-benchmark failed: $(head -c 300 "$TMP/err")"
					continue
				fi
				t1=$(cpu_ticks "${PID[$s]}")
				tr -d '"' <"$TMP/out.csv" | awk -F, -v s="$s" -v r="$round" -v p="$P" -v cpu="$((t1 - t0))" -v tick="$TICK" -v n="$n" \
					'$1 == "SET" || $1 == "GET" { printf "%s,%s,%s,%s,%s,%.2f\n", s, r, p, $1, $2, cpu / tick * 1e6 / n }' >>"$RAW"
			done
			kill -0 "${PID[$s]}" 2>/dev/null || { log "$s died"; tail -n 5 "$TMP"/*"${PORT[$s]}".log >&2; }
		done
	done
done
for s in "${names[@]}"; do stop_server "${PID[$s]}" "${PORT[$s]}"; done

echo
echo "### Cores: redis-benchmark -t set,get -c 50 -d 64 -r 1000000 (-n $N_P1 at -P 1, $N_P16 at -P 16)"
echo
echo "$(machine_note) (at the end; $LOAD0 at the start), $ROUNDS rounds, servers rotating; medians over the rounds."
echo "smallredis with GOMAXPROCS=p runs p event loops. CPU µs/req: the server's utime+stime over the run / requests."
[ -n "$OURS_BIN" ] || echo "smallredis: n/a ($OURS_WHY)."
echo
header="| test | $REDIS_LABEL ops/s | CPU µs/req"
sep="|---|---:|---:"
for s in "${names[@]:1}"; do
	header+=" | smallredis ${s#ours} loop(s) ops/s | × Redis | CPU µs/req"
	sep+="|---:|---:|---:"
done
echo "$header |"
echo "$sep|"
awk -F, -v list="${names[*]}" '
function median(l,   a, n, i, j, t) {
	n = split(l, a, " ")
	for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{ t = "-P " $3 " " $4; rps[$1, t] = rps[$1, t] " " $5; cpu[$1, t] = cpu[$1, t] " " $6 }
END {
	ns = split(list, ss, " ")
	split("-P 1 SET|-P 1 GET|-P 16 SET|-P 16 GET", ts, "|")
	for (i = 1; i <= 4; i++) {
		t = ts[i]
		if (!(("redis", t) in rps)) continue
		r = median(rps["redis", t])
		line = sprintf("| %s | %.0f k | %.2f", t, r / 1000, median(cpu["redis", t]))
		for (j = 2; j <= ns; j++) {
			s = ss[j]
			if ((s, t) in rps) line = line sprintf(" | %.0f k | %.2f × | %.2f", median(rps[s, t]) / 1000, median(rps[s, t]) / r, median(cpu[s, t]))
			else line = line " | n/a | n/a | n/a"
		}
		print line " |"
	}
}' "$RAW"
