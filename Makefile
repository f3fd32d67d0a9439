# obol — GNU Make build.
#
#   make            build build/obol, build/libobol-core.a, build/obol-test, build/obol-attack,
#                   build/obol-e2e
#   make demo       install what is missing, build, run every scheme's demo
#   make check      install what is missing, build, run every test
#   make asan       the same tests under AddressSanitizer + UBSan (build-asan/)
#   make model      the SPIN models of tests/model/ (each scheme's protocol with an intruder)
#   make torture    100 SIGKILLs of every daemon under a mixed load, checks after each (tests/torture/)
#   make soak       the mixed load for SOAK_MINUTES (30), memory and descriptors over time (build/soak/)
#   make fuzz       build the libFuzzer targets (clang) into build-fuzz/
#   make vectors    rewrite the published test vectors tests/vectors/obol/*.json
#   make sim        a long run of the deterministic simulator, every scheme (SIM_SEEDS, SIM_STEPS)
#   make sim-defects  the simulator's seeds that break an invariant on today's code still do
#   make man        the manual pages, from the commands' own help, into build/man/
#   make install    obol, its man pages, systemd units, sysusers.d and tmpfiles.d
#                   files and example configs (PREFIX=/usr/local, DESTDIR)
#   make deb        build the Debian package (build-deb/) and check it in a scratch root
#
# Layers (the Layout section of README.md):
#   libobol-core.a  src/core src/crypto src/wire src/schemes   (no I/O: what a device links)
#   node objects    src/store src/net src/issuer src/vendor src/wallet (daemons, storage, files)
#   obol            src/cli + node objects + libobol-core.a

BUILD   ?= build
CC      ?= cc
OPT     ?= -O2 -g
SAN     ?=
PKGS    := libsodium libcrypto jansson libcbor sqlite3 libpq libmicrohttpd libcurl inih

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wpointer-arith -Wformat=2 -Wvla -Wundef -Wcast-align -Wwrite-strings \
        -Wimplicit-fallthrough -Wnull-dereference -Wmissing-declarations -Wno-format-truncation
CFLAGS  ?=
CFLAGS  += -std=c17 -D_GNU_SOURCE $(OPT) $(WARN) $(SAN) -fno-strict-aliasing \
           -Isrc $(shell pkg-config --cflags $(PKGS)) -MMD -MP
LDFLAGS += $(SAN)
LDLIBS  += $(shell pkg-config --libs $(PKGS)) -lpthread -lm

CORE_SRC := $(sort $(wildcard src/core/*.c src/crypto/*.c src/wire/*.c src/schemes/*/*.c))
NODE_SRC := $(sort $(wildcard src/store/*.c src/net/*.c src/issuer/*.c src/vendor/*.c src/wallet/*.c src/console/*.c))
CLI_SRC  := $(sort $(wildcard src/cli/*.c))
TEST_SRC := $(sort $(wildcard tests/unit/*.c tests/unit/*/*.c))
ATTACK_SRC := $(sort $(wildcard tests/attack/*.c))
SIM_SRC  := $(sort $(wildcard tests/sim/*.c))

CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/%.o)
NODE_OBJ := $(NODE_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o)
ATTACK_OBJ := $(ATTACK_SRC:%.c=$(BUILD)/%.o)
SIM_OBJ  := $(SIM_SRC:%.c=$(BUILD)/%.o)
VEC_SRC  := $(sort $(wildcard tests/vectors/gen/*.c))
VEC_OBJ  := $(VEC_SRC:%.c=$(BUILD)/%.o)
# The simulator runs the commands in process: every CLI object but main().
SIM_CLI_OBJ := $(filter-out $(BUILD)/src/cli/main.o,$(CLI_OBJ))

.PHONY: all deps demo check asan model torture soak fuzz fuzz-bins sim sim-defects clean man install deb screenshots vectors
.DEFAULT_GOAL := all

all: $(BUILD)/obol $(BUILD)/libobol-core.a $(BUILD)/obol-test $(BUILD)/obol-attack $(BUILD)/obol-e2e $(BUILD)/obol-sim

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libobol-core.a: $(CORE_OBJ)
	@rm -f $@
	@echo "  AR      $@"
	@ar rcs $@ $^

# The CLI, node and test objects are linked directly (not from an archive):
# commands, issuer routes, vendor handlers, audit checks and test cases
# register themselves at load time, so none may be dropped by the linker.
$(BUILD)/obol: $(CLI_OBJ) $(NODE_OBJ) $(BUILD)/libobol-core.a
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(NODE_OBJ) $(BUILD)/libobol-core.a $(LDLIBS)

# The tests also build their RSA keys with the bench's key maker, and test the
# config file layer (src/cli/optspec.c, config.c).
TEST_CLI_OBJ := $(BUILD)/src/cli/bench_keys.o $(BUILD)/src/cli/optspec.o $(BUILD)/src/cli/config.o
# Every program the tests run is built for tests (crypto/seal.h,
# obol_build_for_tests): it honours OBOL_ARGON2_FAST, and OBOL_TEST_CLOCK
# (core/clock.h, tests/lib/test_clock.c). build/obol is not.
TEST_BUILD_OBJ := $(BUILD)/tests/lib/test_build.o $(BUILD)/tests/lib/test_clock.o

$(BUILD)/obol-test: $(TEST_OBJ) $(TEST_CLI_OBJ) $(TEST_BUILD_OBJ) $(VEC_OBJ) $(NODE_OBJ) $(BUILD)/libobol-core.a
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $(TEST_OBJ) $(TEST_CLI_OBJ) $(TEST_BUILD_OBJ) $(VEC_OBJ) $(NODE_OBJ) $(BUILD)/libobol-core.a $(LDLIBS)

# The published test vectors (tests/vectors/obol/*.json): the generators of
# tests/vectors/gen/ are linked into obol-test (which checks the files) and
# into build/obol-vectors, which `make vectors` runs to rewrite them.
$(BUILD)/obol-vectors: $(BUILD)/tests/vectors/obol_vectors.o $(VEC_OBJ) $(NODE_OBJ) $(BUILD)/libobol-core.a
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $(BUILD)/tests/vectors/obol_vectors.o $(VEC_OBJ) $(NODE_OBJ) $(BUILD)/libobol-core.a $(LDLIBS)

vectors: $(BUILD)/obol-vectors
	@$(BUILD)/obol-vectors tests/vectors/obol

# The cheating parties of the end-to-end attack tests (tests/attack/attack.h);
# never installed.
$(BUILD)/obol-attack: $(ATTACK_OBJ) $(TEST_BUILD_OBJ) $(NODE_OBJ) $(BUILD)/libobol-core.a
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $(ATTACK_OBJ) $(TEST_BUILD_OBJ) $(NODE_OBJ) $(BUILD)/libobol-core.a $(LDLIBS)

# The obol command as the tests run it: the same objects as build/obol,
# built for tests; never installed.
$(BUILD)/obol-e2e: $(CLI_OBJ) $(TEST_BUILD_OBJ) $(NODE_OBJ) $(BUILD)/libobol-core.a
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(TEST_BUILD_OBJ) $(NODE_OBJ) $(BUILD)/libobol-core.a $(LDLIBS)

# The deterministic simulator (tests/sim/README.md); never installed: it
# replaces the process's randomness, clock and transports. Built for tests:
# its worlds may hash passwords with OBOL_ARGON2_FAST.
$(BUILD)/obol-sim: $(SIM_OBJ) $(SIM_CLI_OBJ) $(TEST_BUILD_OBJ) $(NODE_OBJ) $(BUILD)/libobol-core.a
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $(SIM_OBJ) $(SIM_CLI_OBJ) $(TEST_BUILD_OBJ) $(NODE_OBJ) $(BUILD)/libobol-core.a $(LDLIBS)

# A long run: SIM_SEEDS seeds of SIM_STEPS steps for each scheme with a
# world (each seed picks one of the strategies the bounded run uses).
SIM_SEEDS ?= 500
SIM_STEPS ?= 2000
SIM_FIRST ?= 1000
sim: all
	@for s in $$($(BUILD)/obol-sim --schemes); do \
	  $(BUILD)/obol-sim --scheme $$s --seed $(SIM_FIRST) --seeds $(SIM_SEEDS) --steps $(SIM_STEPS) --quiet || exit 1; \
	done

# Each seed of tests/sim/seeds/SCHEME-defects.txt breaks the invariant its
# line names (the defects still open; see docs/threats.md).
sim-defects: all
	@for f in tests/sim/seeds/*-defects.txt; do \
	  [ -e "$$f" ] || continue; \
	  $(BUILD)/obol-sim --scheme $$(basename $$f -defects.txt) --seed-file $$f --expect-fail || exit 1; \
	done

deps:
	@scripts/deps.sh build

# The two commands of the README. Each installs what is missing first, then
# builds in a sub-make (pkg-config must see the installed packages).
demo:
	@scripts/deps.sh build
	@$(MAKE) --no-print-directory all
	$(BUILD)/obol demo

check:
	@scripts/deps.sh check
	@$(MAKE) --no-print-directory all
	@OBOL_BUILD=$(BUILD) tests/run.sh
	@$(MAKE) --no-print-directory model

# A PNG of each page of both consoles, written by the browser test into
# docs/screenshots/ (the README shows them).
screenshots:
	@scripts/deps.sh check
	@$(MAKE) --no-print-directory all
	@OBOL_BUILD=$(BUILD) SCREENSHOTS=$(CURDIR)/docs/screenshots tests/run.sh console_browser

# Every model verified without error, and every defect of tests/model/defects
# caught (tests/model/run.sh; docs/threats.md, "The models").
model:
	@scripts/deps.sh check
	@OBOL_BUILD=$(BUILD) tests/model/run.sh

# Serving through abuse and faults (issue 16): long runs of real daemons.
TORTURE_KILLS ?= 100
TORTURE_MINUTES ?= 0
torture:
	@scripts/deps.sh check
	@$(MAKE) --no-print-directory all
	@OBOL_BUILD=$(BUILD) tests/torture/run.sh --kills $(TORTURE_KILLS) --minutes $(TORTURE_MINUTES)

SOAK_MINUTES ?= 30
soak:
	@scripts/deps.sh soak
	@$(MAKE) --no-print-directory all
	@OBOL_BUILD=$(BUILD) SOAK_MINUTES=$(SOAK_MINUTES) tests/soak/run.sh

asan:
	@scripts/deps.sh check
	@$(MAKE) --no-print-directory BUILD=build-asan OPT="-O1 -g" \
	    SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" all
	@OBOL_BUILD=build-asan OBOL_SANITIZED=1 tests/run.sh

FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)
FUZZ_FLAGS := -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer

# The library is rebuilt by clang with coverage (fuzzer-no-link) and the
# sanitizers; each target links it with libFuzzer's main. The warnings are
# enforced by the gcc build (-Werror); clang's own readings of some of them
# (cast-align, fall-through comments, gcc-only flags) are shown here but do
# not stop a fuzz build.
fuzz:
	@scripts/deps.sh ci
	@$(MAKE) --no-print-directory BUILD=build-fuzz CC=clang OPT="-O1 -g" \
	    WARN="$(WARN) -Wno-unknown-warning-option -Wno-error" \
	    SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	    fuzz-bins

fuzz-bins: $(FUZZ_BIN)

build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_check.h $(BUILD)/libobol-core.a
	@echo "  FUZZ    $@"
	@$(CC) $(CFLAGS) $(FUZZ_FLAGS) -o $@ $< $(BUILD)/libobol-core.a $(LDLIBS)

# ---- installing ------------------------------------------------------------
# The config files are read from /etc/obol whatever PREFIX is (the daemons'
# units and docs/operations.md name that path); SYSCONFDIR only moves where
# the examples are installed. An installed config file is never overwritten.
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR    ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
UNITS := obol-issuer.service obol-vendor.service

# The pages are written by obol itself from its command table (cmd_man.c).
$(BUILD)/man/obol.1: $(BUILD)/obol
	@echo "  MAN     $(BUILD)/man"
	@rm -rf $(BUILD)/man
	@OBOL_CONFIG_DIR= $(BUILD)/obol man --dir $(BUILD)/man >/dev/null

man: $(BUILD)/man/obol.1

install: $(BUILD)/obol $(BUILD)/man/obol.1
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(SYSCONFDIR)/obol
	install -m 0755 $(BUILD)/obol $(DESTDIR)$(BINDIR)/obol
	install -m 0644 $(BUILD)/man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(BUILD)/man/*.5 $(DESTDIR)$(MANDIR)/man5/
	for u in $(UNITS); do \
	    sed 's|@BINDIR@|$(BINDIR)|g' contrib/systemd/$$u.in >$(DESTDIR)$(UNITDIR)/$$u && \
	    chmod 0644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; done
	install -m 0644 contrib/sysusers/obol.conf $(DESTDIR)$(SYSUSERSDIR)/obol.conf
	install -m 0644 contrib/tmpfiles/obol.conf $(DESTDIR)$(TMPFILESDIR)/obol.conf
	for c in issuer.conf vendor.conf; do \
	    [ -e $(DESTDIR)$(SYSCONFDIR)/obol/$$c ] || \
	    install -m 0644 contrib/config/$$c $(DESTDIR)$(SYSCONFDIR)/obol/$$c || exit 1; done

# The Debian package, built from a clean copy of the tree without its tests
# (slow: not part of 'make check'; .ci/run calls it).
deb:
	@scripts/deps.sh ci
	@scripts/deb.sh

clean:
	rm -rf build build-asan build-fuzz build-deb

-include $(CORE_OBJ:.o=.d) $(VEC_OBJ:.o=.d) $(BUILD)/tests/vectors/obol_vectors.d $(NODE_OBJ:.o=.d) $(CLI_OBJ:.o=.d) \
	$(TEST_OBJ:.o=.d) $(ATTACK_OBJ:.o=.d) $(SIM_OBJ:.o=.d) $(TEST_BUILD_OBJ:.o=.d) $(FUZZ_BIN:=.d)
