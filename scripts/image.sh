#!/usr/bin/env bash
# Builds the smallredis container image without a Docker daemon, using crane
# (github.com/google/go-containerregistry), then checks it.
#
#   1. static binary (CGO_ENABLED=0, -trimpath, -s -w, profile-guided with
#      cmd/smallredis/default.pgo)
#   2. one layer: /smallredis (0755) plus /etc/passwd and /etc/group with the
#      non-root user smallredis, uid/gid 65532, and /data (0755, owned by it):
#      the working directory, where the RDB file goes (save points, SAVE,
#      SHUTDOWN), as in the official Redis image
#   3. image config: entrypoint ["/smallredis"], user 65532:65532,
#      working directory /data, exposed port 2345/tcp, set through a throw-away in-memory registry
#      (`crane registry serve` on a free loopback port) since `crane mutate`
#      needs a registry reference
#   4. bin/smallredis.tar, tagged smallredis:latest, in the format `docker save`
#      writes (manifest.json + config + layers; OCI media types inside), which
#      `docker load` and `podman load` accept
#   5. checks: config, layer contents, size limit, and a smoke test that runs the
#      binary extracted from bin/smallredis.tar and expects PONG from redis-cli
#
# Environment:
#   IMAGE_MAX_BYTES   size limit for bin/smallredis.tar (default 8000000 = 8 MB)
#   SMALLREDIS_BINARY use this prebuilt static linux binary instead of building
#   GOARCH            target architecture (default: go env GOARCH)
set -euo pipefail

CRANE_VERSION=v0.22.1
CRANE_MODULE=github.com/google/go-containerregistry/cmd/crane
IMAGE_TAG=smallredis:latest
IMAGE_USER=65532:65532
IMAGE_PORT=2345/tcp
IMAGE_WORKDIR=/data
IMAGE_MAX_BYTES=${IMAGE_MAX_BYTES:-8000000}

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$(pwd)

log() { printf 'image: %s\n' "$*"; }
die() {
	printf 'image: ERROR: %s\n' "$*" >&2
	exit 1
}
mb() { awk -v b="$1" 'BEGIN { printf "%.2f MB (%.2f MiB)", b / 1000000, b / 1048576 }'; }

work=$(mktemp -d "${TMPDIR:-/tmp}/smallredis-image.XXXXXX")
registry_pid=""
server_pid=""
cleanup() {
	local pid
	for pid in "$server_pid" "$registry_pid"; do
		if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
			kill "$pid" 2>/dev/null || true
			wait "$pid" 2>/dev/null || true
		fi
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- tools
command -v go >/dev/null 2>&1 || die "go is not on PATH"

# crane: a pinned version; reuse one already installed, else install it into
# bin/tools (project-local, ignored by git).
crane=""
gobin=$(go env GOBIN)
[[ -n $gobin ]] || gobin=$(go env GOPATH)/bin
for c in "$repo/bin/tools/crane" "$(command -v crane || true)" "$gobin/crane"; do
	if [[ -n $c && -x $c ]] && [[ $("$c" version 2>/dev/null) == "$CRANE_VERSION" ]]; then
		crane=$c
		break
	fi
done
if [[ -z $crane ]]; then
	log "installing crane $CRANE_VERSION into bin/tools"
	mkdir -p "$repo/bin/tools"
	GOBIN="$repo/bin/tools" CGO_ENABLED=0 go install "$CRANE_MODULE@$CRANE_VERSION"
	crane=$repo/bin/tools/crane
fi
log "crane: $crane ($("$crane" version))"

if ! command -v redis-cli >/dev/null 2>&1; then
	log "redis-cli (needed for the smoke test) is missing; running scripts/deps.sh"
	bash "$repo/scripts/deps.sh"
fi

# ---------------------------------------------------------------- 1. binary
goarch=${GOARCH:-$(go env GOARCH)}
mkdir -p bin
if [[ -n ${SMALLREDIS_BINARY:-} ]]; then
	log "using prebuilt binary $SMALLREDIS_BINARY"
	install -m 0755 "$SMALLREDIS_BINARY" bin/smallredis
else
	log "building static binary bin/smallredis (linux/$goarch)"
	CGO_ENABLED=0 GOOS=linux GOARCH=$goarch \
		go build -trimpath -ldflags='-s -w' -o bin/smallredis ./cmd/smallredis
	go version -m bin/smallredis | grep -q 'CGO_ENABLED=0' ||
		die "bin/smallredis was not built with CGO_ENABLED=0"
	# go build's default -pgo=auto compiles with cmd/smallredis/default.pgo
	# (bench/pgo.sh): a shipped binary without it is a few % slower.
	if [[ -f cmd/smallredis/default.pgo ]]; then
		go version -m bin/smallredis | grep -q -- '-pgo=' ||
			die "bin/smallredis was not built with cmd/smallredis/default.pgo"
		log "profile-guided build: $(go version -m bin/smallredis | grep -o -- '-pgo=[^[:space:]]*')"
	fi
fi
log "binary size: $(stat -c %s bin/smallredis) bytes"

# ---------------------------------------------------------------- 2. layer
rootfs=$work/rootfs
mkdir -p "$rootfs/etc"
install -m 0755 bin/smallredis "$rootfs/smallredis"
printf '%s\n' \
	'root:x:0:0:root:/root:/sbin/nologin' \
	'smallredis:x:65532:65532:smallredis:/nonexistent:/sbin/nologin' \
	>"$rootfs/etc/passwd"
printf '%s\n' \
	'root:x:0:' \
	'smallredis:x:65532:' \
	>"$rootfs/etc/group"
chmod 0755 "$rootfs/etc"
chmod 0644 "$rootfs/etc/passwd" "$rootfs/etc/group"
# Reproducible: fixed order, owner and timestamps.
tar --create --file="$work/layer.tar" --directory="$rootfs" \
	--format=ustar --sort=name --owner=0 --group=0 --numeric-owner \
	--mtime="@${SOURCE_DATE_EPOCH:-0}" \
	smallredis etc
mkdir -m 0755 "$rootfs/data"
tar --append --file="$work/layer.tar" --directory="$rootfs" \
	--format=ustar --owner=65532 --group=65532 --numeric-owner \
	--mtime="@${SOURCE_DATE_EPOCH:-0}" --no-recursion \
	data
log "layer contents:"
tar --list --verbose --numeric-owner --file="$work/layer.tar" | sed 's/^/    /'

# ---------------------------------------------------------------- 3. registry
log "starting a throw-away registry on 127.0.0.1"
"$crane" registry serve --address 127.0.0.1:0 >"$work/registry.log" 2>&1 &
registry_pid=$!
port=""
for _ in $(seq 1 100); do
	port=$(sed -n 's/.*serving on port \([0-9][0-9]*\).*/\1/p' "$work/registry.log" | head -n 1)
	[[ -n $port ]] && break
	kill -0 "$registry_pid" 2>/dev/null || break
	sleep 0.1
done
if [[ -z $port ]]; then
	cat "$work/registry.log" >&2
	die "crane registry serve did not start"
fi
ref=127.0.0.1:$port/smallredis:latest
log "registry at 127.0.0.1:$port"

log "crane append (empty OCI base + layer) -> $ref"
"$crane" append --insecure --oci-empty-base -f "$work/layer.tar" -t "$ref"

# ---------------------------------------------------------------- 4. config + tarball
rm -f bin/smallredis.tar
log "crane mutate (entrypoint, user, port, platform) -> bin/smallredis.tar as $IMAGE_TAG"
"$crane" mutate --insecure "$ref" \
	--entrypoint /smallredis \
	--cmd=--protected-mode,no \
	--user "$IMAGE_USER" \
	--workdir "$IMAGE_WORKDIR" \
	--exposed-ports "$IMAGE_PORT" \
	--set-platform "linux/$goarch" \
	-t "$IMAGE_TAG" -o bin/smallredis.tar

# ---------------------------------------------------------------- 5. checks
log "checking bin/smallredis.tar"
tar --list --verbose --file=bin/smallredis.tar | sed 's/^/    /'
check=$work/check
mkdir -p "$check"
tar --extract --file=bin/smallredis.tar --directory="$check" manifest.json
manifest=$(cat "$check/manifest.json")
log "manifest.json: $manifest"
grep -qF '"RepoTags":["'"$IMAGE_TAG"'"]' <<<"$manifest" ||
	die "manifest.json does not tag the image $IMAGE_TAG"
config_file=$(sed -n 's/.*"Config":"\([^"]*\)".*/\1/p' <<<"$manifest")
mapfile -t layer_files < <(sed -n 's/.*"Layers":\[\([^]]*\)\].*/\1/p' <<<"$manifest" | tr ',' '\n' | tr -d '"')
[[ -n $config_file ]] || die "no config in manifest.json"
[[ ${#layer_files[@]} -eq 1 ]] || die "expected exactly 1 layer, found ${#layer_files[@]}"
tar --extract --file=bin/smallredis.tar --directory="$check" "$config_file" "${layer_files[0]}"

config=$(cat "$check/$config_file")
log "image config: $config"
for want in \
	'"Entrypoint":["/smallredis"]' \
	'"Cmd":["--protected-mode","no"]' \
	'"User":"'"$IMAGE_USER"'"' \
	'"WorkingDir":"'"$IMAGE_WORKDIR"'"' \
	'"ExposedPorts":{"'"$IMAGE_PORT"'":{}}' \
	'"os":"linux"' \
	'"architecture":"'"$goarch"'"'; do
	grep -qF "$want" <<<"$config" || die "image config lacks $want"
done
log "config OK: entrypoint [\"/smallredis\"], user $IMAGE_USER, workdir $IMAGE_WORKDIR, exposed $IMAGE_PORT, linux/$goarch"

# The tarball must be loadable: push it back and read it as a registry client would.
"$crane" push --insecure bin/smallredis.tar "127.0.0.1:$port/smallredis:loaded" >/dev/null
"$crane" config --insecure "127.0.0.1:$port/smallredis:loaded" | grep -qF '"Entrypoint":["/smallredis"]' ||
	die "crane config of the pushed tarball lacks the entrypoint"
log "crane push + crane config of bin/smallredis.tar OK"

layer=$check/${layer_files[0]}
listing=$(tar --list --verbose --numeric-owner --gzip --file="$layer")
grep -qE '^-rwxr-xr-x 0/0 .* smallredis$' <<<"$listing" || die "layer lacks /smallredis with mode 0755 owned by 0:0"
grep -qE '^drwxr-xr-x 65532/65532 .* data/?$' <<<"$listing" || die "layer lacks /data with mode 0755 owned by 65532:65532"
for f in etc/passwd etc/group; do
	grep -qE "^-rw-r--r-- 0/0 .* $f\$" <<<"$listing" || die "layer lacks /$f"
done
extract=$check/rootfs
mkdir -p "$extract"
tar --extract --gzip --file="$layer" --directory="$extract"
grep -qx 'smallredis:x:65532:65532:smallredis:/nonexistent:/sbin/nologin' "$extract/etc/passwd" ||
	die "/etc/passwd lacks the smallredis user"
grep -qx 'smallredis:x:65532:' "$extract/etc/group" || die "/etc/group lacks the smallredis group"
cmp -s "$extract/smallredis" bin/smallredis || die "/smallredis in the image differs from bin/smallredis"
log "layer OK: /smallredis 0755, /etc/passwd and /etc/group with smallredis 65532:65532"

tar_bytes=$(stat -c %s bin/smallredis.tar)
layer_bytes=$(stat -c %s "$layer")
bin_bytes=$(stat -c %s bin/smallredis)
log "size: binary (uncompressed)  $bin_bytes bytes = $(mb "$bin_bytes")"
log "size: layer (gzip)           $layer_bytes bytes = $(mb "$layer_bytes")"
log "size: bin/smallredis.tar     $tar_bytes bytes = $(mb "$tar_bytes")"
if ((tar_bytes > IMAGE_MAX_BYTES)); then
	die "bin/smallredis.tar is $tar_bytes bytes, over the limit of $IMAGE_MAX_BYTES bytes ($(mb "$IMAGE_MAX_BYTES"))"
fi
log "size OK: $tar_bytes <= $IMAGE_MAX_BYTES bytes"

# ---------------------------------------------------------------- smoke test
# Runs the binary extracted from the image. As root, run it as the image's
# user 65532:65532 from a directory it cannot write to, as in the container.
port_in_use() { (: <"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
run_as=()
if [[ $(id -u) -eq 0 ]] && command -v setpriv >/dev/null 2>&1; then
	run_as=(setpriv --reuid=65532 --regid=65532 --clear-groups)
	chmod 0755 "$work" "$check" "$extract"
fi
ok=""
for attempt in 1 2 3 4 5; do
	smoke_port=$((20000 + RANDOM % 30000))
	port_in_use "$smoke_port" && continue
	log "smoke test (attempt $attempt): ${run_as[*]:+${run_as[*]} }/smallredis --port $smoke_port"
	(cd "$extract$IMAGE_WORKDIR" && exec "${run_as[@]}" "$extract/smallredis" --port "$smoke_port") >"$work/server.log" 2>&1 &
	server_pid=$!
	reply=""
	for _ in $(seq 1 100); do
		kill -0 "$server_pid" 2>/dev/null || break
		reply=$(redis-cli -h 127.0.0.1 -p "$smoke_port" ping 2>/dev/null || true)
		[[ $reply == PONG ]] && break
		sleep 0.1
	done
	if [[ $reply == PONG ]] && kill -0 "$server_pid" 2>/dev/null; then
		ok=yes
		break
	fi
	log "no PONG on port $smoke_port (reply: '${reply}'); server output:"
	sed 's/^/    /' "$work/server.log" >&2
	kill "$server_pid" 2>/dev/null || true
	wait "$server_pid" 2>/dev/null || true
	server_pid=""
done
[[ -n $ok ]] || die "smoke test failed: the image's /smallredis did not answer PING"
# The image's user can write its snapshot in the working directory (the
# default save points would otherwise turn into MISCONF on every write).
[[ $(redis-cli -h 127.0.0.1 -p "$smoke_port" set smoke yes) == OK ]] || die "smoke test: SET failed"
save_reply=$(redis-cli -h 127.0.0.1 -p "$smoke_port" save)
[[ $save_reply == OK ]] || die "smoke test: SAVE in $IMAGE_WORKDIR as $IMAGE_USER answered '$save_reply'"
[[ -s $extract$IMAGE_WORKDIR/dump.rdb ]] || die "smoke test: SAVE wrote no $IMAGE_WORKDIR/dump.rdb"
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=""
log "smoke test OK: redis-cli -p $smoke_port ping -> PONG, SAVE -> $IMAGE_WORKDIR/dump.rdb"

log "done: bin/smallredis.tar ($IMAGE_TAG), $tar_bytes bytes = $(mb "$tar_bytes")"
log "load it with: docker load -i bin/smallredis.tar && docker run --rm -p 2345:2345 $IMAGE_TAG"
