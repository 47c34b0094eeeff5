# Fuzz targets of the hardware collectors: extra sources not in libagent.
FUZZ_EXTRA_uevent := collectors/hw/uevent.c
FUZZ_EXTRA_sel := collectors/hw/ipmi_sel.c
