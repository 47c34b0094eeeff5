# Fuzz targets of the host collectors (tests/fuzz/fuzz_proc_NAME.c): each
# dlopens build-fuzz/collectors/NAME.so, the real plugin built with the
# fuzzer's instrumentation, through the unit tests' harness.
FUZZ_PROC := cpu memory diskio
FUZZ_PROC_COMMON := $(wildcard collectors/common/*.c)
define fuzz_proc_rule
build-fuzz/collectors/$(1).so: collectors/$(1).c $$($(1)_SRCS) $(FUZZ_PROC_COMMON)
	@mkdir -p $$(dir $$@)
	$$(FUZZ_CC) $$(FUZZ_FLAGS) -fPIC -fvisibility=hidden -shared -o $$@ $$^ -lm
build-fuzz/fuzz_proc_$(1): build-fuzz/collectors/$(1).so tests/fuzz/procfuzz.h \
    tests/unit/helpers/rmtree.h tests/unit/helpers/harness.c
FUZZ_EXTRA_proc_$(1) := tests/unit/helpers/harness.c '-Wl,--export-dynamic-symbol=cp_*'
endef
$(foreach c,$(FUZZ_PROC),$(eval $(call fuzz_proc_rule,$(c))))
