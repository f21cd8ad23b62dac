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

.PHONY: all build preload test vet fmt-check demo bench fuzz man install uninstall clean

all: build

build: preload
	$(GO) build -o $(BIN)/secretcat .

preload:
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) $(PRELOAD_CFLAGS) $(LDFLAGS) $(PRELOAD_LDFLAGS) -o $(PRELOAD) preload/*.c -ldl

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

# The whole suite: unit tests, the age test vectors and the testscript
# end-to-end scripts (some run as an unprivileged user when run as root).
test: fmt-check vet
	$(GO) test ./...

# A throw-away identity, an encrypted sample, and secretcat handing it to the
# example consumer, which maps it and shows that read(2) is refused.
demo: build
	$(GO) build -o $(BIN)/age filippo.io/age/cmd/age
	$(GO) build -o $(BIN)/age-keygen filippo.io/age/cmd/age-keygen
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

# The side-by-side suite (docs/benchmarks.md), then the Go benchmarks.
bench: build
	$(GO) build -o $(BIN)/age filippo.io/age/cmd/age
	$(GO) build -o $(BIN)/bench ./bench
	$(BIN)/bench -bin $(BIN) -o docs/benchmarks.md
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Each fuzz target for FUZZTIME (their seed corpora also run in make test).
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDetect$$' -fuzztime $(FUZZTIME) ./crypt
	$(GO) test -run '^$$' -fuzz '^FuzzDecrypt$$' -fuzztime $(FUZZTIME) ./crypt
	$(GO) test -run '^$$' -fuzz '^FuzzPEM$$' -fuzztime $(FUZZTIME) ./crypt
	$(GO) test -run '^$$' -fuzz '^FuzzKeyCheck$$' -fuzztime $(FUZZTIME) ./crypt
	$(GO) test -run '^$$' -fuzz '^FuzzX25519Identity$$' -fuzztime $(FUZZTIME) ./crypt

clean:
	rm -rf $(BIN) demo
