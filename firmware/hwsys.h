/* SPDX-License-Identifier: MIT */
/*
 * Reading sysfs attributes under a configurable root: the shared ground of
 * the ecc and hotswap collectors and the host firmware inventory. Plain libc
 * on full paths (the caller builds them with cp_path() or from the
 * configured root), so the same file links into libagent.a and into
 * collector shared objects. Nothing here logs: errors come back as negative
 * errno values and the caller reports them with the path.
 */
#ifndef CHOKEPOINT_HWSYS_H
#define CHOKEPOINT_HWSYS_H

#include <stddef.h>
#include <stdint.h>

/* Largest attribute we read; sysfs attributes are at most one page. */
#define HW_ATTR_MAX 4096

/*
 * Parse an unsigned integer as sysfs prints it: optional surrounding
 * whitespace, decimal, or hex with a 0x prefix when base is 0. Returns 0,
 * -ENODATA for an empty or blank string, -EINVAL for anything else that is
 * not a number, -ERANGE on overflow.
 */
int hw_parse_u64(const char *s, int base, uint64_t *out);

/*
 * Read a text attribute into buf (NUL-terminated, trailing whitespace
 * removed, control characters replaced by '?', truncated to size - 1).
 * Returns 0 (buf may be "" for an empty file) or a negative errno.
 */
int hw_read_str(const char *path, char *buf, size_t size);

/* Read and parse (base as in hw_parse_u64). 0 or a negative errno. */
int hw_read_u64(const char *path, int base, uint64_t *out);

/* snprintf into buf; -ENAMETOOLONG when it does not fit. */
int hw_path(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Entries of directory dir whose name starts with prefix (NULL: any, never
 * "." or ".."), in natural order (dimm2 before dimm10). *names is a heap
 * array of heap strings, freed by hw_names_free(). Returns the count or a
 * negative errno.
 */
int hw_list(const char *dir, const char *prefix, char ***names);
void hw_names_free(char **names, int n);

/*
 * Where the symlink at path leads, as a path relative to root (both
 * resolved), e.g. "devices/pci0000:00/0000:00:1f.2/ata1/host0/...".
 * Returns 0, -EXDEV when it leads outside root, or a negative errno.
 */
int hw_link_rel(const char *root, const char *path, char *buf, size_t size);

/* The last component of the symlink target at path (a driver's name). */
int hw_link_base(const char *path, char *buf, size_t size);

/*
 * The unit serial number from SCSI VPD page 0x80 (SPC-4 7.8.15) in
 * dir/vpd_pg80: a 4-byte header whose bytes 2-3 are the length, then
 * ASCII (libata fills it from the ATA IDENTIFY serial). "" when absent or
 * malformed.
 */
void hw_vpd_serial(const char *dir, char *buf, size_t size);

/* 1 if path exists (any type), 0 if not. */
int hw_exists(const char *path);

#endif
