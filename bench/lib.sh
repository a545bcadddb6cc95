# bench/lib.sh: helpers the bench scripts source (not run on its own).
# Servers are started on free loopback ports, tracked by PID, and stopped
# (SHUTDOWN NOSAVE, then SIGTERM to that PID) when the script exits.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REDIS_SERVER=${REDIS_SERVER:-redis-server}
REDIS_CLI=${REDIS_CLI:-redis-cli}
TMP=$(mktemp -d /tmp/smallredis-bench.XXXXXX)
STARTED_PIDS=()

cleanup() {
	local pid
	for pid in "${STARTED_PIDS[@]}"; do
		kill -0 "$pid" 2>/dev/null && kill "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "[$(date +%T)] $*" >&2; }

# free_port prints a loopback TCP port no socket uses, below the ephemeral
# range so that our own client connections cannot take it meanwhile, or
# within PORT_RANGE (lo-hi) if set.
free_port() {
	local port low base=10000
	low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
	if [ -n "${PORT_RANGE:-}" ]; then
		base=${PORT_RANGE%-*} low=$((${PORT_RANGE#*-} + 1))
	fi
	while :; do
		port=$((base + RANDOM % (low - base)))
		if [ -z "$(ss -Htan "sport = :$port" 2>/dev/null)" ]; then
			echo "$port"
			return
		fi
	done
}

# to_bytes converts a redis.conf memory size (64mb, 1gb, 100k, 12345) to
# bytes the way Redis does: k/m/g are powers of 1000, kb/mb/gb of 1024.
to_bytes() {
	local v=${1,,} n unit
	n=${v%%[a-z]*}
	unit=${v#"$n"}
	case $unit in
	"" | b) echo "$n" ;;
	k) echo $((n * 1000)) ;;
	kb) echo $((n * 1024)) ;;
	m) echo $((n * 1000 * 1000)) ;;
	mb) echo $((n * 1024 * 1024)) ;;
	g) echo $((n * 1000 * 1000 * 1000)) ;;
	gb) echo $((n * 1024 * 1024 * 1024)) ;;
	*) echo "bad memory size: $1" >&2 && return 1 ;;
	esac
}

# build_ours sets OURS_BIN to a smallredis binary ($SMALLREDIS, or a fresh
# build of ./cmd/smallredis), or to "" with OURS_WHY saying why not.
build_ours() {
	OURS_BIN=${SMALLREDIS:-}
	OURS_WHY=""
	if [ -n "$OURS_BIN" ]; then
		return
	fi
	if (cd "$ROOT" && go build -o "$TMP/smallredis" ./cmd/smallredis) >"$TMP/build.log" 2>&1; then
		OURS_BIN=$TMP/smallredis
	else
		OURS_WHY="does not build: $(grep -m1 -v '^#' "$TMP/build.log")"
		log "smallredis $OURS_WHY"
	fi
}

# start_server NAME BIN ARGS... starts BIN on a free port with ARGS and
# waits until it answers PING. Sets SERVER_PID, SERVER_PORT, SERVER_LOG;
# returns 1 (with the log's last line in SERVER_WHY) if it does not come up.
# A port lost to a race is retried on another port.
start_server() {
	local try
	for try in 1 2 3; do
		start_server_once "$@" && return 0
		grep -qiE 'address already in use|failed listening' "$SERVER_LOG" || return 1
	done
	return 1
}

start_server_once() {
	local name=$1 bin=$2
	shift 2
	SERVER_PORT=$(free_port)
	SERVER_LOG=$TMP/$name-$SERVER_PORT.log
	SERVER_WHY=""
	"$bin" --port "$SERVER_PORT" --bind 127.0.0.1 "$@" >"$SERVER_LOG" 2>&1 &
	SERVER_PID=$!
	STARTED_PIDS+=("$SERVER_PID")
	local i
	for i in $(seq 100); do
		if ! kill -0 "$SERVER_PID" 2>/dev/null; then
			SERVER_WHY=$(grep -v '^\s*$' "$SERVER_LOG" | tail -n 1 | cut -c1-160)
			return 1
		fi
		if [ "$("$REDIS_CLI" -p "$SERVER_PORT" PING 2>/dev/null)" = PONG ]; then
			return 0
		fi
		sleep 0.1
	done
	SERVER_WHY="no PONG within 10 s"
	stop_server "$SERVER_PID" "$SERVER_PORT"
	return 1
}

# stop_server PID PORT
stop_server() {
	local pid=$1 port=$2 i
	timeout 10 "$REDIS_CLI" -p "$port" SHUTDOWN NOSAVE >/dev/null 2>&1 || true
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill "$pid" 2>/dev/null
		sleep 0.5
	fi
	wait "$pid" 2>/dev/null || true
}

# cli PORT ARGS... runs one redis-cli command with a time limit.
cli() {
	local port=$1
	shift
	timeout 30 "$REDIS_CLI" -p "$port" "$@"
}

redis_version() { "$REDIS_SERVER" --version | grep -o 'v=[0-9.]*' | cut -c3-; }

# machine_note prints the date, cores and load average, for a results header:
# other work on the machine (builds, tests) moves these numbers.
machine_note() { echo "$(date -u '+%F %H:%M') UTC, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"; }

# wait_quiet waits (at most WAIT_QUIET_MAX seconds, default 600) until the
# 1-minute load average is below WAIT_QUIET, if WAIT_QUIET is set: on a
# shared machine that is the difference between a measurement and noise.
wait_quiet() {
	[ -n "${WAIT_QUIET:-}" ] || return 0
	local deadline=$(($(date +%s) + ${WAIT_QUIET_MAX:-600})) l
	while :; do
		l=$(cut -d' ' -f1 /proc/loadavg)
		awk -v l="$l" -v q="$WAIT_QUIET" 'BEGIN { exit !(l < q) }' && return 0
		if (($(date +%s) >= deadline)); then
			log "load average still $l, going ahead"
			return 0
		fi
		log "load average $l ≥ $WAIT_QUIET, waiting"
		sleep 15
	done
}

# start_both [ARGS...] starts redis-server (exiting if it cannot) and, when
# it was built, smallredis, both without persistence and with ARGS (e.g.
# --maxmemory 64mb); the arrays REDIS_ARGS and OURS_ARGS, if set, add
# arguments for one server only. Sets PORT[name] and PID[name] for
# names=(redis [ours]); OURS_WHY says why smallredis is missing.
start_both() {
	declare -gA PORT PID
	names=(redis)
	start_server redis "$REDIS_SERVER" --save '' --appendonly no "$@" ${REDIS_ARGS[@]+"${REDIS_ARGS[@]}"} ||
		{ echo "redis-server: $SERVER_WHY" >&2; exit 1; }
	PORT[redis]=$SERVER_PORT PID[redis]=$SERVER_PID
	if [ -n "$OURS_BIN" ]; then
		if start_server smallredis "$OURS_BIN" --save '' --appendonly no "$@" ${OURS_ARGS[@]+"${OURS_ARGS[@]}"}; then
			PORT[ours]=$SERVER_PORT PID[ours]=$SERVER_PID
			names+=(ours)
		else
			OURS_WHY="did not start: $SERVER_WHY"
		fi
	fi
}
