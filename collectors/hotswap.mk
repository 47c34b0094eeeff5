# The hotswap collector: sysfs inventory scanners and the uevent parser.
hotswap_SRCS := collectors/hw/hotswap_scan.c collectors/hw/badattr.c collectors/hw/ipmi_sel.c collectors/hw/uevent.c firmware/hwsys.c
