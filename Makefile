# Developer tasks for hello. Releases are built by goreleaser (goreleaser.yaml).

GO ?= go
GORELEASER ?= goreleaser

.PHONY: build test completions man generate check snapshot clean

build:
	$(GO) build -trimpath -o bin/hello .

test:
	$(GO) test -race -count=1 ./...

# Committed; cmd/completions_test.go fails when they are stale.
completions:
	$(GO) run ./internal/gendocs -completions completions

# Not committed (manpages/ is ignored); the release build regenerates them.
# The date in their header is the last commit's, for reproducible output.
man:
	SOURCE_DATE_EPOCH=$$(git log -1 --format=%ct 2>/dev/null) $(GO) run ./internal/gendocs -out manpages

generate: completions man

check:
	@files=$$(gofmt -l .); if [ -n "$$files" ]; then echo "gofmt -l: not formatted:"; echo "$$files"; exit 1; fi
	$(GO) vet ./...

snapshot:
	$(GORELEASER) release --snapshot --clean

clean:
	rm -rf bin dist manpages
