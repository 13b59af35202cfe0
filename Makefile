# orca: GNU make build.
#   make            liborca.a/.so, liborca-uv.a/.so (the libuv adapter), examples,
#                   build/server/orcad (the service; needs libconfig)
#   make check      build everything and run every test
#   make demo       run the omnichannel demo (examples/demo.c)
#   make bench      run the bench harness, write bench/results/latest.csv and
#                   the simulator's fidelity run, bench/results/fidelity.csv
#   make loadtest   orcad end to end over WebSocket, bench/results/e2e.csv
#                   (make loadtest-quick: the short CI run)
#   make failover   kill -9 the leader of two orcads on Redis 50 times under
#                   load, bench/results/failover.csv (make failover-quick: 10, CI)
#   make release-proto  the release-direction structures prototyped and
#                   measured (bench/proto/), bench/results/release_proto.csv
#   make SAN=1 check   the same tests under AddressSanitizer + UBSan
#   make docs       the API reference (Doxygen) in build/docs/html/
#   make install PREFIX=/usr/local DESTDIR=
CC      ?= gcc
PREFIX  ?= /usr/local
DESTDIR ?=
LIBDIR  ?= $(PREFIX)/lib
INCDIR  ?= $(PREFIX)/include

# One source of truth for the version: ORCA_VERSION_STRING in orca.h. The
# soname tracks the ABI: before 1.0 every minor release changes it, so the
# soname is liborca.so.0.MINOR; from 1.0 on it is liborca.so.MAJOR.
VERSION := $(shell sed -n 's/^\#define ORCA_VERSION_STRING "\(.*\)"$$/\1/p' include/orca.h)
ifeq ($(VERSION),)
$(error no ORCA_VERSION_STRING in include/orca.h)
endif
VMAJOR  := $(word 1,$(subst ., ,$(VERSION)))
VMINOR  := $(word 2,$(subst ., ,$(VERSION)))
SOVER   := $(if $(filter 0,$(VMAJOR)),0.$(VMINOR),$(VMAJOR))

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
# liborca itself needs only these; liborca-uv adds libuv. Programs built in
# the tree link both archives (the linker pulls only what they use).
CORE_LIBS := -lxxhash -lm -lpthread
LIBS    := -lxxhash $(UV_LIBS) -lm -lpthread
ARCHIVES := $(BUILD)/liborca-uv.a $(BUILD)/liborca.a

SRC     := $(wildcard src/*.c)
# src/uv.c is the libuv adapter: its own library, liborca-uv.
UV_SRC  := src/uv.c
OBJ     := $(filter-out $(UV_SRC:src/%.c=$(BUILD)/obj/%.o),$(SRC:src/%.c=$(BUILD)/obj/%.o))
UV_OBJ  := $(UV_SRC:src/%.c=$(BUILD)/obj/%.o)
HDR     := include/orca.h $(wildcard include/orca/*.h) $(wildcard src/*.h)

TEST_SRC    := $(wildcard tests/test_*.c)
TEST_BIN    := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
# tests/crash_*.c are programs of their own (make crash), not support code
TEST_SUPSRC := $(filter-out $(TEST_SRC) $(wildcard tests/crash_*.c),$(wildcard tests/*.c))
TEST_SUPOBJ := $(TEST_SUPSRC:tests/%.c=$(BUILD)/tests/obj/%.o)

EX_SRC  := $(wildcard examples/*.c)
EX_BIN  := $(EX_SRC:examples/%.c=$(BUILD)/examples/%)

# orcad (server/): the service. libconfig reads its configuration file;
# server/*.c but orcad.c is linked into orcad and into tests/test_config.
CONFIG_LIBS := $(shell pkg-config --libs libconfig 2>/dev/null || echo -lconfig)
# libwebsockets serves HTTP and WebSocket on orcad's libuv loop; its
# libuv event library is a plugin in Debian (libwebsockets-evlib-uv).
LWS_LIBS    := $(shell pkg-config --libs libwebsockets 2>/dev/null || echo -lwebsockets)
# server/proto.c (the JSON message layer) needs jansson.
# hiredis (and its libuv adapter) ships the journal to a Redis Stream for a
# standby (server/replica.c).
REDIS_LIBS  := $(shell pkg-config --libs hiredis 2>/dev/null || echo -lhiredis)
SERVER_LIBS := $(CONFIG_LIBS) $(LWS_LIBS) $(JSON_LIBS) $(REDIS_LIBS)
SERVER_SRC  := $(filter-out server/orcad.c server/orcactl.c,$(wildcard server/*.c))
PROTO_SRC   := server/proto.c
SERVER_OBJ  := $(SERVER_SRC:server/%.c=$(BUILD)/server/obj/%.o)
SERVER_HDR  := $(wildcard server/*.h)
# The dashboard (server/dashboard/: HTML, CSS, JavaScript, no build step)
# is embedded into orcad as C arrays by scripts/embed.sh (od only), so an
# installed orcad serves it with no share dir.
DASHBOARD   := $(sort $(wildcard server/dashboard/*))
SERVER_OBJ  += $(BUILD)/server/obj/assets.o

BENCH_SRC := $(wildcard bench/*.c)
BENCH_OBJ := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/obj/%.o)

.SECONDARY:
.PHONY: all lib examples server tests check layers demo bench loadtest loadtest-quick install uninstall clean deps crash fuzz docs browser-check charts docs-charts
all: lib examples server

deps:
	@scripts/deps.sh

lib: $(BUILD)/liborca.a $(BUILD)/liborca.so $(BUILD)/liborca-uv.a $(BUILD)/liborca-uv.so

$(BUILD)/obj/%.o: src/%.c $(HDR) | $(BUILD)/obj
	$(CC) $(CFLAGS) $(UV_CFLAGS) -c $< -o $@

$(BUILD)/liborca.a: $(OBJ)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/liborca.so: $(OBJ)
	$(CC) -shared -Wl,-soname,liborca.so.$(SOVER) $(LDSAN) -o $@ $^ $(CORE_LIBS)

$(BUILD)/liborca-uv.a: $(UV_OBJ)
	rm -f $@ && ar rcs $@ $^

# NEEDED: liborca (by its soname, read from build/liborca.so) and libuv.
$(BUILD)/liborca-uv.so: $(UV_OBJ) $(BUILD)/liborca.so
	$(CC) -shared -Wl,-soname,liborca-uv.so.$(SOVER) $(LDSAN) -o $@ $^ $(UV_LIBS)

$(BUILD)/obj $(BUILD)/tests $(BUILD)/tests/obj $(BUILD)/examples $(BUILD)/bench/obj:
	mkdir -p $@

# Tests and examples link the static library so they run from the tree.
$(BUILD)/tests/obj/%.o: tests/%.c $(HDR) $(wildcard tests/*.h) | $(BUILD)/tests/obj
	$(CC) $(CFLAGS) $(UV_CFLAGS) -Itests -c $< -o $@

$(BUILD)/tests/%: tests/%.c $(TEST_SUPOBJ) $(ARCHIVES) $(wildcard tests/*.h) $(wildcard examples/*.h) | $(BUILD)/tests
	$(CC) $(CFLAGS) $(UV_CFLAGS) -Itests $< $(TEST_SUPOBJ) $(ARCHIVES) $(LDSAN) $(CMOCKA_LIBS) $(JSON_LIBS) $(LIBS) -o $@

# The crash test (tests/crash_journal.c): SIGKILLs a journaling child at
# random moments and checks every acknowledged enqueue is restored.
CRASH_ITERATIONS ?= 50
$(BUILD)/tests/crash_journal: tests/crash_journal.c $(BUILD)/liborca.a $(HDR) | $(BUILD)/tests
	$(CC) $(CFLAGS) $< $(BUILD)/liborca.a $(LDSAN) $(LIBS) -o $@

# make crash: SIGKILL a journaling child CRASH_ITERATIONS times, then
# POWER_CUTS simulated power cuts under the journal's file I/O
# (tests/test_power_loss.c; make check runs 600 of them).
POWER_CUTS ?= 6000
crash:
	@$(MAKE) --no-print-directory $(BUILD)/tests/crash_journal $(BUILD)/tests/test_power_loss
	$(BUILD)/tests/crash_journal $(CRASH_ITERATIONS)
	ORCA_POWER_CUTS=$(POWER_CUTS) $(BUILD)/tests/test_power_loss

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
FUZZ_BIN     := $(FUZZ_DIR)/fuzz_api $(FUZZ_DIR)/fuzz_journal $(FUZZ_DIR)/fuzz_proto
# Where the harnesses write their journal per input: tmpfs if there is one
# (orca_journal_open and compaction sync to disk: on a disk that was most of
# fuzz_api's time)
FUZZ_TMPDIR  ?= $(shell test -w /dev/shm && echo /dev/shm || echo $(FUZZ_DIR)/tmp)

$(FUZZ_DIR):
	mkdir -p $@

$(FUZZ_DIR)/fuzz_%: fuzz/fuzz_%.c $(FUZZ_LIBSRC) $(HDR) | $(FUZZ_DIR)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $< $(FUZZ_LIBSRC) -lxxhash -lm -o $@

# fuzz_proto: orcad's message layer, with the config code (named, so
# server code needing other libraries stays out) and jansson.
FUZZ_PROTO_SRC := $(PROTO_SRC) server/metrics.c server/config.c server/apply.c server/errors.c server/reload.c
$(FUZZ_DIR)/fuzz_proto: fuzz/fuzz_proto.c $(FUZZ_PROTO_SRC) $(FUZZ_LIBSRC) $(HDR) $(SERVER_HDR) | $(FUZZ_DIR)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Iserver $< $(FUZZ_PROTO_SRC) $(FUZZ_LIBSRC) $(JSON_LIBS) $(CONFIG_LIBS) -lxxhash -lm -o $@

fuzz:
	@command -v $(FUZZ_CC) >/dev/null || { echo "make fuzz needs $(FUZZ_CC) and libclang-rt-14-dev" >&2; exit 1; }
	@$(MAKE) --no-print-directory $(FUZZ_BIN)
	@mkdir -p $(FUZZ_DIR)/corpus/api $(FUZZ_DIR)/corpus/journal $(FUZZ_DIR)/corpus/proto $(FUZZ_DIR)/seeds $(FUZZ_DIR)/crashes $(FUZZ_DIR)/tmp
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
	echo "== fuzz_proto ($(FUZZ_SECONDS) s)"; \
	$(FUZZ_DIR)/fuzz_proto -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_DIR)/crashes/proto- $(FUZZ_ARGS) \
	    $(FUZZ_DIR)/corpus/proto fuzz/corpus/proto >$(FUZZ_DIR)/fuzz_proto.log 2>&1 || rc=1; \
	grep -v -e '^#' -e NEW_FUNC -e 'Uses:' -e 'dictionary' $(FUZZ_DIR)/fuzz_proto.log | tail -n 25; \
	if [ $$rc != 0 ]; then echo "make fuzz: a fuzzer found a crash (build/fuzz/crashes/, logs in $(FUZZ_DIR))"; fi; \
	exit $$rc

$(BUILD)/examples/%: examples/%.c $(ARCHIVES) $(wildcard examples/*.h) | $(BUILD)/examples
	$(CC) $(CFLAGS) $(UV_CFLAGS) $< $(ARCHIVES) $(LDSAN) $(LIBS) -o $@

examples: $(EX_BIN)
tests: $(TEST_BIN)

# The server's objects wait (order-only) for libconfig-dev to be there.
server: $(BUILD)/server/orcad $(BUILD)/server/orcactl

$(BUILD)/server/obj:
	mkdir -p $@

$(BUILD)/server/.deps: | $(BUILD)/server/obj
	@scripts/deps.sh libconfig-dev libwebsockets-dev libwebsockets-evlib-uv libhiredis-dev
	@touch $@

$(BUILD)/server/obj/%.o: server/%.c $(HDR) $(SERVER_HDR) | $(BUILD)/server/.deps
	$(CC) $(CFLAGS) $(UV_CFLAGS) -Iserver -c $< -o $@

$(BUILD)/server/assets.c: scripts/embed.sh $(DASHBOARD) | $(BUILD)/server/obj
	scripts/embed.sh $@ $(DASHBOARD)

$(BUILD)/server/obj/assets.o: $(BUILD)/server/assets.c server/assets.h | $(BUILD)/server/obj
	$(CC) $(CFLAGS) -Iserver -c $< -o $@

$(BUILD)/server/orcad: server/orcad.c $(SERVER_OBJ) $(ARCHIVES) $(HDR) $(SERVER_HDR) | $(BUILD)/server/.deps
	$(CC) $(CFLAGS) $(UV_CFLAGS) -Iserver $< $(SERVER_OBJ) $(ARCHIVES) $(LDSAN) $(SERVER_LIBS) $(LIBS) -o $@

# orcactl: orcad's command line, a WebSocket client of its own (jansson only).
$(BUILD)/server/orcactl: server/orcactl.c server/wsframe.c server/wsframe.h | $(BUILD)/server/.deps
	$(CC) $(CFLAGS) -Iserver $< server/wsframe.c $(LDSAN) $(JSON_LIBS) -o $@

# Tests of server code (its configuration, metrics text, messages) link its objects.
$(BUILD)/tests/test_config $(BUILD)/tests/test_metrics $(BUILD)/tests/test_proto $(BUILD)/tests/test_reload $(BUILD)/tests/test_connmap $(BUILD)/tests/test_wsframe: $(BUILD)/tests/%: tests/%.c $(TEST_SUPOBJ) $(SERVER_OBJ) $(ARCHIVES) $(SERVER_HDR) | $(BUILD)/tests
	$(CC) $(CFLAGS) $(UV_CFLAGS) -Itests -Iserver $< $(TEST_SUPOBJ) $(SERVER_OBJ) $(ARCHIVES) $(LDSAN) $(CMOCKA_LIBS) $(JSON_LIBS) $(SERVER_LIBS) $(LIBS) -o $@

# Calls in src/ run one way, down the layers of docs/DESIGN.md: no file
# calls a file in a layer above it, but for the known calls listed in
# scripts/layers.allowed, which may only shrink (scripts/layers.sh reads
# the objects' symbols with nm). make check runs it.
layers: $(OBJ) $(UV_OBJ)
	@scripts/layers.sh $(BUILD)/obj

# make check also runs orcad itself (tests/orcad_check.sh: --help,
# --version, the example config, a broken one, a start and a restart) and
# tests/orcad_http_check.sh (its HTTP endpoints on a free loopback port)
# and tests/orcad_ws_check.sh (the WebSocket protocol, python3-websockets)
# and tests/orcad_admin_check.sh (reload by SIGHUP and message, compact, shutdown)
# and tests/orcad_tls_check.sh (https and wss:// with a self-signed certificate)
# and tests/orcad_clients_check.sh (bad and gone clients, 2,000 at once; its
# memory check is off under ASan, whose allocator keeps freed memory)
# and tests/orcad_group_check.sh (sync = "every": no reply before its fdatasync, by strace)
# and tests/orcad_standby_check.sh (a standby follows the leader through redis-server)
# and tests/orcad_replica_check.sh (--ack modes with Redis paused, killed, cut by a proxy).
check:
	@scripts/deps.sh libjansson-dev libconfig-dev libwebsockets-dev libwebsockets-evlib-uv python3-websockets openssl curl strace libhiredis-dev redis-server
	@$(MAKE) --no-print-directory all tests
	@$(MAKE) --no-print-directory layers
	@scripts/run-tests.sh $(BUILD)/tests
	@tests/orcad_check.sh $(BUILD)/server/orcad
	@tests/orcad_http_check.sh $(BUILD)/server/orcad
	@tests/orcad_ws_check.sh $(BUILD)/server/orcad
	@tests/orcactl_check.sh $(BUILD)/server/orcad $(BUILD)/server/orcactl
	@tests/orcad_admin_check.sh $(BUILD)/server/orcad
	@tests/orcad_tls_check.sh $(BUILD)/server/orcad
	@ORCAD_CLIENTS_RSS=$(if $(filter 1,$(SAN)),0,1) tests/orcad_clients_check.sh $(BUILD)/server/orcad
	@tests/orcad_group_check.sh $(BUILD)/server/orcad
	@tests/orcad_standby_check.sh $(BUILD)/server/orcad
	@tests/orcad_replica_check.sh $(BUILD)/server/orcad $(BUILD)/server/orcactl

# The dashboard in headless Chromium (Debian's chromium, playwright-core
# from npm in tests/browser): not in make check (Chromium is heavy); CI
# runs it (.ci/run, step browser). Screenshot: build/dashboard.png.
browser-check: $(BUILD)/server/orcad
	@scripts/deps.sh chromium nodejs python3-websockets
	@command -v npm >/dev/null || { echo "browser-check: npm is missing (Debian: apt-get install npm)" >&2; exit 1; }
	@tests/orcad_browser_check.sh $(BUILD)/server/orcad

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
	$(if $(findstring --smoke,$(BENCH_ARGS)),,@scripts/deps.sh python3-matplotlib && /usr/bin/python3 bench/charts.py growth)
	$(if $(BENCH_ARGS),,$(BUILD)/examples/simulate --fidelity)

# Pictures of the bench's CSV files (bench/charts.py, python3-matplotlib):
# make charts draws them under build/charts/, make docs-charts into
# docs/img/ where the README shows them.
charts:
	@scripts/deps.sh python3-matplotlib
	/usr/bin/python3 bench/charts.py growth
	/usr/bin/python3 bench/charts.py failover

docs-charts:
	@scripts/deps.sh python3-matplotlib
	/usr/bin/python3 bench/charts.py growth bench/results/latest.csv docs/img/growth.png
	/usr/bin/python3 bench/charts.py failover bench/results/failover.csv docs/img/failover.png

# make release-proto: the standalone model of the release decision
# (bench/proto/release_proto.c, on bench/workload.c's centres) with three
# ways to pick a freed agent's best work, checked against each other
# (--verify), timed, and counted under callgrind's cache simulation
# (bench/proto/release_proto.sh); bench/results/release_proto.csv. About ten
# minutes, most of it under valgrind.
RP_SRC := bench/proto/release_proto.c bench/workload.c bench/common.c
$(BUILD)/bench/release_proto: $(RP_SRC) bench/workload.h bench/common.h | $(BUILD)/bench/obj
	$(CC) $(CFLAGS) -Ibench $(RP_SRC) $(LDSAN) -lm -o $@

.PHONY: release-proto
release-proto: $(BUILD)/bench/release_proto
	@mkdir -p bench/results
	bench/proto/release_proto.sh $(BUILD)/bench/release_proto bench/results/release_proto.csv

# make loadtest: orcad end to end (bench/e2e/loadtest.c on libuv with its
# own WebSocket client, bench/e2e/wsc.c): 1,000 agents, 4 gateways, 1k, 5k,
# 10k and 20k interactions/s for 10 s each; prints a table and writes
# bench/results/e2e.csv. make loadtest-quick (LOADTEST_ARGS=--quick): 2 s at
# 1k and 5k/s, no CSV, for CI; LOADTEST_ARGS="--crash 5": kill -9 of orcad
# under load, nothing acknowledged lost or offered twice.
LOADTEST_SRC := $(wildcard bench/e2e/*.c)
$(BUILD)/bench/loadtest: $(LOADTEST_SRC) server/wsframe.c server/wsframe.h $(wildcard bench/e2e/*.h) | $(BUILD)/bench/obj
	$(CC) $(CFLAGS) $(UV_CFLAGS) -Ibench/e2e -Iserver $(LOADTEST_SRC) server/wsframe.c $(LDSAN) $(UV_LIBS) -o $@

loadtest:
	@$(MAKE) --no-print-directory $(BUILD)/server/orcad $(BUILD)/bench/loadtest
	@mkdir -p bench/results
	$(BUILD)/bench/loadtest --orcad $(BUILD)/server/orcad $(LOADTEST_ARGS)

loadtest-quick:
	@$(MAKE) --no-print-directory loadtest LOADTEST_ARGS=--quick

# make failover: a leader and a standby orcad on one Redis (issue 13),
# gateways and agents under load, the leader killed with SIGKILL KILLS
# times at random moments and restarted as the new standby
# (bench/failover/failover.py); fails if anything acknowledged is lost, or
# ended twice, or held by two agents at once; bench/results/failover.csv
# holds the time from each kill to the new leader's first offer.
# make failover-quick: 10 kills, to build/failover-quick.csv (CI).
# FAILOVER_ARGS passes more options (--rate, --agents, --ack, --seed...).
KILLS ?= 50
FAILOVER_OUT ?= bench/results/failover.csv
.PHONY: failover failover-quick
failover:
	@scripts/deps.sh redis-server python3-websockets
	@$(MAKE) --no-print-directory $(BUILD)/server/orcad
	@mkdir -p bench/results
	@/usr/bin/python3 bench/failover/failover.py --self-check
	/usr/bin/python3 bench/failover/failover.py --orcad $(BUILD)/server/orcad --kills $(KILLS) \
	    --out $(FAILOVER_OUT) $(FAILOVER_ARGS)

failover-quick:
	@$(MAKE) --no-print-directory failover KILLS=10 FAILOVER_OUT=$(BUILD)/failover-quick.csv

# The API reference, from the public headers' comments (docs/Doxyfile; the
# comments stay plain C: scripts/doc-filter.sh makes them Doxygen's). First
# check every public function has a comment of its own; Doxygen's warnings
# fail the target too.
docs:
	@scripts/deps.sh doxygen
	@scripts/check-doc-comments.sh
	@rm -rf build/docs && mkdir -p build/docs
	ORCA_VERSION=$(VERSION) doxygen docs/Doxyfile
	@if [ -s build/docs/warnings.log ]; then cat build/docs/warnings.log >&2; \
	    echo "make docs: Doxygen warnings (above)" >&2; exit 1; fi
	@echo "API reference: build/docs/html/index.html"

# Both libraries: liborca[-uv].so -> .so.$(SOVER) (the soname) -> .so.$(VERSION);
# the .pc files from pkgconfig/*.pc.in (orca-static.pc and orca-uv-static.pc
# name the archives, for static links next to the .so; see the README).
PC_IN := $(wildcard pkgconfig/*.pc.in)

install: lib server
	install -d $(DESTDIR)$(INCDIR)/orca $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(BUILD)/server/orcad $(DESTDIR)$(PREFIX)/bin/orcad
	install -m 755 $(BUILD)/server/orcactl $(DESTDIR)$(PREFIX)/bin/orcactl
	install -m 644 include/orca.h $(DESTDIR)$(INCDIR)/orca.h
	install -m 644 include/orca/*.h $(DESTDIR)$(INCDIR)/orca/
	for l in liborca liborca-uv; do \
	    install -m 644 $(BUILD)/$$l.a $(DESTDIR)$(LIBDIR)/$$l.a && \
	    install -m 755 $(BUILD)/$$l.so $(DESTDIR)$(LIBDIR)/$$l.so.$(VERSION) && \
	    ln -sf $$l.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$$l.so.$(SOVER) && \
	    ln -sf $$l.so.$(SOVER) $(DESTDIR)$(LIBDIR)/$$l.so || exit 1; \
	done
	for f in $(PC_IN); do \
	    sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
	        -e 's|@INCDIR@|$(INCDIR)|g' -e 's|@VERSION@|$(VERSION)|g' \
	        $$f > $(DESTDIR)$(LIBDIR)/pkgconfig/$$(basename $$f .in) || exit 1; \
	done

uninstall:
	rm -f $(DESTDIR)$(INCDIR)/orca.h $(DESTDIR)$(LIBDIR)/liborca.* $(DESTDIR)$(LIBDIR)/liborca-uv.*
	rm -f $(PC_IN:pkgconfig/%.in=$(DESTDIR)$(LIBDIR)/pkgconfig/%)
	rm -rf $(DESTDIR)$(INCDIR)/orca
	rm -f $(DESTDIR)$(PREFIX)/bin/orcad $(DESTDIR)$(PREFIX)/bin/orcactl

clean:
	rm -rf build build-san
