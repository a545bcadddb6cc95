#!/usr/bin/env bash
# Runs Redis's own test suite (the tcl tests of Debian's redis 7.0.15 source
# package) against a freshly built smallredis, one unit at a time, each on a
# fresh server, and prints ok/err/exception counts per unit. Not part of
# make test: it needs the Debian source package and tclsh, and takes
# minutes. The tests run in Redis's "external server" mode, which skips
# those that must start servers of their own (replication, persistence).
#
#   scripts/redis-tests.sh                      # the default units below
#   scripts/redis-tests.sh unit/type/hash ...   # some units
#   DEBUG=0 scripts/redis-tests.sh              # also skip tests tagged needs:debug
#   SPAWN=1 scripts/redis-tests.sh unit/maxmemory unit/client-eviction
#                                               # units that start their own servers
#
# Knobs: PORT (7790), OUT (/tmp/redis-tests), SRC (where the source is
# unpacked, /tmp/redis-src), T (seconds per unit, 600), SRVARGS (extra
# smallredis arguments). Skipped on purpose: encodings (--ignore-encoding: we report Redis 7.2's set
# and list encodings where the 7.0 tests expect 7.0's), and, by name, tests
# that read the replication stream (SYNC) or make the server a replica
# (REPLICAOF), reload an AOF (DEBUG LOADAOF) or
# fork a BGSAVE to inspect a dict's rehashing (DEBUG HTSTATS-KEY): those
# stopped their whole file here, so the tests after them never ran; and the
# one that waits forever for Redis 7.0's tracking of a script's declared
# keys (we track what its commands read, Redis 7.2's rule).
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-7790}
OUT=${OUT:-/tmp/redis-tests}
SRC=${SRC:-/tmp/redis-src}
T=${T:-600}
mkdir -p "$OUT" "$SRC"
command -v tclsh >/dev/null || apt-get install -y -qq tcl >/dev/null
dir=$(ls -d "$SRC"/redis-7.0.15 2>/dev/null || true)
if [ -z "$dir" ]; then
	if ! grep -rqs '^Types: deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list; then
		sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources >/etc/apt/sources.list.d/debian-src.sources
		apt-get update -qq
	fi
	(cd "$SRC" && apt-get source -qq --download-only redis >/dev/null 2>&1 && tar xzf redis_7.0.15.orig.tar.gz)
	dir="$SRC/redis-7.0.15"
fi
go build -o "$OUT/smallredis" ./cmd/smallredis
printf '%s\n' 'MULTI propagation of XREADGROUP' \
	'XADD with MAXLEN > xlen can propagate correctly' 'XADD with MINID > lastid can propagate correctly' \
	'XADD with ~ MAXLEN can propagate correctly' 'XADD with ~ MAXLEN and LIMIT can propagate correctly' \
	'XADD with ~ MINID can propagate correctly' 'XADD with ~ MINID and LIMIT can propagate correctly' \
	'XTRIM with ~ MAXLEN can propagate correctly' 'Empty stream can be rewrite into AOF correctly' \
	'Stream can be rewrite into AOF correctly after XDEL lastid' \
	'XREADGROUP with NOACK creates consumer' 'Consumer without PEL is present in AOF after AOFRW' \
	'Empty stream with no lastid can be rewrite into AOF correctly' \
	'SRANDMEMBER with a dict containing long chain' \
	'BLMPOP propagate as pop with count command to replica' 'LMPOP propagate as pop with count command to replica' \
	'MULTI + LPUSH + EXPIRE + DEBUG SLEEP on blocked client, key already expired' \
	'SWAPDB wants to wake blocked client, but the key already expired' \
	'All time-to-live(TTL) in commands are propagated as absolute timestamp in milliseconds in AOF' \
	'All TTL in commands are propagated as absolute timestamp in replication stream' \
	'GETEX propagate as to replica as PERSIST, DEL, or nothing' \
	'GETEX use of PERSIST option should remove TTL after loadaof' \
	'RANDOMKEY: Lazy-expire should not be wrapped in MULTI/EXEC' \
	'SCAN: Lazy-expire should not be wrapped in MULTI/EXEC' \
	'SET - use KEEPTTL option, TTL should not be removed after loadaof' \
	'Tracking only occurs for scripts when a command calls a read-only command' \
	'Same dataset digest if saving/reloading as AOF?' 'EXPIRES after a reload (snapshot + append only file rewrite)' \
	'EXPIRES after AOF reload (without rewrite)' "Don't rehash if redis has child process" >"$OUT/skip"
tags=(--tags -needs:repl --tags -needs:save)
[ "${DEBUG:-1}" = 0 ] && tags+=(--tags -needs:debug)
units=("$@")
[ ${#units[@]} -eq 0 ] && units=(unit/type/string unit/type/incr unit/type/hash unit/type/set unit/type/zset
	unit/type/list unit/type/list-2 unit/type/list-3 unit/keyspace unit/expire unit/scan unit/sort unit/multi
	unit/pubsubshard unit/scripting unit/functions unit/tracking unit/introspection-2 unit/protocol
	unit/bitops unit/bitfield unit/geo unit/hyperloglog unit/dump unit/latency-monitor unit/pause
	unit/slowlog unit/acl unit/info-command unit/quit)
if [ "${SPAWN:-0}" = 1 ]; then
	# The harness starts its own servers (units such as unit/maxmemory and
	# unit/client-eviction): src/redis-server becomes a stand-in that prints
	# the lines the harness waits for and execs smallredis on its config
	# (its readiness probe ends with the server, zombie included, so a start
	# that fails does not hold the harness's pipe open).
	cat >"$dir/src/redis-server" <<EOF
#!/usr/bin/env bash
port=\$(awk '\$1=="port"{p=\$2} END{print p}' "\$1")
a=("\$@")
for ((i = 1; i < \${#a[@]}; i++)); do [ "\${a[i]}" = --port ] && port=\${a[i+1]}; done
echo "smallredis (for Redis's test harness) PID: \$\$"
(for i in \$(seq 1 1000); do st=\$(awk '{print \$3}' /proc/\$\$/stat 2>/dev/null); [ -n "\$st" ] && [ "\$st" != Z ] || exit; redis-cli -p "\$port" ping >/dev/null 2>&1 && { echo "Ready to accept connections"; exit; }; sleep 0.01; done) &
exec "$OUT/smallredis" "\$@" 2>&1
EOF
	chmod +x "$dir/src/redis-server"
	ln -sf "$(command -v redis-cli)" "$dir/src/redis-cli"
	printf '%s\n' 'slave buffer are counted correctly' "replica buffer don't induce eviction" \
		'propagation with eviction' 'propagation with eviction in MULTI' \
		'CONFIG SET oom-score-adj works as expected' >>"$OUT/skip"
	for u in "${units[@]}"; do
		log="$OUT/$(echo "$u" | tr / _)"
		rc=0
		(cd "$dir" && timeout "$T" ./runtest --single "$u" --timeout "$T" --clients 1 \
			--ignore-encoding "${tags[@]}" --skipfile "$OUT/skip") >"$log.log" 2>&1 || rc=$?
		echo "$u rc=$rc ok=$(grep -c '\[.*ok.*\]:' "$log.log") err=$(grep -v '^\*\*\*' "$log.log" | grep -c '\[.*err.*\]:') exception=$(grep -c 'exception' "$log.log")"
	done
	exit 0
fi
for u in "${units[@]}"; do
	log="$OUT/$(echo "$u" | tr / _)"
	redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1 || true
	# No save points, and a directory of its own: with Redis's default ones
	# a FLUSHALL would write dump.rdb where the next unit's server loads it.
	mkdir -p "$OUT/data"
	rm -f "$OUT/data/dump.rdb"
	"$OUT/smallredis" --port "$PORT" --enable-debug-command yes --save '' --dir "$OUT/data" ${SRVARGS:-} >"$log.server" 2>&1 &
	sleep 0.5
	rc=0
	(cd "$dir" && timeout "$T" ./runtest --host 127.0.0.1 --port "$PORT" --single "$u" --timeout "$T" \
		--baseport $((PORT * 4 + 1000)) --ignore-encoding "${tags[@]}" --skipfile "$OUT/skip") >"$log.log" 2>&1 || rc=$?
	echo "$u rc=$rc ok=$(grep -c '\[.*ok.*\]:' "$log.log") err=$(grep -c '\[.*err.*\]:' "$log.log") exception=$(grep -c 'exception' "$log.log")"
	redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1 || true
	wait || true
done
