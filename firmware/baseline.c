// SPDX-License-Identifier: MIT
/*
 * The approved firmware baseline: the top-level `firmware:` section of the
 * config lists, per component kind and model (globs), the versions that
 * may run (globs). A component matched by a rule but by none of its
 * versions drifts; one matched by no rule is unchecked.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "firmware/firmware.h"
#include "util.h"

void
fw_config_fini(struct fw_config *fc)
{
	for (size_t i = 0; i < fc->nrules; i++) {
		struct fw_rule *r = &fc->rules[i];

		free(r->kind);
		free(r->model);
		for (size_t j = 0; j < r->nversions; j++)
			free(r->versions[j]);
		free(r->versions);
	}
	free(fc->rules);
	memset(fc, 0, sizeof(*fc));
	fc->drift_event = 1;
}

static int
rule_read(const struct cp_cfg *n, struct fw_rule *r)
{
	const struct cp_cfg *v;
	const char *s;
	int bad = 0;

	if (!cfg_node_is_map(n)) {
		cp_cfg_error(n, "a baseline rule must be a mapping with kind, "
		                "model and version");
		return -1;
	}
	cfg_node_clear_used(n);
	if (cp_cfg_str(n, "kind", &s) == 0 && *s) {
		r->kind = xstrdup(s);
	} else {
		cp_cfg_error(n,
		    "a baseline rule needs 'kind' (bios, board, "
		    "system, nic, disk, bmc, os, cpu_microcode or a "
		    "glob)");
		bad = 1;
	}
	s = "*";
	if (cp_cfg_str(n, "model", &s) == -EINVAL)
		bad = 1;
	r->model = xstrdup(s);
	v = cp_cfg_child(n, "version");
	if (v && cp_cfg_scalar(v)) {
		r->versions = xcalloc(1, sizeof(*r->versions));
		r->versions[r->nversions++] = xstrdup(cp_cfg_scalar(v));
	} else if (v && cfg_node_is_seq(v) && cp_cfg_seq_len(v) > 0) {
		size_t k = cp_cfg_seq_len(v);

		r->versions = xcalloc(k, sizeof(*r->versions));
		for (size_t i = 0; i < k; i++) {
			const char *x = cp_cfg_scalar(cp_cfg_seq_at(v, i));

			if (!x) {
				cp_cfg_error(cp_cfg_seq_at(v, i),
				    "a version must be a string (a glob)");
				bad = 1;
				continue;
			}
			r->versions[r->nversions++] = xstrdup(x);
		}
	} else {
		cp_cfg_error(v ? v : n, "a baseline rule needs 'version': a "
		                        "glob or a list of globs");
		bad = 1;
	}
	cfg_node_report_unused(n, "firmware baseline rule");
	return bad ? -1 : 0;
}

int
fw_config_parse(
    const struct config *cfg, struct fw_config *out, struct cfg_errs *errs)
{
	const struct cp_cfg *root, *n, *b;
	size_t before = errs ? errs->n : 0;
	int bad = 0;

	memset(out, 0, sizeof(*out));
	out->drift_event = 1;
	if (!cfg || !cfg->doc)
		return 0;
	if (errs)
		cfgdoc_set_errs(cfg->doc, errs);
	root = cfgdoc_root(cfg->doc);
	n = root ? cp_cfg_child(root, "firmware") : NULL;
	if (!n)
		return 0;
	if (!cfg_node_is_map(n)) {
		cp_cfg_error(n, "'firmware' must be a mapping (baseline, "
		                "drift_event)");
		return -EINVAL;
	}
	cfg_node_clear_used(n);
	if (cp_cfg_bool(n, "drift_event", &out->drift_event) == -EINVAL)
		bad = 1;
	b = cp_cfg_child(n, "baseline");
	if (b && !cfg_node_is_seq(b)) {
		cp_cfg_error(b, "'baseline' must be a list of rules");
		bad = 1;
	} else if (b) {
		size_t k = cp_cfg_seq_len(b);

		out->rules = xcalloc(k ? k : 1, sizeof(*out->rules));
		for (size_t i = 0; i < k; i++) {
			struct fw_rule *r = &out->rules[out->nrules++];

			if (rule_read(cp_cfg_seq_at(b, i), r) < 0)
				bad = 1;
		}
	}
	cfg_node_report_unused(n, "firmware");
	if (bad || (errs && errs->n > before)) {
		fw_config_fini(out);
		return -EINVAL;
	}
	return 0;
}

enum fw_status
fw_baseline_check(const struct fw_config *fc, const char *kind,
    const char *model, const char *version, char *expected, size_t size)
{
	size_t o = 0;
	int matched = 0;

	if (expected && size)
		expected[0] = '\0';
	if (!fc)
		return FW_UNCHECKED;
	for (size_t i = 0; i < fc->nrules; i++) {
		const struct fw_rule *r = &fc->rules[i];

		if (!r->kind || fnmatch(r->kind, kind, 0) != 0 ||
		    fnmatch(r->model, model, 0) != 0)
			continue;
		matched = 1;
		for (size_t j = 0; j < r->nversions; j++) {
			if (fnmatch(r->versions[j], version, 0) == 0)
				return FW_OK;
			if (expected && o < size) {
				int w = snprintf(expected + o, size - o, "%s%s",
				    o ? ", " : "", r->versions[j]);

				if (w > 0)
					o += (size_t)w;
			}
		}
	}
	return matched ? FW_DRIFT : FW_UNCHECKED;
}

const char *
fw_status_name(enum fw_status s)
{
	switch (s) {
	case FW_OK:
		return "ok";
	case FW_DRIFT:
		return "drift";
	default:
		return "unchecked";
	}
}
