// SPDX-License-Identifier: MIT
/*
 * The built-in alert rules for the classic choke points, written as the
 * YAML a user would put under `alerts:`. A user rule with the same name
 * replaces one; `enabled: false` switches it off. Thresholds follow the
 * USE method: utilisation sustained near capacity, any saturation that
 * makes work wait, and hardware errors at once.
 */
#include "alert.h"

const char alert_builtin_yaml[] =
    "alerts:\n"
    /* Host CPU: busy and waiting (run queue, PSI). */
    "  - {name: cpu-busy, metric: cpu_busy_ratio, match: {cpu: total},\n"
    "     above: 0.90, clear: 0.80, critical: 0.98, for: 5m}\n"
    "  - {name: cpu-run-queue, metric: run_queue_per_cpu, above: 2,\n"
    "     clear: 1.5, for: 5m}\n"
    "  - {name: cpu-pressure, metric: psi_cpu_some_ratio, above: 0.5,\n"
    "     clear: 0.3, for: 5m}\n"
    /* Memory: used, swapping, stalled, killed. */
    "  - {name: memory-used, metric: memory_used_ratio, above: 0.90,\n"
    "     clear: 0.85, critical: 0.97, for: 5m}\n"
    "  - {name: memory-pressure, metric: psi_memory_some_ratio,\n"
    "     above: 0.10, clear: 0.05, critical: 0.30, for: 2m}\n"
    "  - {name: swap-in, metric: swap_in_pages_per_second, above: 100,\n"
    "     clear: 50, for: 5m}\n"
    "  - {name: oom-kill, metric: oom_kills_per_second, above: 0,\n"
    "     severity: critical, repeat: 0s}\n"
    /* Disks: busy, slow, stalled. */
    "  - {name: disk-busy, metric: disk_util_ratio, above: 0.90,\n"
    "     clear: 0.80, critical: 0.98, for: 5m}\n"
    "  - {name: disk-latency, metric: disk_*_await_seconds, above: 0.2,\n"
    "     clear: 0.1, for: 5m}\n"
    "  - {name: io-pressure, metric: psi_io_full_ratio, above: 0.10,\n"
    "     clear: 0.05, critical: 0.30, for: 2m}\n"
    /* Switch ports: core uplinks, access ports, drops and errors. */
    "  - {name: core-uplink-saturated, metric: if_*_util_ratio,\n"
    "     match: {role: core}, above: 0.85, clear: 0.75, critical: 0.95,\n"
    "     for: 2m}\n"
    "  - {name: l2-port-saturated, metric: if_*_util_ratio,\n"
    "     match: {role: l2}, above: 0.90, clear: 0.80, for: 5m}\n"
    "  - {name: port-discards, metric: if_out_discards_per_second,\n"
    "     above: 10, clear: 1, for: 2m}\n"
    "  - {name: port-errors, metric: if_in_errors_per_second, above: 1,\n"
    "     clear: 0.1, for: 5m}\n"
    /* Hardware faults: at once. */
    "  - {name: ecc-uncorrected, metric: ecc_uncorrected_per_second,\n"
    "     above: 0, severity: critical}\n"
    "  - {name: ecc-corrected, metric: ecc_corrected_per_second, above: 1,\n"
    "     clear: 0.1, for: 10m}\n"
    "  - {name: ecc-uncorrected-event, event: ecc,\n"
    "     match: {severity: critical}, severity: critical, hold: 1h}\n"
    "  - {name: target-down, absent: target, for: 1m, severity: critical}\n"
    "  - {name: hotswap, event: hotswap, hold: 15m}\n"
    "  - {name: firmware-changed, event: firmware, hold: 1h}\n"
    /* The firmware log raises drift (warning) once when it starts. */
    "  - {name: firmware-drift, event: drift, match: {severity: warning},\n"
    "     hold: 24h}\n"
    "  - {name: reboot, event: reboot, hold: 15m}\n"
    /* The agent itself: history is not being written (data directory
     * full or read-only, files it may not write, rrdcached unreachable;
     * values wait in memory). */
    "  - {name: rrd-writes-blocked, metric: rrd_write_blocked, above: 0,\n"
    "     for: 1m, severity: critical}\n"
    /* Events (and alert states) wait in memory: the database cannot
     * be opened or written (disk full). */
    "  - {name: db-writes-blocked, metric: db_write_blocked, above: 0,\n"
    "     for: 1m}\n";
