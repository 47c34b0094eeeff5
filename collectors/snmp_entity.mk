snmp_entity_SRCS := collectors/snmp/engine.c collectors/snmp/walk.c collectors/snmp/devcfg.c collectors/snmp/sutil.c collectors/snmp/sysdescr.c collectors/snmp/selfm.c
snmp_entity_PKGS := netsnmp
