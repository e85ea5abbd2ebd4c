#include "detect/login/loginconf.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Cap on the entries of any list under login.* (sources, accounts, times). */
#define LIST_MAX 4096

_printf_(3, 4) static int fail(char **ret_error, int r, const char *fmt, ...)
{
        va_list ap;

        if (ret_error) {
                va_start(ap, fmt);
                if (vasprintf(ret_error, fmt, ap) < 0)
                        *ret_error = NULL;
                va_end(ap);
        }
        return r;
}

int login_conf_parse_duration(const char *s, int64_t *ret_us)
{
        int64_t total = 0;
        bool any = false;

        if (!s || !*s)
                return -EINVAL;
        while (*s) {
                int64_t v = 0, mult;
                const char *start = s;

                while (*s >= '0' && *s <= '9') {
                        if (v > 1000000000)
                                return -EINVAL;
                        v = v * 10 + (*s - '0');
                        s++;
                }
                if (s == start)
                        return -EINVAL;
                switch (*s) {
                case 's':
                        mult = 1;
                        s++;
                        break;
                case 'm':
                        mult = 60;
                        s++;
                        break;
                case 'h':
                        mult = 3600;
                        s++;
                        break;
                case 'd':
                        mult = 86400;
                        s++;
                        break;
                case 0:
                        /* A bare number is seconds, only on its own. */
                        if (any)
                                return -EINVAL;
                        mult = 1;
                        break;
                default:
                        return -EINVAL;
                }
                total += v * mult;
                if (total > 10LL * 365 * 86400)
                        return -EINVAL;
                any = true;
        }
        *ret_us = total * 1000000;
        return 0;
}

static int get_duration(const config_t *c, const char *path, int64_t def_s, bool allow_zero,
                        int64_t *ret, char **ret_error)
{
        json_t *v = config_get(c, path);
        int64_t us;

        if (!v || json_is_null(v)) {
                *ret = LOGIN_SEC(def_s);
                return 0;
        }
        if (json_is_integer(v)) {
                json_int_t i = json_integer_value(v);
                if (i < 0 || i > 10LL * 365 * 86400)
                        return fail(ret_error, -EINVAL, "%s: duration out of range", path);
                us = LOGIN_SEC(i);
        } else if (!json_is_string(v) || login_conf_parse_duration(json_string_value(v), &us) < 0)
                return fail(ret_error, -EINVAL,
                            "%s: expected a duration (seconds, or like \"90s\", \"5m\", \"1h\")",
                            path);
        if (us == 0 && !allow_zero)
                return fail(ret_error, -EINVAL, "%s: must be longer than 0", path);
        *ret = us;
        return 0;
}

static int get_uint(const config_t *c, const char *path, unsigned def, unsigned lo, unsigned hi,
                    unsigned *ret, char **ret_error)
{
        json_t *v = config_get(c, path);
        json_int_t i;

        if (!v || json_is_null(v)) {
                *ret = def;
                return 0;
        }
        if (!json_is_integer(v))
                return fail(ret_error, -EINVAL, "%s: expected an integer", path);
        i = json_integer_value(v);
        if (i < (json_int_t)lo || i > (json_int_t)hi)
                return fail(ret_error, -EINVAL, "%s: %lld is out of range %u..%u", path,
                            (long long)i, lo, hi);
        *ret = (unsigned)i;
        return 0;
}

static int get_bool(const config_t *c, const char *path, bool def, bool *ret, char **ret_error)
{
        json_t *v = config_get(c, path);

        if (!v || json_is_null(v)) {
                *ret = def;
                return 0;
        }
        if (!json_is_boolean(v))
                return fail(ret_error, -EINVAL, "%s: expected true or false", path);
        *ret = json_is_true(v);
        return 0;
}

static int get_scope(const config_t *c, const char *path, login_scope_t def, bool allow_none,
                     login_scope_t *ret, char **ret_error)
{
        json_t *v = config_get(c, path);
        const char *s;

        if (!v || json_is_null(v)) {
                *ret = def;
                return 0;
        }
        s = json_is_string(v) ? json_string_value(v) : "";
        if (strcmp(s, "ip") == 0)
                *ret = LOGIN_SCOPE_IP;
        else if (strcmp(s, "network") == 0)
                *ret = LOGIN_SCOPE_NETWORK;
        else if (allow_none && strcmp(s, "none") == 0)
                *ret = LOGIN_SCOPE_NONE;
        else
                return fail(ret_error, -EINVAL, "%s: expected %s", path,
                            allow_none ? "ip, network or none" : "ip or network");
        return 0;
}

static int get_strv(const config_t *c, const char *path, strv_t *ret, char **ret_error)
{
        int r = config_get_strv(c, path, ret);

        if (r == -ENOENT)
                return 0;
        if (r == -EINVAL)
                return fail(ret_error, r, "%s: expected a string or a list of strings", path);
        if (r < 0)
                return r;
        if (ret->n > LIST_MAX)
                return fail(ret_error, -EINVAL, "%s: more than %d entries", path, LIST_MAX);
        return 0;
}

static int get_nets(const config_t *c, const char *path, ipnet_t **ret, size_t *ret_n,
                    char **ret_error)
{
        _cleanup_(strv_clear) strv_t sv = { 0 };
        ipnet_t *nets;
        int r = get_strv(c, path, &sv, ret_error);

        if (r < 0 || sv.n == 0)
                return r;
        nets = calloc(sv.n, sizeof(*nets));
        if (!nets)
                return -ENOMEM;
        for (size_t i = 0; i < sv.n; i++)
                if (ipnet_parse(sv.v[i], &nets[i]) < 0) {
                        free(nets);
                        return fail(ret_error, -EINVAL,
                                    "%s: \"%s\" is not an address or a CIDR network", path,
                                    sv.v[i]);
                }
        *ret = nets;
        *ret_n = sv.n;
        return 0;
}

static int day_index(const char *s, size_t n)
{
        static const char *const names[] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };

        if (n != 3)
                return -1;
        for (int i = 0; i < 7; i++)
                if (strncasecmp(s, names[i], 3) == 0)
                        return i;
        return -1;
}

static int parse_days(const char *s, size_t n, uint8_t *ret)
{
        uint8_t mask = 0;
        size_t i = 0;

        while (i < n) {
                size_t j = i;
                int a, b;

                while (j < n && s[j] != ',')
                        j++;
                if (j - i == 7 && s[i + 3] == '-') {
                        a = day_index(s + i, 3);
                        b = day_index(s + i + 4, 3);
                } else
                        a = b = day_index(s + i, j - i);
                if (a < 0 || b < 0)
                        return -EINVAL;
                /* "fri-mon" wraps over the weekend. */
                for (int d = a;; d = (d + 1) % 7) {
                        mask |= (uint8_t)(1u << d);
                        if (d == b)
                                break;
                }
                i = j + 1;
                if (j < n && i == n)
                        return -EINVAL; /* trailing comma */
        }
        if (!mask)
                return -EINVAL;
        *ret = mask;
        return 0;
}

static int parse_hhmm(const char *s, uint16_t *ret)
{
        int h, m;

        if (!(s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' && s[2] == ':' &&
              s[3] >= '0' && s[3] <= '9' && s[4] >= '0' && s[4] <= '9'))
                return -EINVAL;
        h = (s[0] - '0') * 10 + (s[1] - '0');
        m = (s[3] - '0') * 10 + (s[4] - '0');
        if (m > 59 || h > 24 || (h == 24 && m != 0))
                return -EINVAL;
        *ret = (uint16_t)(h * 60 + m);
        return 0;
}

int login_conf_parse_timewin(const char *s, login_timewin_t *ret)
{
        const char *sp = strrchr(s, ' ');
        const char *hours = sp ? sp + 1 : s;
        login_timewin_t w = { .days = 0x7f };

        if (sp && parse_days(s, (size_t)(sp - s), &w.days) < 0)
                return -EINVAL;
        if (strlen(hours) != 11 || hours[5] != '-' || parse_hhmm(hours, &w.start) < 0 ||
            parse_hhmm(hours + 6, &w.end) < 0 || w.start == w.end)
                return -EINVAL;
        *ret = w;
        return 0;
}

static int parse_wins(json_t *list, const char *path, login_timerule_t *rule, char **ret_error)
{
        size_t n = json_is_array(list) ? json_array_size(list) : 1;

        if (!json_is_array(list) && !json_is_string(list))
                return fail(ret_error, -EINVAL, "%s: expected a string or a list of strings", path);
        if (n == 0 || n > LIST_MAX)
                return fail(ret_error, -EINVAL, "%s: expected 1..%d time windows", path, LIST_MAX);
        rule->wins = calloc(n, sizeof(*rule->wins));
        if (!rule->wins)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_t *v = json_is_array(list) ? json_array_get(list, i) : list;
                if (!json_is_string(v) ||
                    login_conf_parse_timewin(json_string_value(v), &rule->wins[i]) < 0)
                        return fail(ret_error, -EINVAL,
                                    "%s: expected time windows like \"mon-fri 08:00-18:00\"", path);
                rule->n_wins++;
        }
        return 0;
}

static int load_times(const config_t *c, login_conf_t *lc, char **ret_error)
{
        json_t *v = config_get(c, "login.approved.times"), *e;
        const char *path = "login.approved.times";
        size_t n, i;
        int r;

        if (!v || json_is_null(v))
                return 0;
        if (json_is_string(v)) {
                lc->times = calloc(1, sizeof(*lc->times));
                if (!lc->times)
                        return -ENOMEM;
                lc->n_times = 1;
                return parse_wins(v, path, &lc->times[0], ret_error);
        }
        if (!json_is_array(v))
                return fail(ret_error, -EINVAL, "%s: expected a list", path);
        n = json_array_size(v);
        if (n > LIST_MAX)
                return fail(ret_error, -EINVAL, "%s: more than %d entries", path, LIST_MAX);
        if (n == 0)
                return 0;
        lc->times = calloc(n, sizeof(*lc->times));
        if (!lc->times)
                return -ENOMEM;
        lc->n_times = n;
        json_array_foreach (v, i, e) {
                login_timerule_t *rule = &lc->times[i];

                if (json_is_string(e)) {
                        r = parse_wins(e, path, rule, ret_error);
                } else if (json_is_object(e)) {
                        json_t *acc = json_object_get(e, "accounts"), *a;
                        size_t k;

                        if (acc && !json_is_array(acc) && !json_is_string(acc))
                                return fail(ret_error, -EINVAL,
                                            "%s[%zu].accounts: expected a list of accounts", path,
                                            i);
                        if (json_is_string(acc))
                                r = strv_push(&rule->accounts, json_string_value(acc));
                        else {
                                r = 0;
                                json_array_foreach (acc, k, a) {
                                        if (!json_is_string(a))
                                                return fail(ret_error, -EINVAL,
                                                            "%s[%zu].accounts: expected strings",
                                                            path, i);
                                        r = strv_push(&rule->accounts, json_string_value(a));
                                        if (r < 0)
                                                break;
                                }
                        }
                        if (r < 0)
                                return r;
                        r = parse_wins(json_object_get(e, "times"), path, rule, ret_error);
                } else
                        return fail(ret_error, -EINVAL,
                                    "%s[%zu]: expected a time window or {accounts, times}", path,
                                    i);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int load_offset(const config_t *c, login_conf_t *lc, char **ret_error)
{
        json_t *v = config_get(c, "login.approved.utc_offset");
        const char *s;
        uint16_t m;

        lc->local_time = true;
        if (!v || json_is_null(v))
                return 0;
        s = json_is_string(v) ? json_string_value(v) : "";
        lc->local_time = false;
        if (strcmp(s, "UTC") == 0 || strcmp(s, "Z") == 0) {
                lc->utc_offset_min = 0;
                return 0;
        }
        if (strlen(s) == 6 && (s[0] == '+' || s[0] == '-') && parse_hhmm(s + 1, &m) == 0 &&
            m <= 14 * 60) {
                lc->utc_offset_min = s[0] == '-' ? -(int)m : (int)m;
                return 0;
        }
        return fail(ret_error, -EINVAL,
                    "login.approved.utc_offset: expected \"UTC\" or \"+HH:MM\"/\"-HH:MM\"");
}

int login_conf_load(const config_t *c, login_conf_t *ret, char **ret_error)
{
        login_conf_t lc = { 0 };
        json_t *g;
        int r;

        if (ret_error)
                *ret_error = NULL;
        if ((r = get_uint(c, "login.bruteforce.failures", 5, 2, LOGIN_CONF_FAILURES_MAX,
                          &lc.bf_failures, ret_error)) < 0 ||
            (r = get_duration(c, "login.bruteforce.window", 300, false, &lc.bf_window_us,
                              ret_error)) < 0 ||
            (r = get_duration(c, "login.bruteforce.cooldown", 3600, false, &lc.bf_cooldown_us,
                              ret_error)) < 0 ||
            (r = get_uint(c, "login.bruteforce.followup_factor", 10, 0, 1000,
                          &lc.bf_followup_factor, ret_error)) < 0 ||
            (r = get_duration(c, "login.bruteforce.publickey_grace", 30, true, &lc.pk_grace_us,
                              ret_error)) < 0 ||
            (r = get_uint(c, "login.spray.accounts", 10, 0, LOGIN_CONF_SPRAY_MAX,
                          &lc.spray_accounts, ret_error)) < 0 ||
            (r = get_uint(c, "login.spray.sources", 20, 0, LOGIN_CONF_SPRAY_MAX, &lc.spray_sources,
                          ret_error)) < 0 ||
            (r = get_duration(c, "login.spray.window", 3600, false, &lc.spray_window_us,
                              ret_error)) < 0 ||
            (r = get_duration(c, "login.spray.cooldown", 3600, false, &lc.spray_cooldown_us,
                              ret_error)) < 0 ||
            (r = get_uint(c, "login.after_bruteforce.failures", lc.bf_failures, 0,
                          LOGIN_CONF_FAILURES_MAX * 1000, &lc.abf_failures, ret_error)) < 0 ||
            (r = get_duration(c, "login.after_bruteforce.lookback", 3600, false,
                              &lc.abf_lookback_us, ret_error)) < 0 ||
            (r = get_scope(c, "login.after_bruteforce.scope", LOGIN_SCOPE_NETWORK, false,
                           &lc.abf_scope, ret_error)) < 0 ||
            (r = get_uint(c, "login.network.ipv4_prefix", 24, 8, 32, &lc.v4_prefix, ret_error)) <
                    0 ||
            (r = get_uint(c, "login.network.ipv6_prefix", 64, 16, 128, &lc.v6_prefix, ret_error)) <
                    0 ||
            (r = get_duration(c, "login.learning_period", 86400, true, &lc.learning_us,
                              ret_error)) < 0 ||
            (r = get_uint(c, "login.usual_after", 6, 1, 1000000, &lc.usual_after, ret_error)) < 0 ||
            (r = get_scope(c, "login.abnormal.source_scope", LOGIN_SCOPE_NETWORK, true,
                           &lc.source_scope, ret_error)) < 0 ||
            (r = get_duration(c, "login.abnormal.cooldown", 3600, true, &lc.abnormal_cooldown_us,
                              ret_error)) < 0 ||
            (r = get_bool(c, "login.abnormal.enabled", true, &lc.abnormal, ret_error)) < 0 ||
            (r = get_bool(c, "login.judge_private", false, &lc.judge_private, ret_error)) < 0 ||
            (r = get_bool(c, "login.root_password.enabled", true, &lc.root_password, ret_error)) <
                    0 ||
            (r = get_duration(c, "login.root_password.cooldown", 86400, true, &lc.root_cooldown_us,
                              ret_error)) < 0 ||
            (r = get_nets(c, "login.approved.sources", &lc.approved_sources, &lc.n_approved_sources,
                          ret_error)) < 0 ||
            (r = get_nets(c, "login.ignore_sources", &lc.ignore_sources, &lc.n_ignore_sources,
                          ret_error)) < 0 ||
            (r = get_strv(c, "login.approved.countries", &lc.approved_countries, ret_error)) < 0 ||
            (r = get_strv(c, "login.approved.accounts", &lc.approved_accounts, ret_error)) < 0 ||
            (r = load_times(c, &lc, ret_error)) < 0 || (r = load_offset(c, &lc, ret_error)) < 0)
                goto fail;
        for (size_t i = 0; i < lc.approved_countries.n; i++) {
                char *cc = lc.approved_countries.v[i];
                if (strlen(cc) != 2 || !((cc[0] | 0x20) >= 'a' && (cc[0] | 0x20) <= 'z') ||
                    !((cc[1] | 0x20) >= 'a' && (cc[1] | 0x20) <= 'z')) {
                        r = fail(ret_error, -EINVAL,
                                 "login.approved.countries: \"%s\" is not a two-letter country "
                                 "code",
                                 cc);
                        goto fail;
                }
                cc[0] &= (char)~0x20;
                cc[1] &= (char)~0x20;
        }
        {
                unsigned ms, ma, mc;
                if ((r = get_uint(c, "login.limits.sources", 8192, 16, 4u * 1024 * 1024, &ms,
                                  ret_error)) < 0 ||
                    (r = get_uint(c, "login.limits.accounts", 4096, 16, 4u * 1024 * 1024, &ma,
                                  ret_error)) < 0 ||
                    (r = get_uint(c, "login.limits.connections", 4096, 16, 4u * 1024 * 1024, &mc,
                                  ret_error)) < 0)
                        goto fail;
                lc.max_sources = ms;
                lc.max_accounts = ma;
                lc.max_connections = mc;
        }
        g = config_get(c, "login.groups");
        if (g && !json_is_null(g)) {
                if (!json_is_object(g)) {
                        r = fail(ret_error, -EINVAL,
                                 "login.groups: expected an object of lists of accounts");
                        goto fail;
                }
                lc.groups = g;
        }
        {
                json_t *db = config_get(c, "login.geoip.database");
                if (db && !json_is_null(db)) {
                        if (!json_is_string(db) || !*json_string_value(db)) {
                                r = fail(ret_error, -EINVAL,
                                         "login.geoip.database: expected a file name");
                                goto fail;
                        }
                        lc.geoip_db = strdup(json_string_value(db));
                        if (!lc.geoip_db) {
                                r = -ENOMEM;
                                goto fail;
                        }
                }
        }
        *ret = lc;
        return 0;
fail:
        login_conf_clear(&lc);
        return r;
}

void login_conf_clear(login_conf_t *c)
{
        if (!c)
                return;
        free(c->approved_sources);
        free(c->ignore_sources);
        strv_clear(&c->approved_countries);
        strv_clear(&c->approved_accounts);
        for (size_t i = 0; i < c->n_times; i++) {
                strv_clear(&c->times[i].accounts);
                free(c->times[i].wins);
        }
        free(c->times);
        free(c->geoip_db);
        memset(c, 0, sizeof(*c));
}

/* Membership of USER in the system group NAME: listed as a member, or the
 * group is the account's primary group. */
static bool system_group_has(const char *name, const char *user)
{
        struct group gr, *grp = NULL;
        struct passwd pw, *pwp = NULL;
        char buf[16384];

        if (getgrnam_r(name, &gr, buf, sizeof(buf), &grp) != 0 || !grp)
                return false;
        for (char **m = grp->gr_mem; m && *m; m++)
                if (strcmp(*m, user) == 0)
                        return true;
        {
                gid_t gid = grp->gr_gid;
                char pbuf[16384];
                if (getpwnam_r(user, &pw, pbuf, sizeof(pbuf), &pwp) == 0 && pwp &&
                    pwp->pw_gid == gid)
                        return true;
        }
        return false;
}

static bool group_has(const login_conf_t *c, const char *group, const char *user)
{
        json_t *members = c->groups ? json_object_get(c->groups, group) : NULL, *m;
        size_t i;

        if (members) {
                if (json_is_string(members))
                        return strcmp(json_string_value(members), user) == 0;
                json_array_foreach (members, i, m)
                        if (json_is_string(m) && strcmp(json_string_value(m), user) == 0)
                                return true;
                return false;
        }
        return system_group_has(group, user);
}

bool login_conf_account_in(const login_conf_t *c, const strv_t *list, const char *user)
{
        for (size_t i = 0; i < list->n; i++) {
                const char *a = list->v[i];
                if (a[0] == '@' ? group_has(c, a + 1, user) : strcmp(a, user) == 0)
                        return true;
        }
        return false;
}

static bool win_has(const login_timewin_t *w, int wday, int minute)
{
        int prev = (wday + 6) % 7;

        if (w->start < w->end)
                return (w->days & (1u << wday)) && minute >= w->start && minute < w->end;
        /* Across midnight: the evening part on a listed day, the morning
         * part on the day after one. */
        return ((w->days & (1u << wday)) && minute >= w->start) ||
               ((w->days & (1u << prev)) && minute < w->end);
}

int login_conf_time_approved(const login_conf_t *c, const char *user, int64_t t_us)
{
        time_t t = (time_t)(t_us / 1000000);
        struct tm tm;
        bool applies = false;
        int wday, minute;

        if (c->local_time) {
                if (!localtime_r(&t, &tm))
                        return -1;
        } else {
                t += (time_t)c->utc_offset_min * 60;
                if (!gmtime_r(&t, &tm))
                        return -1;
        }
        wday = (tm.tm_wday + 6) % 7; /* Monday = 0 */
        minute = tm.tm_hour * 60 + tm.tm_min;
        for (size_t i = 0; i < c->n_times; i++) {
                const login_timerule_t *rule = &c->times[i];
                if (rule->accounts.n && !login_conf_account_in(c, &rule->accounts, user))
                        continue;
                applies = true;
                for (size_t k = 0; k < rule->n_wins; k++)
                        if (win_has(&rule->wins[k], wday, minute))
                                return 1;
        }
        return applies ? 0 : -1;
}

/* What ipnet_contains tells, a byte at a time rather than a bit at a time:
 * this runs for every event (login.ignore_sources). */
static bool net_contains(const ipnet_t *net, const ipaddr_t *a)
{
        unsigned max = a->family == AF_INET ? 32 : 128;
        unsigned prefix = net->prefix < max ? net->prefix : max, full = prefix / 8;
        uint8_t b[16];

        if (net->addr.family != a->family)
                return false;
        memcpy(b, a->bytes, sizeof(b));
        if (prefix % 8)
                b[full++] &= (uint8_t)(0xff00u >> (prefix % 8));
        memset(b + full, 0, max / 8 - full);
        return memcmp(b, net->addr.bytes, max / 8) == 0;
}

bool login_conf_net_match(const ipnet_t *nets, size_t n, const ipaddr_t *a)
{
        for (size_t i = 0; i < n; i++)
                if (net_contains(&nets[i], a))
                        return true;
        return false;
}
