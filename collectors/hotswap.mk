# The hotswap collector: sysfs inventory scanners and the uevent parser.
hotswap_SRCS := collectors/hotswap_scan.c collectors/hw/uevent.c firmware/hwsys.c
