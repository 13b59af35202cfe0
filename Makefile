# orca: GNU make build.
#   make            liborca.a, liborca.so, examples
#   make check      build everything and run every test
#   make demo       run the omnichannel demo (examples/demo.c)
#   make bench      run the bench harness, write bench/results/latest.csv and
#                   the simulator's fidelity run, bench/results/fidelity.csv
#   make SAN=1 check   the same tests under AddressSanitizer + UBSan
#   make install PREFIX=/usr/local DESTDIR=
CC      ?= gcc
PREFIX  ?= /usr/local
DESTDIR ?=
LIBDIR  ?= $(PREFIX)/lib
INCDIR  ?= $(PREFIX)/include

VERSION := 0.3.0
SOVER   := 0

ifeq ($(SAN),1)
BUILD   ?= build-san
OPT     ?= -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDSAN   := -fsanitize=address,undefined
else
BUILD   ?= build
OPT     ?= -O2 -g
LDSAN   :=
endif

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS  ?=
CFLAGS  += -std=c11 -D_POSIX_C_SOURCE=200809L $(OPT) $(WARN) -fPIC -fvisibility=hidden -Iinclude -Isrc
UV_CFLAGS := $(shell pkg-config --cflags libuv 2>/dev/null)
UV_LIBS   := $(shell pkg-config --libs libuv 2>/dev/null || echo -luv)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)
# Tests only: Jansson, a real JSON parser, reads back what orca writes.
JSON_LIBS := $(shell pkg-config --libs jansson 2>/dev/null || echo -ljansson)
LIBS    := -lxxhash $(UV_LIBS) -lm -lpthread

SRC     := $(wildcard src/*.c)
OBJ     := $(SRC:src/%.c=$(BUILD)/obj/%.o)
HDR     := include/orca.h $(wildcard include/orca/*.h) $(wildcard src/*.h)

TEST_SRC    := $(wildcard tests/test_*.c)
TEST_BIN    := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
# tests/crash_*.c are programs of their own (make crash), not support code
TEST_SUPSRC := $(filter-out $(TEST_SRC) $(wildcard tests/crash_*.c),$(wildcard tests/*.c))
TEST_SUPOBJ := $(TEST_SUPSRC:tests/%.c=$(BUILD)/tests/obj/%.o)

EX_SRC  := $(wildcard examples/*.c)
EX_BIN  := $(EX_SRC:examples/%.c=$(BUILD)/examples/%)

BENCH_SRC := $(wildcard bench/*.c)
BENCH_OBJ := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/obj/%.o)

.SECONDARY:
.PHONY: all lib examples tests check demo bench install uninstall clean deps crash fuzz
all: lib examples

deps:
	@scripts/deps.sh

lib: $(BUILD)/liborca.a $(BUILD)/liborca.so

$(BUILD)/obj/%.o: src/%.c $(HDR) | $(BUILD)/obj
	$(CC) $(CFLAGS) $(UV_CFLAGS) -c $< -o $@

$(BUILD)/liborca.a: $(OBJ)
	ar rcs $@ $^

$(BUILD)/liborca.so: $(OBJ)
	$(CC) -shared -Wl,-soname,liborca.so.$(SOVER) $(LDSAN) -o $@ $^ $(LIBS)

$(BUILD)/obj $(BUILD)/tests $(BUILD)/tests/obj $(BUILD)/examples $(BUILD)/bench/obj:
	mkdir -p $@

# Tests and examples link the static library so they run from the tree.
$(BUILD)/tests/obj/%.o: tests/%.c $(HDR) $(wildcard tests/*.h) | $(BUILD)/tests/obj
	$(CC) $(CFLAGS) $(UV_CFLAGS) -Itests -c $< -o $@

$(BUILD)/tests/%: tests/%.c $(TEST_SUPOBJ) $(BUILD)/liborca.a $(wildcard tests/*.h) $(wildcard examples/*.h) | $(BUILD)/tests
	$(CC) $(CFLAGS) $(UV_CFLAGS) -Itests $< $(TEST_SUPOBJ) $(BUILD)/liborca.a $(LDSAN) $(CMOCKA_LIBS) $(JSON_LIBS) $(LIBS) -o $@

# The crash test (tests/crash_journal.c): SIGKILLs a journaling child at
# random moments and checks every acknowledged enqueue is restored.
CRASH_ITERATIONS ?= 50
$(BUILD)/tests/crash_journal: tests/crash_journal.c $(BUILD)/liborca.a $(HDR) | $(BUILD)/tests
	$(CC) $(CFLAGS) $< $(BUILD)/liborca.a $(LDSAN) $(LIBS) -o $@

crash:
	@$(MAKE) --no-print-directory $(BUILD)/tests/crash_journal
	$(BUILD)/tests/crash_journal $(CRASH_ITERATIONS)

# libFuzzer harnesses (fuzz/*.c), built with clang together with the library
# sources (instrumented); make fuzz runs each for FUZZ_SECONDS. fuzz_api
# runs first and leaves journals of its programs as seeds for fuzz_journal.
# New corpus entries go to build/fuzz/corpus/*, crashes to build/fuzz/crashes/;
# fuzz/corpus/* (committed: regression inputs and seeds) is replayed each run.
FUZZ_CC      ?= clang-14
FUZZ_SECONDS ?= 60
FUZZ_ARGS    ?=
FUZZ_DIR     := build/fuzz
FUZZ_CFLAGS  := -std=c11 -D_POSIX_C_SOURCE=200809L -g -O1 -fno-omit-frame-pointer \
                -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Iinclude -Isrc
FUZZ_LIBSRC  := $(filter-out src/uv.c,$(SRC))
FUZZ_BIN     := $(FUZZ_DIR)/fuzz_api $(FUZZ_DIR)/fuzz_journal
# Where the harnesses write their journal per input: tmpfs if there is one
# (orca_journal_open and compaction sync to disk: on a disk that was most of
# fuzz_api's time)
FUZZ_TMPDIR  ?= $(shell test -w /dev/shm && echo /dev/shm || echo $(FUZZ_DIR)/tmp)

$(FUZZ_DIR):
	mkdir -p $@

$(FUZZ_DIR)/fuzz_%: fuzz/fuzz_%.c $(FUZZ_LIBSRC) $(HDR) | $(FUZZ_DIR)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $< $(FUZZ_LIBSRC) -lxxhash -lm -o $@

fuzz:
	@command -v $(FUZZ_CC) >/dev/null || { echo "make fuzz needs $(FUZZ_CC) and libclang-rt-14-dev" >&2; exit 1; }
	@$(MAKE) --no-print-directory $(FUZZ_BIN)
	@mkdir -p $(FUZZ_DIR)/corpus/api $(FUZZ_DIR)/corpus/journal $(FUZZ_DIR)/seeds $(FUZZ_DIR)/crashes $(FUZZ_DIR)/tmp
	@rc=0; export UBSAN_OPTIONS=print_stacktrace=1:$${UBSAN_OPTIONS:-} FUZZ_TMPDIR=$(FUZZ_TMPDIR); \
	echo "== fuzz_api ($(FUZZ_SECONDS) s)"; \
	FUZZ_API_KEEP_JOURNALS=$(FUZZ_DIR)/seeds $(FUZZ_DIR)/fuzz_api -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=1500 -print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/crashes/api- $(FUZZ_ARGS) \
	    $(FUZZ_DIR)/corpus/api fuzz/corpus/api >$(FUZZ_DIR)/fuzz_api.log 2>&1 || rc=1; \
	grep -v -e '^#' -e NEW_FUNC -e 'Uses:' -e 'dictionary' $(FUZZ_DIR)/fuzz_api.log | tail -n 25; \
	echo "== fuzz_journal ($(FUZZ_SECONDS) s)"; \
	$(FUZZ_DIR)/fuzz_journal -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_DIR)/crashes/journal- $(FUZZ_ARGS) \
	    $(FUZZ_DIR)/corpus/journal $(FUZZ_DIR)/seeds fuzz/corpus/journal \
	    >$(FUZZ_DIR)/fuzz_journal.log 2>&1 || rc=1; \
	grep -v -e '^#' -e NEW_FUNC -e 'Uses:' -e 'dictionary' $(FUZZ_DIR)/fuzz_journal.log | tail -n 25; \
	if [ $$rc != 0 ]; then echo "make fuzz: a fuzzer found a crash (build/fuzz/crashes/, logs in $(FUZZ_DIR))"; fi; \
	exit $$rc

$(BUILD)/examples/%: examples/%.c $(BUILD)/liborca.a $(wildcard examples/*.h) | $(BUILD)/examples
	$(CC) $(CFLAGS) $(UV_CFLAGS) $< $(BUILD)/liborca.a $(LDSAN) $(LIBS) -o $@

examples: $(EX_BIN)
tests: $(TEST_BIN)

check:
	@scripts/deps.sh libjansson-dev
	@$(MAKE) --no-print-directory all tests
	@scripts/run-tests.sh $(BUILD)/tests

demo: deps
	@$(MAKE) --no-print-directory $(BUILD)/examples/demo
	@$(BUILD)/examples/demo --snapshot $(BUILD)/demo-snapshot.json

$(BUILD)/bench/obj/%.o: bench/%.c $(HDR) $(wildcard bench/*.h) | $(BUILD)/bench/obj
	$(CC) $(CFLAGS) -Ibench -c $< -o $@

$(BUILD)/bench/orca-bench: $(BENCH_OBJ) $(BUILD)/liborca.a
	$(CC) $(CFLAGS) $(BENCH_OBJ) $(BUILD)/liborca.a $(LDSAN) -lsqlite3 $(LIBS) -o $@

# The routing bench, then (unless BENCH_ARGS is given, e.g. --smoke) the
# simulator's long fidelity run against Erlang C / Erlang A.
bench:
	@scripts/deps.sh libsqlite3-dev
	@$(MAKE) --no-print-directory $(BUILD)/bench/orca-bench $(BUILD)/examples/simulate
	@mkdir -p bench/results
	$(BUILD)/bench/orca-bench $(BENCH_ARGS)
	$(if $(BENCH_ARGS),,$(BUILD)/examples/simulate --fidelity)

install: lib
	install -d $(DESTDIR)$(INCDIR)/orca $(DESTDIR)$(LIBDIR)/pkgconfig
	install -m 644 include/orca.h $(DESTDIR)$(INCDIR)/orca.h
	install -m 644 include/orca/*.h $(DESTDIR)$(INCDIR)/orca/
	install -m 644 $(BUILD)/liborca.a $(DESTDIR)$(LIBDIR)/liborca.a
	install -m 755 $(BUILD)/liborca.so $(DESTDIR)$(LIBDIR)/liborca.so.$(VERSION)
	ln -sf liborca.so.$(VERSION) $(DESTDIR)$(LIBDIR)/liborca.so.$(SOVER)
	ln -sf liborca.so.$(SOVER) $(DESTDIR)$(LIBDIR)/liborca.so
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
	    -e 's|@INCDIR@|$(INCDIR)|g' -e 's|@VERSION@|$(VERSION)|g' \
	    pkgconfig/orca.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/orca.pc

uninstall:
	rm -f $(DESTDIR)$(INCDIR)/orca.h $(DESTDIR)$(LIBDIR)/liborca.* $(DESTDIR)$(LIBDIR)/pkgconfig/orca.pc
	rm -rf $(DESTDIR)$(INCDIR)/orca

clean:
	rm -rf build build-san
