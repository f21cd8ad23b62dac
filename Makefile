# secretcat: decrypt age files into Linux secret memory.

GO     ?= go
BIN    ?= bin
PREFIX ?= /usr/local

# A static binary: with cgo, importing net (unix sockets) links libc
# dynamically, and the dynamic loader costs start-up time on every run.
export CGO_ENABLED ?= 0

# The preload library (preload/) runs inside other programs: C, only libc
# and libdl, built with the system C compiler.
CC     ?= cc
PRELOAD = $(BIN)/libsecretcat-preload.so
PRELOAD_CFLAGS = -std=gnu11 -O2 -fPIC -fvisibility=hidden -U_FORTIFY_SOURCE -Wall -Wextra -Werror
PRELOAD_LDFLAGS = -shared -Wl,-z,defs -Wl,-z,now

.PHONY: all build preload preload-test preload-test-build preload-fuzz test race-check vet fmt-check deadcode demo bench fuzz man install uninstall clean deb systemd-test age-tools

all: build

build: preload
	$(GO) build -o $(BIN)/secretcat .

preload:
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) $(PRELOAD_CFLAGS) $(LDFLAGS) $(PRELOAD_LDFLAGS) -o $(PRELOAD) preload/*.c -ldl

# The preload library's own C tests (preload/test): each runs the same calls
# on a secret file the library serves and on a tmpfs file the kernel serves,
# or races readers against close. First with the library preloaded, as
# programs load it; then with its sources built into the test programs under
# AddressSanitizer and UndefinedBehaviorSanitizer, and the thread test under
# ThreadSanitizer. The random harnesses run their fixed seeds here; make fuzz
# runs them longer, with a new seed each time.
PTEST        = $(BIN)/preload-test
PTEST_CFLAGS = -std=gnu11 -g -Wall -Wextra -Werror
PRELOAD_SRC  = $(wildcard preload/*.c)
ASAN_CFLAGS  = $(PRELOAD_CFLAGS) -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
TSAN_CFLAGS  = $(PRELOAD_CFLAGS) -g -O1 -fsanitize=thread
PTEST_RUN    = LD_PRELOAD=$(abspath $(PRELOAD))

preload-test-build: preload
	@mkdir -p $(PTEST)
	$(CC) $(PTEST_CFLAGS) -O2 -D_FORTIFY_SOURCE=2 -o $(PTEST)/differential preload/test/differential.c
	$(CC) $(PTEST_CFLAGS) -O2 -o $(PTEST)/threads preload/test/threads.c -lpthread
	$(CC) $(PTEST_CFLAGS) -O2 -o $(PTEST)/forks preload/test/forks.c -lpthread
	$(CC) $(PTEST_CFLAGS) -O2 -o $(PTEST)/say_test preload/test/say_test.c preload/say.c
	$(CC) $(PTEST_CFLAGS) -O2 -o $(PTEST)/answers preload/test/answers.c
	$(CC) $(ASAN_CFLAGS) -o $(PTEST)/differential-asan preload/test/differential.c $(PRELOAD_SRC) -ldl
	$(CC) $(ASAN_CFLAGS) -o $(PTEST)/threads-asan preload/test/threads.c $(PRELOAD_SRC) -ldl -lpthread
	$(CC) $(ASAN_CFLAGS) -o $(PTEST)/forks-asan preload/test/forks.c $(PRELOAD_SRC) -ldl -lpthread
	$(CC) $(ASAN_CFLAGS) -o $(PTEST)/answers-asan preload/test/answers.c $(PRELOAD_SRC) -ldl
	$(CC) $(PTEST_CFLAGS) -O2 -o $(PTEST)/socket preload/test/socket.c
	$(CC) $(ASAN_CFLAGS) -o $(PTEST)/socket-asan preload/test/socket.c $(PRELOAD_SRC) -ldl
	@# ThreadSanitizer registers fork handlers while it starts, before it
	@# can run instrumented code: the secret heap's __register_atfork
	@# (secheap_atfork.c) stays local to its object in this build.
	$(CC) $(TSAN_CFLAGS) -c -o $(PTEST)/secheap_atfork-tsan.o preload/secheap_atfork.c
	objcopy --localize-symbol=__register_atfork $(PTEST)/secheap_atfork-tsan.o
	$(CC) $(TSAN_CFLAGS) -o $(PTEST)/threads-tsan preload/test/threads.c \
		$(filter-out preload/secheap_atfork.c,$(PRELOAD_SRC)) $(PTEST)/secheap_atfork-tsan.o -ldl -lpthread

preload-test: preload-test-build
	$(PTEST_RUN) $(PTEST)/differential edges
	$(PTEST_RUN) $(PTEST)/differential calls 3000 1
	$(PTEST_RUN) $(PTEST)/differential paths 3000 1
	$(PTEST_RUN) $(PTEST)/threads 2000
	$(PTEST_RUN) $(PTEST)/forks 50
	$(PTEST_RUN) $(PTEST)/answers
	$(PTEST_RUN) $(PTEST)/socket
	@# As an unprivileged user under a small RLIMIT_MEMLOCK (16 pages): 300
	@# opens of one secret file share one mapping.
	if [ "$$(id -u)" = 0 ]; then \
		d=$$(mktemp -d) && cp $(PRELOAD) $(PTEST)/differential $$d/ && chmod -R a+rX $$d && \
		prlimit --memlock=65536:65536 setpriv --reuid=65534 --regid=65534 --clear-groups \
			env LD_PRELOAD=$$d/libsecretcat-preload.so $$d/differential many; \
		s=$$?; rm -rf $$d; exit $$s; \
	fi
	$(PTEST)/say_test
	$(PTEST)/differential-asan edges
	$(PTEST)/differential-asan calls 1000 2
	$(PTEST)/differential-asan paths 1000 2
	$(PTEST)/threads-asan 500
	$(PTEST)/forks-asan 20
	$(PTEST)/answers-asan
	$(PTEST)/socket-asan
	TSAN_OPTIONS=suppressions=$(abspath preload/test/tsan.supp) $(PTEST)/threads-tsan 300

# The random harnesses of preload/test for PRELOAD_FUZZ_RUNS each, under
# the sanitizers, from a new seed (printed, to run again).
PRELOAD_FUZZ_RUNS ?= 200000
preload-fuzz: preload-test-build
	seed=$$(date +%s); echo "seed $$seed"; \
	$(PTEST)/differential-asan calls $(PRELOAD_FUZZ_RUNS) $$seed && \
	$(PTEST)/differential-asan paths $(PRELOAD_FUZZ_RUNS) $$seed

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

# The whole suite: unit tests, the age test vectors and the testscript
# end-to-end scripts (some run as an unprivileged user when run as root);
# then the code that runs goroutines under the race detector (it needs cgo):
# the consumer's socket dial and the hand-off; the age decryption workers
# (payloads of more than 8 chunks); and the scripts that run secretcat's
# progress timer, its signal handling, open's standard-input watcher and
# run --socket (secretcat in a script is the race-built test binary).
# Only these: the rest has no goroutines, and all of it under -race would
# take minutes more. halt_on_error: a race found in secretcat ends it
# (status 66) before it execs COMMAND, so that the script fails. Last, the
# deb and the systemd units under a real systemd (systemd-test, below;
# building its Debian root takes minutes the first time, outside go test's
# timeout). The selections are lists of names: packages, tests of ./crypt,
# scripts of cmd/testdata/script; race-check fails when a name no longer
# names anything (a rename), which go test -run would pass in silence.
RACE = CGO_ENABLED=1 GORACE=halt_on_error=1 $(GO) test -race
RACE_PACKAGES ?= ./secretfd ./internal/handoff
RACE_CRYPT    ?= TestStreamSizes TestStreamTruncated TestProgress
RACE_SCRIPTS  ?= progress signals open run_socket
# race_regex is the -run pattern of exactly the names $(1).
empty :=
race_regex = ^($(subst $(empty) $(empty),|,$(strip $(1))))$$
# go test's own limit is 10 minutes a package; cmd's scripts take about
# three on a quiet machine, and a machine shared with other work can take
# three times that without anything being wrong.
TEST_TIMEOUT ?= 20m
test: fmt-check vet race-check preload-test
	$(GO) test -timeout $(TEST_TIMEOUT) ./...
	$(RACE) $(RACE_PACKAGES)
	$(RACE) -run '$(call race_regex,$(RACE_CRYPT))' ./crypt
	$(RACE) -run '^TestScripts$$/$(call race_regex,$(RACE_SCRIPTS))' ./cmd
	$(MAKE) systemd-test

# Every package of RACE_PACKAGES has tests, every test of RACE_CRYPT is in
# ./crypt, cmd has TestScripts and every script of RACE_SCRIPTS is there.
race-check:
	@for p in $(RACE_PACKAGES); do \
		[ -n "$$($(GO) list -f '{{.TestGoFiles}}{{.XTestGoFiles}}' $$p | tr -d '[]')" ] || { echo "RACE_PACKAGES: $$p has no tests: update the list"; exit 1; }; \
	done
	@n=$$($(GO) test -list '$(call race_regex,$(RACE_CRYPT))' ./crypt | grep -c '^Test'); \
	[ "$$n" -eq $(words $(RACE_CRYPT)) ] || { echo "RACE_CRYPT: only $$n of $(RACE_CRYPT) are tests of ./crypt: update the list"; exit 1; }
	@[ "$$($(GO) test -list '^TestScripts$$' ./cmd | grep -c '^TestScripts$$')" -eq 1 ] || { echo "RACE_SCRIPTS: cmd has no TestScripts: update the race run"; exit 1; }
	@for s in $(RACE_SCRIPTS); do \
		[ -f cmd/testdata/script/$$s.txtar ] || { echo "RACE_SCRIPTS: no cmd/testdata/script/$$s.txtar: update the list"; exit 1; }; \
	done

# Functions that no command reaches (golang.org/x/tools' deadcode, fetched
# through the module proxy). Not part of make test: it takes a minute or
# two on 2 cores. The packages that only tests import (secrettest,
# testenv, cryptest) are not reported, nor secretfd.Receive: consumer API that
# secretcat's own commands have no use for.
DEADCODE ?= golang.org/x/tools/cmd/deadcode@v0.49.0
deadcode:
	@out=$$($(GO) run $(DEADCODE) -test=false ./...) || exit 1; \
	out=$$(printf '%s\n' "$$out" | grep -v -E -e '^(internal/(secrettest|testenv)|crypt/internal/cryptest)/' -e 'unreachable func: Receive$$'); \
	if [ -n "$$out" ]; then echo "$$out"; exit 1; fi

# A throw-away identity, an encrypted sample, and secretcat handing it to the
# example consumer, which maps it and shows that read(2) is refused.
# age and age-keygen from the module's own age, for the demo, the systemd
# test's keys and the bench's comparison.
age-tools:
	$(GO) build -o $(BIN)/age filippo.io/age/cmd/age
	$(GO) build -o $(BIN)/age-keygen filippo.io/age/cmd/age-keygen

demo: build age-tools
	$(GO) build -o $(BIN)/consumer ./examples/consumer
	rm -rf demo && mkdir -p demo
	$(BIN)/age-keygen -o demo/identity.txt 2>/dev/null
	$(BIN)/age -e -i demo/identity.txt -o demo/sample.age examples/sample.txt
	$(BIN)/secretcat -i demo/identity.txt demo/sample.age -- $(BIN)/consumer

# Regenerate docs/man from the commands and docs/man/src (make test fails
# when they differ).
man:
	$(GO) test ./cmd -run '^TestManPages$$' -count=1 -args -update

LIBDIR  ?= $(PREFIX)/lib/secretcat
MANDIR  ?= $(PREFIX)/share/man/man1
BASHDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHDIR  ?= $(PREFIX)/share/zsh/site-functions
FISHDIR ?= $(PREFIX)/share/fish/vendor_completions.d

install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(LIBDIR) $(DESTDIR)$(MANDIR) $(DESTDIR)$(BASHDIR) $(DESTDIR)$(ZSHDIR) $(DESTDIR)$(FISHDIR)
	install -m 0755 $(BIN)/secretcat $(DESTDIR)$(PREFIX)/bin/secretcat
	install -m 0755 $(PRELOAD) $(DESTDIR)$(LIBDIR)/libsecretcat-preload.so
	install -m 0644 docs/man/*.1 $(DESTDIR)$(MANDIR)/
	$(BIN)/secretcat completion bash > $(DESTDIR)$(BASHDIR)/secretcat
	$(BIN)/secretcat completion zsh > $(DESTDIR)$(ZSHDIR)/_secretcat
	$(BIN)/secretcat completion fish > $(DESTDIR)$(FISHDIR)/secretcat.fish

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/secretcat
	rm -f $(DESTDIR)$(LIBDIR)/libsecretcat-preload.so
	-rmdir $(DESTDIR)$(LIBDIR) 2>/dev/null
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/,$(notdir $(wildcard docs/man/*.1)))
	rm -f $(DESTDIR)$(BASHDIR)/secretcat $(DESTDIR)$(ZSHDIR)/_secretcat $(DESTDIR)$(FISHDIR)/secretcat.fish

# --- Debian package -------------------------------------------------------
# dist/secretcat_VERSION_ARCH.deb (packaging/deb/mkdeb): /usr/bin/secretcat,
# the preload library in /usr/lib/secretcat, man pages, completions, and the
# examples (the systemd drop-ins among them) in /usr/share/doc/secretcat.
# VERSION is the newest vN tag, else 0~git<commit date>.<commit>.
DIST     ?= dist
DEB_ARCH ?= $(shell dpkg --print-architecture 2>/dev/null || $(GO) env GOARCH)
VERSION  ?= $(shell git describe --tags --match 'v[0-9]*' 2>/dev/null | sed 's/^v//; s/-/+/g' | grep . || \
	git log -1 --format='0~git%cd.%h' --date=format:%Y%m%d)
DEB       = $(DIST)/secretcat_$(VERSION)_$(DEB_ARCH).deb

deb: build
	packaging/deb/mkdeb $(BIN) $(DIST) $(VERSION) $(DEB_ARCH)

# The deb and the units of examples/systemd under a real systemd: a Debian
# 12 root (debootstrap, cached in /var/cache/secretcat-test) booted with
# systemd-nspawn; see testdata/systemd/run. Needs root.
systemd-test: deb age-tools
	testdata/systemd/run $(DEB) $(BIN)

# The sops CLI the SOPS benchmark compares with, at the version the tests
# of crypt/sops pin (crypt/internal/cryptest), through the Go module proxy.
SOPS_VERSION ?= v3.13.3

# The side-by-side suite (docs/benchmarks.md), then the Go benchmarks.
bench: build age-tools
	GOBIN=$(abspath $(BIN)) GOFLAGS= $(GO) install github.com/getsops/sops/v3/cmd/sops@$(SOPS_VERSION)
	$(GO) build -o $(BIN)/bench ./bench
	$(BIN)/bench -bin $(BIN) -o docs/benchmarks.md
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Each fuzz target for FUZZTIME (their seed corpora also run in make test),
# then the mutation campaign of encrypted keys with MUTANTS mutants of each
# format and cipher (make test runs 300) and a new seed, which it prints:
# SECRETCAT_MUTATION_SEED=N replays it.
FUZZTIME ?= 30s
MUTANTS  ?= 20000
fuzz: preload-fuzz
	$(GO) test -run '^$$' -fuzz '^FuzzDetect$$' -fuzztime $(FUZZTIME) ./crypt
	$(GO) test -run '^$$' -fuzz '^FuzzDecrypt$$' -fuzztime $(FUZZTIME) ./crypt
	$(GO) test -run '^$$' -fuzz '^FuzzPEM$$' -fuzztime $(FUZZTIME) ./crypt/pemkey
	$(GO) test -run '^$$' -fuzz '^FuzzKeyCheck$$' -fuzztime $(FUZZTIME) ./crypt/pemkey
	$(GO) test -run '^$$' -fuzz '^FuzzIdentityFile$$' -fuzztime $(FUZZTIME) ./crypt/agefile
	$(GO) test -run '^$$' -fuzz '^FuzzX25519Identity$$' -fuzztime $(FUZZTIME) ./crypt/agefile
	$(GO) test -run '^$$' -fuzz '^FuzzSOPS$$' -fuzztime $(FUZZTIME) ./crypt/sops
	seed=$$(date +%s); echo "mutation campaign, seed $$seed"; \
		SECRETCAT_MUTANTS=$(MUTANTS) SECRETCAT_MUTATION_SEED=$$seed \
		$(GO) test -run '^TestMutationCampaign$$' -count=1 -timeout 0 ./crypt/pemkey

clean:
	rm -rf $(BIN) demo $(DIST)

# --- Cross builds -----------------------------------------------------------
# Static binaries for each architecture and their SHA256 checksums, in
# $(CROSS_DIR). cross-check (run by .ci/run) vets every architecture and runs
# the arm64 test binaries under qemu-user, which has no memfd_secret: there
# the diagnosis, fallback and parsing tests run, and tests that need secret
# memory skip, saying why (internal/secrettest; never on amd64 CI).
CROSS_ARCHES ?= amd64 arm64 riscv64
CROSS_DIR    ?= $(BIN)/cross
QEMU_ARM64   ?= qemu-aarch64-static
# The parsing and decryption tests of the crypt packages; the rest (heap
# scans, fresh openssl fixtures, mutation campaigns) would take many minutes
# under emulation and tests nothing that differs by architecture.
CROSS_CRYPT_PACKAGES ?= crypt crypt/agefile crypt/pemkey
CROSS_CRYPT_TESTS ?= ^(TestVectors|TestAge.*|TestPEMFixtures|TestPEMRefused|TestPEMTruncated|TestPEMKDFBounds|TestOpenSSHCraftedHeader|TestX25519.*|TestSSHIdentities|TestSSHIdentityRefusals|TestKeyCheckRefuses|Fuzz.*)$$

.PHONY: cross cross-vet cross-test cross-check

cross:
	@mkdir -p $(CROSS_DIR)
	set -e; for arch in $(CROSS_ARCHES); do \
		GOOS=linux GOARCH=$$arch $(GO) build -o $(CROSS_DIR)/secretcat-linux-$$arch . ; \
		if readelf -lW $(CROSS_DIR)/secretcat-linux-$$arch | grep -q INTERP; then \
			echo "$(CROSS_DIR)/secretcat-linux-$$arch is not static"; exit 1; fi; \
	done
	cd $(CROSS_DIR) && sha256sum $(addprefix secretcat-linux-,$(CROSS_ARCHES)) > SHA256SUMS && sha256sum -c --quiet SHA256SUMS

# amd64 is vetted by make test.
cross-vet:
	set -e; for arch in $(filter-out amd64,$(CROSS_ARCHES)); do GOOS=linux GOARCH=$$arch $(GO) vet ./... ; done

# The packages whose arm64 tests run under qemu-user: the diagnosis must
# name the emulator there (SECRETCAT_EXPECT_CAUSE).
CROSS_PACKAGES ?= internal/secrettest internal/secretmem internal/fdplace internal/handoff internal/diagnose internal/readsecret secretfd

cross-test:
	@mkdir -p $(CROSS_DIR)
	set -e; for p in $(CROSS_PACKAGES); do \
		GOARCH=arm64 $(GO) test -c -o $(CROSS_DIR)/$$(basename $$p).arm64.test ./$$p; \
		(cd $$p && SECRETCAT_EXPECT_CAUSE=emulator $(QEMU_ARM64) $(CURDIR)/$(CROSS_DIR)/$$(basename $$p).arm64.test -test.v); \
	done
	set -e; for p in $(CROSS_CRYPT_PACKAGES); do \
		GOARCH=arm64 $(GO) test -c -o $(CROSS_DIR)/$$(basename $$p).arm64.test ./$$p; \
		(cd $$p && $(QEMU_ARM64) $(CURDIR)/$(CROSS_DIR)/$$(basename $$p).arm64.test -test.run '$(CROSS_CRYPT_TESTS)'); \
	done

cross-check: cross cross-vet cross-test
