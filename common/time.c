/* Instants as milliseconds since the epoch (UTC): parsing the forms the
 * platforms write, and formatting as RFC 3339. */
#include "custos_common.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Howard Hinnant's days_from_civil and its inverse, valid far beyond any
 * post's lifetime. */
int64_t custos_time_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void custos_time_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t yy = (int64_t)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yy + (*m <= 2);
}

unsigned custos_time_days_in_month(int64_t y, unsigned m)
{
	static const unsigned dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

/* A tiny cursor over the input. */
typedef struct { const char *p, *end; } cur_t;

static int num(cur_t *c, int digits, int *out)
{
	int v = 0;
	for (int i = 0; i < digits; i++) {
		if (c->p >= c->end || *c->p < '0' || *c->p > '9')
			return -1;
		v = v * 10 + (*c->p++ - '0');
	}
	*out = v;
	return 0;
}

static int lit(cur_t *c, char ch)
{
	if (c->p < c->end && *c->p == ch) {
		c->p++;
		return 0;
	}
	return -1;
}

static void skip_space(cur_t *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
}

/* "Z", "UTC", "GMT", "+hh:mm", "+hhmm", "+hh", or nothing (UTC). */
static int zone(cur_t *c, int *offset_min)
{
	*offset_min = 0;
	skip_space(c);
	if (c->p >= c->end)
		return 0;
	if (*c->p == 'Z' || *c->p == 'z') {
		c->p++;
		return 0;
	}
	if (c->end - c->p >= 3 && (!strncasecmp(c->p, "UTC", 3) || !strncasecmp(c->p, "GMT", 3))) {
		c->p += 3;
		return 0;
	}
	if (*c->p == '+' || *c->p == '-') {
		int sign = *c->p++ == '-' ? -1 : 1, hh, mm = 0;
		if (num(c, 2, &hh) < 0)
			return -1;
		if (c->p < c->end && *c->p == ':')
			c->p++;
		if (c->p < c->end && *c->p >= '0' && *c->p <= '9' && num(c, 2, &mm) < 0)
			return -1;
		if (hh > 23 || mm > 59)
			return -1;
		*offset_min = sign * (hh * 60 + mm);
		return 0;
	}
	return -1;
}

static int build(int64_t *out, int y, int mo, int d, int h, int mi, int s, int ms, int off)
{
	if (mo < 1 || mo > 12 || d < 1 || (unsigned)d > custos_time_days_in_month(y, (unsigned)mo) ||
	    h > 23 ||
	    mi > 59 || s > 60)
		return CUSTOS_EFORMAT;
	if (s == 60)
		s = 59;  /* a leap second is kept inside its minute */
	int64_t days = custos_time_days_from_civil(y, (unsigned)mo, (unsigned)d);
	*out = ((days * 86400 + h * 3600 + mi * 60 + s) - (int64_t)off * 60) * 1000 + ms;
	/* years have four digits, so this cannot overflow; an offset can still
	 * carry it past year 9999 or before year 0, which nothing reads back */
	return custos_time_in_range(*out) ? CUSTOS_OK : CUSTOS_ETOOBIG;
}

int custos_time_from_epoch(int64_t *out_ms, int64_t n, int64_t unit_ms, int64_t extra_ms)
{
	if (unit_ms <= 0 || n > CUSTOS_TIME_MAX / unit_ms + 1 || n < CUSTOS_TIME_MIN / unit_ms - 1 ||
	    extra_ms > CUSTOS_TIME_MAX || extra_ms < CUSTOS_TIME_MIN)
		return CUSTOS_ETOOBIG;
	int64_t ms = n * unit_ms + extra_ms;
	if (!custos_time_in_range(ms))
		return CUSTOS_ETOOBIG;
	*out_ms = ms;
	return CUSTOS_OK;
}

static int parse_iso(int64_t *out, cur_t c)
{
	int y, mo, d, h = 0, mi = 0, s = 0, ms = 0, off = 0;
	if (num(&c, 4, &y) < 0 || lit(&c, '-') < 0 || num(&c, 2, &mo) < 0 ||
	    lit(&c, '-') < 0 || num(&c, 2, &d) < 0)
		return CUSTOS_EFORMAT;
	if (c.p < c.end && (*c.p == 'T' || *c.p == 't' || *c.p == ' ') &&
	    c.p + 1 < c.end && c.p[1] >= '0' && c.p[1] <= '9') {
		c.p++;
		if (num(&c, 2, &h) < 0 || lit(&c, ':') < 0 || num(&c, 2, &mi) < 0)
			return CUSTOS_EFORMAT;
		if (lit(&c, ':') == 0 && num(&c, 2, &s) < 0)
			return CUSTOS_EFORMAT;
		if (c.p < c.end && (*c.p == '.' || *c.p == ',')) {
			c.p++;
			int scale = 100, any = 0;
			while (c.p < c.end && *c.p >= '0' && *c.p <= '9') {
				ms += (*c.p++ - '0') * scale;
				scale /= 10;
				any = 1;
			}
			if (!any)
				return CUSTOS_EFORMAT;
		}
	}
	if (zone(&c, &off) < 0)
		return CUSTOS_EFORMAT;
	skip_space(&c);
	if (c.p != c.end)
		return CUSTOS_EFORMAT;
	return build(out, y, mo, d, h, mi, s, ms, off);
}

static int month_of(const char *p, const char *end)
{
	static const char *names[] = { "jan", "feb", "mar", "apr", "may", "jun",
	                               "jul", "aug", "sep", "oct", "nov", "dec" };
	if (end - p < 3)
		return -1;
	for (int i = 0; i < 12; i++)
		if (!strncasecmp(p, names[i], 3))
			return i + 1;
	return -1;
}

static void skip_word(cur_t *c)
{
	while (c->p < c->end && *c->p != ' ' && *c->p != ',')
		c->p++;
}

static int hms(cur_t *c, int *h, int *mi, int *s)
{
	*s = 0;
	if (num(c, 2, h) < 0 || lit(c, ':') < 0 || num(c, 2, mi) < 0)
		return -1;
	if (lit(c, ':') == 0 && num(c, 2, s) < 0)
		return -1;
	return 0;
}

/* "Wed Oct 10 20:19:24 +0000 2018" (X/Twitter classic). */
static int parse_twitter(int64_t *out, cur_t c)
{
	int mo, d, h, mi, s, off, y;
	skip_word(&c);              /* weekday */
	skip_space(&c);
	if ((mo = month_of(c.p, c.end)) < 0)
		return CUSTOS_EFORMAT;
	skip_word(&c);
	skip_space(&c);
	if (num(&c, 2, &d) < 0 && num(&c, 1, &d) < 0)
		return CUSTOS_EFORMAT;
	skip_space(&c);
	if (hms(&c, &h, &mi, &s) < 0 || zone(&c, &off) < 0)
		return CUSTOS_EFORMAT;
	skip_space(&c);
	if (num(&c, 4, &y) < 0)
		return CUSTOS_EFORMAT;
	skip_space(&c);
	if (c.p != c.end)
		return CUSTOS_EFORMAT;
	return build(out, y, mo, d, h, mi, s, 0, off);
}

/* "Tue, 10 Jun 2003 04:00:00 GMT" (RFC 822/1123, as in RSS). Named US zones
 * (EST, PDT, ...) are accepted as RSS feeds use them. */
static int parse_rfc822(int64_t *out, cur_t c)
{
	int d, mo, y, h, mi, s, off = 0;
	const char *comma = memchr(c.p, ',', (size_t)(c.end - c.p));
	if (comma)
		c.p = comma + 1;
	skip_space(&c);
	const char *dp = c.p;
	if (num(&c, 2, &d) < 0) {
		c.p = dp;
		if (num(&c, 1, &d) < 0)
			return CUSTOS_EFORMAT;
	}
	skip_space(&c);
	if ((mo = month_of(c.p, c.end)) < 0)
		return CUSTOS_EFORMAT;
	skip_word(&c);
	skip_space(&c);
	const char *yp = c.p;
	if (num(&c, 4, &y) < 0) {
		c.p = yp;
		if (num(&c, 2, &y) < 0)
			return CUSTOS_EFORMAT;
		y += y < 50 ? 2000 : 1900;
	}
	skip_space(&c);
	if (hms(&c, &h, &mi, &s) < 0)
		return CUSTOS_EFORMAT;
	skip_space(&c);
	static const struct { const char *n; int off; } zones[] = {
		{ "EST", -300 }, { "EDT", -240 }, { "CST", -360 }, { "CDT", -300 },
		{ "MST", -420 }, { "MDT", -360 }, { "PST", -480 }, { "PDT", -420 },
		{ "UT", 0 },
	};
	int named = 0;
	for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++) {
		size_t zl = strlen(zones[i].n);
		if ((size_t)(c.end - c.p) == zl && !strncasecmp(c.p, zones[i].n, zl)) {
			off = zones[i].off;
			c.p += zl;
			named = 1;
			break;
		}
	}
	if (!named && zone(&c, &off) < 0)
		return CUSTOS_EFORMAT;
	skip_space(&c);
	if (c.p != c.end)
		return CUSTOS_EFORMAT;
	return build(out, y, mo, d, h, mi, s, 0, off);
}

int custos_time_parse(int64_t *out_ms, const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (!n)
		return CUSTOS_EFORMAT;
	cur_t c = { s, s + n };
	if (n >= 10 && s[4] == '-')
		return parse_iso(out_ms, c);
	int st = parse_twitter(out_ms, c);
	if (st != CUSTOS_EFORMAT)
		return st;
	return parse_rfc822(out_ms, c);
}

void custos_time_format(char *out, size_t cap, int64_t ms)
{
	int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
	int frac = (int)(ms - secs * 1000);
	int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
	int64_t rem = secs - days * 86400;
	int64_t y;
	unsigned m, d;
	custos_time_civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999 || cap < 25) {
		/* outside the four-digit years: rare enough for printf */
		if (frac)
			snprintf(out, cap, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", (long long)y, m, d,
			         (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60), frac);
		else
			snprintf(out, cap, "%04lld-%02u-%02uT%02d:%02d:%02dZ", (long long)y, m, d,
			         (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
		return;
	}
	/* by hand: every record carries several times, formatted at each store */
	int h = (int)(rem / 3600), mi = (int)(rem / 60 % 60), se = (int)(rem % 60);
	char *o = out;
	*o++ = (char)('0' + y / 1000); *o++ = (char)('0' + y / 100 % 10);
	*o++ = (char)('0' + y / 10 % 10); *o++ = (char)('0' + y % 10); *o++ = '-';
	*o++ = (char)('0' + m / 10); *o++ = (char)('0' + m % 10); *o++ = '-';
	*o++ = (char)('0' + d / 10); *o++ = (char)('0' + d % 10); *o++ = 'T';
	*o++ = (char)('0' + h / 10); *o++ = (char)('0' + h % 10); *o++ = ':';
	*o++ = (char)('0' + mi / 10); *o++ = (char)('0' + mi % 10); *o++ = ':';
	*o++ = (char)('0' + se / 10); *o++ = (char)('0' + se % 10);
	if (frac) {
		*o++ = '.';
		*o++ = (char)('0' + frac / 100); *o++ = (char)('0' + frac / 10 % 10);
		*o++ = (char)('0' + frac % 10);
	}
	*o++ = 'Z';
	*o = '\0';
}

int64_t custos_time_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
