// SPDX-License-Identifier: MIT
/*
 * sysDescr version parser (see sysdescr.h). Works on a bounded, sanitised
 * copy: the input is whatever a device (or an attacker on the path) sends.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "collectors/snmp/sysdescr.h"

#define DESCR_MAX 1024

static void
copy_tok(char *dst, size_t size, const char *s, const char *stop)
{
	size_t n = 0;
	while (*s && !strchr(stop, *s) && n + 1 < size)
		dst[n++] = *s++;
	/* Trailing punctuation is prose, not version. */
	while (n > 0 && strchr(",.;:)", dst[n - 1]) &&
	       !(dst[n - 1] == ')' && memchr(dst, '(', n)))
		n--;
	dst[n] = '\0';
}

/* Case-insensitive strstr. */
static const char *
find(const char *h, const char *n)
{
	size_t nl = strlen(n);
	for (; *h; h++)
		if (!strncasecmp(h, n, nl))
			return h;
	return NULL;
}

/* Token after the keyword kw (skipping blanks), into version. */
static int
after(const char *s, const char *kw, char *version, size_t size)
{
	const char *p = find(s, kw);
	if (!p)
		return 0;
	p += strlen(kw);
	while (*p == ' ' || *p == ':')
		p++;
	if (!isalnum((unsigned char)*p))
		return 0;
	copy_tok(version, size, p, " ,;\t");
	return version[0] != '\0';
}

/* A token shaped like AA.NN.NN.NNNN (Aruba/ProCurve), anywhere. */
static int
aruba_tok(const char *s, char *version, size_t size)
{
	for (const char *p = s; *p; p++) {
		if ((p == s || p[-1] == ' ') && isupper((unsigned char)p[0]) &&
		    isupper((unsigned char)p[1]) && p[2] == '.' &&
		    isdigit((unsigned char)p[3])) {
			copy_tok(version, size, p, " ,;\t");
			return 1;
		}
	}
	return 0;
}

/* The n-th (0-based) comma-separated field, trimmed. */
static int
field(const char *s, int n, char *out, size_t size)
{
	while (n-- > 0) {
		s = strchr(s, ',');
		if (!s)
			return 0;
		s++;
	}
	while (*s == ' ')
		s++;
	copy_tok(out, size, s, ",");
	return out[0] != '\0';
}

static void
set(char *dst, size_t size, const char *s)
{
	snprintf(dst, size, "%s", s);
}

int
sysdescr_parse(const char *descr, size_t len, struct sysdescr *out)
{
	char s[DESCR_MAX + 1];
	size_t n = 0;
	const char *p;

	memset(out, 0, sizeof(*out));
	if (!descr)
		return 0;
	/* Printable, single-line, bounded; drop a quote some IOS-XE add. */
	for (size_t i = 0; i < len && n < DESCR_MAX; i++) {
		unsigned char c = (unsigned char)descr[i];
		if (c == '\0')
			break;
		if (c == '"' && n == 0)
			continue;
		s[n++] = (char)(c < 0x20 || c >= 0x7f ? ' ' : c);
	}
	s[n] = '\0';

	if (find(s, "NX-OS")) {
		set(out->os, sizeof(out->os), "NX-OS");
		after(s, "Version ", out->version, sizeof(out->version));
	} else if (find(s, "Cisco IOS") || find(s, "IOS-XE") ||
	           find(s, "Cisco Internetwork Operating")) {
		int xe = find(s, "IOSXE") || find(s, "IOS-XE") ||
		         find(s, "IOS XE") || find(s, "CAT9K") ||
		         find(s, "X86_64_LINUX");
		set(out->os, sizeof(out->os), xe ? "IOS-XE" : "IOS");
		after(s, "Version ", out->version, sizeof(out->version));
	} else if ((p = find(s, "JUNOS")) != NULL) {
		set(out->os, sizeof(out->os), "Junos");
		after(p, "JUNOS", out->version, sizeof(out->version));
		if ((p = find(s, "Inc. ")) != NULL)
			copy_tok(
			    out->hardware, sizeof(out->hardware), p + 5, " ,");
	} else if (find(s, "Arista Networks EOS")) {
		set(out->os, sizeof(out->os), "EOS");
		after(s, "EOS version", out->version, sizeof(out->version));
		if ((p = find(s, "running on an Arista Networks ")) != NULL)
			copy_tok(
			    out->hardware, sizeof(out->hardware), p + 30, " ,");
	} else if (!strncmp(s, "Aruba", 5) && !find(s, "revision ") &&
	           aruba_tok(s, out->version, sizeof(out->version))) {
		set(out->os, sizeof(out->os), "ArubaOS-CX");
		if (s[5] == ' ')
			copy_tok(
			    out->hardware, sizeof(out->hardware), s + 6, " ");
	} else if (find(s, "ProCurve") || !strncmp(s, "HP ", 3) ||
	           !strncmp(s, "Aruba ", 6) || find(s, "revision ")) {
		set(out->os, sizeof(out->os), "ProCurve");
		after(s, "revision", out->version, sizeof(out->version));
		if ((!strncmp(s, "HP ", 3) || !strncmp(s, "Aruba ", 6)) &&
		    (p = strchr(s, ' ')) && p[1] && !strchr(",", p[-1]))
			copy_tok(
			    out->hardware, sizeof(out->hardware), p + 1, " ,");
	} else if (find(s, "Dell") || find(s, "PowerConnect") ||
	           find(s, "Force10")) {
		set(out->os, sizeof(out->os), "Dell");
		if (!after(
		        s, "OS Version", out->version, sizeof(out->version)) &&
		    !after(s, "Application Software Version", out->version,
		        sizeof(out->version)))
			field(s, 1, out->version, sizeof(out->version));
		if (!after(s, "System Type", out->hardware,
		        sizeof(out->hardware)) &&
		    ((p = find(s, "PowerConnect ")) != NULL ||
		        (p = find(s, "Networking ")) != NULL) &&
		    strncmp(strchr(p, ' ') + 1, "OS", 2) != 0)
			copy_tok(out->hardware, sizeof(out->hardware),
			    strchr(p, ' ') + 1, " ,");
	} else if (!strncmp(s, "EdgeSwitch", 10)) {
		set(out->os, sizeof(out->os), "EdgeSwitch");
		field(s, 1, out->version, sizeof(out->version));
		copy_tok(out->hardware, sizeof(out->hardware), s, ",");
	} else if (find(s, "ZyXEL") || find(s, "Zyxel") ||
	           (s[0] == 'G' && s[1] == 'S' &&
	               isdigit((unsigned char)s[2]))) {
		set(out->os, sizeof(out->os), "ZyNOS");
		copy_tok(out->hardware, sizeof(out->hardware),
		    find(s, "ZyXEL ")   ? find(s, "ZyXEL ") + 6
		    : find(s, "Zyxel ") ? find(s, "Zyxel ") + 6
		                        : s,
		    " ,");
		for (p = s; *p; p++)
			if (*p == 'V' && isdigit((unsigned char)p[1]) &&
			    strchr(p, '(')) {
				copy_tok(out->version, sizeof(out->version), p,
				    " ,");
				break;
			}
	} else if (!strncmp(s, "Linux ", 6) || !strncmp(s, "FreeBSD ", 8) ||
	           !strncmp(s, "OpenBSD ", 8) || !strncmp(s, "NetBSD ", 7) ||
	           !strncmp(s, "SunOS ", 6) || !strncmp(s, "Darwin ", 7)) {
		/* uname -a: SYSNAME NODENAME RELEASE ... */
		const char *sp1 = strchr(s, ' ');
		const char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
		copy_tok(out->os, sizeof(out->os), s, " ");
		if (sp2)
			copy_tok(
			    out->version, sizeof(out->version), sp2 + 1, " ");
		if ((p = strrchr(s, ' ')) != NULL && p[1])
			copy_tok(
			    out->hardware, sizeof(out->hardware), p + 1, " ");
	} else if (find(s, "Windows")) {
		set(out->os, sizeof(out->os), "Windows");
		after(s, "Windows Version", out->version, sizeof(out->version));
	} else if (after(s, "Version ", out->version, sizeof(out->version)) ||
	           after(s, "version ", out->version, sizeof(out->version)) ||
	           after(s, "Release ", out->version, sizeof(out->version))) {
		/* Unknown family: keep the version, os stays empty. */
	}
	return out->version[0] != '\0';
}
