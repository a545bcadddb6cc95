# syntax=docker/dockerfile:1
#
# smallredis container image.
#   docker build -t smallredis:latest .
#   docker run --rm -p 2345:2345 smallredis:latest
#
# (Without a Docker daemon, `make image` builds the same kind of image with
# crane: see scripts/image.sh.)

# ---- build stage: runs on the build host's platform, cross-compiles to the target
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
WORKDIR /src

# Module downloads in their own layer: only re-run when go.mod/go.sum change.
# (The vendored gopher-lua's go.mod is needed to resolve its replace.)
COPY go.mod go.sum* ./
COPY third_party/gopher-lua/go.mod third_party/gopher-lua/
RUN go mod download

# The sources include cmd/smallredis/default.pgo: go build (-pgo=auto)
# compiles a profile-guided binary with it (bench/pgo.sh).
COPY . .
ARG TARGETOS=linux
ARG TARGETARCH
RUN --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags='-s -w' -o /out/smallredis ./cmd/smallredis \
 && mkdir -m 0755 /out/data

# ---- final stage: static binary on distroless, non-root (uid/gid 65532)
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/smallredis /smallredis
# The working directory, where the RDB file goes (the default save points,
# SAVE, SHUTDOWN), writable by the user, as the official Redis image's /data:
# mount a volume there to keep it across containers.
COPY --from=build --chown=65532:65532 /out/data /data
VOLUME /data
WORKDIR /data
USER 65532:65532
EXPOSE 2345
ENTRYPOINT ["/smallredis"]
# As the official Redis image: a container's port is only reachable where it
# was published (-p), and clients reach it from the bridge address, not
# loopback, so protected mode would refuse them all. Any argument given to
# `docker run` replaces this (e.g. --requirepass secret keeps it on).
CMD ["--protected-mode", "no"]
