# The test-only synth collector (tests/collectors/synth.c): built beside the
# tools into BUILD/test-collectors, never into the default plugin directory.
# This file is included before the main rules: keep `all` the default goal.
.DEFAULT_GOAL := all
$(BUILD)/test-collectors/synth.so: tests/collectors/synth.c agent/plugin.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -iquote agent -fPIC -shared -fvisibility=hidden $(LDFLAGS) -o $@ $< -lm
tools: $(BUILD)/test-collectors/synth.so
