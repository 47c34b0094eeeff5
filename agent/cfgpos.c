// SPDX-License-Identifier: MIT
/*
 * Where a YAML syntax error really is. libfyaml 0.7 reports where its
 * scanner stopped: a tab used for indentation on the line after it, an
 * unclosed bracket or quote past the end of the file. cfgdoc_parse() asks
 * these two scans for the position an operator needs instead.
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
			/* "\x" escapes in double quotes, '' in single ones. */
			if (i + 1 < len &&
			    ((q == '"' && ch == '\\' && p[i + 1] != '\n') ||
			        (q == '\'' && ch == '\'' &&
			            p[i + 1] == '\''))) {
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
