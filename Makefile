# smallredis developer targets. `make test` is the one test command for a
# fresh machine (see README); CI runs .ci/run (make test, then make image).

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := test

GO       ?= go
GOFMT    ?= $(shell $(GO) env GOROOT)/bin/gofmt
FUZZTIME ?= 15s
BINARY   := bin/smallredis

.PHONY: test deps fmt-check vet unit load fuzz build run image clean

## test: the full check for a fresh machine: deps, gofmt, vet, race tests, short fuzz run
test:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory fmt-check
	@$(MAKE) --no-print-directory vet
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory load
	@$(MAKE) --no-print-directory fuzz
	@echo
	@echo "==> make test: all checks passed"

## deps: install redis-server and redis-cli (Debian packages) when missing
deps:
	@echo
	@echo "==> [1/6] dependencies: scripts/deps.sh"
	@bash scripts/deps.sh

## fmt-check: fail, listing the files, if any Go file is not gofmt-formatted
fmt-check:
	@echo
	@echo "==> [2/6] gofmt -l"
	@files=$$(find . \( -path ./.git -o -path ./bin -o -name vendor -o -name testdata \) -prune \
		-o -type f -name '*.go' -print0 | xargs -0 -r $(GOFMT) -l); \
	if [[ -n "$$files" ]]; then \
		echo "these files are not gofmt-formatted (run: gofmt -w FILE):"; \
		echo "$$files" | sed 's/^/    /'; \
		exit 1; \
	fi; \
	echo "gofmt: OK"

## vet: go vet ./...
vet:
	@echo
	@echo "==> [3/6] go vet ./..."
	$(GO) vet ./...

## unit: go test -race ./...
## (-pgo=off: with cmd/smallredis/default.pgo, that package's race test binary
## would compile the whole tree a second time, ~110 s of CPU; the binaries
## its tests build with `go build` stay profile-guided, as shipped)
unit:
	@echo
	@echo "==> [4/6] go test -race -pgo=off -count=1 -timeout 12m ./..."
	$(GO) test -race -pgo=off -count=1 -timeout 12m ./...

## load: full-size load tests and memory bounds without the race detector
## (which shrinks the load tests and distorts memory use, so -race skips them;
## the store's unlocked prefetch hint is a no-op under -race, so its test runs here)
## (the expiry test times PINGs, so it runs alone)
MEMORY_TESTS := ^TestBytesPer|^TestHitRatioTargets$$|^TestPrefetchDuringResizes$$
## latency bounds of goroutines on Go's poller while the event loops are busy (-race makes them meaningless)
LATENCY_TESTS := ^TestTrackingRueidisLatency$$|^TestTLSLatencyUnderPlainLoad$$
MEMORY_PKGS  := ./internal/store ./internal/evict/sim ./internal/bytemap ./internal/listpack ./internal/intset
load:
	@echo
	@echo "==> [5/6] load tests, latency and memory bounds (no -race): million-key expiry; invalidation and TLS latency with busy loops; bytes per key and per collection element, Redis eviction baselines"
	$(GO) test -count=1 -timeout 5m -run 'MillionKeys' ./internal/command
	$(GO) test -count=1 -timeout 5m -p 1 -run '$(LATENCY_TESTS)' ./internal/command ./internal/server
	$(GO) test -count=1 -timeout 5m -run '$(MEMORY_TESTS)' $(MEMORY_PKGS)

## fuzz: short fuzz runs of the RESP parser and of every command (FUZZTIME each)
fuzz:
	@echo
	@echo "==> [6/6] fuzz: FuzzParse (./internal/resp) and FuzzCommands (./internal/command), $(FUZZTIME) each"
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./internal/resp
	$(GO) test -run '^$$' -fuzz '^FuzzCommands$$' -fuzztime $(FUZZTIME) ./internal/command

## build: static, stripped binary in bin/smallredis
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w' -o $(BINARY) ./cmd/smallredis

## run: run the server from source (default port 2345)
run:
	$(GO) run ./cmd/smallredis

## image: build and check the container image bin/smallredis.tar without Docker
image:
	@echo
	@echo "==> image: scripts/image.sh"
	@bash scripts/image.sh

clean:
	rm -rf bin
