#include "agent/schedule.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "scan/scannames.h"

int schedule_parse_every(const char *s, int64_t *ret)
{
        static const struct {
                const char *suffix;
                int64_t mult;
        } units[] = {
                { "", 1 },     { "s", 1 },     { "m", 60 },     { "min", 60 },
                { "h", 3600 }, { "d", 86400 }, { "w", 604800 }, { "sec", 1 },
        };
        unsigned long long v = 0;
        size_t i = 0, digits = 0;

        if (!s)
                return -EINVAL;
        while (s[i] >= '0' && s[i] <= '9' && digits < 12) {
                v = v * 10 + (unsigned long long)(s[i] - '0');
                i++;
                digits++;
        }
        if (!digits || (s[i] >= '0' && s[i] <= '9'))
                return -EINVAL;
        for (size_t u = 0; u < ELEMENTSOF(units); u++) {
                if (strcmp(s + i, units[u].suffix) != 0)
                        continue;
                if (v == 0 || v > (unsigned long long)(SCHEDULE_MAX_EVERY / units[u].mult))
                        return -EINVAL;
                *ret = (int64_t)v * units[u].mult;
                return 0;
        }
        return -EINVAL;
}

static int parse_hhmm(const char *s, size_t n, int *ret)
{
        int h, m;

        if (n != 5 || s[2] != ':')
                return -EINVAL;
        for (size_t i = 0; i < 5; i++)
                if (i != 2 && (s[i] < '0' || s[i] > '9'))
                        return -EINVAL;
        h = (s[0] - '0') * 10 + (s[1] - '0');
        m = (s[3] - '0') * 10 + (s[4] - '0');
        /* "24:00" is the end of the day. */
        if (m > 59 || h > 24 || (h == 24 && m != 0))
                return -EINVAL;
        *ret = h * 60 + m;
        return 0;
}

int schedule_parse_window(const char *s, int *ret_start, int *ret_end)
{
        const char *dash;
        int a, b;

        if (!s || !(dash = strchr(s, '-')))
                return -EINVAL;
        if (parse_hhmm(s, (size_t)(dash - s), &a) < 0 ||
            parse_hhmm(dash + 1, strlen(dash + 1), &b) < 0)
                return -EINVAL;
        a %= 1440;
        b %= 1440;
        if (a == b)
                return -EINVAL;
        *ret_start = a;
        *ret_end = b;
        return 0;
}

static void entry_clear(schedule_entry_t *e)
{
        free(e->key);
        strv_clear(&e->only);
        memset(e, 0, sizeof(*e));
}

void schedule_clear(schedule_t *s)
{
        for (size_t i = 0; i < s->n; i++)
                entry_clear(&s->v[i]);
        free(s->v);
        s->v = NULL;
        s->n = 0;
}

/* Fill E's scanner list from ONLY (a string or a list of strings) in the
 * registry's order. */
static int entry_only(schedule_entry_t *e, json_t *only, size_t idx, char **ret_error)
{
        size_t n;
        const char *const *all = scannames_all(&n);
        strv_t want = { 0 };
        json_t *v;
        size_t i;
        int r = 0;

        if (json_is_string(only))
                r = strv_split(&want, json_string_value(only), ", ");
        else if (json_is_array(only)) {
                json_array_foreach (only, i, v) {
                        if (!json_is_string(v)) {
                                r = -EINVAL;
                                break;
                        }
                        if ((r = strv_push(&want, json_string_value(v))) < 0)
                                break;
                }
        } else
                r = -EINVAL;
        if (r == -EINVAL || (r == 0 && want.n == 0)) {
                *ret_error =
                        str_printf("agent.scans[%zu].only: a scanner name or a list of them", idx);
                strv_clear(&want);
                return -EINVAL;
        }
        for (i = 0; r == 0 && i < want.n; i++) {
                if (strcmp(want.v[i], "all") == 0)
                        continue;
                if (!scannames_known(want.v[i])) {
                        buf_t known;
                        buf_init(&known, 4096);
                        for (size_t k = 0; k < n; k++)
                                (void)buf_printf(&known, "%s%s", k ? ", " : "", all[k]);
                        *ret_error = str_printf("agent.scans[%zu].only: unknown scanner '%s' "
                                                "(known: all, %s)",
                                                idx, want.v[i], known.data ? known.data : "");
                        buf_free(&known);
                        strv_clear(&want);
                        return -EINVAL;
                }
        }
        for (size_t k = 0; r == 0 && k < n; k++)
                if (strv_contains(&want, "all") || strv_contains(&want, all[k]))
                        r = strv_push(&e->only, all[k]);
        strv_clear(&want);
        return r;
}

static int entry_key(schedule_entry_t *e)
{
        buf_t b;

        buf_init(&b, 4096);
        for (size_t i = 0; i < e->only.n; i++)
                if (buf_printf(&b, "%s%s", i ? "," : "", e->only.v[i]) < 0)
                        goto oom;
        if (buf_printf(&b, "/%llds", (long long)e->every) < 0)
                goto oom;
        if (e->has_window && buf_printf(&b, "/%02d:%02d-%02d:%02d", e->win_start / 60,
                                        e->win_start % 60, e->win_end / 60, e->win_end % 60) < 0)
                goto oom;
        e->key = buf_take(&b);
        return e->key ? 0 : -ENOMEM;
oom:
        buf_free(&b);
        return -ENOMEM;
}

static int load_entry(json_t *o, size_t idx, schedule_entry_t *e, char **ret_error)
{
        json_t *only = json_object_get(o, "only"), *every = json_object_get(o, "every"),
               *win = json_object_get(o, "window");
        const char *key;
        json_t *v;
        int r;

        json_object_foreach (o, key, v) {
                if (strcmp(key, "only") && strcmp(key, "every") && strcmp(key, "window")) {
                        *ret_error = str_printf("agent.scans[%zu]: unknown key '%s' (only, "
                                                "every, window)",
                                                idx, key);
                        return -EINVAL;
                }
        }
        if (!only) {
                *ret_error = str_printf("agent.scans[%zu]: 'only' is missing", idx);
                return -EINVAL;
        }
        if ((r = entry_only(e, only, idx, ret_error)) < 0)
                return r;
        if (!every) {
                *ret_error = str_printf("agent.scans[%zu]: 'every' is missing", idx);
                return -EINVAL;
        }
        if (json_is_integer(every)) {
                json_int_t s = json_integer_value(every);
                if (s < 1 || s > SCHEDULE_MAX_EVERY)
                        r = -EINVAL;
                else
                        e->every = (int64_t)s;
        } else if (!json_is_string(every) ||
                   schedule_parse_every(json_string_value(every), &e->every) < 0)
                r = -EINVAL;
        if (r < 0) {
                *ret_error = str_printf("agent.scans[%zu].every: a duration such as 30s, 10m, "
                                        "6h, 2d or 1w (at most a year)",
                                        idx);
                return r;
        }
        if (win && !json_is_null(win)) {
                if (!json_is_string(win) ||
                    schedule_parse_window(json_string_value(win), &e->win_start, &e->win_end) < 0) {
                        *ret_error = str_printf("agent.scans[%zu].window: \"HH:MM-HH:MM\" "
                                                "(local time, start and end differ)",
                                                idx);
                        return -EINVAL;
                }
                e->has_window = true;
        }
        return entry_key(e);
}

int schedule_load(const config_t *c, schedule_t *ret, char **ret_error)
{
        json_t *scans = config_get(c, "agent.scans"), *o;
        schedule_t s = { 0 };
        size_t i;
        int r;

        *ret_error = NULL;
        if (!scans || json_is_null(scans)) {
                /* The reference product's default: baseline every 2 days
                 * between 00:00 and 06:00. */
                s.v = calloc(1, sizeof(*s.v));
                if (!s.v)
                        return -ENOMEM;
                s.n = 1;
                s.v[0].every = 2 * 86400;
                s.v[0].has_window = true;
                s.v[0].win_start = 0;
                s.v[0].win_end = 6 * 60;
                if ((r = strv_push(&s.v[0].only, "baseline")) < 0 || (r = entry_key(&s.v[0])) < 0) {
                        schedule_clear(&s);
                        return r;
                }
                *ret = s;
                return 0;
        }
        if (!json_is_array(scans)) {
                *ret_error = strdup("agent.scans: a list of {only, every, window}");
                return -EINVAL;
        }
        if (json_array_size(scans) > SCHEDULE_MAX_ENTRIES) {
                *ret_error = str_printf("agent.scans: at most %d entries", SCHEDULE_MAX_ENTRIES);
                return -EINVAL;
        }
        s.v = calloc(json_array_size(scans) + 1, sizeof(*s.v));
        if (!s.v)
                return -ENOMEM;
        json_array_foreach (scans, i, o) {
                if (!json_is_object(o)) {
                        *ret_error = str_printf("agent.scans[%zu]: a mapping of only, every, "
                                                "window",
                                                i);
                        schedule_clear(&s);
                        return -EINVAL;
                }
                s.n++;
                if ((r = load_entry(o, i, &s.v[i], ret_error)) < 0) {
                        schedule_clear(&s);
                        return r;
                }
        }
        *ret = s;
        return 0;
}

bool schedule_in_window(const schedule_entry_t *e, int minute)
{
        if (!e->has_window)
                return true;
        if (e->win_start < e->win_end)
                return minute >= e->win_start && minute < e->win_end;
        return minute >= e->win_start || minute < e->win_end;
}

int64_t schedule_next_due(const schedule_entry_t *e, int64_t last_start, int64_t now)
{
        int64_t t = last_start > 0 ? last_start + e->every : now;
        time_t tt;
        struct tm tm;

        if (t < now)
                t = now;
        if (!e->has_window)
                return t;
        tt = (time_t)t;
        if (!localtime_r(&tt, &tm))
                return t;
        if (schedule_in_window(e, tm.tm_hour * 60 + tm.tm_min))
                return t;
        /* The next start of the window: today's, or tomorrow's when today's
         * has passed. mktime normalises the day and handles DST. */
        tm.tm_hour = e->win_start / 60;
        tm.tm_min = e->win_start % 60;
        tm.tm_sec = 0;
        tm.tm_isdst = -1;
        tt = mktime(&tm);
        if (tt != (time_t)-1 && (int64_t)tt <= t) {
                tm.tm_mday++;
                tm.tm_hour = e->win_start / 60;
                tm.tm_min = e->win_start % 60;
                tm.tm_sec = 0;
                tm.tm_isdst = -1;
                tt = mktime(&tm);
        }
        return tt == (time_t)-1 ? t + 60 : (int64_t)tt;
}
