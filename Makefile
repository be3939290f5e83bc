# husk: offline forensic analyser for container hosts.
# Targets: all, test, demo, install, clean, asan, bench, help.

PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= build

# libewf must come first. libewf.so.2 and libvslvm.so.1 each carry (and export) their own copy
# of libbfio, and the system has libbfio.so.1. Mixing copies in one process breaks: with the
# system libbfio first, libewf_handle_open() frees memory twice on every E01 (seen under
# valgrind). Linking libewf first puts its copy first in the global symbol scope, so libewf,
# libvslvm and husk's own handle (src/evidence/bfio_tsk.c) all call one and the same libbfio
# (libewf exports every libbfio symbol they import; checked with nm -D).
# XFS is read by husk's own code (src/evidence/fs_xfs.c says why libfsxfs 20201117 is not used).
PKGS := libewf tsk libbfio libvslvm sqlite3 libmagic jansson zlib libcrypto

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
CC ?= cc
OPT ?= -O2 -g
WARN := -Wall -Wextra -Werror -Wno-unused-parameter -Wno-format-truncation -Wno-missing-field-initializers
CPPFLAGS += -Iinclude -D_GNU_SOURCE -DHUSK_VERSION=\"$(VERSION)\" $(shell pkg-config --cflags $(PKGS))
CFLAGS += -std=c11 $(OPT) $(WARN) $(SAN)
LDFLAGS += $(SAN)
LDLIBS += $(shell pkg-config --libs $(PKGS)) -lm -lpthread

LIB_SRC := $(sort $(filter-out src/main.c,$(shell find src -name '*.c')))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
# Fuzz targets (docs/fuzzing.md): `make fuzz` builds them with clang's libFuzzer into
# build-fuzz/ and runs each; `make test` builds each once more with regress_main.c, to run
# over its seed corpus and regression inputs (tests/integration/test_fuzz_regress.sh).
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_REGRESS := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=$(BUILD)/fuzz/regress_%)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=$(BUILD)/fuzz/fuzz_%)
FUZZ_SECONDS ?= 60

.PHONY: all test check unit integration demo install clean asan help deps fuzz fuzz-build fuzz-bins bench

all: $(BUILD)/husk husk

husk: $(BUILD)/husk
	@ln -sf $(BUILD)/husk husk

$(BUILD)/husk: $(BUILD)/src/main.o $(BUILD)/libhusk.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/libhusk.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libhusk.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libhusk.a $(LDLIBS) $(shell pkg-config --libs cmocka)

# The README's test command. Unit tests (cmocka) then integration tests on the real node
# images under testdata/; prints one summary line "tests: N passed, N failed".
test: $(BUILD)/husk $(UNIT_BIN) $(FUZZ_REGRESS)
	@HUSK=$(abspath $(BUILD)/husk) BUILD=$(abspath $(BUILD)) tests/run.sh

# The README's test command and CI's: the suite, then the same suite under the sanitizers.
check: test
	$(MAKE) asan

unit: $(UNIT_BIN)
	@HUSK=$(abspath $(BUILD)/husk) BUILD=$(abspath $(BUILD)) tests/run.sh --unit-only

# Address and undefined-behaviour sanitizers over the whole test suite.
asan:
	$(MAKE) BUILD=build-asan OPT="-O1 -g -fno-omit-frame-pointer" \
	    SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined" test

$(BUILD)/fuzz/regress_%: tests/fuzz/fuzz_%.c tests/fuzz/regress_main.c tests/fuzz/fuzz.h tests/fuzz/walkfs.h $(BUILD)/libhusk.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< tests/fuzz/regress_main.c $(BUILD)/libhusk.a $(LDLIBS)

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h tests/fuzz/walkfs.h $(BUILD)/libhusk.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -fsanitize=fuzzer -o $@ $< $(BUILD)/libhusk.a $(LDLIBS)

fuzz-bins: $(FUZZ_BIN)

# libFuzzer targets, built with clang into build-fuzz/ (not part of `make check`).
fuzz-build:
	$(MAKE) BUILD=build-fuzz CC=clang OPT="-O1 -g -fno-omit-frame-pointer" \
	    WARN="-Wall -Wno-unused-parameter" \
	    SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" fuzz-bins

# Runs every target (or FUZZ_TARGETS="bolt jbd2") for FUZZ_SECONDS each, one at a time.
fuzz: fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz-run.sh $(FUZZ_TARGETS)

demo: $(BUILD)/husk
	@scripts/demo.sh $(abspath $(BUILD)/husk)

install: $(BUILD)/husk
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(BUILD)/husk $(DESTDIR)$(PREFIX)/bin/husk
	install -m 0644 docs/husk.1 $(DESTDIR)$(PREFIX)/share/man/man1/husk.1

deps:
	scripts/install-deps.sh

clean:
	rm -rf build build-asan build-fuzz husk

# the benchmark on large nodes made by scripts/make-bignode.sh (docs/performance.md)
bench: $(BUILD)/husk
	HUSK=$(abspath $(BUILD)/husk) scripts/bench.sh $(BENCHDIR)

help:
	@echo "make [all|test|asan|demo|install|clean|deps|bench]  (PREFIX=$(PREFIX) DESTDIR=...)"
	@echo "make fuzz [FUZZ_SECONDS=60] [FUZZ_TARGETS='bolt jbd2']  libFuzzer targets (clang; docs/fuzzing.md)"

-include $(LIB_OBJ:.o=.d) $(BUILD)/src/main.d

# The schema is kept as plain SQL and embedded as a C string.
$(BUILD)/gen/schema_sql.h: src/casedb/schema.sql
	@mkdir -p $(dir $@)
	@{ echo 'static const char husk_schema_sql[] ='; \
	   sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/    "/' -e 's/$$/\\n"/' $<; echo ';'; } > $@

$(BUILD)/src/casedb/casedb.o: $(BUILD)/gen/schema_sql.h
$(BUILD)/src/casedb/casedb.o: CPPFLAGS += -I$(BUILD)/gen
