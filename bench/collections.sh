#!/usr/bin/env bash
# collections.sh: memory per element of hashes, sets and sorted sets in redis-server and
# smallredis. Each shape is loaded with redis-cli --pipe into a fresh server
# of each kind (one command per element, as clients add them), and the
# growth of INFO used_memory and of the resident set (VmRSS) is divided by
# the elements loaded. Prints a Markdown table.
#
# The load goes in two halves with a measurement after each, so the table
# also shows the growth over the second half alone: what an element costs a
# server that already holds data of that shape, without the one-time costs
# the first elements pay (code pages faulted in, Go runtime metadata for
# each size class and the first collection cycles, about 1-1.5 MB here, which
# Redis pays mostly at startup). Both servers are measured the same way.
#
# Shapes:
#   small-hashes   10,000 hashes × 100 fields (9-byte field, 16-byte value): listpack
#   big-hash       one hash of 1,000,000 fields (16-byte field and value): hashtable
#   big-set        one set of 1,000,000 16-byte members: hashtable
#   intsets        2,000 sets × 500 small integers (0..499): intset
#   small-zsets    10,000 sorted sets × 100 members (3-byte member, integer score): listpack
#   big-zset       one sorted set of 1,000,000 20-byte members, random float scores: skiplist
#   big-list       one list of 1,000,000 16-byte elements (RPUSH): quicklist
#
# A server that does not answer the commands (an error reply, or fewer
# elements than loaded) gets "n/a" and the first error in its row.
#
# Environment (defaults in brackets):
#   SHAPES         the shapes to run [small-hashes big-hash big-set intsets]
#   SETTLE         seconds to wait after the load before measuring [2]
#   SMALLREDIS     smallredis binary instead of building ./cmd/smallredis
#   REDIS_SERVER   [redis-server]
#   WAIT_QUIET     wait (up to WAIT_QUIET_MAX s) for a 1-min load average below this first
set -euo pipefail
source "$(dirname "$0")/lib.sh"

SHAPES=${SHAPES:-small-hashes big-hash big-set intsets small-zsets big-zset big-list}
SETTLE=${SETTLE:-2}

# gen SHAPE writes the shape's commands (RESP) to $TMP/SHAPE.resp and sets
# ELEMS (elements loaded), KEYS (keys created), PROBE (a command and
# PROBE_WANT, its expected reply, checked on one key after the load), FIRST
# (the shape's first command, replayed to show a failing server's reply) and
# TITLE.
gen() {
	local f=$TMP/$1.resp
	case $1 in
	small-hashes)
		ELEMS=1000000 KEYS=10000 PROBE="HLEN hash:00042" PROBE_WANT=100 FIRST="HSET hash:00000 field:000 v000000-00000000"
		TITLE="10,000 hashes × 100 fields (9 + 16 bytes)"
		[ -s "$f" ] || awk 'BEGIN { for (h = 0; h < 10000; h++) for (i = 0; i < 100; i++)
			printf "*4\r\n$4\r\nHSET\r\n$10\r\nhash:%05d\r\n$9\r\nfield:%03d\r\n$16\r\nv%06d-%08d\r\n", h, i, h, i }' >"$f"
		;;
	big-hash)
		ELEMS=1000000 KEYS=1 PROBE="HLEN bighash" PROBE_WANT=1000000 FIRST="HSET bighash field:0000000000 value:0000000000"
		TITLE="one hash of 1,000,000 fields (16 + 16 bytes)"
		[ -s "$f" ] || awk 'BEGIN { for (i = 0; i < 1000000; i++)
			printf "*4\r\n$4\r\nHSET\r\n$7\r\nbighash\r\n$16\r\nfield:%010d\r\n$16\r\nvalue:%010d\r\n", i, i }' >"$f"
		;;
	big-set)
		ELEMS=1000000 KEYS=1 PROBE="SCARD bigset" PROBE_WANT=1000000 FIRST="SADD bigset member:000000000"
		TITLE="one set of 1,000,000 16-byte members"
		[ -s "$f" ] || awk 'BEGIN { for (i = 0; i < 1000000; i++)
			printf "*3\r\n$4\r\nSADD\r\n$6\r\nbigset\r\n$16\r\nmember:%09d\r\n", i }' >"$f"
		;;
	intsets)
		ELEMS=1000000 KEYS=2000 PROBE="SCARD iset:0042" PROBE_WANT=500 FIRST="SADD iset:0000 0"
		TITLE="2,000 sets × 500 small integers"
		[ -s "$f" ] || awk 'BEGIN { srand(1); for (s = 0; s < 2000; s++) {
			for (i = 0; i < 500; i++) p[i] = i
			for (i = 499; i > 0; i--) { j = int(rand() * (i + 1)); t = p[i]; p[i] = p[j]; p[j] = t }
			for (i = 0; i < 500; i++) printf "*3\r\n$4\r\nSADD\r\n$9\r\niset:%04d\r\n$%d\r\n%d\r\n", s, length(p[i] ""), p[i] } }' >"$f"
		;;
	small-zsets)
		ELEMS=1000000 KEYS=10000 PROBE="ZCARD zset:00042" PROBE_WANT=100 FIRST="ZADD zset:00000 0 m00"
		TITLE="10,000 sorted sets × 100 members (3 bytes, integer score)"
		[ -s "$f" ] || awk 'BEGIN { for (z = 0; z < 10000; z++) for (i = 0; i < 100; i++)
			printf "*4\r\n$4\r\nZADD\r\n$10\r\nzset:%05d\r\n$%d\r\n%d\r\n$3\r\nm%02d\r\n", z, length(i ""), i, i }' >"$f"
		;;
	big-zset)
		ELEMS=1000000 KEYS=1 PROBE="ZCARD bigzset" PROBE_WANT=1000000 FIRST="ZADD bigzset 1.5 member:0000000000000"
		TITLE="one sorted set of 1,000,000 20-byte members, random scores"
		[ -s "$f" ] || awk 'BEGIN { srand(2); for (i = 0; i < 1000000; i++) { s = sprintf("%.6f", rand() * 1000000)
			printf "*4\r\n$4\r\nZADD\r\n$7\r\nbigzset\r\n$%d\r\n%s\r\n$20\r\nmember:%013d\r\n", length(s), s, i } }' >"$f"
		;;
	big-list)
		ELEMS=1000000 KEYS=1 PROBE="LLEN list" PROBE_WANT=1000000 FIRST="RPUSH list v000000000000000"
		TITLE="one list of 1,000,000 16-byte elements"
		[ -s "$f" ] || awk 'BEGIN { for (i = 0; i < 1000000; i++)
			printf "*3\r\n$5\r\nRPUSH\r\n$4\r\nlist\r\n$16\r\nv%015d\r\n", i }' >"$f"
		;;
	*)
		echo "unknown shape $1" >&2
		return 1
		;;
	esac
	LOAD=$f
	# The two halves: every command of a shape has the same argument count,
	# so a command is a fixed number of lines.
	local argc lines half
	argc=$(head -n 1 "$f" | tr -d '*\r')
	lines=$(wc -l <"$f")
	half=$((lines / (2 * argc + 1) / 2 * (2 * argc + 1)))
	[ -s "$f.1" ] || head -n "$half" "$f" >"$f.1"
	[ -s "$f.2" ] || tail -n +"$((half + 1))" "$f" >"$f.2"
	HALF=$((half / (2 * argc + 1)))
}

status_kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }
used_memory() { cli "$1" INFO memory | tr -d '\r' | awk -F: '$1 == "used_memory" { print $2 }'; }
per() { awk -v a="$1" -v b="$2" -v n="$3" -v m="$4" 'BEGIN { printf "%.1f", (b - a) * m / n }'; }

# measure LABEL BIN: prints one table row for the current shape.
measure() {
	local label=$1 bin=$2
	if [ -z "$bin" ]; then
		echo "| $TITLE | $label | n/a | n/a | n/a | n/a | $OURS_WHY |"
		return
	fi
	if ! start_server "${label%% *}" "$bin" --save '' --appendonly no; then
		echo "| $TITLE | $label | n/a | n/a | n/a | n/a | did not start: $SERVER_WHY |"
		return
	fi
	local pid=$SERVER_PID port=$SERVER_PORT
	sleep 1
	local um0 rss0 um1 rss1 rssh out out2 t0 t1 t2 t3 dbsize probe err note
	um0=$(used_memory "$port")
	rss0=$(status_kb "$pid" VmRSS)
	log "$label: $TITLE"
	t0=$(date +%s.%N)
	out=$(timeout 600 "$REDIS_CLI" -p "$port" --pipe <"$LOAD.1" 2>&1 | tail -n 1) || true
	t1=$(date +%s.%N)
	sleep "$SETTLE"
	rssh=$(status_kb "$pid" VmRSS)
	t2=$(date +%s.%N)
	out2=$(timeout 600 "$REDIS_CLI" -p "$port" --pipe <"$LOAD.2" 2>&1 | tail -n 1) || true
	t3=$(date +%s.%N)
	[[ $out2 == *"errors: 0,"* ]] || out=$out2
	sleep "$SETTLE"
	dbsize=$(cli "$port" DBSIZE 2>&1 || true)
	# shellcheck disable=SC2086 # PROBE is a command and its arguments
	probe=$(cli "$port" $PROBE 2>&1 || true)
	um1=$(used_memory "$port")
	rss1=$(status_kb "$pid" VmRSS)
	note="load $(awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" 'BEGIN { printf "%.1f s", b - a + d - c }')"
	if [[ $out != *"errors: 0,"* ]] || [ "$probe" != "$PROBE_WANT" ] || [ "$dbsize" != "$KEYS" ]; then
		# Send one command of the shape again to show the server's own reply.
		# shellcheck disable=SC2086 # FIRST is a command and its arguments
		err=$(cli "$port" $FIRST 2>&1 | head -n 1 | cut -c1-100)
		echo "| $TITLE | $label | n/a | n/a | n/a | $(awk -v a="$rss1" 'BEGIN { printf "%.0f", a / 1024 }') |" \
			"not loaded: $PROBE → ${probe:0:40}, DBSIZE $dbsize (want $PROBE_WANT, $KEYS); redis-cli: ${out:0:60}; first command: $err |"
		stop_server "$pid" "$port"
		return
	fi
	local per_um=n/a
	[ -n "$um0" ] && [ -n "$um1" ] && per_um=$(per "$um0" "$um1" "$ELEMS" 1)
	echo "| $TITLE | $label | $per_um | $(per "$rss0" "$rss1" "$ELEMS" 1024) |" \
		"$(per "$rssh" "$rss1" "$((ELEMS - HALF))" 1024) |" \
		"$(awk -v a="$rss1" 'BEGIN { printf "%.0f", a / 1024 }') | $note |"
	stop_server "$pid" "$port"
}

wait_quiet
build_ours
start_note=$(machine_note)
rows=""
for shape in $SHAPES; do
	log "generating $shape"
	gen "$shape"
	rows+=$(measure "redis-server $(redis_version)" "$REDIS_SERVER")$'\n'
	rows+=$(measure smallredis "$OURS_BIN")$'\n'
done
echo
echo "### Memory per element of hashes and sets, one command per element via redis-cli --pipe"
echo
echo "Start: $start_note; end: $(machine_note). Fresh server per row, --save '' --appendonly no, loaded in two halves, measured ${SETTLE} s after each; the 2nd-half column is the growth over the second half per element of it."
echo
echo "| shape | server | used_memory Δ B/elem | RSS Δ B/elem | RSS Δ B/elem, 2nd half | RSS after, MiB | notes |"
echo "|---|---|---:|---:|---:|---:|---|"
printf '%s' "$rows"
