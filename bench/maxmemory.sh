#!/usr/bin/env bash
# maxmemory.sh: does the server stay inside maxmemory under a write flood?
# For redis-server and smallredis, each in a fresh process: write TOTAL bytes
# of distinct VALUE-byte values through CONNS pipelined connections (bench/maxmemory)
# at maxmemory MAXMEMORY with POLICY, sampling INFO memory all along, then do the
# same with noeviction and NOEVICT_TOTAL bytes, where writes must get -OOM while
# GET and DEL keep working. Prints a Markdown table; exits 1 if smallredis broke
# a budget (an error reply, used_memory more than 64 KB over maxmemory in any
# sample, peak RSS above 1.3 × maxmemory + 32 MB).
#
# Environment (defaults in brackets):
#   MAXMEMORY      [128mb]
#   POLICY         [allkeys-lru]
#   TOTAL          [2gb]
#   NOEVICT_TOTAL  [256mb]
#   VALUE          [1024]
#   CONNS          [4]
#   PIPELINE       [64]
#   SMALLREDIS     smallredis binary instead of building ./cmd/smallredis
#   REDIS_SERVER   [redis-server]
#   WAIT_QUIET     wait (up to WAIT_QUIET_MAX s) for a 1-min load average below this first
set -euo pipefail
source "$(dirname "$0")/lib.sh"

MAXMEMORY=${MAXMEMORY:-128mb}
POLICY=${POLICY:-allkeys-lru}
TOTAL=${TOTAL:-2gb}
NOEVICT_TOTAL=${NOEVICT_TOTAL:-256mb}
VALUE=${VALUE:-1024}
CONNS=${CONNS:-4}
PIPELINE=${PIPELINE:-64}

build_ours
BENCH=$TMP/maxmemory-bench
(cd "$ROOT" && go build -o "$BENCH" ./bench/maxmemory)

FAILED=0

# run LABEL BIN POLICY TOTAL [bench flags...]: prints one table row.
run() {
	local label=$1 bin=$2 policy=$3 total=$4
	shift 4
	if [ -z "$bin" ]; then
		echo "| $label | $policy | n/a | | | | | | | $OURS_WHY |"
		return
	fi
	if ! start_server "${label%% *}" "$bin" --save '' --appendonly no --maxmemory "$MAXMEMORY" --maxmemory-policy "$policy"; then
		echo "| $label | $policy | n/a | | | | | | | did not start: $SERVER_WHY |"
		return
	fi
	local pid=$SERVER_PID port=$SERVER_PORT out rc=0
	log "$label, $policy: writing $total"
	out=$("$BENCH" -addr "127.0.0.1:$port" -pid "$pid" -total "$total" -value "$VALUE" \
		-conns "$CONNS" -pipeline "$PIPELINE" -check -json "$@") || rc=$?
	stop_server "$pid" "$port"
	if [ -z "$out" ]; then
		echo "| $label | $policy | bench failed (exit $rc) | | | | | | | |"
		[ "${label%% *}" = smallredis ] && FAILED=1
		return
	fi
	[ "$rc" -ne 0 ] && [ "${label%% *}" = smallredis ] && FAILED=1
	echo "$out" >"$TMP/$label-$policy.json"
	python3 - "$TMP/$label-$policy.json" "$label" "$policy" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
mib = lambda n: f"{n / 2**20:.1f}"
errs = ", ".join(f"{k} {v}" for k, v in sorted(r["error_replies"].items())) or "none"
verdict = "PASS" if not r.get("failures") else "FAIL: " + "; ".join(r["failures"])
extra = f"; GET/DEL after OOM: {r['reads_after']}" if r.get("reads_after") else ""
print(f"| {sys.argv[2]} | {sys.argv[3]} | {r['sets_sent']:,} in {r['seconds']:.1f} s ({r['sets_per_sec']:,.0f}/s) | {errs} "
      f"| {r['peak_used_memory'] - r['maxmemory']:+,} B ({r['info_samples']:,} samples) | {mib(r['peak_rss_bytes'])} MiB "
      f"= {r['peak_rss_bytes'] / r['maxmemory']:.2f}× | {r['evicted_keys']:,} | {r['dbsize']:,} | {verdict}{extra} |")
EOF
}

wait_quiet
REDIS_LABEL="redis-server $(redis_version)"
rows=$(
	run "$REDIS_LABEL" "$REDIS_SERVER" "$POLICY" "$TOTAL"
	run smallredis "$OURS_BIN" "$POLICY" "$TOTAL"
	run "$REDIS_LABEL" "$REDIS_SERVER" noeviction "$NOEVICT_TOTAL" -expect-oom
	run smallredis "$OURS_BIN" noeviction "$NOEVICT_TOTAL" -expect-oom
)
echo
echo "### maxmemory $MAXMEMORY under a write flood: $TOTAL of distinct $VALUE-byte values, $CONNS connections × pipeline $PIPELINE"
echo
echo "$(machine_note); fresh server each, --save '' --appendonly no. Peak used_memory is the highest INFO memory sample"
echo "(taken back to back on another connection) minus maxmemory; peak RSS is VmHWM from /proc/PID/status."
echo "Budget: no error reply (noeviction: only -OOM, and GET/DEL still work), used_memory ≤ maxmemory + 64 KB,"
echo "peak RSS ≤ 1.3 × maxmemory + 32 MB."
echo
echo "| server | policy | SETs | errors | peak used_memory − maxmemory | peak RSS | evicted_keys | keys kept | verdict |"
echo "|---|---|---:|---|---:|---:|---:|---:|---|"
echo "$rows"
if [ -z "$OURS_BIN" ] || [ "$FAILED" -ne 0 ]; then
	exit 1
fi
