# The ecc collector: EDAC sysfs plus rasdaemon's SQLite database.
ecc_SRCS := collectors/ecc_ras.c firmware/hwsys.c
ecc_PKGS := sqlite3
