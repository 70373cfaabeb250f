# casenode — run `make` for the list of targets.

GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
LDFLAGS := -X main.version=$(VERSION)
BIN     := bin/casenode

.DEFAULT_GOAL := help

.PHONY: help
help: ## print the targets with one line each
	@awk 'BEGIN{FS=":.*## "} /^[a-z-]+:.*## /{printf "  make %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## build bin/casenode
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/casenode

.PHONY: demo
demo: build ## run a hub and three agencies here and narrate an exchange (DEMOFLAGS=--keep to explore)
	$(BIN) demo $(DEMOFLAGS)

.PHONY: test
test: chromium ## vet and staticcheck, then every test with the race detector (fuzz seeds included; the console's tests drive Chromium; a three-process hub cluster with a server killed, 150 messages)
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	$(GO) test -race -timeout 14m ./...

.PHONY: chromium
chromium: ## install Chromium for the console's browser tests when missing (as root), else say how
	@scripts/chromium.sh

.PHONY: screenshots
screenshots: chromium ## write PNGs of the consoles' main pages (the agencies', the secretariat's, the auditor's), in French, Portuguese and English, to docs/screenshots
	mkdir -p docs/screenshots
	CASENODE_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run 'TestBrowserExchange|TestBrowserSentCancel' ./node/console
	CASENODE_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run TestBrowserSecretariat ./node/console/secretariat
	CASENODE_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run TestBrowserAudit ./node/console/auditor

.PHONY: bench
bench: build ## run the Go micro-benchmarks, then 'casenode bench' three times (medians and ranges, every run in bench.json); see docs/PERFORMANCE.md
	$(GO) test -run '^$$' -bench . -benchmem ./...
	$(BIN) bench --repeat 3 --json bench.json

.PHONY: cluster
cluster: ## three-server hub scenarios full size (1,000 messages: server loss and an empty store, rolling restart, roster changes; R3 against one server's throughput; three 'casenode hub run' processes: one killed with SIGKILL, one restarted empty, a rolling restart, a roster change with one down), prints what they measured
	CASENODE_CLUSTER=full $(GO) test -p 1 -run '^TestCluster' -count=1 -v -timeout 45m ./node/lab/localnet ./node/lab/bench
	CASENODE_CLUSTER=full $(GO) test -run '^TestProcessCluster$$' -count=1 -v -timeout 30m ./cmd/casenode

.PHONY: links
links: ## degraded-link scenarios full size (Toxiproxy in-process, 600 ms RTT, 256 kbit/s: 300 at once and paced, 3-minute and 30 s cuts, down 30 s every 2 min for 10 min, 150 s stall; about 25 minutes), prints the tables
	$(GO) test -v -run '^TestLinks$$' -count=1 -timeout 40m ./node/lab/links -args -full

.PHONY: attach-soak
attach-soak: ## the attachment kill tests with a 300 MB file (sender, receiver and hub killed mid-transfer; about 5 minutes)
	CASENODE_ATTACH_SIZE=300000000 $(GO) test -run '^TestAttachmentSurvivesKills$$' -count=1 -timeout 60m -v ./cmd/casenode

.PHONY: fuzz
fuzz: ## fuzz every decoder for FUZZTIME each (default 30s)
	@scripts/fuzz.sh $(or $(FUZZTIME),30s)

# gremlins, the mutation tester, pinned; installed through the Go module proxy.
GREMLINS_VERSION := v0.6.0
GREMLINS         := bin/tools/gremlins-$(GREMLINS_VERSION)

$(GREMLINS):
	GOBIN=$(CURDIR)/bin/tools $(GO) install github.com/go-gremlins/gremlins/cmd/gremlins@$(GREMLINS_VERSION)
	mv bin/tools/gremlins $@

.PHONY: mutants
mutants: $(GREMLINS) ## mutation-test the security-critical packages (MUTANTS="protocol ..." for some; about an hour)
	@scripts/mutants.sh $(GREMLINS) $(MUTANTS)

.PHONY: clean
clean: ## remove build output
	rm -rf bin

# Installation: PREFIX for the system's layout, DESTDIR for packaging.
PREFIX     ?= /usr/local
DESTDIR    ?=
SYSTEMDDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d

.PHONY: install
install: build ## install the binary, manual, completions and systemd units (PREFIX=/usr/local, DESTDIR=)
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/casenode
	install -d $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
		$(DESTDIR)$(PREFIX)/share/zsh/site-functions $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d \
		$(DESTDIR)$(SYSTEMDDIR) $(DESTDIR)$(SYSUSERSDIR)
	$(BIN) man > $(DESTDIR)$(PREFIX)/share/man/man1/casenode.1
	$(BIN) completion bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/casenode
	$(BIN) completion zsh > $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_casenode
	$(BIN) completion fish > $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/casenode.fish
	for u in casenode-hub.service casenode-node@.service; do \
		sed 's#/usr/local/bin/casenode#$(PREFIX)/bin/casenode#' scripts/systemd/$$u > $(DESTDIR)$(SYSTEMDDIR)/$$u; done
	install -m 0644 scripts/systemd/casenode.sysusers $(DESTDIR)$(SYSUSERSDIR)/casenode.conf

.PHONY: release
release: ## cross-build reproducible archives for linux/amd64, linux/arm64, windows/amd64, darwin/arm64 with SHA256SUMS into dist/
	scripts/release.sh $(VERSION) dist

.PHONY: release-check
release-check: ## build the release twice and check that both give the same SHA-256 (reproducible builds)
	scripts/release.sh $(VERSION) dist/check-a > /dev/null
	scripts/release.sh $(VERSION) dist/check-b > /dev/null
	cmp dist/check-a/SHA256SUMS dist/check-b/SHA256SUMS
	@cat dist/check-a/SHA256SUMS
	@echo "release-check: two builds gave the same bytes"
	rm -rf dist/check-a dist/check-b
