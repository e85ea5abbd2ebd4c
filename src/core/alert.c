#include "core/alert.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/hash.h"
#include "core/jsonx.h"
#include "core/text.h"
#include "core/timeutil.h"

static const char *const type_names[ALERT_TYPE__MAX] = {
        [ALERT_ABNORMAL_LOGIN] = "abnormal_login",     [ALERT_MALICIOUS_FILE] = "malicious_file",
        [ALERT_NETWORK_ATTACK] = "network_attack",     [ALERT_DATA_LEAK] = "data_leak",
        [ALERT_CONFIG_RISK] = "config_risk",           [ALERT_COMPLIANCE_RISK] = "compliance_risk",
        [ALERT_ABNORMAL_PROCESS] = "abnormal_process", [ALERT_FILE_TAMPERING] = "file_tampering",
};

const char *alert_type_name(alert_type_t type)
{
        return type < ALERT_TYPE__MAX ? type_names[type] : "unknown";
}

int alert_type_from_name(const char *name, alert_type_t *ret)
{
        for (int i = 0; i < ALERT_TYPE__MAX; i++)
                if (strcmp(name, type_names[i]) == 0) {
                        *ret = (alert_type_t)i;
                        return 0;
                }
        return -EINVAL;
}

const char *alert_level_name(alert_level_t level)
{
        switch (level) {
        case ALERT_URGENT:
                return "urgent";
        case ALERT_SUSPICIOUS:
                return "suspicious";
        case ALERT_REMINDER:
                return "reminder";
        }
        return "unknown";
}

alert_t *alert_new(alert_type_t type, const char *rule, const char *subject, alert_level_t level,
                   int64_t time_us)
{
        uint8_t rnd[ALERT_ID_HEX / 2];
        alert_t *a = calloc(1, sizeof(*a));

        if (!a)
                return NULL;
        if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
                free(a);
                return NULL;
        }
        hash_hex(rnd, sizeof(rnd), a->id);
        a->type = type;
        a->level = level;
        a->time_us = time_us;
        a->rule = strdup(rule);
        a->subject = strdup(subject);
        a->evidence = json_object();
        if (!a->rule || !a->subject || !a->evidence) {
                alert_free(a);
                return NULL;
        }
        return a;
}

_printf_(2, 0) static int set_vfmt(char **field, const char *fmt, va_list ap)
{
        char *s;

        if (vasprintf(&s, fmt, ap) < 0)
                return -ENOMEM;
        free(*field);
        *field = s;
        return 0;
}

int alert_set_title(alert_t *a, const char *fmt, ...)
{
        va_list ap;
        int r;
        va_start(ap, fmt);
        r = set_vfmt(&a->title, fmt, ap);
        va_end(ap);
        return r;
}

int alert_set_remediation(alert_t *a, const char *fmt, ...)
{
        va_list ap;
        int r;
        va_start(ap, fmt);
        r = set_vfmt(&a->remediation, fmt, ap);
        va_end(ap);
        return r;
}

int alert_set_host(alert_t *a, const char *host)
{
        char *h = strdup(host);
        if (!h)
                return -ENOMEM;
        free(a->host);
        a->host = h;
        return 0;
}

int alert_add_evidence_str(alert_t *a, const char *key, const char *value)
{
        return jsonx_set_str(a->evidence, key, value);
}

int alert_add_evidence_int(alert_t *a, const char *key, long long value)
{
        return json_object_set_new(a->evidence, key, json_integer(value)) < 0 ? -ENOMEM : 0;
}

char *alert_dedupe_key(const alert_t *a)
{
        return str_printf("%s\x1f%s\x1f%s", a->rule, a->host ? a->host : "", a->subject);
}

void alert_free(alert_t *a)
{
        if (!a)
                return;
        free(a->rule);
        free(a->subject);
        free(a->host);
        free(a->title);
        free(a->remediation);
        json_decref(a->evidence);
        free(a);
}

json_t *alert_to_json(const alert_t *a)
{
        char when[TIMEUTIL_ISO_LEN];
        json_t *o = json_object();

        if (!o)
                return NULL;
        timeutil_format_iso(a->time_us, when, sizeof(when));
        if (jsonx_set_str(o, "id", a->id) < 0 ||
            jsonx_set_str(o, "type", alert_type_name(a->type)) < 0 ||
            jsonx_set_str(o, "rule", a->rule) < 0 ||
            jsonx_set_str(o, "level", alert_level_name(a->level)) < 0 ||
            jsonx_set_str(o, "time", when) < 0 || jsonx_set_str(o, "host", a->host) < 0 ||
            jsonx_set_str(o, "title", a->title) < 0 ||
            json_object_set(o, "evidence", a->evidence) < 0 ||
            jsonx_set_str(o, "remediation", a->remediation) < 0) {
                json_decref(o);
                return NULL;
        }
        return o;
}
