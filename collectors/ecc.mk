# The ecc collector: EDAC sysfs plus rasdaemon's SQLite database.
ecc_SRCS := collectors/hw/ecc_edac.c collectors/hw/ecc_ras.c collectors/hw/badattr.c firmware/hwsys.c
ecc_PKGS := sqlite3
