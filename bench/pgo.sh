#!/usr/bin/env bash
# pgo.sh: the profile behind smallredis's profile-guided build.
#
#   bench/pgo.sh       regenerates cmd/smallredis/default.pgo
#   bench/pgo.sh ab    measures what it buys: the -pgo=off build against the
#                      default (PGO) build, side by side
#
# `go build` (-pgo=auto, the default) compiles a main package with the CPU
# profile default.pgo in its directory: hot calls are inlined across
# packages and hot interface calls devirtualised. The profile must describe
# the load the binary serves, so it comes from bench/compare.sh's rows
# (SET/GET, MSET/MGET, INCR, one row per collection family, EVALSHA, PUBLISH
# fan-out, writes under eviction) run against a -pgo=off build (so a new
# profile does not depend on the old one) that profiles its whole life
# (SMALLREDIS_CPUPROFILE, written at shutdown). compare.sh starts one server
# per row group (main, evict-default, evict-lru); their profiles are merged
# (`go tool pprof -proto`), so each row weighs what it costs in CPU.
#
# Regenerate when the hot path changes shape (functions renamed, moved or
# rewritten in internal/resp, command, store, server, the scripting VM):
# the compiler matches the profile to functions by name and line offset and
# ignores what no longer matches, so a stale profile only buys less (go
# build reports nothing). Then run `bench/pgo.sh ab` and update the README's
# figure.
#
# `ab` runs compare.sh with the -pgo=off build in Redis's place: in its
# table "A" is -pgo=off and "B" the PGO build, ratios B / A; CPU µs per
# request is the figure to trust on a loaded machine.
#
# Environment (defaults in brackets):
#   ROWS ROUNDS SCALE   passed to compare.sh [all rows; 3 rounds to
#                       regenerate (~95 s of samples, ~75 KB), 5 for ab; 1]
#   PGO_OUT             where the profile goes [cmd/smallredis/default.pgo]
#   KEEP_TMP            keep the per-group profiles and logs
# Regenerating takes about 10 minutes on 2 cores at load 5-10 (Redis runs
# the rows too: it is a compare.sh run), ab 10-15 (plus two builds).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

MODE=${1:-profile}
PGO_OUT=${PGO_OUT:-$ROOT/cmd/smallredis/default.pgo}

# build OUT [go build flags...]: the binary as the Makefile and image ship it.
build() {
	local out=$1
	shift
	(cd "$ROOT" && CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' "$@" -o "$out" ./cmd/smallredis)
}

case $MODE in
profile)
	log "building smallredis with -pgo=off"
	build "$TMP/smallredis" -pgo=off
	mkdir -p "$TMP/profiles"
	# compare.sh takes the wrapper's PID as the server's (exec keeps it).
	cat >"$TMP/profiled" <<-EOF
		#!/bin/sh
		SMALLREDIS_CPUPROFILE=$TMP/profiles/\$(date +%s%N).pprof exec $TMP/smallredis "\$@"
	EOF
	chmod +x "$TMP/profiled"
	SMALLREDIS=$TMP/profiled ROUNDS=${ROUNDS:-3} OUT=$TMP/compare.csv "$ROOT/bench/compare.sh"
	profiles=("$TMP"/profiles/*.pprof)
	[ -s "${profiles[0]}" ] || { echo "pgo.sh: no profile was written" >&2; exit 1; }
	log "merging ${#profiles[@]} profiles into $PGO_OUT"
	go tool pprof -proto "${profiles[@]}" >"$TMP/merged.pgo" 2>"$TMP/merge.log" ||
		{ cat "$TMP/merge.log" >&2; exit 1; }
	mv "$TMP/merged.pgo" "$PGO_OUT"
	log "$PGO_OUT: $(stat -c %s "$PGO_OUT") bytes"
	go tool pprof -top -nodecount=25 "$PGO_OUT" 2>/dev/null | sed -n '4,35p'
	;;
ab)
	[ -s "$PGO_OUT" ] || { echo "pgo.sh: $PGO_OUT is missing: run bench/pgo.sh first" >&2; exit 1; }
	log "building smallredis twice: -pgo=off (A) and -pgo=$PGO_OUT (B)"
	build "$TMP/smallredis-off" -pgo=off
	build "$TMP/smallredis-pgo" -pgo="$PGO_OUT"
	# Both servers run the eviction rows under smallredis's default policy.
	start_server probe "$TMP/smallredis-off" --save '' --appendonly no ||
		{ echo "pgo.sh: smallredis does not start: $SERVER_WHY" >&2; exit 1; }
	policy=$(cli "$SERVER_PORT" CONFIG GET maxmemory-policy | tail -n 1)
	stop_server "$SERVER_PID" "$SERVER_PORT"
	out=${OUT:-${TMPDIR:-/tmp}/smallredis-pgo-ab-$(date -u +%Y%m%d-%H%M%S).csv}
	REDIS_SERVER=$TMP/smallredis-off SMALLREDIS=$TMP/smallredis-pgo EVICT_REDIS_POLICY=$policy \
		ROUNDS=${ROUNDS:-5} OUT=$out "$ROOT/bench/compare.sh" >/dev/null
	echo
	echo "A = smallredis -pgo=off, B = smallredis built with $(realpath --relative-to="$ROOT" "$PGO_OUT") ($(git -C "$ROOT" rev-parse --short HEAD)); ratios B / A."
	sed -E 's/^### .*/### smallredis -pgo=off (A) against the PGO build (B), `bench\/pgo.sh ab`/
		s/redis-server [^ ]* against smallredis/A against B/
		s#ratios are smallredis / Redis#ratios are B / A#
		/^\| row /{ s/Redis/A/g; s/smallredis/B/g }' "${out%.csv}.md"
	echo
	# One figure for the whole build: per row the medians' ratio B / A of
	# CPU per request, then their geometric mean.
	awk -F, '
	NR > 1 && $4 == "ok" {
		k = $1 SUBSEP $2; n[k]++; v[k, n[k]] = $10 + 0
		if (!($1 in seen)) { seen[$1] = 1; rows[++nr] = $1 }
	}
	function median(k,   m, i, j, a, t) {
		m = n[k]
		for (i = 1; i <= m; i++) a[i] = v[k, i]
		for (i = 2; i <= m; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
		return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
	}
	END {
		for (i = 1; i <= nr; i++) {
			r = rows[i]
			if (!n[r SUBSEP "redis"] || !n[r SUBSEP "ours"]) continue
			a = median(r SUBSEP "redis"); b = median(r SUBSEP "ours")
			if (a > 0 && b > 0) { s += log(b / a); c++ }
		}
		if (c) printf "CPU per request, B / A: geometric mean over %d rows %.3f\n", c, exp(s / c)
	}' "$out"
	echo "Raw CSV: $out"
	;;
*)
	echo "usage: bench/pgo.sh [ab]" >&2
	exit 2
	;;
esac
