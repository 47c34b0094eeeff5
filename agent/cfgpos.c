// SPDX-License-Identifier: MIT
/*
 * Where a YAML syntax error really is. libfyaml 0.7 reports where its
 * scanner stopped: a tab used for indentation on the line after it, an
 * unclosed bracket or quote past the end of the file, a line indented to
 * the wrong column often at the end of the file too. cfgdoc_parse() asks
 * these scans for the position an operator needs instead.
 */
#include <stddef.h>
#include <string.h>

#include "config.h"

/* Columns count characters, as the rest of the config errors do. */
static int
is_cont(char ch)
{
	return ((unsigned char)ch & 0xc0) == 0x80;
}

int
cfgpos_indent_tab(const char *p, size_t len, int *line, int *col)
{
	int l = 1;

	for (size_t i = 0; i < len; l++) {
		size_t k = i;
		int c = 1, tab = 0;

		while (k < len && (p[k] == ' ' || p[k] == '\t')) {
			if (p[k] == '\t' && !tab)
				tab = c;
			k++;
			c++;
		}
		/* Not a blank line nor a comment: content indented by tab. */
		if (tab && k < len && p[k] != '\n' && p[k] != '\r' &&
		    p[k] != '#') {
			*line = l;
			*col = tab;
			return 1;
		}
		while (k < len && p[k] != '\n')
			k++;
		i = k + 1;
	}
	return 0;
}

/* Skip to the last character before the end of the line. */
static size_t
to_eol(const char *p, size_t len, size_t i)
{
	while (i + 1 < len && p[i + 1] != '\n')
		i++;
	return i;
}

/* Whether p[i] is followed by a blank, a line end or the end of input. */
static int
blank_after(const char *p, size_t len, size_t i)
{
	return i + 1 >= len || p[i + 1] == ' ' || p[i + 1] == '\n' ||
	       p[i + 1] == '\r' || p[i + 1] == '\t';
}

/* Whether p[i], inside quote q, starts a two-character escape: "\x" in
 * double quotes (not before a line end), '' in single ones. */
static int
quote_escape(const char *p, size_t len, size_t i, int q)
{
	return i + 1 < len &&
	       ((q == '"' && p[i] == '\\' && p[i + 1] != '\n') ||
	           (q == '\'' && p[i] == '\'' && p[i + 1] == '\''));
}

int
cfgpos_unclosed(const char *p, size_t len, int *line, int *col)
{
	struct {
		char c;
		int line, col;
	} st[64];
	int depth = 0, l = 1, c = 0, q = 0, ql = 0, qc = 0;
	int start = 1, bol = 1, indent = 0, block = -1;

	for (size_t i = 0; i < len; i++) {
		char ch = p[i];

		if (!is_cont(ch))
			c++;
		if (ch == '\n') {
			l++;
			c = 0;
			bol = 1;
			if (depth == 0 && !q)
				start = 1;
			continue;
		}
		if (bol && !q) {
			size_t k = i;

			while (k < len && p[k] == ' ')
				k++;
			indent = (int)(k - i);
			/* A block scalar (| or >) holds the blank lines and
			 * those indented more than its key: text, not YAML. */
			if (block >= 0 && (k >= len || p[k] == '\n' ||
			                      p[k] == '\r' || indent > block)) {
				i = to_eol(p, len, i);
				continue;
			}
			block = -1;
		}
		bol = 0;
		if (q) {
			if (quote_escape(p, len, i, q)) {
				i++;
				c++;
			} else if (ch == q) {
				q = 0;
				start = 0;
			}
			continue;
		}
		if (ch == ' ' || ch == '\t' || ch == '\r')
			continue;
		if (ch == '#' && (i == 0 || p[i - 1] == ' ' ||
		                     p[i - 1] == '\t' || p[i - 1] == '\n')) {
			i = to_eol(p, len, i);
			continue;
		}
		if (start && (ch == '"' || ch == '\'')) {
			q = ch;
			ql = l;
			qc = c;
			continue;
		}
		if (start && (ch == '[' || ch == '{')) {
			if (depth < (int)(sizeof(st) / sizeof(st[0]))) {
				st[depth].c = ch;
				st[depth].line = l;
				st[depth].col = c;
			}
			depth++;
			continue;
		}
		if (depth > 0 && (ch == ']' || ch == '}')) {
			depth--;
			start = 0;
			continue;
		}
		if (depth > 0 && ch == ',') {
			start = 1;
			continue;
		}
		if (ch == ':' && (blank_after(p, len, i) ||
		                     (depth > 0 && i + 1 < len && p[i + 1] &&
		                         strchr(",]}", p[i + 1])))) {
			start = 1;
			continue;
		}
		if (start && (ch == '-' || ch == '?') && blank_after(p, len, i))
			continue;
		if (start && depth == 0 && (ch == '|' || ch == '>')) {
			block = indent;
			i = to_eol(p, len, i);
			continue;
		}
		if (start && (ch == '&' || ch == '!' || ch == '*')) {
			/* An anchor, tag or alias: a word, then maybe a value.
			 */
			while (i + 1 < len && !strchr(" \t\r\n,]}", p[i + 1])) {
				i++;
				if (!is_cont(p[i]))
					c++;
			}
			continue;
		}
		start = 0; /* a plain scalar: up to ": ", " #" or a line end */
	}
	if (q) {
		*line = ql;
		*col = qc;
		return q;
	}
	if (depth > 0) {
		int top = depth <= (int)(sizeof(st) / sizeof(st[0]))
		              ? depth - 1
		              : (int)(sizeof(st) / sizeof(st[0])) - 1;
		*line = st[top].line;
		*col = st[top].col;
		return st[top].c;
	}
	return 0;
}

/* What a content line of a block collection starts with. */
enum { LN_OTHER, LN_KEY, LN_ITEM };
/* Sequences nested on one line ("- - - x") that the scan follows. */
#define LN_SUB 8

/*
 * The line at p[i] (its first non-blank character), outside flow
 * collections and quotes: LN_ITEM for "- ", LN_KEY for a plain or quoted
 * key and ": ", else LN_OTHER (a scalar's next line). *open is set when
 * the line ends with an indicator and no value ("key:", "-"), so the next
 * line may be indented more; sub[0..*nsub) to the offsets of the "- " of
 * sequences nested on the line ("- - x"); *item_key to the offset of a
 * key after the "- " ("- name: x" opens a mapping there), or 0; *block
 * when the value is a block scalar (| or >); *depth and *q to the brackets
 * and the quote left open at the end of the line, for flow_line().
 */
static int
line_kind(const char *p, size_t len, size_t i, int *open, int sub[LN_SUB],
    int *nsub, int *item_key, int *block, int *depth_out, int *q_out)
{
	size_t e = i, k = i, val = 0;
	int kind = LN_OTHER, depth = 0, q = 0, start = 1, colon = 0;

	*open = *nsub = *item_key = *block = 0;
	while (e < len && p[e] != '\n')
		e++;
	while (k < e && p[k] == '-' && blank_after(p, len, k)) {
		if (kind == LN_ITEM && *nsub < LN_SUB)
			sub[(*nsub)++] = (int)(k - i);
		kind = LN_ITEM;
		for (k++; k < e && p[k] == ' '; k++)
			;
		val = k;
	}
	for (size_t j = k; j < e; j++) {
		char ch = p[j];

		if (q) {
			if (quote_escape(p, e, j, q))
				j++;
			else if (ch == q)
				q = 0;
			continue;
		}
		if (ch == ' ' || ch == '\t' || ch == '\r')
			continue;
		if (ch == '#' && j > i &&
		    (p[j - 1] == ' ' || p[j - 1] == '\t')) {
			e = j;
			break;
		}
		if (start && (ch == '"' || ch == '\'')) {
			q = ch;
			start = 0;
		} else if (start && (ch == '[' || ch == '{')) {
			depth++;
		} else if (depth > 0 && (ch == ']' || ch == '}')) {
			depth--;
			start = 0;
		} else if (depth > 0 && ch == ',') {
			start = 1;
		} else if (ch == ':' && depth == 0 && !colon &&
		           blank_after(p, len, j)) {
			colon = 1;
			start = 1;
			val = j + 1;
			if (kind == LN_ITEM)
				*item_key = (int)(k - i);
			else
				kind = LN_KEY;
		} else {
			start = 0;
		}
	}
	*depth_out = depth;
	*q_out = q;
	if (kind == LN_OTHER || q || depth > 0)
		return kind; /* a value goes on: no block scalar, not open */
	while (val < e && (p[val] == ' ' || p[val] == '\t' || p[val] == '\r'))
		val++;
	if (val >= e) {
		*open = 1;
	} else if (p[val] == '|' || p[val] == '>') {
		/* Then only its indicators: +, - and a digit. */
		size_t j = val + 1;

		while (j < e && strchr("+-0123456789", p[j]))
			j++;
		while (j < e && (p[j] == ' ' || p[j] == '\t' || p[j] == '\r'))
			j++;
		*block = j >= e;
	}
	return kind;
}

/*
 * A line inside a flow collection or quoted scalar an earlier line left
 * open (*depth brackets, quote *q): where they stand at its end, or both 0
 * once it closes (the rest of that line is a value's end, not a new line
 * of the block structure).
 */
static void
flow_line(const char *p, size_t len, size_t i, int *depth, int *q)
{
	int start = 1;

	for (size_t j = i; j < len && p[j] != '\n'; j++) {
		char ch = p[j];

		if (*q) {
			if (quote_escape(p, len, j, *q))
				j++;
			else if (ch == *q)
				*q = 0;
			continue;
		}
		if (*depth == 0)
			return;
		if (ch == ' ' || ch == '\t' || ch == '\r')
			continue;
		if (ch == '#' &&
		    (j == i || p[j - 1] == ' ' || p[j - 1] == '\t'))
			return;
		if (start && (ch == '"' || ch == '\'')) {
			*q = ch;
			start = 0;
		} else if (ch == '[' || ch == '{') {
			(*depth)++;
			start = 1;
		} else if (ch == ']' || ch == '}') {
			(*depth)--;
			start = 0;
		} else {
			start =
			    ch == ',' || (ch == ':' && blank_after(p, len, j));
		}
	}
}

/* An open level of the block structure: its column and kind. */
struct level {
	int indent, kind;
};

struct levels {
	struct level v[64];
	int n;
};

/* 0 when the nesting is deeper than the scan follows. */
static int
level_push(struct levels *lv, int indent, int kind)
{
	if (lv->n >= (int)(sizeof(lv->v) / sizeof(lv->v[0])))
		return 0;
	lv->v[lv->n].indent = indent;
	lv->v[lv->n++].kind = kind;
	return 1;
}

int
cfgpos_bad_indent(const char *p, size_t len, int *line, int *col)
{
	struct levels lv = {.n = 0};
	int l = 1, prev_open = 0, block = -1, fdepth = 0, fq = 0;

	for (size_t i = 0; i < len; l++) {
		size_t k = i;
		int ind, kind, open, sub[LN_SUB], nsub, item_key, bs,
		    popped = 0;
		const struct level *top;

		while (k < len && p[k] == ' ')
			k++;
		ind = (int)(k - i);
		/* A block scalar holds the blank lines and those indented
		 * more than its key: text, not YAML. */
		if (block >= 0 &&
		    (k >= len || p[k] == '\n' || p[k] == '\r' || ind > block))
			goto next;
		block = -1;
		/* Inside brackets or a quote: its indentation is free. */
		if (fdepth > 0 || fq) {
			flow_line(p, len, k, &fdepth, &fq);
			goto next;
		}
		if (k >= len || p[k] == '\n' || p[k] == '\r' || p[k] == '#')
			goto next;
		/* A tab: not what this scan is for (cfgpos_indent_tab). */
		if (p[k] == '\t')
			return 0;
		kind = line_kind(
		    p, len, k, &open, sub, &nsub, &item_key, &bs, &fdepth, &fq);
		if (kind == LN_OTHER) {
			prev_open = 0;
			goto next;
		}
		while (lv.n > 0 && lv.v[lv.n - 1].indent > ind) {
			lv.n--;
			popped = 1;
		}
		top = lv.n > 0 ? &lv.v[lv.n - 1] : NULL;
		if (top && top->indent == ind) {
			if (top->kind == kind)
				goto keep;
			/* "key:" then "- x" at the key's own column: the
			 * sequence is the key's value, and the next key at
			 * that column ends it. */
			if (kind == LN_ITEM && prev_open && !popped)
				goto push;
			if (kind == LN_KEY && lv.n > 1 &&
			    top[-1].indent == ind && top[-1].kind == kind) {
				lv.n--;
				goto keep;
			}
			goto bad;
		}
		/* Back out to a column no level opened, or in further than
		 * a line with a value lets. */
		if (popped || (top && !prev_open))
			goto bad;
	push:
		if (!level_push(&lv, ind, kind))
			return 0;
	keep:
		/* "- - x": a sequence at each inner "- "'s column. */
		for (int j = 0; j < nsub; j++)
			if (!level_push(&lv, ind + sub[j], LN_ITEM))
				return 0;
		/* "- name: x": a mapping at the key's column. */
		if (item_key && !level_push(&lv, ind + item_key, LN_KEY))
			return 0;
		prev_open = open;
		/* A block scalar's lines go further in than its parent. */
		if (bs)
			block = ind + (item_key ? item_key
			                        : (nsub ? sub[nsub - 1] : 0));
	next:
		while (k < len && p[k] != '\n')
			k++;
		i = k + 1;
		continue;
	bad:
		*line = l;
		*col = ind + 1;
		return 1;
	}
	return 0;
}

void
cfgpos_end(const char *p, size_t len, int *line, int *col)
{
	int l = 1, c = 1;

	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\n') {
			l++;
			c = 1;
		} else if (!is_cont(p[i])) {
			c++;
		}
	}
	*line = l;
	*col = c;
}
