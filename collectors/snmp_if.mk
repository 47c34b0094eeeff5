snmp_if_SRCS := collectors/snmp/engine.c collectors/snmp/walk.c collectors/snmp/devcfg.c collectors/snmp/sutil.c collectors/snmp/sysdescr.c collectors/snmp/selfm.c collectors/snmp/if_meta.c
snmp_if_PKGS := netsnmp
FUZZ_EXTRA_sysdescr := collectors/snmp/sysdescr.c
FUZZ_EXTRA_snmpwalk := collectors/snmp/sutil.c collectors/snmp/engine.c
