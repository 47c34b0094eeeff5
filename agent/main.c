// SPDX-License-Identifier: MIT
/*
 * chokepoint: the command line. Subcommands dispatch to the agent (run,
 * check) and to the modules that print reports and exit.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "auth.h"
#include "bottleneck.h"
#include "firmware/firmware.h"
#include "log.h"
#include "rrd.h"
#include "util.h"

static const char usage[] =
    "usage: chokepoint COMMAND [OPTIONS]\n"
    "\n"
    "Infrastructure bottleneck monitoring agent: polls switches over SNMP,\n"
    "samples host CPU, memory and disk I/O, stores time series in RRD files\n"
    "and serves a dashboard, JSON API and Prometheus /metrics.\n"
    "\n"
    "commands:\n"
    "  run [-c FILE]        run the agent in the foreground; without -c it\n"
    "                       monitors this host with the embedded defaults,\n"
    "                       keeps data in ./chokepoint-data and serves\n"
    "                       http://127.0.0.1:8080/\n"
    "  check -c FILE        validate a config; every error as FILE:LINE:COL\n"
    "                       (exit 0 valid, 1 invalid)\n"
    "  firmware [-c FILE] [--json]\n"
    "                       print the firmware inventory, baseline drift\n"
    "                       and recent changes\n"
    "  report [-c FILE] [--json] [--window 15m]\n"
    "                       print the ranked bottlenecks (USE method)\n"
    "  defaults             print the embedded default config\n"
    "  pcap FILE [-c FILE] [--json]\n"
    "                       analyse a capture file (TCP health, response\n"
    "                       times, top talkers; `pcap --help` for more)\n"
    "  passwd NAME [--role read|admin]\n"
    "                       read a password on standard input and print\n"
    "                       its salted hash for web.auth.users\n"
    "  token NAME [--role read|admin]\n"
    "                       make a bearer token; prints it once, and its\n"
    "                       salted hash for web.auth.tokens\n"
    "\n"
    "options:\n"
    "  -c, --config FILE    the YAML config\n"
    "  -h, --help           this help\n"
    "  -V, --version        print the version\n"
    "\n"
    "signals (run): SIGTERM/SIGINT stop cleanly (pending RRD values are\n"
    "written), SIGHUP reloads the config if it is valid.\n"
    "exit codes: 0 ok, 1 invalid config, 2 environment (data directory not\n"
    "writable or in use by another agent, port in use, plugin directory\n"
    "missing).\n";

/* Parses -c FILE from argv (after the subcommand). */
/*
 * `chokepoint pcap`: the chokepoint-pcap helper beside this binary (build
 * tree) or in PREFIX/lib/chokepoint, so the daemon never links libpcap.
 */
static int
pcap_exec(int argc, char **argv)
{
	char helper[PATH_MAX + 64];

	(void)argc;
	helper_path("chokepoint-pcap", helper, sizeof(helper));
	execv(helper, argv);
	fprintf(stderr, "chokepoint: pcap: cannot run %s: %s\n", helper,
	    strerror(errno));
	return 2;
}

static int
parse_common(int argc, char **argv, const char **config)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			*config = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			exit(0);
		default:
			fputs(usage, stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "chokepoint: unexpected argument '%s'\n",
		    argv[optind]);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char *cmd, *config = NULL;

	if (argc < 2) {
		fputs(usage, stderr);
		return 2;
	}
	cmd = argv[1];
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 ||
	    strcmp(cmd, "help") == 0) {
		fputs(usage, stdout);
		return 0;
	}
	if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0 ||
	    strcmp(cmd, "version") == 0) {
		printf("chokepoint %s\n", CP_VERSION);
		return 0;
	}
	if (strcmp(cmd, "run") == 0) {
		if (parse_common(argc - 1, argv + 1, &config) < 0)
			return 2;
		/*
		 * librrd builds a new file in one buffer (3.3 MB for a 1 s
		 * series with 2 days at full resolution). Templates are made
		 * by `__rrd-create`, but if that cannot run they are made
		 * here: glibc would raise its mmap threshold to that size and
		 * keep the buffer in the writer's arena after free; fixed, it
		 * stays in mmap and goes back to the kernel.
		 */
		mallopt(M_MMAP_THRESHOLD, 128 * 1024);
		return agent_run(config);
	}
	if (strcmp(cmd, "check") == 0) {
		if (parse_common(argc - 1, argv + 1, &config) < 0)
			return 2;
		if (config == NULL) {
			fprintf(stderr, "chokepoint: check needs -c FILE\n");
			return 2;
		}
		return agent_check(config, stdout);
	}
	if (strcmp(cmd, "firmware") == 0)
		return firmware_cmd_main(argc - 1, argv + 1);
	if (strcmp(cmd, "report") == 0)
		return report_cmd_main(argc - 1, argv + 1);
	if (strcmp(cmd, "pcap") == 0)
		return pcap_exec(argc - 1, argv + 1);
	if (strcmp(cmd, "passwd") == 0 || strcmp(cmd, "token") == 0)
		return auth_cli(argc - 1, argv + 1);
	/* Internal: the agent's RRD writer runs it to make file templates. */
	if (strcmp(cmd, "__rrd-create") == 0)
		return store_create_main(argc - 2, argv + 2);
	if (strcmp(cmd, "defaults") == 0) {
		extern const char config_default_yaml[];

		fputs(config_default_yaml, stdout);
		return 0;
	}
	fprintf(stderr, "chokepoint: unknown command '%s'\n\n%s", cmd, usage);
	return 2;
}
