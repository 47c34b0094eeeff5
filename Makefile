# chokepoint: one non-recursive GNU Makefile, output in build/.
#
# Sources are found by convention so that a new module needs no edit here:
#   agent/*.c web/*.c firmware/*.c  -> build/libagent.a (+ agent/main.c -> build/chokepoint)
#   collectors/NAME.c               -> build/collectors/NAME.so, linked with collectors/common/*.c
#   collectors/NAME.mk (optional)   -> NAME_SRCS (extra sources), NAME_PKGS (pkg-config packages)
#   tests/unit/test_NAME.c          -> build/tests/test_NAME (cmocka, linked with libagent.a)
#   tests/integration/NAME.sh       -> run by tests/run-integration.sh (TAP)
#   tests/fuzz/fuzz_NAME.c          -> build/fuzz/fuzz_NAME (libFuzzer, `make fuzz`)

VERSION := 0.1.0
PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= build
CC ?= cc
# `make check SAN=1` builds into its own tree so the two never mix.
ifeq ($(SAN),1)
BUILD := build-san
endif

PKGS := netsnmp libmicrohttpd libpcap librrd sqlite3 libfyaml jansson
TEST_PKGS := cmocka
# Optional make fragments (extra sources, packages); included before
# AGENT_PKGS is expanded so that AGENT_EXTRA_PKGS takes effect.
-include $(wildcard collectors/*.mk)
-include $(wildcard agent/*.mk web/*.mk firmware/*.mk tests/*.mk)
# The agent itself links everything but net-snmp (only the SNMP collectors
# need it) and libpcap (only the pcap collector and `chokepoint pcap`).
AGENT_PKGS := libmicrohttpd librrd sqlite3 libfyaml jansson $(AGENT_EXTRA_PKGS)

pkg_cflags = $(shell pkg-config --cflags $(1) 2>/dev/null)
pkg_libs = $(shell pkg-config --libs $(1) 2>/dev/null)

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wvla
CFLAGS ?= -O2 -g
CFLAGS += -std=c11 -D_GNU_SOURCE $(WARN) -MMD -MP -iquote agent -iquote web -iquote . \
	-DCP_VERSION='"$(VERSION)"' -DCP_PREFIX='"$(PREFIX)"'
LDFLAGS ?=
ifeq ($(SAN),1)
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
CFLAGS += $(SANFLAGS)
LDFLAGS += $(SANFLAGS)
endif

AGENT_SRCS := $(filter-out agent/main.c,$(wildcard agent/*.c web/*.c firmware/*.c)) $(AGENT_EXTRA_SRCS)
AGENT_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(AGENT_SRCS))
MAIN_OBJ := $(BUILD)/obj/agent/main.o
COMMON_SRCS := $(wildcard collectors/common/*.c)
COMMON_OBJS := $(patsubst %.c,$(BUILD)/pic/%.o,$(COMMON_SRCS))
COLLECTORS := $(basename $(notdir $(wildcard collectors/*.c)))
COLLECTOR_SOS := $(patsubst %,$(BUILD)/collectors/%.so,$(COLLECTORS))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
TEST_HELPER_SRCS := $(wildcard tests/unit/helpers/*.c)
TEST_HELPER_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(TEST_HELPER_SRCS))
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
TOOL_SRCS := $(wildcard bench/*.c tests/tools/*.c)
TOOL_BINS := $(patsubst %.c,$(BUILD)/tools/%,$(notdir $(TOOL_SRCS)))

AGENT_CFLAGS := $(call pkg_cflags,$(AGENT_PKGS))
AGENT_LIBS := $(call pkg_libs,$(AGENT_PKGS)) -lpthread -ldl -lm

# Debian's librrd is one library for files and graphs: linking it loads
# cairo, pango, glib, libxml2, ICU, X11... (48 libraries, ~5.5 MB of RSS,
# bench/README.md), which only graphs need. So link its static archive
# (librrd-dev ships it) and librrd.so's own dependencies under --as-needed:
# only those the archive members we use reference get loaded (glib, libdbi).
# Graphs load the shared librrd on the first one (web/rrdgraph.c).
# RRD_STATIC=0 links the shared library.
RRD_STATIC ?= 1
RRD_LIBDIR := $(shell pkg-config --variable=libdir librrd 2>/dev/null)
RRD_SONAME := $(shell objdump -p $(RRD_LIBDIR)/librrd.so 2>/dev/null | \
	awk '$$1 == "SONAME" {print $$2}')
ifneq ($(RRD_SONAME),)
CFLAGS += -DCP_LIBRRD_SONAME='"$(RRD_SONAME)"'
endif
ifeq ($(RRD_STATIC),1)
ifneq ($(wildcard $(RRD_LIBDIR)/librrd.a),)
RRD_DEPS := $(shell objdump -p $(RRD_LIBDIR)/librrd.so 2>/dev/null | \
	awk '$$1 == "NEEDED" && $$2 !~ /^lib(c|m)\.so/ {print "-l:" $$2}')
ifneq ($(RRD_DEPS),)
RRD_STATIC_LIBS := $(RRD_LIBDIR)/librrd.a -Wl,--push-state,--as-needed $(RRD_DEPS) -Wl,--pop-state
AGENT_LIBS := $(patsubst -lrrd,$(RRD_STATIC_LIBS),$(AGENT_LIBS))
endif
endif
endif

# The RRD writer's template helper links librrd and libc only.
RRD_HELPER_LIBS := $(if $(RRD_STATIC_LIBS),$(RRD_STATIC_LIBS),$(call pkg_libs,librrd))

.PHONY: all deps run check unit integration bench install uninstall clean format lint fuzz fuzz-seeds demo fixtures-update tools
all: $(BUILD)/chokepoint $(BUILD)/chokepoint-pcap $(BUILD)/chokepoint-rrd-create $(COLLECTOR_SOS) tools

# ----------------------------------------------------------------- agent
$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(AGENT_CFLAGS) -c -o $@ $<

$(BUILD)/libagent.a: $(AGENT_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# --as-needed: libpcap stays out of the daemon (only chokepoint-pcap uses it).
$(BUILD)/chokepoint: $(MAIN_OBJ) $(BUILD)/libagent.a
	$(CC) $(LDFLAGS) -o $@ $(MAIN_OBJ) $(BUILD)/libagent.a -Wl,--as-needed $(AGENT_LIBS) \
		-Wl,--export-dynamic-symbol='cp_*'

# `chokepoint pcap` execs this helper (agent/pcap/main.c + libagent.a).
$(BUILD)/chokepoint-pcap: $(BUILD)/obj/agent/pcap/main.o $(BUILD)/libagent.a
	$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/libagent.a $(AGENT_LIBS) \
		-Wl,--export-dynamic-symbol='cp_*'

# The RRD writer runs this helper to make file templates
# (agent/rrd_template.c). Without the agent's other libraries (gnutls,
# SQLite, libmicrohttpd...) a 10 s series' template costs 1.2-1.7 ms of
# CPU, not the 3.3-4.4 ms of `chokepoint __rrd-create` (bench/README.md).
$(BUILD)/chokepoint-rrd-create: $(BUILD)/obj/agent/rrdhelper/main.o $(BUILD)/obj/agent/rrd_template.o
	$(CC) $(LDFLAGS) -o $@ $^ -Wl,--as-needed $(RRD_HELPER_LIBS) -lm

# ------------------------------------------------------------ collectors
$(BUILD)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fPIC -fvisibility=hidden -c -o $@ $<

# Each collector: its main file, its NAME_SRCS, the common helpers.
define collector_rule
$(1)_OBJS := $(BUILD)/pic/collectors/$(1).o $$(patsubst %.c,$(BUILD)/pic/%.o,$$($(1)_SRCS)) $(COMMON_OBJS)
$(BUILD)/pic/collectors/$(1).o $$(patsubst %.c,$(BUILD)/pic/%.o,$$($(1)_SRCS)): CFLAGS += $$(call pkg_cflags,$$($(1)_PKGS))
$(BUILD)/collectors/$(1).so: $$($(1)_OBJS)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -shared -o $$@ $$^ $$(call pkg_libs,$$($(1)_PKGS)) -lm
endef
$(foreach c,$(COLLECTORS),$(eval $(call collector_rule,$(c))))

# ------------------------------------------------------------ test tools
tools: $(TOOL_BINS)
$(BUILD)/tools/%: bench/%.c $(BUILD)/libagent.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(AGENT_CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libagent.a $(AGENT_LIBS)
$(BUILD)/tools/%: tests/tools/%.c $(BUILD)/libagent.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(AGENT_CFLAGS) $(call pkg_cflags,netsnmp libpcap) $(LDFLAGS) -o $@ $< $(BUILD)/libagent.a $(AGENT_LIBS) $(call pkg_libs,netsnmp libpcap) \
		-Wl,--export-dynamic-symbol='cp_*'

# ------------------------------------------------------------ unit tests
$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libagent.a $(TEST_HELPER_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(AGENT_CFLAGS) $(call pkg_cflags,$(TEST_PKGS)) $(LDFLAGS) -o $@ $< \
		$(TEST_HELPER_OBJS) $(BUILD)/libagent.a $(AGENT_LIBS) $(call pkg_libs,$(TEST_PKGS)) \
		-Wl,--export-dynamic-symbol='cp_*'

# ------------------------------------------------------------------ deps
deps:
	@sh tests/deps.sh

# ------------------------------------------------------------------- run
run: deps all
	$(BUILD)/chokepoint run $(if $(CONFIG),-c $(CONFIG))

# ----------------------------------------------------------------- check
unit: all $(UNIT_BINS)
	@BUILD=$(BUILD) sh tests/run-unit.sh $(UNIT_BINS)

integration: all
	@BUILD=$(BUILD) SAN=$(SAN) sh tests/run-integration.sh

check: deps
	@$(MAKE) --no-print-directory all $(UNIT_BINS)
	@BUILD=$(BUILD) VALGRIND=$(VALGRIND) sh tests/run-unit.sh $(UNIT_BINS)
	@BUILD=$(BUILD) SAN=$(SAN) sh tests/run-integration.sh

# ----------------------------------------------------------------- bench
bench: deps all
	sh bench/run.sh

demo: deps all
	sh tests/demo.sh

fixtures-update: all
	sh tests/fixtures-update.sh

# ------------------------------------------------------------------ fuzz
FUZZ_CC ?= clang
FUZZ_BINS := $(patsubst tests/fuzz/%.c,build-fuzz/%,$(FUZZ_SRCS))
FUZZ_AGENT_OBJS := $(patsubst %.c,build-fuzz/obj/%.o,$(AGENT_SRCS))
FUZZ_FLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -iquote agent -iquote web -iquote . -DCP_VERSION='"$(VERSION)"' \
	-DCP_PREFIX='"$(PREFIX)"' -fsanitize=fuzzer-no-link,address,undefined
build-fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(AGENT_CFLAGS) $(call pkg_cflags,netsnmp libpcap) -c -o $@ $<
build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_AGENT_OBJS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(AGENT_CFLAGS) $(call pkg_cflags,netsnmp libpcap) -fsanitize=fuzzer -o $@ $< \
		$(FUZZ_EXTRA_$*) $(FUZZ_AGENT_OBJS) $(AGENT_LIBS) $(call pkg_libs,netsnmp libpcap)
# Kept between runs (make would delete them as intermediates of the
# pattern rule above, and rebuild them all for the next target).
.SECONDARY: $(FUZZ_AGENT_OBJS)
fuzz: deps $(FUZZ_BINS)
	sh tests/run-fuzz.sh $(FUZZ_BINS)
# Every target over its seeds once, no fuzzing (tests/integration/fuzz_seeds.sh).
fuzz-seeds: $(FUZZ_BINS)
	SEEDS=1 sh tests/run-fuzz.sh $(FUZZ_BINS)

# --------------------------------------------------------------- install
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/chokepoint/collectors \
		$(DESTDIR)$(PREFIX)/share/chokepoint/web $(DESTDIR)$(PREFIX)/share/man/man8 \
		$(DESTDIR)$(PREFIX)/include/chokepoint $(DESTDIR)$(PREFIX)/lib/systemd/system
	install -m 755 $(BUILD)/chokepoint $(DESTDIR)$(PREFIX)/bin/chokepoint
	install -m 755 $(BUILD)/chokepoint-pcap $(DESTDIR)$(PREFIX)/lib/chokepoint/chokepoint-pcap
	install -m 755 $(BUILD)/chokepoint-rrd-create $(DESTDIR)$(PREFIX)/lib/chokepoint/chokepoint-rrd-create
	install -m 644 $(COLLECTOR_SOS) $(DESTDIR)$(PREFIX)/lib/chokepoint/collectors/
	cp -R web/static/. $(DESTDIR)$(PREFIX)/share/chokepoint/web/
	install -m 644 agent/plugin.h $(DESTDIR)$(PREFIX)/include/chokepoint/plugin.h
	install -m 644 contrib/chokepoint.8 $(DESTDIR)$(PREFIX)/share/man/man8/chokepoint.8
	install -d $(DESTDIR)$(PREFIX)/share/chokepoint/hooks
	install -m 755 $(filter-out %.md,$(wildcard contrib/hooks/*)) $(DESTDIR)$(PREFIX)/share/chokepoint/hooks/
	sed 's|@PREFIX@|$(PREFIX)|g' contrib/chokepoint.service > $(DESTDIR)$(PREFIX)/lib/systemd/system/chokepoint.service

uninstall:
	rm -rf $(DESTDIR)$(PREFIX)/bin/chokepoint $(DESTDIR)$(PREFIX)/lib/chokepoint \
		$(DESTDIR)$(PREFIX)/share/chokepoint $(DESTDIR)$(PREFIX)/share/man/man8/chokepoint.8 \
		$(DESTDIR)$(PREFIX)/include/chokepoint $(DESTDIR)$(PREFIX)/lib/systemd/system/chokepoint.service

# ------------------------------------------------------------- hygiene
SRC_ALL := $(shell find agent collectors web firmware tests/unit tests/fuzz tests/tools bench -name '*.[ch]' 2>/dev/null)
format:
	clang-format -i $(SRC_ALL)

lint:
	clang-format --dry-run -Werror $(SRC_ALL)
	@! grep -nE '\b(strcpy|sprintf|strtok|atoi|system)\s*\(' $(SRC_ALL) || { echo "lint: banned function"; exit 1; }
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability --inline-suppr \
		--suppress=missingIncludeSystem -I agent $(filter %.c,$(SRC_ALL))

clean:
	rm -rf build build-san build-fuzz

-include $(shell find $(BUILD) build-fuzz -name '*.d' 2>/dev/null)
