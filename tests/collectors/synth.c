// SPDX-License-Identifier: MIT
/*
 * synth: a test-only collector (built into BUILD/test-collectors, never
 * loaded by default) that feeds the agent through the real plugin ABI with
 * deterministic data: a simulated switch (ports with speeds, status,
 * utilisation, octet and error counters, entity inventory, firmware, a link
 * event), pressure signals for the local host, and N plain gauges for the
 * /metrics benchmark. Values follow known formulas of time, so tests can
 * check what the API and graphs show.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin.h"

struct synth {
	char device[128];
	int64_t ports;
	int64_t series;
	int host;
	int started;
};

static int
s_configure(struct cp_ctx *ctx, const struct cp_cfg *cfg, void **state)
{
	struct synth *s = calloc(1, sizeof(*s));
	const char *dev = NULL;

	(void)ctx;
	if (s == NULL)
		return -1;
	s->ports = 8;
	if (cp_cfg_str(cfg, "device", &dev) == 0)
		snprintf(s->device, sizeof(s->device), "%s", dev);
	if (cp_cfg_int(cfg, "ports", 1, 1000, &s->ports) == -22 ||
	    cp_cfg_int(cfg, "series", 0, 1000000, &s->series) == -22 ||
	    cp_cfg_bool(cfg, "host", &s->host) == -22) {
		free(s);
		return -1;
	}
	*state = s;
	return 0;
}

static int
s_start(struct cp_ctx *ctx, void *state)
{
	(void)ctx;
	(void)state;
	return 0;
}

/* Port i's utilisation at time t (seconds): a slow wave around a base. */
double synth_util(int64_t i, double t);
double
synth_util(int64_t i, double t)
{
	return 0.1 + 0.08 * (double)(i % 10) +
	       0.05 * sin(t / 600.0 + (double)i);
}

/* Bytes per ms at the base of port i's utilisation, 0.1 + 0.08 * (i % 10)
 * of speed (whole: speed is a multiple of 8e5 bit/s). */
static uint64_t
octets_per_ms(double speed, int64_t i)
{
	return (uint64_t)(speed / 8 / 1000) * (uint64_t)(10 + 8 * (i % 10)) /
	       100;
}

static void
gauge(struct cp_ctx *ctx, const char *target, const char *metric,
    const struct cp_label *l, size_t n, double v)
{
	struct cp_sample s = {0};

	s.target = target;
	s.metric = metric;
	s.labels = l;
	s.nlabels = n;
	s.value = v;
	cp_emit(ctx, &s);
}

static void
counter(struct cp_ctx *ctx, const char *target, const char *metric,
    const struct cp_label *l, size_t n, uint64_t v, double scale)
{
	struct cp_sample s = {0};

	s.target = target;
	s.metric = metric;
	s.labels = l;
	s.nlabels = n;
	s.kind = CP_COUNTER64;
	s.counter = v;
	s.scale = scale;
	cp_emit(ctx, &s);
}

static void
inventory(struct cp_ctx *ctx, const char *dev)
{
	static const char *const rows[][11] = {
	    /* index class name descr model serial hw fw sw fru contained */
	    {"1", "chassis", "Chassis", "Synth 48-port switch", "SX-48",
	        "SN0001", "B2", "1.2.3", "9.3(7)", "false", "0"},
	    {"2", "module", "Slot 1", "Uplink module 4x10G", "SX-UPL4",
	        "SN0002", "A1", "1.0", "", "true", "1"},
	    {"3", "powerSupply", "PSU 1", "AC power supply 350W", "SX-PS350",
	        "SN0003", "A", "", "", "true", "1"},
	    {"4", "fan", "Fan 1", "Fan tray", "SX-FAN", "SN0004", "A", "", "",
	        "true", "1"},
	    {"5", "port", "Gi1/0/1", "Gigabit port", "", "", "", "", "",
	        "false", "2"},
	};
	static const char *const keys[] = {"index", "class", "name", "descr",
	    "model", "serial", "hardware_rev", "firmware_rev", "software_rev",
	    "field_replaceable", "contained_in"};
	struct cp_label attrs[5][11];
	struct cp_inventory_item items[5];
	struct cp_label fw[3] = {
	    {"component", "os"}, {"version", "9.3(7)"}, {"vendor", "synth"}};
	struct cp_inventory_item fwi = {"os", fw, 3};

	for (size_t i = 0; i < 5; i++) {
		for (size_t k = 0; k < 11; k++)
			attrs[i][k] = (struct cp_label){keys[k], rows[i][k]};
		items[i] = (struct cp_inventory_item){rows[i][0], attrs[i], 11};
	}
	cp_inventory_put(ctx, dev, "entity", items, 5);
	cp_inventory_put(ctx, dev, "firmware", &fwi, 1);
}

static void
device(struct cp_ctx *ctx, struct synth *s, double t)
{
	const char *dev = s->device;
	char up_s[32];
	struct cp_label info[5] = {{"descr", "Synth switch, software 9.3(7)"},
	    {"name", dev}, {"object_id", "1.3.6.1.4.1.9.1.1208"},
	    {"uptime_s", up_s}, {"version", "9.3(7)"}};
	struct cp_target_status st = {0};
	uint64_t tms = (uint64_t)(t * 1000);

	snprintf(up_s, sizeof(up_s), "%.0f", fmod(t, 1e6));
	st.target = dev;
	st.role = "l2";
	st.up = 1;
	st.last_poll_ms = (int64_t)(t * 1000);
	st.last_success_ms = st.last_poll_ms;
	st.poll_seconds = 0.012;
	st.info = info;
	st.ninfo = 5;
	cp_target_status(ctx, &st);
	for (int64_t i = 0; i < s->ports; i++) {
		char name[32], idx[24], alias[48];
		struct cp_label l[2] = {{"ifname", name}, {"ifindex", idx}};
		struct cp_label li[5] = {{"ifname", name}, {"ifindex", idx},
		    {"alias", alias}, {"descr", name}, {"type", "6"}};
		double speed = i == 0 ? 1e10 : 1e9;
		double ui = synth_util(i, t), uo = synth_util(i + 3, t);
		int down = i == s->ports - 1 && s->ports > 1;

		snprintf(name, sizeof(name), "Gi1/0/%lld", (long long)(i + 1));
		snprintf(idx, sizeof(idx), "%lld", (long long)(i + 1));
		snprintf(alias, sizeof(alias),
		    i == 0 ? "uplink core1" : "port %lld", (long long)(i + 1));
		gauge(ctx, dev, "if_info", li, 5, 1);
		gauge(ctx, dev, "if_speed_bps", l, 2, speed);
		gauge(ctx, dev, "if_admin_status", l, 2, 1);
		gauge(ctx, dev, "if_oper_status", l, 2, down ? 2 : 1);
		gauge(ctx, dev, "if_in_util_ratio", l, 2, down ? 0 : ui);
		gauge(ctx, dev, "if_out_util_ratio", l, 2, down ? 0 : uo);
		/* Octet counters as snmp_if has them (rates in bytes/s): the
		 * integral of the utilisation's base (synth_util() without
		 * its wave), exact whatever the interval, so a port's rate
		 * and utilisation agree to within the wave's 5 points. A down
		 * port moves nothing. */
		counter(ctx, dev, "if_in_octets_total", l, 2,
		    down ? 0 : tms * octets_per_ms(speed, i), 1);
		counter(ctx, dev, "if_out_octets_total", l, 2,
		    down ? 0 : tms * octets_per_ms(speed, i + 3), 1);
		/* Milli-errors, scaled back: exactly i errors per second. */
		counter(ctx, dev, "if_in_errors_total", l, 2, tms * (uint64_t)i,
		    0.001);
		counter(ctx, dev, "if_out_errors_total", l, 2, 0, 1);
		counter(ctx, dev, "if_in_discards_total", l, 2,
		    (uint64_t)(t * (double)(i % 3)), 1);
		counter(ctx, dev, "if_out_discards_total", l, 2, 0, 1);
	}
	if (!s->started) {
		struct cp_event ev = {dev, "link", "Gi1/0/8", CP_SEV_WARNING,
		    "up", "down", "Gi1/0/8: link up -> down", 0};

		inventory(ctx, dev);
		cp_event(ctx, &ev);
	}
}

static void
host(struct cp_ctx *ctx, double t)
{
	struct cp_label cpu = {"cpu", "total"}, disk = {"disk", "sda"};

	gauge(ctx, NULL, "cpu_busy_ratio", &cpu, 1, 0.42 + 0.1 * sin(t / 300));
	gauge(ctx, NULL, "memory_used_ratio", NULL, 0, 0.63);
	gauge(ctx, NULL, "psi_memory_some_ratio", NULL, 0, 0.05);
	gauge(ctx, NULL, "disk_util_ratio", &disk, 1, 0.3);
}

static int
s_collect(struct cp_ctx *ctx, void *state)
{
	struct synth *s = state;
	double t = (double)cp_now_ms(ctx) / 1000;

	if (s->device[0])
		device(ctx, s, t);
	if (s->host)
		host(ctx, t);
	for (int64_t i = 0; i < s->series; i++) {
		char v[24];
		struct cp_label l[2] = {{"group", v + 20}, {"i", v}};

		snprintf(v, 20, "%lld", (long long)i);
		snprintf(v + 20, 4, "%c", (char)('a' + i % 26));
		gauge(ctx, "bench", "synth_value", l, 2,
		    (double)(i % 1000) + 0.5);
	}
	s->started = 1;
	return 0;
}

static void
s_stop(void *state)
{
	free(state);
}

CP_EXPORT const struct cp_collector cp_collector = {
    CP_ABI_VERSION, "synth", s_configure, s_start, s_collect, s_stop};
