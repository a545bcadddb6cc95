#!/usr/bin/env bash
# greedy.sh: what does a client that never reads its replies cost the server?
# For redis-server and smallredis, each in a fresh process: store one VALUE-byte
# string, have one connection send GETS GETs of it in one write and never read,
# while other connections PING (bench/greedy); then the same with
# client-output-buffer-limit normal LIMIT 0 0. Prints a Markdown table: time to
# run the GETs (or to close the client at its limit), PING latency meanwhile,
# RSS before, at peak, while held and after the client left.
#
# Environment (defaults in brackets):
#   GETS        [50]
#   VALUE       [10485760]
#   LIMIT       [64mb]
#   SMALLREDIS  smallredis binary instead of building ./cmd/smallredis
#   REDIS_SERVER [redis-server]
#   WAIT_QUIET  wait (up to WAIT_QUIET_MAX s) for a 1-min load average below this first
set -euo pipefail
source "$(dirname "$0")/lib.sh"

GETS=${GETS:-50}
VALUE=${VALUE:-10485760}
LIMIT=${LIMIT:-64mb}

build_ours
BENCH=$TMP/greedy-bench
(cd "$ROOT" && go build -o "$BENCH" ./bench/greedy)

# run LABEL BIN LIMITNOTE [server args...]: prints one table row.
run() {
	local label=$1 bin=$2 note=$3
	shift 3
	if [ -z "$bin" ]; then
		echo "| $label | $note | n/a: $OURS_WHY | | | | | | |"
		return
	fi
	if ! start_server "${label%% *}" "$bin" --save '' --appendonly no "$@"; then
		echo "| $label | $note | did not start: $SERVER_WHY | | | | | | |"
		return
	fi
	local pid=$SERVER_PID port=$SERVER_PORT out
	log "$label, $note"
	out=$("$BENCH" -addr "127.0.0.1:$port" -pid "$pid" -gets "$GETS" -value "$VALUE" -json) || true
	stop_server "$pid" "$port"
	if [ -z "$out" ]; then
		echo "| $label | $note | bench failed | | | | | | |"
		return
	fi
	echo "$out" >"$TMP/row.json"
	python3 - "$TMP/row.json" "$label" "$note" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
mib = lambda n: f"{n / 2**20:.0f} MiB"
what = "closed at its limit" if r["closed_by_server"] else "all ran"
print(f"| {sys.argv[2]} | {sys.argv[3]} | {r['run_seconds']:.2f} s ({what}) | {r['ping_p99_ms']:.1f} / {r['ping_max_ms']:.1f} ms "
      f"| {mib(r['rss_before'])} | {mib(r['peak_rss'])} | {mib(r['rss_held'])} | {mib(r['rss_after'])} | {r['settle_seconds']:.1f} s |")
PY
}

wait_quiet
REDIS_LABEL="redis-server $(redis_version)"
rows=$(
	run "$REDIS_LABEL" "$REDIS_SERVER" "no limit"
	run smallredis "$OURS_BIN" "no limit"
	run "$REDIS_LABEL" "$REDIS_SERVER" "normal $LIMIT 0 0" --client-output-buffer-limit normal "$LIMIT" 0 0
	run smallredis "$OURS_BIN" "normal $LIMIT 0 0" --client-output-buffer-limit normal "$LIMIT" 0 0
)
echo
echo "### A client that sends $GETS × GET of a $VALUE-byte value and never reads"
echo
echo "$(machine_note); fresh server each, --save '' --appendonly no. PING p99 / max over 4 other connections"
echo "while the GETs run and for 2 s after; RSS from /proc/PID/status (peak: VmHWM); 'after' is once the client has"
echo "closed, when RSS is back within 10 % of before (or 10 s passed), which 'back in' gives."
echo
echo "| server | client-output-buffer-limit | GETs | PING p99 / max | RSS before | peak | held | after | back in |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
echo "$rows"
