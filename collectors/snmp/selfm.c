// SPDX-License-Identifier: MIT
/*
 * Self-metrics and state files shared by the SNMP collectors (selfm.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collectors/snmp/selfm.h"

static void
gauge(struct cp_ctx *ctx, const char *target, const struct cp_label *l,
    const char *metric, const char *help, double v, int64_t iv)
{
	struct cp_sample s = {0};
	s.target = target;
	s.metric = metric;
	s.help = help;
	s.labels = l;
	s.nlabels = 1;
	s.kind = CP_GAUGE;
	s.value = v;
	s.interval_ms = iv;
	cp_emit(ctx, &s);
}

void
selfm_emit(struct cp_ctx *ctx, const char *collector, struct se_dev *d,
    int64_t last_success_ms, int64_t iv)
{
	const struct se_poll *p = se_dev_poll(d);
	const char *target = se_dev_cfg(d)->name;
	struct cp_label l[1] = {{"collector", collector}};
	static const char *names[3] = {
	    "snmp_requests_total", "snmp_timeouts_total", "snmp_errors_total"};
	static const char *helps[3] = {"SNMP requests sent",
	    "SNMP requests that timed out",
	    "SNMP errors (error status, broken tables, send failures)"};
	uint64_t v[3];

	gauge(ctx, target, l, "snmp_up",
	    "1 when the device answered the last poll", p->up ? 1 : 0, iv);
	gauge(ctx, target, l, "snmp_poll_seconds", "Duration of the last poll",
	    p->seconds, iv);
	if (last_success_ms)
		gauge(ctx, target, l, "snmp_last_success_timestamp_seconds",
		    "End of the last complete poll (Unix time)",
		    (double)last_success_ms / 1000.0, iv);
	se_dev_totals(d, &v[0], &v[1], &v[2]);
	for (int i = 0; i < 3; i++) {
		struct cp_sample s = {0};
		s.target = target;
		s.metric = names[i];
		s.help = helps[i];
		s.labels = l;
		s.nlabels = 1;
		s.kind = CP_COUNTER64;
		s.counter = v[i];
		s.interval_ms = iv;
		cp_emit(ctx, &s);
	}
}

char *
selfm_state_path(struct cp_ctx *ctx, const char *sub, const char *name,
    const char *suffix, char *buf, size_t size)
{
	char clean[129];
	size_t n = 0;
	int w;

	for (const char *p = name; *p && n < sizeof(clean) - 1; p++) {
		int keep = (*p >= 'a' && *p <= 'z') ||
		           (*p >= 'A' && *p <= 'Z') ||
		           (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		           (*p == '.' && n > 0);
		clean[n++] = keep ? *p : '_';
	}
	clean[n] = '\0';
	w = snprintf(buf, size, "%s/%s", cp_data_dir(ctx), sub);
	if (w < 0 || (size_t)w >= size)
		return NULL;
	mkdir(cp_data_dir(ctx), 0755);
	mkdir(buf, 0755);
	w = snprintf(buf, size, "%s/%s/%s%s", cp_data_dir(ctx), sub,
	    n ? clean : "_", suffix);
	return w < 0 || (size_t)w >= size ? NULL : buf;
}

int
selfm_write_file(const char *path, const char *text, size_t len)
{
	char tmp[4200];
	int fd, rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	while (len > 0) {
		ssize_t w = write(fd, text, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		text += w;
		len -= (size_t)w;
	}
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0)
		unlink(tmp);
	return rc;
}
