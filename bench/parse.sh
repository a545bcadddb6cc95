#!/usr/bin/env bash
# parse.sh: large and slow requests, redis-server vs smallredis, each case in
# a fresh process of each (bench/parse does the client side):
#   - one request of ARGS one-byte arguments (ECHO x x …, refused for its
#     arity once parsed): seconds to the reply, longest PING stall of 4 other
#     clients meanwhile;
#   - DEL of DEL_KEYS existing keys: the same;
#   - SET of one VALUE_MB MB value: the same, and the server's peak RSS (VmHWM);
#   - TRICKLE_CONNS clients each holding an unfinished multibulk (1 MB sent at
#     once, then a 7-byte argument every 250 ms) for TRICKLE_SECONDS: the
#     server's CPU use and another client's PING p50 / p99 / max.
# Prints a Markdown table.
#
# Environment (defaults in brackets):
#   ARGS [4000000]  DEL_KEYS [3000000]  VALUE_MB [300]
#   TRICKLE_CONNS [20]  TRICKLE_SECONDS [10]
#   SMALLREDIS     smallredis binary instead of building ./cmd/smallredis
#   REDIS_SERVER   [redis-server]
#   WAIT_QUIET     wait (up to WAIT_QUIET_MAX s) for a 1-min load average below this first
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ARGS=${ARGS:-4000000}
DEL_KEYS=${DEL_KEYS:-3000000}
VALUE_MB=${VALUE_MB:-300}
TRICKLE_CONNS=${TRICKLE_CONNS:-20}
TRICKLE_SECONDS=${TRICKLE_SECONDS:-10}

build_ours
[ -n "$OURS_BIN" ] || exit 1
(cd "$ROOT" && go build -o "$TMP/parse" ./bench/parse)

status_kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }
field() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k { print $2 }'; }

# run NAME BIN CASE ARGS...: one case against a fresh server; sets OUT (the
# client's key=value line) and HWM_MB (the server's peak RSS).
run() {
	local name=$1 bin=$2 case=$3
	shift 3
	start_server "$name" "$bin" --save '' --appendonly no || {
		log "$name did not start: $SERVER_WHY"
		return 1
	}
	local pid=$SERVER_PID port=$SERVER_PORT
	log "$name: $case"
	OUT=$(timeout 900 "$TMP/parse" -addr "127.0.0.1:$port" -pid "$pid" -case "$case" "$@")
	HWM_MB=$(($(status_kb "$pid" VmHWM) / 1024))
	stop_server "$pid" "$port"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0) printf "%.2f ×", b / a; else print "n/a" }'; }

wait_quiet
echo "$(machine_note); redis-server $(redis_version)"
echo
echo "| case | measure | redis | smallredis | smallredis / redis |"
echo "|---|---|---:|---:|---:|"

for c in manyargs del bigvalue; do
	case $c in
	manyargs) label="$ARGS-argument request"; set -- -n "$ARGS" ;;
	del) label="DEL of $DEL_KEYS keys"; set -- -n "$DEL_KEYS" ;;
	bigvalue) label="SET of a $VALUE_MB MB value"; set -- -size $((VALUE_MB << 20)) ;;
	esac
	run redis "$REDIS_SERVER" "$c" "$@"
	r_out=$OUT r_hwm=$HWM_MB
	run smallredis "$OURS_BIN" "$c" "$@"
	o_out=$OUT o_hwm=$HWM_MB
	rs=$(field "$r_out" seconds) os=$(field "$o_out" seconds)
	rp=$(field "$r_out" max_ping_ms) op=$(field "$o_out" max_ping_ms)
	echo "| $label | seconds to reply | $rs | $os | $(ratio "$rs" "$os") |"
	echo "| $label | other clients' longest PING, ms | $rp | $op | |"
	if [ "$c" = bigvalue ]; then
		echo "| $label | peak RSS, MB | $r_hwm | $o_hwm | $(ratio "$r_hwm" "$o_hwm") |"
	fi
done

set -- -conns "$TRICKLE_CONNS" -seconds "$TRICKLE_SECONDS"
run redis "$REDIS_SERVER" trickle "$@"
r_out=$OUT
run smallredis "$OURS_BIN" trickle "$@"
o_out=$OUT
label="$TRICKLE_CONNS clients trickling unfinished requests ($(field "$o_out" bytes_per_s) B/s)"
echo "| $label | server CPU, % of a core | $(field "$r_out" cpu_pct) | $(field "$o_out" cpu_pct) | |"
echo "| $label | other client's PING p50 / p99 / max, ms | $(field "$r_out" ping_p50_ms) / $(field "$r_out" ping_p99_ms) / $(field "$r_out" ping_max_ms) | $(field "$o_out" ping_p50_ms) / $(field "$o_out" ping_p99_ms) / $(field "$o_out" ping_max_ms) | |"
