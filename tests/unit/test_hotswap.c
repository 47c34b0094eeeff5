// SPDX-License-Identifier: MIT
/*
 * The hotswap collector against the hw-server-* fixture trees with a real
 * SQLite store kept across "restarts": removed, inserted and replaced are
 * each reported exactly once, also when they happened while the agent was
 * down. Recorded uevents go through the collector's socket callback (the
 * same code the netlink socket drives) and through the parser directly;
 * a real netlink test runs where the kernel lets us trigger a uevent.
 */
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "collectors/hw/ipmi_sel.c"
#include "collectors/hw/uevent.c"
#include "hw_harness.h"

struct t {
	struct hw_h h;
	char sys[PATH_MAX];
	char proc[PATH_MAX];
};

static void
use(struct t *t, const char *tcase)
{
	char target[PATH_MAX];

	hw_fixture(target, sizeof(target), tcase, "sys");
	hw_relink(target, t->sys);
	hw_fixture(target, sizeof(target), tcase, "proc");
	hw_relink(target, t->proc);
}

static int
setup(void **state)
{
	struct t *t = xcalloc(1, sizeof(*t));

	hw_init(&t->h);
	snprintf(t->sys, sizeof(t->sys), "%s/sys", t->h.dir);
	snprintf(t->proc, sizeof(t->proc), "%s/proc", t->h.dir);
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	struct t *t = *state;

	hw_fini(&t->h);
	free(t);
	return 0;
}

static void
start(struct t *t, const char *yaml)
{
	assert_int_equal(
	    hw_open(&t->h, "hotswap", t->sys, t->proc, yaml, 1), 0);
}

/* Events whose message contains needle, across the whole store. */
static size_t
count(struct t *t, const char *needle)
{
	struct hw_evlist ev;

	hw_events(&t->h, "hotswap", &ev);
	return hw_count(&ev, needle);
}

static size_t
total(struct t *t)
{
	struct hw_evlist ev;

	hw_events(&t->h, "hotswap", &ev);
	return ev.n;
}

static void
swaps_across_restarts_one_event_each(void **state)
{
	struct t *t = *state;
	struct hw_evlist ev;
	const struct hw_sample *s;

	use(t, "hw-server-1");
	start(t, "{uevent: false}");
	assert_int_equal(total(t), 0); /* the first inventory is a baseline */
	assert_int_equal(hw_collect(&t->h, 1000000), 0);
	s = hw_sample(&t->h, "hotswap_present", "kind=disk");
	assert_non_null(s);
	assert_true(s->value == 3.0); /* sda, sdb, nvme0n1; not loop0 */
	s = hw_sample(&t->h, "hotswap_present", "kind=power_supply");
	assert_true(s && s->value == 2.0);
	s = hw_sample(&t->h, "hotswap_present", "kind=pci_slot");
	assert_true(s && s->value == 1.0);
	s = hw_sample(&t->h, "hotswap_present", "kind=fan");
	assert_true(s && s->value == 2.0);
	hw_close(&t->h);

	/* Pulled while the agent was down: seen at the next start. */
	use(t, "hw-server-2");
	start(t, "{uevent: false}");
	assert_int_equal(total(t), 2);
	assert_int_equal(count(t, "disk ata2: removed (while the agent was "
	                          "not running): ATA SAMSUNG MZ7LH480 serial "
	                          "S45PNA0M507777 (sdb)"),
	    1);
	assert_int_equal(count(t, "power supply PSU2: removed"), 1);
	hw_collect(&t->h, 2000000);
	hw_collect(&t->h, 2010000);
	assert_int_equal(total(t), 2);
	hw_close(&t->h);

	use(t, "hw-server-3");
	start(t, "{uevent: false}");
	hw_collect(&t->h, 3000000);
	hw_close(&t->h);
	start(t, "{uevent: false}");
	hw_collect(&t->h, 3010000);
	hw_events(&t->h, "hotswap", &ev);
	assert_int_equal(ev.n, 5);
	assert_int_equal(count(t, "disk ata2: inserted"), 1);
	assert_int_equal(count(t, "serial S45PNA0R909090"), 1);
	assert_int_equal(count(t, "disk nvme 0000:3b:00.0: replaced (was "
	                          "S4F7NE0M100001)"),
	    1);
	assert_int_equal(count(t, "power supply PSU2: inserted"), 1);
	for (size_t i = 0; i < ev.n; i++)
		if (strstr(ev.msg[i], "replaced")) {
			assert_string_equal(ev.before[i], "S4F7NE0M100001");
			assert_string_equal(ev.after[i], "S4F7NE0M200002");
			assert_string_equal(
			    ev.comp[i], "disk nvme 0000:3b:00.0");
		}
}

static void
send_file(int fd, const char *name)
{
	char path[PATH_MAX], *data;
	size_t len;

	hw_fixture(path, sizeof(path), "../uevent", name);
	/* hw_fixture appends "/name"; undo the host/ prefix trick */
	data = file_read(path, 1 << 16, &len);
	assert_non_null(data);
	assert_int_equal(send(fd, data, len, 0), (ssize_t)len);
	free(data);
}

static void
uevents_trigger_an_immediate_rescan(void **state)
{
	struct t *t = *state;
	int sv[2];

	use(t, "hw-server-1");
	start(t, NULL);
	if (t->h.watch_cb == NULL)
		skip(); /* no netlink socket here: nothing to drive */
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);

	/* The machine changes; an unrelated uevent does not rescan. */
	use(t, "hw-server-2");
	send_file(sv[1], "real-net-change-lo.bin");
	send_file(sv[1], "sata-add-partition.bin");
	send_file(sv[1], "bad-udev-framed.bin");
	send_file(sv[1], "bad-no-equals.bin");
	t->h.watch_cb(t->h.ctx, sv[0], CP_FD_READ, t->h.watch_arg);
	assert_int_equal(total(t), 0);

	/* The disk's removal: reported at once, not at the next collect. */
	send_file(sv[1], "sata-remove-sdb.bin");
	send_file(sv[1], "sata-remove-scsi.bin");
	t->h.watch_cb(t->h.ctx, sv[0], CP_FD_READ, t->h.watch_arg);
	assert_int_equal(
	    count(t, "disk ata2: removed (uevent remove block)"), 1);
	assert_int_equal(count(t, "power supply PSU2: removed"), 1);
	assert_int_equal(total(t), 2);
	/* ...and the collection that follows finds nothing new. */
	hw_collect(&t->h, 1000000);
	assert_int_equal(total(t), 2);
	{
		const struct hw_sample *s =
		    hw_sample(&t->h, "hotswap_uevents_total", "");
		const struct hw_sample *b =
		    hw_sample(&t->h, "hotswap_uevents_malformed_total", "");

		assert_non_null(s);
		assert_int_equal(s->counter, 4); /* the two bad ones aside */
		assert_non_null(b);
		assert_int_equal(b->counter, 2);
	}
	close(sv[0]);
	close(sv[1]);
	/* stop() takes its socket off the event loop. */
	assert_int_equal(t->h.unwatched, 0);
	hw_close(&t->h);
	assert_int_equal(t->h.unwatched, 1);
}

static void
real_netlink_uevent_is_received(void **state)
{
	struct t *t = *state;
	struct pollfd pfd;
	const struct hw_sample *s;
	FILE *f;
	int64_t deadline;

	/* The live /sys: the kernel must announce a synthetic change. */
	assert_int_equal(
	    hw_open(&t->h, "hotswap", "/sys", "/proc", NULL, 1), 0);
	if (t->h.watch_cb == NULL || t->h.watch_fd < 0) {
		print_message("SKIP: NETLINK_KOBJECT_UEVENT not available\n");
		skip();
	}
	f = fopen("/sys/block/loop0/uevent", "w");
	if (f == NULL) {
		print_message("SKIP: cannot write /sys/block/loop0/uevent "
		              "(not root or no loop device)\n");
		skip();
	}
	fputs("change", f);
	if (fclose(f) != 0) {
		print_message(
		    "SKIP: the kernel refused the synthetic uevent\n");
		skip();
	}
	deadline = mono_ms() + 3000;
	for (;;) {
		pfd.fd = t->h.watch_fd;
		pfd.events = POLLIN;
		assert_true(poll(&pfd, 1, 3000) >= 0);
		if (pfd.revents & POLLIN)
			t->h.watch_cb(t->h.ctx, t->h.watch_fd, CP_FD_READ,
			    t->h.watch_arg);
		hw_collect(&t->h, now_ms());
		s = hw_sample(&t->h, "hotswap_uevents_total", "");
		assert_non_null(s);
		if (s->counter >= 1 || mono_ms() > deadline)
			break;
	}
	assert_true(s->counter >= 1);
}

static void
malformed_tree_never_crashes(void **state)
{
	struct t *t = *state;
	char logpath[64], *log;
	int saved;

	use(t, "hw-malformed");
	hw_capture_stderr_begin(&saved, logpath, sizeof(logpath));
	start(t, "{uevent: false}");
	assert_int_equal(hw_collect(&t->h, 1000000), 0);
	log = hw_capture_stderr_end(saved, logpath);
	assert_non_null(strstr(log, "malformed sysfs content"));
	assert_non_null(strstr(log, "block/sda/size: not a number"));
	assert_non_null(strstr(log, "power_supply/PSU9/present: not a number"));
	assert_non_null(strstr(log, "slots/7/power: not a number"));
	assert_non_null(strstr(log, "hwmon0/fan1_input: empty"));
	free(log);
	/* The same tree again: nothing new to say. */
	hw_capture_stderr_begin(&saved, logpath, sizeof(logpath));
	assert_int_equal(hw_collect(&t->h, 1010000), 0);
	log = hw_capture_stderr_end(saved, logpath);
	assert_null(strstr(log, "malformed"));
	free(log);
	assert_int_equal(total(t), 0);
}

/* A power supply losing its input: a tree written by the test itself. */
static void
psu_input_lost_and_restored(void **state)
{
	struct t *t = *state;
	char d[PATH_MAX + 64], f[PATH_MAX + 96];

	snprintf(d, sizeof(d), "%s/tree/class/power_supply/PSU1", t->h.dir);
	assert_int_equal(mkdir_p(d), 0);
	snprintf(f, sizeof(f), "%s/type", d);
	hw_write(f, "Mains\n");
	snprintf(f, sizeof(f), "%s/serial_number", d);
	hw_write(f, "CN1797\n");
	snprintf(f, sizeof(f), "%s/online", d);
	hw_write(f, "1\n");
	snprintf(d, sizeof(d), "%s/tree", t->h.dir);
	hw_relink(d, t->sys);
	start(t, "{uevent: false, ipmi: false}");
	hw_write(f, "0\n");
	hw_collect(&t->h, 1000000);
	assert_int_equal(count(t, "power supply PSU1: offline (no input "
	                          "power): Mains serial CN1797"),
	    1);
	hw_collect(&t->h, 1010000);
	hw_write(f, "1\n");
	hw_collect(&t->h, 1020000);
	assert_int_equal(count(t, "power supply PSU1: back online"), 1);
	assert_int_equal(total(t), 2);
}

/* ------------------------------------------------------ the parser alone */

static void
parse_file(const char *name, struct uevent *ue, int *r, const char **err)
{
	char path[PATH_MAX], *data;
	size_t len;

	hw_fixture(path, sizeof(path), "../uevent", name);
	data = file_read(path, 1 << 16, &len);
	assert_non_null(data);
	*r = uevent_parse(data, len, ue, err);
	free(data);
}

static void
parser_reads_recorded_kernel_messages(void **state)
{
	static struct uevent ue;
	const char *err;
	int r;

	(void)state;
	parse_file("real-block-change-loop0.bin", &ue, &r, &err);
	assert_int_equal(r, 0);
	assert_string_equal(ue.action, "change");
	assert_string_equal(ue.devpath, "/devices/virtual/block/loop0");
	assert_string_equal(ue.subsystem, "block");
	assert_string_equal(ue.devtype, "disk");
	assert_string_equal(ue.devname, "loop0");
	assert_true(ue.seqnum > 0);
	assert_string_equal(uevent_get(&ue, "MAJOR"), "7");
	parse_file("sata-remove-sdb.bin", &ue, &r, &err);
	assert_int_equal(r, 0);
	assert_string_equal(ue.action, "remove");
	assert_int_equal(ue.seqnum, 4811);
	parse_file("real-pci-change.bin", &ue, &r, &err);
	assert_int_equal(r, 0);
	assert_string_equal(ue.subsystem, "pci");
	assert_non_null(uevent_get(&ue, "PCI_SLOT_NAME"));
}

static void
parser_rejects_what_the_kernel_never_sends(void **state)
{
	static struct uevent ue;
	static const struct {
		const char *file;
		int r;
		const char *why;
	} bad[] = {
	    {"bad-udev-framed.bin", -EPROTO, "udev"},
	    {"bad-no-at.bin", -EINVAL, "ACTION@DEVPATH"},
	    {"bad-action-mismatch.bin", -EINVAL, "ACTION differs"},
	    {"bad-no-equals.bin", -EINVAL, "KEY=VALUE"},
	    {"bad-seqnum.bin", -EINVAL, "SEQNUM"},
	    {"bad-many-vars.bin", -EINVAL, "too many"},
	};
	const char *err;
	int r;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		parse_file(bad[i].file, &ue, &r, &err);
		assert_int_equal(r, bad[i].r);
		assert_non_null(strstr(err, bad[i].why));
	}
	assert_int_equal(uevent_parse("", 0, &ue, &err), -EINVAL);
	assert_int_equal(uevent_parse("x", UEVENT_MAX + 1, &ue, &err), -EINVAL);
	/* No NUL at all: the header is the whole buffer. */
	assert_int_equal(uevent_parse("add@/devices/x", 14, &ue, &err), 0);
	assert_string_equal(ue.devpath, "/devices/x");
	assert_int_equal(
	    uevent_parse("frob@/devices/x", 15, &ue, &err), -EINVAL);
}

/* ------------------------------------------------------------ IPMI SEL */

/*
 * System event records (IPMI 2.0 table 32-1): id, type 02, timestamp,
 * generator (BMC 0x0020), EvM rev 04, sensor type, sensor number,
 * direction|event type, event data 1-3. Composed as a Dell iDRAC logs
 * them (ipmitool sel elist shows e.g. "Drive Slot 0x12 | Drive Present |
 * Deasserted").
 */
static const uint8_t sel_drive_removed[16] = {0x10, 0x00, 0x02, 0x00, 0x2f,
    0x5e, 0x65, 0x20, 0x00, 0x04, 0x0d, 0x12, 0xef, 0x00, 0xff, 0xff};
static const uint8_t sel_drive_inserted[16] = {0x11, 0x00, 0x02, 0x10, 0x2f,
    0x5e, 0x65, 0x20, 0x00, 0x04, 0x0d, 0x12, 0x6f, 0x00, 0xff, 0xff};
static const uint8_t sel_psu_ac_lost[16] = {0x12, 0x00, 0x02, 0x20, 0x2f, 0x5e,
    0x65, 0x20, 0x00, 0x04, 0x08, 0x62, 0x6f, 0x03, 0xff, 0xff};
static const uint8_t sel_fan_absent[16] = {0x13, 0x00, 0x02, 0x30, 0x2f, 0x5e,
    0x65, 0x20, 0x00, 0x04, 0x04, 0x31, 0x08, 0x00, 0xff, 0xff};
static const uint8_t sel_temp_threshold[16] = {0x14, 0x00, 0x02, 0x40, 0x2f,
    0x5e, 0x65, 0x20, 0x00, 0x04, 0x01, 0x0e, 0x01, 0x59, 0x5a, 0x55};
static const uint8_t sel_oem[16] = {0x15, 0x00, 0xc1, 0x50, 0x2f, 0x5e, 0x65,
    0xa2, 0x02, 0x00, 1, 2, 3, 4, 5, 6};

static int
describe_rec(const uint8_t *rec, char *comp, char *msg, enum cp_severity *sev,
    const char **after)
{
	struct sel_entry e;

	assert_int_equal(sel_decode(rec, 16, &e), 0);
	return sel_describe(&e, comp, 64, msg, 256, sev, after);
}

static void
sel_records_become_hotswap_events(void **state)
{
	char comp[64], msg[256];
	enum cp_severity sev;
	const char *after;
	struct sel_entry e;

	(void)state;
	assert_int_equal(sel_decode(sel_drive_removed, 16, &e), 0);
	assert_int_equal(e.id, 0x10);
	assert_int_equal(e.timestamp, 0x655e2f00u);
	assert_int_equal(e.sensor_type, 0x0d);
	assert_int_equal(e.deassert, 1);
	assert_int_equal(
	    describe_rec(sel_drive_removed, comp, msg, &sev, &after), 1);
	assert_string_equal(comp, "drive slot 0x12");
	assert_non_null(strstr(msg, "drive slot 0x12: removed (SEL record "
	                            "0x0010"));
	assert_int_equal(sev, CP_SEV_WARNING);
	assert_string_equal(after, "absent");
	assert_int_equal(
	    describe_rec(sel_drive_inserted, comp, msg, &sev, &after), 1);
	assert_non_null(strstr(msg, "inserted"));
	assert_int_equal(sev, CP_SEV_INFO);
	assert_int_equal(
	    describe_rec(sel_psu_ac_lost, comp, msg, &sev, &after), 1);
	assert_string_equal(comp, "power supply 0x62");
	assert_non_null(strstr(msg, "input lost"));
	assert_string_equal(after, "failed");
	assert_int_equal(
	    describe_rec(sel_fan_absent, comp, msg, &sev, &after), 1);
	assert_string_equal(comp, "fan 0x31");
	assert_non_null(strstr(msg, "removed (absent)"));
	/* Temperature thresholds and OEM records are not hot-swap matters. */
	assert_int_equal(
	    describe_rec(sel_temp_threshold, comp, msg, &sev, &after), 0);
	assert_int_equal(describe_rec(sel_oem, comp, msg, &sev, &after), 0);
	assert_int_equal(sel_decode(sel_oem, 15, &e), -EINVAL);
}

static void
sel_device_that_is_not_a_bmc(void **state)
{
	struct t *t = *state;
	char yaml[PATH_MAX + 64], file[PATH_MAX + 16], logpath[64], *log;
	int saved;

	/* A regular file: the OpenIPMI ioctl fails with ENOTTY. */
	snprintf(file, sizeof(file), "%s/notipmi", t->h.dir);
	hw_write(file, "x");
	snprintf(yaml, sizeof(yaml),
	    "{uevent: false, ipmi: true, "
	    "ipmi_device: \"%s\"}",
	    file);
	use(t, "hw-server-1");
	start(t, yaml);
	hw_capture_stderr_begin(&saved, logpath, sizeof(logpath));
	assert_int_equal(hw_collect(&t->h, 1000000), 0);
	assert_int_equal(hw_collect(&t->h, 1010000), 0);
	log = hw_capture_stderr_end(saved, logpath);
	assert_non_null(strstr(log, "IPMI: "));
	assert_non_null(strstr(log, "Get SEL Info"));
	assert_non_null(strstr(log, "the SEL is not read"));
	assert_null(hw_sample(&t->h, "hotswap_sel_entries", ""));
	assert_non_null(hw_sample(&t->h, "hotswap_present", "kind=disk"));
	free(log);
	hw_close(&t->h);
	/* No device with ipmi: auto is the normal VM case: quiet. */
	hw_capture_stderr_begin(&saved, logpath, sizeof(logpath));
	start(t, "{uevent: false, ipmi: auto, ipmi_device: /nonexistent/ipmi}");
	assert_int_equal(hw_collect(&t->h, 1020000), 0);
	log = hw_capture_stderr_end(saved, logpath);
	assert_null(strstr(log, "IPMI"));
	free(log);
	hw_close(&t->h);
	assert_true(hw_open(&t->h, "hotswap", t->sys, t->proc,
	                "{ipmi: sometimes}", 0) < 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        swaps_across_restarts_one_event_each, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        uevents_trigger_an_immediate_rescan, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        real_netlink_uevent_is_received, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        malformed_tree_never_crashes, setup, teardown),
	    cmocka_unit_test(parser_reads_recorded_kernel_messages),
	    cmocka_unit_test(parser_rejects_what_the_kernel_never_sends),
	    cmocka_unit_test(sel_records_become_hotswap_events),
	    cmocka_unit_test_setup_teardown(
	        psu_input_lost_and_restored, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        sel_device_that_is_not_a_bmc, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
