snmp_if_SRCS := collectors/snmp/engine.c collectors/snmp/devcfg.c collectors/snmp/sutil.c collectors/snmp/sysdescr.c
snmp_if_PKGS := netsnmp
