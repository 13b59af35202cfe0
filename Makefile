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

VERSION := 0.2.0
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
CFLAGS  += -std=c11 -D_POSIX_C_SOURCE=200809L $(OPT) $(WARN) -fPIC -Iinclude -Isrc
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
TEST_SUPSRC := $(filter-out $(TEST_SRC),$(wildcard tests/*.c))
TEST_SUPOBJ := $(TEST_SUPSRC:tests/%.c=$(BUILD)/tests/obj/%.o)

EX_SRC  := $(wildcard examples/*.c)
EX_BIN  := $(EX_SRC:examples/%.c=$(BUILD)/examples/%)

BENCH_SRC := $(wildcard bench/*.c)
BENCH_OBJ := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/obj/%.o)

.SECONDARY:
.PHONY: all lib examples tests check demo bench install uninstall clean deps
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
