# The fixture_dump tool loads collector plugins through the unit-test
# harness, so unlike the other tools it links the harness and exports the
# cp_* ABI to the plugins it dlopens (this explicit rule wins over the
# tests/tools pattern rule).
$(BUILD)/tools/fixture_dump: tests/tools/fixture_dump.c $(BUILD)/obj/tests/unit/helpers/harness.o $(BUILD)/libagent.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(AGENT_CFLAGS) $(LDFLAGS) -o $@ $< \
		$(BUILD)/obj/tests/unit/helpers/harness.o $(BUILD)/libagent.a $(AGENT_LIBS) \
		-Wl,--export-dynamic-symbol='cp_*'

# Everything the collector tests need, without the agent binary.
.PHONY: collectors-test
collectors-test: $(BUILD)/collectors/cpu.so $(BUILD)/collectors/memory.so \
	$(BUILD)/collectors/diskio.so $(BUILD)/tools/fixture_dump \
	$(BUILD)/tests/test_cpu $(BUILD)/tests/test_memory $(BUILD)/tests/test_diskio

# This file is included before `all` is defined: give the default goal
# back, so a bare `make` still builds everything.
.DEFAULT_GOAL :=
