#!/usr/bin/env bash
# Installs the test dependencies of smallredis: redis-server (the reference
# server some tests compare against) and redis-tools (redis-cli), from Debian's
# packages, and only when they are missing.
#
# Works non-interactively (CI=true, no stdin). Debian's redis-server package
# starts a system-wide redis service on install; this script prevents that with
# a temporary /usr/sbin/policy-rc.d that returns 101 ("action forbidden"), as
# described in /usr/share/doc/init-system-helpers/README.policy-rc.d, and
# removes it (restoring any previous one) afterwards.
set -euo pipefail

log() { printf 'deps: %s\n' "$*"; }

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)

if [[ ${#missing[@]} -eq 0 ]]; then
	log "redis-server and redis-cli already present, nothing to install"
	log "  $(redis-server --version)"
	log "  $(redis-cli --version)"
	exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
	log "missing ${missing[*]} and apt-get is not available; install redis-server and redis-cli by hand" >&2
	exit 1
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
	if ! command -v sudo >/dev/null 2>&1; then
		log "not root and sudo is not available; cannot install ${missing[*]}" >&2
		exit 1
	fi
	# -n: never prompt (there is no stdin in CI); fail instead.
	sudo=(sudo -n)
fi

policy=/usr/sbin/policy-rc.d
backup=""
cleanup() {
	if [[ -n $backup ]]; then
		"${sudo[@]}" mv -f "$backup" "$policy"
	else
		"${sudo[@]}" rm -f "$policy"
	fi
}

if [[ -e $policy ]]; then
	backup=$policy.smallredis-backup
	"${sudo[@]}" cp -p "$policy" "$backup"
fi
trap cleanup EXIT
printf '#!/bin/sh\n# Temporary, from smallredis scripts/deps.sh: do not start services.\nexit 101\n' |
	"${sudo[@]}" tee "$policy" >/dev/null
"${sudo[@]}" chmod 0755 "$policy"

apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get
	-o DPkg::Lock::Timeout=600 -o Dpkg::Use-Pty=0)

log "apt-get update"
"${apt[@]}" -q update </dev/null

log "apt-get install redis-server redis-tools (services will not be started)"
"${apt[@]}" -q -y --no-install-recommends \
	-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
	install redis-server redis-tools </dev/null

for cmd in redis-server redis-cli; do
	if ! command -v "$cmd" >/dev/null 2>&1; then
		log "$cmd still not found on PATH after install" >&2
		exit 1
	fi
done
log "installed: $(redis-server --version)"
log "installed: $(redis-cli --version)"
