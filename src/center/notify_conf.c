#include "center/notify_conf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "center/cutil.h"
#include "core/macro.h"
#include "core/text.h"

static const char *const alert_levels[4] = { NULL, "reminder", "suspicious", "urgent" };
static const char *const finding_levels[4] = { NULL, "low", "medium", "high" };
static const char *const kind_names[NOTIFY__KIND_MAX] = {
        [NOTIFY_INBOX] = "inbox",   [NOTIFY_EMAIL] = "email",       [NOTIFY_WEBHOOK] = "webhook",
        [NOTIFY_SLACK] = "slack",   [NOTIFY_DINGTALK] = "dingtalk", [NOTIFY_FEISHU] = "feishu",
        [NOTIFY_SYSLOG] = "syslog",
};
static const char *const day_names[7] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };
static const char *const mode_names[3] = { "immediate", "daily", "weekly" };
/* Syslog facility names of RFC 5424 section 6.2.1 that people use. */
static const struct {
        const char *name;
        int code;
} facilities[] = {
        { "user", 1 },    { "daemon", 3 },  { "auth", 4 },    { "security", 13 },
        { "local0", 16 }, { "local1", 17 }, { "local2", 18 }, { "local3", 19 },
        { "local4", 20 }, { "local5", 21 }, { "local6", 22 }, { "local7", 23 },
};

const char *notify_level_name(bool alert, int level)
{
        if (level < 1 || level > 3)
                return NULL;
        return alert ? alert_levels[level] : finding_levels[level];
}

const char *notify_kind_name(notify_kind_t k)
{
        return (unsigned)k < NOTIFY__KIND_MAX ? kind_names[k] : NULL;
}

int notify_kind_from_name(const char *s, notify_kind_t *ret)
{
        for (int k = 0; s && k < NOTIFY__KIND_MAX; k++)
                if (strcmp(s, kind_names[k]) == 0) {
                        *ret = (notify_kind_t)k;
                        return 0;
                }
        return -EINVAL;
}

static void schedule_init(notify_schedule_t *s)
{
        *s = (notify_schedule_t){ .always = true, .days = 0x7f, .digest_at_min = 9 * 60 };
}

void notify_settings_init(notify_settings_t *s)
{
        memset(s, 0, sizeof(*s));
        for (int l = 1; l <= 3; l++) {
                schedule_init(&s->alert[l].sched);
                schedule_init(&s->finding[l].sched);
        }
        s->settle_us = NOTIFY_DEFAULT_SETTLE_S * USEC_PER_SEC;
}

static void rule_clear(notify_rule_t *r)
{
        for (size_t i = 0; i < r->n_channels; i++)
                free(r->channels[i]);
        r->n_channels = 0;
        tzif_free(r->sched.tz);
        r->sched.tz = NULL;
        r->sched.zone[0] = '\0';
}

void notify_settings_clear(notify_settings_t *s)
{
        for (int l = 1; l <= 3; l++) {
                rule_clear(&s->alert[l]);
                rule_clear(&s->finding[l]);
        }
}

/* "HH:MM" into minutes of the day. */
static int parse_hhmm(const char *s, int *ret)
{
        if (!s || strlen(s) != 5 || s[2] != ':')
                return -EINVAL;
        for (int i = 0; i < 5; i++)
                if (i != 2 && (s[i] < '0' || s[i] > '9'))
                        return -EINVAL;
        int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
        if (h > 23 || m > 59)
                return -EINVAL;
        *ret = h * 60 + m;
        return 0;
}

/* "UTC", "Z", "+08:00", "-05:30", "+0800" into minutes east of UTC. */
static int parse_offset(const char *s, int *ret)
{
        char hhmm[6];
        int v, sign;

        if (!s)
                return -EINVAL;
        if (strcmp(s, "UTC") == 0 || strcmp(s, "Z") == 0) {
                *ret = 0;
                return 0;
        }
        if (s[0] != '+' && s[0] != '-')
                return -EINVAL;
        sign = s[0] == '-' ? -1 : 1;
        if (strlen(s) == 6)
                memcpy(hhmm, s + 1, 6);
        else if (strlen(s) == 5 && s[3] != ':') {
                memcpy(hhmm, s + 1, 2);
                hhmm[2] = ':';
                memcpy(hhmm + 3, s + 3, 3);
        } else
                return -EINVAL;
        if (parse_hhmm(hhmm, &v) < 0 || v > 14 * 60)
                return -EINVAL;
        *ret = sign * v;
        return 0;
}

static int day_from_name(const char *s)
{
        for (int d = 0; s && d < 7; d++)
                if (strcmp(s, day_names[d]) == 0)
                        return d;
        return -1;
}

static void format_offset(int off, char out[16])
{
        if (off == 0) {
                snprintf(out, 16, "UTC");
                return;
        }
        snprintf(out, 16, "%c%02d:%02d", off < 0 ? '-' : '+', abs(off) / 60, abs(off) % 60);
}

/* Refuse keys other than the NULL-terminated list ALLOWED. */
static int only_keys(const json_t *o, const char *const *allowed, const char *where, char **err)
{
        const char *k;
        json_t *v;

        json_object_foreach ((json_t *)o, k, v) {
                bool ok = false;
                for (size_t i = 0; allowed[i] && !ok; i++)
                        ok = strcmp(k, allowed[i]) == 0;
                if (!ok) {
                        *err = str_printf("%s: unknown field", where);
                        return -EINVAL;
                }
        }
        return 0;
}

/* Set *ERR to a message and give the error to return. */
#define BAD(err, ...) ((*(err) = str_printf(__VA_ARGS__)) ? -EINVAL : -ENOMEM)

static int parse_schedule(const json_t *o, const char *where, notify_schedule_t *s, char **err)
{
        static const char *const keys[] = { "tz",        "days",       "from", "to",
                                            "digest_at", "digest_day", NULL };
        json_t *v;
        int r;

        tzif_free(s->tz); /* a level given twice: the last one counts */
        schedule_init(s);
        if (!o || json_is_null(o))
                return 0;
        if (!json_is_object(o))
                return BAD(err, "%s: must be an object", where);
        if ((r = only_keys(o, keys, where, err)) < 0)
                return r;
        if ((v = json_object_get(o, "tz")) &&
            parse_offset(json_string_value(v), &s->offset_min) < 0) {
                const char *name = json_string_value(v);
                r = name && tzif_valid_name(name) ? tzif_load(NULL, name, &s->tz) : -EINVAL;
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return BAD(err,
                                   "%s.tz: must be UTC, an offset like +08:00 or a time zone "
                                   "like Europe/Berlin",
                                   where);
                snprintf(s->zone, sizeof(s->zone), "%s", name);
        }
        if ((v = json_object_get(o, "digest_at")) &&
            parse_hhmm(json_string_value(v), &s->digest_at_min) < 0)
                return BAD(err, "%s.digest_at: must be HH:MM", where);
        if ((v = json_object_get(o, "digest_day")) &&
            (s->digest_day = day_from_name(json_string_value(v))) < 0)
                return BAD(err, "%s.digest_day: must be mon .. sun", where);
        json_t *from = json_object_get(o, "from"), *to = json_object_get(o, "to");
        json_t *days = json_object_get(o, "days");
        if (!!from != !!to)
                return BAD(err, "%s: give both from and to, or neither", where);
        if (from) {
                if (parse_hhmm(json_string_value(from), &s->from_min) < 0 ||
                    parse_hhmm(json_string_value(to), &s->to_min) < 0)
                        return BAD(err, "%s: from and to must be HH:MM", where);
                s->always = false;
        }
        if (days) {
                size_t i;
                if (!json_is_array(days) || json_array_size(days) == 0 || json_array_size(days) > 7)
                        return BAD(err, "%s.days: must be a list of mon .. sun", where);
                s->days = 0;
                json_array_foreach (days, i, v) {
                        int d = day_from_name(json_string_value(v));
                        if (d < 0)
                                return BAD(err, "%s.days: must be a list of mon .. sun", where);
                        s->days |= 1u << d;
                }
                s->always = false;
        }
        return 0;
}

static int parse_rule(const json_t *o, bool alert, const char *where, notify_rule_t *ru, char **err)
{
        static const char *const keys[] = { "enabled", "channels", "mode", "schedule", NULL };
        json_t *v;
        char sub[96];
        int r;

        if (!json_is_object(o))
                return BAD(err, "%s: must be an object", where);
        if ((r = only_keys(o, keys, where, err)) < 0)
                return r;
        v = json_object_get(o, "enabled");
        if (v && !json_is_boolean(v))
                return BAD(err, "%s.enabled: must be true or false", where);
        ru->enabled = json_is_true(v);
        ru->mode = NOTIFY_IMMEDIATE;
        if ((v = json_object_get(o, "mode"))) {
                int m = -1;
                for (int i = 0; i < 3; i++)
                        if (json_is_string(v) && strcmp(json_string_value(v), mode_names[i]) == 0)
                                m = i;
                if (m < 0)
                        return BAD(err, "%s.mode: must be immediate, daily or weekly", where);
                if (alert && m != NOTIFY_IMMEDIATE)
                        return BAD(err,
                                   "%s.mode: alerts are sent immediately; digests are for "
                                   "findings",
                                   where);
                ru->mode = (notify_mode_t)m;
        }
        if ((v = json_object_get(o, "channels"))) {
                size_t i;
                json_t *e;
                if (!json_is_array(v) || json_array_size(v) > NOTIFY_MAX_CHANNELS)
                        return BAD(err, "%s.channels: must be a list of at most 32 channel names",
                                   where);
                json_array_foreach (v, i, e) {
                        const char *name = json_string_value(e);
                        if (!name || !cutil_valid_id(name, NOTIFY_NAME_MAX))
                                return BAD(err, "%s.channels: not a channel name", where);
                        for (size_t j = 0; j < ru->n_channels; j++)
                                if (strcmp(ru->channels[j], name) == 0)
                                        return BAD(err, "%s.channels: listed twice", where);
                        ru->channels[ru->n_channels] = strdup(name);
                        if (!ru->channels[ru->n_channels])
                                return -ENOMEM;
                        ru->n_channels++;
                }
        }
        snprintf(sub, sizeof(sub), "%s.schedule", where);
        return parse_schedule(json_object_get(o, "schedule"), sub, &ru->sched, err);
}

int notify_settings_parse(const char *p, size_t n, notify_settings_t *ret, char **ret_error)
{
        static const char *const keys[] = { "alerts", "findings", "settle_seconds", NULL };
        notify_settings_t s;
        json_error_t jerr;
        json_t *root, *v;
        int r = 0;

        *ret_error = NULL;
        if (n > NOTIFY_SETTINGS_MAX) {
                *ret_error = str_printf("the settings are larger than %zu bytes",
                                        (size_t)NOTIFY_SETTINGS_MAX);
                return -E2BIG;
        }
        notify_settings_init(&s);
        root = json_loadb(p, n, JSON_REJECT_DUPLICATES, &jerr);
        if (!json_is_object(root)) {
                json_decref(root);
                *ret_error = str_printf("the settings must be a JSON object");
                return -EINVAL;
        }
        if ((r = only_keys(root, keys, "settings", ret_error)) < 0)
                goto out;
        if ((v = json_object_get(root, "settle_seconds"))) {
                if (!json_is_integer(v) || json_integer_value(v) < 0 ||
                    json_integer_value(v) > NOTIFY_MAX_SETTLE_S) {
                        r = BAD(ret_error, "%s: must be an integer from 0 to 3600",
                                "settle_seconds");
                        goto out;
                }
                s.settle_us = json_integer_value(v) * USEC_PER_SEC;
        }
        for (int a = 0; a < 2; a++) {
                const char *group = a ? "alerts" : "findings";
                json_t *g = json_object_get(root, group);
                const char *k;
                json_t *rv;
                if (!g)
                        continue;
                if (!json_is_object(g)) {
                        r = BAD(ret_error, "%s: must be an object", group);
                        goto out;
                }
                json_object_foreach (g, k, rv) {
                        char where[64];
                        int l = 0;
                        for (int i = 1; i <= 3; i++)
                                if (strcmp(k, notify_level_name(a, i)) == 0)
                                        l = i;
                        snprintf(where, sizeof(where), "%s.%.20s", group, k);
                        if (!l) {
                                r = BAD(ret_error, "%s: not a level", where);
                                goto out;
                        }
                        notify_rule_t *ru = a ? &s.alert[l] : &s.finding[l];
                        r = parse_rule(rv, a, where, ru, ret_error);
                        if (r < 0)
                                goto out;
                }
        }
out:
        json_decref(root);
        if (r < 0) {
                notify_settings_clear(&s);
                return r;
        }
        *ret = s;
        return 0;
}

static json_t *schedule_json(const notify_schedule_t *s)
{
        char tz[TZIF_NAME_MAX + 1], at[16];
        json_t *o;

        if (s->tz)
                snprintf(tz, sizeof(tz), "%s", s->zone);
        else
                format_offset(s->offset_min, tz);
        snprintf(at, sizeof(at), "%02d:%02d", s->digest_at_min / 60, s->digest_at_min % 60);
        o = json_pack("{s:s, s:s, s:s}", "tz", tz, "digest_at", at, "digest_day",
                      day_names[s->digest_day]);
        if (o && !s->always) {
                char from[16], to[16];
                json_t *days = json_array();
                snprintf(from, sizeof(from), "%02d:%02d", s->from_min / 60, s->from_min % 60);
                snprintf(to, sizeof(to), "%02d:%02d", s->to_min / 60, s->to_min % 60);
                for (int d = 0; days && d < 7; d++)
                        if (s->days & (1u << d))
                                json_array_append_new(days, json_string(day_names[d]));
                if (!days || json_object_set_new(o, "days", days) < 0 ||
                    json_object_set_new(o, "from", json_string(from)) < 0 ||
                    json_object_set_new(o, "to", json_string(to)) < 0) {
                        json_decref(o);
                        return NULL;
                }
        }
        return o;
}

static json_t *rule_json(const notify_rule_t *r)
{
        json_t *ch = json_array();

        for (size_t i = 0; ch && i < r->n_channels; i++)
                if (json_array_append_new(ch, json_string(r->channels[i])) < 0) {
                        json_decref(ch);
                        return NULL;
                }
        return json_pack("{s:b, s:o, s:s, s:o}", "enabled", r->enabled, "channels", ch, "mode",
                         mode_names[r->mode], "schedule", schedule_json(&r->sched));
}

json_t *notify_settings_json(const notify_settings_t *s)
{
        json_t *al = json_object(), *fi = json_object();

        for (int l = 1; al && fi && l <= 3; l++)
                if (json_object_set_new(al, notify_level_name(true, l), rule_json(&s->alert[l])) <
                            0 ||
                    json_object_set_new(fi, notify_level_name(false, l),
                                        rule_json(&s->finding[l])) < 0) {
                        json_decref(al);
                        json_decref(fi);
                        return NULL;
                }
        return json_pack("{s:o, s:o, s:I}", "alerts", al, "findings", fi, "settle_seconds",
                         (json_int_t)(s->settle_us / USEC_PER_SEC));
}

/* ---- channels ---- */

void notify_channel_clear(notify_channel_t *ch)
{
        free(ch->name);
        free(ch->url);
        free(ch->from);
        for (size_t i = 0; i < ch->n_to; i++)
                free(ch->to[i]);
        free(ch->username);
        free(ch->password);
        free(ch->ca);
        free(ch->address);
        memset(ch, 0, sizeof(*ch));
}

/* Text for a mail envelope or header: printable ASCII without spaces,
 * angle brackets, commas or quotes, one '@'. Anything else could smuggle
 * a header line or a second recipient. */
static bool valid_mailbox(const char *s)
{
        size_t at = 0, n = s ? strlen(s) : 0;

        if (n < 3 || n > NOTIFY_ADDR_MAX)
                return false;
        for (size_t i = 0; i < n; i++) {
                unsigned char ch = (unsigned char)s[i];
                if (ch <= ' ' || ch >= 0x7f || strchr("<>,;\"()[]\\", ch))
                        return false;
                if (ch == '@')
                        at++;
        }
        return at == 1 && s[0] != '@' && s[n - 1] != '@';
}

/* A string field of O: NULL when missing; -EINVAL when present but not a
 * string of 1..MAX bytes without control characters. */
static int get_str(const json_t *o, const char *key, size_t max, char **ret, char **err)
{
        json_t *v = json_object_get(o, key);
        const char *s;

        *ret = NULL;
        if (!v || json_is_null(v))
                return 0;
        s = json_string_value(v);
        if (!s || !*s || strlen(s) > max) {
                *err = str_printf("%s: must be a string of 1 to %zu bytes", key, max);
                return -EINVAL;
        }
        for (const char *q = s; *q; q++)
                if ((unsigned char)*q < 0x20 || *q == 0x7f) {
                        *err = str_printf("%s: control characters are not allowed", key);
                        return -EINVAL;
                }
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

/* "ca": one or more PEM certificates, printable ASCII and line breaks,
 * at most NOTIFY_CA_MAX bytes. Whether they are certificates is for the
 * TLS library to say when the channel is used (a test send shows it). */
static int get_pem(const json_t *o, char **ret, char **err)
{
        json_t *v = json_object_get(o, "ca");
        const char *s;

        *ret = NULL;
        if (!v || json_is_null(v))
                return 0;
        s = json_string_value(v);
        if (!s || strlen(s) > NOTIFY_CA_MAX || !str_startswith(s, "-----BEGIN CERTIFICATE-----") ||
            !strstr(s, "-----END CERTIFICATE-----")) {
                *err = str_printf("ca: must be PEM certificates (-----BEGIN CERTIFICATE----- ...), "
                                  "at most %d bytes",
                                  (int)NOTIFY_CA_MAX);
                return -EINVAL;
        }
        for (const char *q = s; *q; q++)
                if (((unsigned char)*q < 0x20 && *q != '\n' && *q != '\r') || *q == 0x7f) {
                        *err = str_printf("ca: control characters are not allowed");
                        return -EINVAL;
                }
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

static int need(const char *v, const char *key, char **err)
{
        if (v)
                return 0;
        *err = str_printf("%s: required", key);
        return -EINVAL;
}

int notify_channel_parse(const json_t *o, notify_channel_t *ret, char **ret_error)
{
        static const char *const keys[] = { "name",     "type",      "max_per_host_per_day",
                                            "url",      "from",      "to",
                                            "username", "password",  "starttls",
                                            "address",  "transport", "facility",
                                            "ca",       NULL };
        notify_channel_t ch = { 0 };
        _cleanup_free_ char *type = NULL, *transport = NULL, *facility = NULL;
        json_t *v;
        int r;

        *ret_error = NULL;
        if (!json_is_object(o)) {
                *ret_error = str_printf("the channel must be a JSON object");
                return -EINVAL;
        }
        if ((r = only_keys(o, keys, "channel", ret_error)) < 0)
                return r;
        if ((r = get_str(o, "name", NOTIFY_NAME_MAX, &ch.name, ret_error)) < 0 ||
            (r = get_str(o, "type", 32, &type, ret_error)) < 0 ||
            (r = get_str(o, "url", NOTIFY_URL_MAX, &ch.url, ret_error)) < 0 ||
            (r = get_str(o, "from", NOTIFY_ADDR_MAX, &ch.from, ret_error)) < 0 ||
            (r = get_str(o, "username", NOTIFY_SECRET_MAX, &ch.username, ret_error)) < 0 ||
            (r = get_str(o, "password", NOTIFY_SECRET_MAX, &ch.password, ret_error)) < 0 ||
            (r = get_str(o, "address", NOTIFY_ADDR_MAX, &ch.address, ret_error)) < 0 ||
            (r = get_str(o, "transport", 8, &transport, ret_error)) < 0 ||
            (r = get_str(o, "facility", 16, &facility, ret_error)) < 0 ||
            (r = get_pem(o, &ch.ca, ret_error)) < 0)
                goto fail;
        r = -EINVAL;
        if (!ch.name || !cutil_valid_id(ch.name, NOTIFY_NAME_MAX)) {
                *ret_error = str_printf("name: required, 1 to %d characters of A-Z a-z 0-9 . _ "
                                        ": -",
                                        NOTIFY_NAME_MAX);
                goto fail;
        }
        if (notify_kind_from_name(type, &ch.kind) < 0) {
                *ret_error = str_printf("type: must be inbox, email, webhook, slack, dingtalk, "
                                        "feishu or syslog");
                goto fail;
        }
        if ((v = json_object_get(o, "max_per_host_per_day"))) {
                if (!json_is_integer(v) || json_integer_value(v) < 0 ||
                    json_integer_value(v) > NOTIFY_MAX_PER_HOST_DAY) {
                        *ret_error = str_printf("max_per_host_per_day: must be an integer from 0 "
                                                "(no limit) to %d",
                                                NOTIFY_MAX_PER_HOST_DAY);
                        goto fail;
                }
                ch.max_per_host_day = json_integer_value(v);
        }
        if (ch.ca && ch.kind != NOTIFY_EMAIL) {
                *ret_error = str_printf("ca: only for email channels");
                goto fail;
        }
        if ((v = json_object_get(o, "starttls"))) {
                if (!json_is_boolean(v)) {
                        *ret_error = str_printf("starttls: must be true or false");
                        goto fail;
                }
                ch.starttls = json_is_true(v);
        }
        switch (ch.kind) {
        case NOTIFY_INBOX:
                break;
        case NOTIFY_EMAIL: {
                json_t *to = json_object_get(o, "to");
                size_t i;
                if ((r = need(ch.url, "url", ret_error)) < 0 ||
                    (r = need(ch.from, "from", ret_error)) < 0)
                        goto fail;
                r = -EINVAL;
                if (!str_startswith(ch.url, "smtp://") && !str_startswith(ch.url, "smtps://")) {
                        *ret_error = str_printf("url: must be smtp://HOST[:PORT] or "
                                                "smtps://HOST[:PORT]");
                        goto fail;
                }
                if (!valid_mailbox(ch.from)) {
                        *ret_error = str_printf("from: not a mail address");
                        goto fail;
                }
                if (!json_is_array(to) || json_array_size(to) == 0 ||
                    json_array_size(to) > NOTIFY_MAX_RECIPIENTS) {
                        *ret_error = str_printf("to: must be a list of 1 to %d mail addresses",
                                                NOTIFY_MAX_RECIPIENTS);
                        goto fail;
                }
                json_array_foreach (to, i, v) {
                        if (!valid_mailbox(json_string_value(v))) {
                                *ret_error = str_printf("to[%zu]: not a mail address", i);
                                goto fail;
                        }
                        if (!(ch.to[ch.n_to] = strdup(json_string_value(v)))) {
                                r = -ENOMEM;
                                goto fail;
                        }
                        ch.n_to++;
                }
                if (!!ch.username != !!ch.password) {
                        *ret_error = str_printf("username and password: give both or neither");
                        goto fail;
                }
                break;
        }
        case NOTIFY_WEBHOOK:
        case NOTIFY_SLACK:
        case NOTIFY_DINGTALK:
        case NOTIFY_FEISHU:
                if ((r = need(ch.url, "url", ret_error)) < 0)
                        goto fail;
                r = -EINVAL;
                if (!str_startswith(ch.url, "https://") && !str_startswith(ch.url, "http://")) {
                        *ret_error = str_printf("url: must be an http:// or https:// URL");
                        goto fail;
                }
                break;
        case NOTIFY_SYSLOG:
                if ((r = need(ch.address, "address", ret_error)) < 0)
                        goto fail;
                r = -EINVAL;
                if (!strrchr(ch.address, ':') || strchr(ch.address, ' ')) {
                        *ret_error = str_printf("address: must be HOST:PORT");
                        goto fail;
                }
                if (transport && strcmp(transport, "tcp") != 0 && strcmp(transport, "udp") != 0) {
                        *ret_error = str_printf("transport: must be udp or tcp");
                        goto fail;
                }
                ch.tcp = transport && strcmp(transport, "tcp") == 0;
                ch.facility = 16;
                if (facility) {
                        ch.facility = -1;
                        for (size_t i = 0; i < ELEMENTSOF(facilities); i++)
                                if (strcmp(facility, facilities[i].name) == 0)
                                        ch.facility = facilities[i].code;
                        if (ch.facility < 0) {
                                *ret_error = str_printf("facility: must be user, daemon, auth, "
                                                        "security or local0 .. local7");
                                goto fail;
                        }
                }
                break;
        default:
                goto fail;
        }
        *ret = ch;
        return 0;
fail:
        notify_channel_clear(&ch);
        return r;
}

/* "https://hooks.example.com/services/T0/B0/XXXX" -> "https://hooks.example.com/..." */
static json_t *redacted_url(const char *url)
{
        const char *host = strstr(url, "://");
        size_t end;

        if (!host)
                return json_string("...");
        host += 3;
        end = (size_t)(host - url) + strcspn(host, "/?#");
        _cleanup_free_ char *s = str_printf("%.*s/...", (int)end, url);
        return s ? json_string(s) : NULL;
}

json_t *notify_channel_json(const notify_channel_t *ch, bool redact)
{
        json_t *o = json_pack("{s:I, s:s, s:s, s:I}", "id", (json_int_t)ch->id, "name", ch->name,
                              "type", kind_names[ch->kind], "max_per_host_per_day",
                              (json_int_t)ch->max_per_host_day);
        int r = 0;

        if (!o)
                return NULL;
        switch (ch->kind) {
        case NOTIFY_EMAIL: {
                json_t *to = json_array();
                for (size_t i = 0; to && i < ch->n_to; i++)
                        json_array_append_new(to, json_string(ch->to[i]));
                r |= json_object_set_new(o, "url", json_string(ch->url));
                r |= json_object_set_new(o, "from", json_string(ch->from));
                r |= json_object_set_new(o, "to", to);
                r |= json_object_set_new(o, "starttls", json_boolean(ch->starttls));
                if (ch->ca)
                        r |= json_object_set_new(o, "ca", json_string(ch->ca));
                if (ch->username)
                        r |= json_object_set_new(o, "username", json_string(ch->username));
                if (ch->password)
                        r |= json_object_set_new(o, "password",
                                                 redact ? json_string("********")
                                                        : json_string(ch->password));
                break;
        }
        case NOTIFY_WEBHOOK:
        case NOTIFY_SLACK:
        case NOTIFY_DINGTALK:
        case NOTIFY_FEISHU:
                r |= json_object_set_new(o, "url",
                                         redact ? redacted_url(ch->url) : json_string(ch->url));
                break;
        case NOTIFY_SYSLOG: {
                const char *fac = "local0";
                for (size_t i = 0; i < ELEMENTSOF(facilities); i++)
                        if (facilities[i].code == ch->facility)
                                fac = facilities[i].name;
                r |= json_object_set_new(o, "address", json_string(ch->address));
                r |= json_object_set_new(o, "transport", json_string(ch->tcp ? "tcp" : "udp"));
                r |= json_object_set_new(o, "facility", json_string(fac));
                break;
        }
        default:
                break;
        }
        if (r) {
                json_decref(o);
                return NULL;
        }
        return o;
}

/* ---- time ---- */

#define MIN_US ((int64_t)60 * USEC_PER_SEC)

static int64_t floor_div(int64_t a, int64_t b)
{
        return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* Offset from UTC of S's zone at T_US, in microseconds. An instant out of
 * the zone reader's range (millions of years away) counts as UTC. */
static int64_t offset_us(const notify_schedule_t *s, int64_t t_us)
{
        int off = 0;

        if (!s->tz)
                return s->offset_min * MIN_US;
        if (tzif_offset(s->tz, floor_div(t_us, USEC_PER_SEC), &off) < 0)
                off = 0;
        return (int64_t)off * USEC_PER_SEC;
}

static int64_t local_us(const notify_schedule_t *s, int64_t t_us)
{
        return t_us + offset_us(s, t_us);
}

/* The first instant at which the local wall clock of S's zone reads L_US
 * or later. Offsets in force a day and more around L are the candidates:
 * a wall time that occurs twice (clocks going back) matches two of them,
 * and the earlier wins; one that never occurs (clocks jumping forward)
 * matches none, and the jump is found by bisection between them. */
static int64_t to_utc(const notify_schedule_t *s, int64_t l_us)
{
        const int64_t around = 26 * 3600 * USEC_PER_SEC;
        int64_t cand[3], best = INT64_MAX, lo = INT64_MAX, hi = INT64_MIN;

        if (!s->tz)
                return l_us - s->offset_min * MIN_US;
        cand[0] = l_us - offset_us(s, l_us - around);
        cand[1] = l_us - offset_us(s, l_us);
        cand[2] = l_us - offset_us(s, l_us + around);
        for (int i = 0; i < 3; i++) {
                if (local_us(s, cand[i]) == l_us && cand[i] < best)
                        best = cand[i];
                lo = MIN(lo, cand[i]);
                hi = MAX(hi, cand[i]);
        }
        if (best != INT64_MAX)
                return best;
        /* In the gap: the local clock is below L at LO's side and at or
         * above it at HI's; find the first second where it is not below. */
        lo = floor_div(lo, USEC_PER_SEC);
        hi = floor_div(hi, USEC_PER_SEC) + 1;
        if (local_us(s, lo * USEC_PER_SEC) >= l_us)
                return lo * USEC_PER_SEC;
        while (hi - lo > 1) {
                int64_t mid = lo + (hi - lo) / 2;
                if (local_us(s, mid * USEC_PER_SEC) >= l_us)
                        hi = mid;
                else
                        lo = mid;
        }
        return hi * USEC_PER_SEC;
}

/* Monday 0 .. Sunday 6 of local day D (days since 1970-01-01, a
 * Thursday). */
static int weekday(int64_t d)
{
        return (int)(((d % 7) + 7 + 3) % 7);
}

/* Whether T_US lies in S's window: on an allowed day at or after FROM and
 * before TO, or, for overnight windows (and whole-day ones, FROM == TO),
 * before TO on the day after an allowed day. */
static bool in_window(const notify_schedule_t *s, int64_t t_us)
{
        int64_t l = local_us(s, t_us), d = floor_div(l, USEC_PER_DAY);
        int m = (int)((l - d * USEC_PER_DAY) / MIN_US);
        bool today = s->days & (1u << weekday(d)), yesterday = s->days & (1u << weekday(d - 1));

        if (s->to_min > s->from_min)
                return today && m >= s->from_min && m < s->to_min;
        return (today && m >= s->from_min) || (yesterday && m < s->to_min);
}

int64_t notify_schedule_next(const notify_schedule_t *s, int64_t t_us)
{
        int64_t day0;

        if (s->always || in_window(s, t_us))
                return t_us;
        day0 = floor_div(local_us(s, t_us), USEC_PER_DAY);
        /* Otherwise the window opens next on one of the coming days: a
         * week ahead holds every allowed weekday once. A window whose
         * opening time does not exist that day (it lies in a skipped hour
         * and closes within it) is passed over. */
        for (int64_t d = day0; d <= day0 + 8; d++) {
                int64_t start;
                if (!(s->days & (1u << weekday(d))))
                        continue;
                start = to_utc(s, d * USEC_PER_DAY + s->from_min * MIN_US);
                if (start > t_us && in_window(s, start))
                        return start;
        }
        return t_us; /* not reached: days is never empty */
}

int64_t notify_due(notify_mode_t mode, const notify_schedule_t *s, int64_t t_us)
{
        int64_t day0;

        if (mode == NOTIFY_IMMEDIATE)
                return notify_schedule_next(s, t_us);
        day0 = floor_div(local_us(s, t_us), USEC_PER_DAY);
        for (int64_t d = day0 - 1; d <= day0 + 8; d++) {
                int64_t at;
                if (mode == NOTIFY_WEEKLY && weekday(d) != s->digest_day)
                        continue;
                at = to_utc(s, d * USEC_PER_DAY + s->digest_at_min * MIN_US);
                if (at >= t_us)
                        return at;
        }
        return t_us;
}
