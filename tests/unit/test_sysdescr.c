// SPDX-License-Identifier: MIT
/* sysDescr -> OS family and version, for the common switch families and
 * the real-device strings of the shared fixtures; hostile input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* The parser lives in the SNMP plugins' sources (no agent symbols). */
#include "collectors/snmp/sysdescr.c"

struct tcase {
	const char *descr, *os, *version, *hardware;
};

static const struct tcase cases[] = {
    {"Cisco IOS Software, C2960X Software (C2960X-UNIVERSALK9-M), Version "
     "15.0(2a)EX5, RELEASE SOFTWARE (fc3)\nTechnical Support: "
     "http://www.cisco.com/techsupport",
        "IOS", "15.0(2a)EX5", ""},
    {"\"Cisco IOS Software [Dublin], Catalyst L3 Switch Software "
     "(CAT9K_IOSXE), Version 17.12.4, RELEASE SOFTWARE (fc3)",
        "IOS-XE", "17.12.4", ""},
    {"Cisco IOS XE Software, Version 16.09.03 - Extended Support Release",
        "IOS-XE", "16.09.03", ""},
    {"Cisco NX-OS(tm) Nexus9000 C93180YC-FX3, Software (NXOS 64-bit), "
     "Version 10.5(2), RELEASE SOFTWARE Copyright (c) 2002-2024",
        "NX-OS", "10.5(2)", ""},
    {"Juniper Networks, Inc. ex4300-48t Ethernet Switch, kernel JUNOS "
     "18.4R2-S3.4, Build date: 2020-01-16 21:38:47 UTC",
        "Junos", "18.4R2-S3.4", "ex4300-48t"},
    {"Arista Networks EOS version 4.20.12.1M running on an Arista Networks "
     "DCS-7150S-24",
        "EOS", "4.20.12.1M", "DCS-7150S-24"},
    {"Aruba JL727A 6200F 48G CL4 4SFP+370W Swch ML.10.07.0005", "ArubaOS-CX",
        "ML.10.07.0005", "JL727A"},
    {"Aruba JL260A 2930F-48G-4SFP Switch, revision WC.16.11.0005, ROM "
     "WC.16.01.0010 (/ws/swbuildm/rel_orlando_qaoff/code/build/anm)",
        "ProCurve", "WC.16.11.0005", "JL260A"},
    {"HP J9850A Switch 5406Rzl2, revision KB.16.11.0020, ROM KB.16.01.0008",
        "ProCurve", "KB.16.11.0020", "J9850A"},
    {"HP Stack, revision KA.00.00.0000", "ProCurve", "KA.00.00.0000", "Stack"},
    {"ProCurve J9021A Switch 2810-24G, revision N.11.25, ROM N.10.01",
        "ProCurve", "N.11.25", ""},
    {"Dell EMC Networking OS10 Enterprise. Copyright (c) 1999-2020 by Dell "
     "Inc. All Rights Reserved. System Description: OS10 Enterprise. OS "
     "Version: 10.5.1.0. System Type: S4148F-ON",
        "Dell", "10.5.1.0", "S4148F-ON"},
    {"Dell Networking N3048, 6.3.3.10, Linux 3.6.5-4d2a5a4a", "Dell",
        "6.3.3.10", "N3048"},
    {"PowerConnect 6248, 3.3.12.1, VxWorks 6.5", "Dell", "3.3.12.1", "6248"},
    {"EdgeSwitch 24-Port 250W, 1.8.0.5106045, Linux 3.6.5-1b505fb7, "
     "0.0.0.0000000",
        "EdgeSwitch", "1.8.0.5106045", "EdgeSwitch 24-Port 250W"},
    {"GS1900-48", "ZyNOS", "", "GS1900-48"},
    {"ZyXEL GS2210-24 V4.50(AASO.0) | 05/23/2019", "ZyNOS", "V4.50(AASO.0)",
        "GS2210-24"},
    {"Linux san01 5.3.0-62-generic #56~18.04.1-Ubuntu SMP Wed Jun 24 "
     "16:17:03 UTC 2020 x86_64",
        "Linux", "5.3.0-62-generic", "x86_64"},
    {"FreeBSD fw1 13.1-RELEASE-p3 FreeBSD 13.1-RELEASE-p3 amd64", "FreeBSD",
        "13.1-RELEASE-p3", "amd64"},
    {"Hardware: Intel64 Family 6 Model 85 - Software: Windows Version 6.3 "
     "(Build 17763 Multiprocessor Free)",
        "Windows", "6.3", ""},
    {"Some Vendor Box Version 2.1.3", "", "2.1.3", ""},
    {"", "", "", ""},
};

static void
known_families(void **st)
{
	(void)st;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sysdescr sd;
		int r =
		    sysdescr_parse(cases[i].descr, strlen(cases[i].descr), &sd);
		print_message("%s\n", cases[i].descr);
		assert_string_equal(sd.os, cases[i].os);
		assert_string_equal(sd.version, cases[i].version);
		assert_string_equal(sd.hardware, cases[i].hardware);
		assert_int_equal(r, cases[i].version[0] != '\0');
	}
}

static void
hostile_input(void **st)
{
	struct sysdescr sd;
	char big[5000];
	(void)st;
	/* Not NUL-terminated, embedded NULs and control bytes, huge. */
	memset(big, 'A', sizeof(big));
	sysdescr_parse(big, sizeof(big), &sd);
	assert_string_equal(sd.version, "");
	memcpy(big, "Version ", 8);
	sysdescr_parse(big, sizeof(big), &sd);
	assert_true(strlen(sd.version) < sizeof(sd.version));
	assert_int_equal(sysdescr_parse("Cisco IOS\0Version 1", 19, &sd), 0);
	sysdescr_parse("Linux\x01\x02 h\xff 1.2\n", 14, &sd);
	assert_string_equal(sd.os, "Linux");
	assert_int_equal(sysdescr_parse(NULL, 10, &sd), 0);
	assert_int_equal(sysdescr_parse("Version ", 8, &sd), 0);
	assert_int_equal(sysdescr_parse("JUNOS", 5, &sd), 0);
	assert_int_equal(sysdescr_parse("Dell", 4, &sd), 0);
	assert_int_equal(sysdescr_parse("PowerConnect ", 13, &sd), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(known_families),
	    cmocka_unit_test(hostile_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
