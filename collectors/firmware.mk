# The firmware collector shares the host scanner with `chokepoint firmware`.
firmware_SRCS := firmware/host.c firmware/hwsys.c
