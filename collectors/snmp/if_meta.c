// SPDX-License-Identifier: MIT
/*
 * snmp_if: which ports a device has (ifDescr, ifName, ifAlias, ifType from
 * the names walk), which of them the config selects, and their capacity
 * overrides. Ports are identified by name so that a renumbered ifIndex
 * keeps its counters' state.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/snmp/if_int.h"
#include "collectors/snmp/sutil.h"

/* ------------------------------------------------------------ config */

static int
str_list(const struct cp_cfg *n, const char *key, char ***out, size_t *nout)
{
	const struct cp_cfg *l = n ? cp_cfg_child(n, key) : NULL;
	size_t len = l ? cp_cfg_seq_len(l) : 0;

	*out = NULL;
	*nout = 0;
	if (!l)
		return 0;
	if (len == 0 && !cp_cfg_scalar(l)) {
		*out = NULL;
		return 0;
	}
	if (len == 0) {
		cp_cfg_error(l, "ports.%s: expected a list of patterns", key);
		return -EINVAL;
	}
	*out = s_calloc(len, sizeof(char *));
	for (size_t i = 0; i < len; i++) {
		const char *s = cp_cfg_scalar(cp_cfg_seq_at(l, i));
		if (!s) {
			cp_cfg_error(cp_cfg_seq_at(l, i),
			    "ports.%s: expected a string", key);
			return -EINVAL;
		}
		(*out)[(*nout)++] = s_strdup(s);
	}
	return 0;
}

static int
int_list(const struct cp_cfg *n, const char *key, int64_t **out, size_t *nout)
{
	const struct cp_cfg *l = n ? cp_cfg_child(n, key) : NULL;
	size_t len = l ? cp_cfg_seq_len(l) : 0;

	*out = NULL;
	*nout = 0;
	if (!l)
		return 0;
	*out = s_calloc(len ? len : 1, sizeof(int64_t));
	for (size_t i = 0; i < len; i++) {
		const char *s = cp_cfg_scalar(cp_cfg_seq_at(l, i));
		char *end;
		long v = s ? strtol(s, &end, 10) : 0;
		if (!s || *end || v < 1 || v > 1000) {
			cp_cfg_error(cp_cfg_seq_at(l, i),
			    "ports.%s: expected an IANA ifType number", key);
			return -EINVAL;
		}
		(*out)[(*nout)++] = v;
	}
	return 0;
}

int
ifm_ports_cfg(struct dev *d)
{
	const struct cp_cfg *p = cp_cfg_child(d->cfg->node, "ports");
	const struct cp_cfg *sp;
	int rc = 0;

	if (!p)
		return 0;
	if (str_list(p, "include", &d->inc, &d->ninc) < 0 ||
	    str_list(p, "exclude", &d->exc, &d->nexc) < 0 ||
	    int_list(p, "include_types", &d->inc_types, &d->ninc_types) < 0 ||
	    int_list(p, "exclude_types", &d->exc_types, &d->nexc_types) < 0)
		rc = -EINVAL;
	sp = cp_cfg_child(p, "speed");
	if (sp) {
		size_t n = cp_cfg_map_len(sp);
		d->spd = s_calloc(n ? n : 1, sizeof(*d->spd));
		for (size_t i = 0; i < n; i++) {
			const char *v = cp_cfg_scalar(cp_cfg_map_val(sp, i));
			uint64_t bps;
			if (!v || s_parse_bps(v, &bps) < 0) {
				cp_cfg_error(cp_cfg_map_val(sp, i),
				    "ports.speed: expected bit/s such as 10G, "
				    "100M, 1000000");
				rc = -EINVAL;
				continue;
			}
			d->spd[d->nspd].pattern =
			    s_strdup(cp_cfg_map_key(sp, i));
			d->spd[d->nspd++].bps = bps;
		}
	}
	return rc;
}

void
ifm_dev_fini(struct dev *d)
{
	for (size_t i = 0; i < d->nports; i++) {
		free(d->ports[i].name);
		free(d->ports[i].key);
		free(d->ports[i].alias);
		free(d->ports[i].descr);
	}
	free(d->ports);
	for (size_t i = 0; i < d->ninc; i++)
		free(d->inc[i]);
	for (size_t i = 0; i < d->nexc; i++)
		free(d->exc[i]);
	free(d->inc);
	free(d->exc);
	free(d->inc_types);
	free(d->exc_types);
	for (size_t i = 0; i < d->nspd; i++)
		free(d->spd[i].pattern);
	free(d->spd);
}

static int
port_selected(const struct dev *d, const struct port *pt)
{
	int inc = d->ninc == 0 && d->ninc_types == 0;

	for (size_t i = 0; i < d->ninc && !inc; i++)
		inc = s_glob(d->inc[i], pt->name);
	for (size_t i = 0; i < d->ninc_types && !inc; i++)
		inc = d->inc_types[i] == pt->type;
	for (size_t i = 0; i < d->nexc && inc; i++)
		inc = !s_glob(d->exc[i], pt->name);
	for (size_t i = 0; i < d->nexc_types && inc; i++)
		inc = d->exc_types[i] != pt->type;
	return inc;
}

struct port *
ifm_port_by_index(struct dev *d, uint32_t idx)
{
	for (size_t i = 0; i < d->nports; i++)
		if (d->ports[i].ifindex == idx)
			return &d->ports[i];
	return NULL;
}

void
ifm_apply_meta(struct dev *d, const struct se_walk *w)
{
	const struct se_col *cd = &w->cols[M_DESCR], *cn = &w->cols[M_NAME];
	const struct se_col *ct = &w->cols[M_TYPE], *ca = &w->cols[M_ALIAS];
	struct port *np = NULL;
	size_t nn = 0, cap = 0, i = 0, j = 0;

	/* Union of the indexes of ifDescr and ifName (some devices have
	 * only one of them for some rows). */
	while (i < cd->nrows || j < cn->nrows) {
		uint32_t idx;
		const struct sv *vd, *vn, *vt, *va;
		char *name = NULL, *descr, *key;
		struct port *old = NULL;
		uint64_t t = 0;

		if (j >= cn->nrows ||
		    (i < cd->nrows && cd->rows[i].idx < cn->rows[j].idx))
			idx = cd->rows[i++].idx;
		else if (i >= cd->nrows || cn->rows[j].idx < cd->rows[i].idx)
			idx = cn->rows[j++].idx;
		else {
			idx = cd->rows[i].idx;
			i++;
			j++;
		}
		vd = se_col_get(cd, idx);
		vn = se_col_get(cn, idx);
		vt = se_col_get(ct, idx);
		va = se_col_get(ca, idx);
		descr = vd ? sv_text(vd) : s_strdup("");
		if (vn)
			name = sv_text(vn);
		if (!name || !*name) {
			free(name);
			name = *descr ? s_strdup(descr) : NULL;
		}
		if (!name) {
			char b[24];
			snprintf(b, sizeof(b), "if%" PRIu32, idx);
			name = s_strdup(b);
		}
		key = s_strdup(name);
		for (size_t k = 0; k < nn; k++)
			if (!strcmp(np[k].key, key)) {
				/* Duplicate ifName (procurve: two lo0): the
				 * identity gets the index, the label stays. */
				size_t ul = strlen(name) + 16;
				free(key);
				key = s_malloc(ul);
				snprintf(key, ul, "%s#%" PRIu32, name, idx);
				break;
			}
		for (size_t k = 0; k < d->nports; k++)
			if (d->ports[k].key && !strcmp(d->ports[k].key, key)) {
				old = &d->ports[k];
				break;
			}
		s_grow(&np, &cap, nn, sizeof(*np));
		if (old) {
			np[nn] = *old;
			free(np[nn].name);
			free(np[nn].key);
			old->key = NULL;
			old->name = NULL;
			old->alias = NULL;
			old->descr = NULL;
			free(np[nn].alias);
			free(np[nn].descr);
		} else {
			memset(&np[nn], 0, sizeof(np[nn]));
		}
		np[nn].name = name;
		np[nn].key = key;
		np[nn].descr = descr;
		np[nn].alias = va ? sv_text(va) : s_strdup("");
		np[nn].type = vt && sv_num(vt, &t) == 0 ? (int)t : 0;
		if (np[nn].ifindex != idx)
			np[nn].have_prev = np[nn].have_disc = 0;
		np[nn].ifindex = idx;
		snprintf(np[nn].idx_s, sizeof(np[nn].idx_s), "%" PRIu32, idx);
		np[nn].excluded = !port_selected(d, &np[nn]);
		nn++;
	}
	for (size_t k = 0; k < d->nports; k++) {
		free(d->ports[k].name);
		free(d->ports[k].key);
		free(d->ports[k].alias);
		free(d->ports[k].descr);
	}
	free(d->ports);
	d->ports = np;
	d->nports = nn;
}
