#include "agent/aconf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/schedule.h"
#include "detect/login/logevent.h"

/* The syslog files read by default, those that exist. auth.log (Debian,
 * Ubuntu) and secure (RHEL family) hold authpriv; messages holds what
 * services log at the other facilities (FTP and database servers). */
static const char *const default_logs[] = { "/var/log/auth.log", "/var/log/secure",
                                            "/var/log/messages" };

const char *agent_log_format_name(agent_log_format_t f)
{
        switch (f) {
        case AGENT_LOG_WTMP:
                return "wtmp";
        case AGENT_LOG_BTMP:
                return "btmp";
        default:
                return "text";
        }
}

void agent_config_clear(agent_config_t *ac)
{
        for (size_t i = 0; i < ac->n_logs; i++) {
                free(ac->logs[i].path);
                free(ac->logs[i].service);
        }
        free(ac->logs);
        free(ac->output);
        free(ac->journal_dir);
        free(ac->center_ca);
        schedule_clear(&ac->scans);
        memset(ac, 0, sizeof(*ac));
}

static bool has_log(const agent_config_t *ac, const char *path)
{
        for (size_t i = 0; i < ac->n_logs; i++)
                if (strcmp(ac->logs[i].path, path) == 0)
                        return true;
        return false;
}

static int add_log(agent_config_t *ac, const char *path, const char *service,
                   agent_log_format_t fmt)
{
        agent_log_t *l;

        if (has_log(ac, path))
                return 0;
        if (ac->n_logs >= AGENT_LOGS_MAX)
                return -E2BIG;
        l = realloc(ac->logs, (ac->n_logs + 1) * sizeof(*l));
        if (!l)
                return -ENOMEM;
        ac->logs = l;
        l = &ac->logs[ac->n_logs];
        memset(l, 0, sizeof(*l));
        l->path = strdup(path);
        l->service = service ? strdup(service) : NULL;
        l->format = fmt;
        if (!l->path || (service && !l->service)) {
                free(l->path);
                free(l->service);
                return -ENOMEM;
        }
        ac->n_logs++;
        return 0;
}

static bool exists(const char *root, const char *path)
{
        _cleanup_free_ char *p = str_printf("%s%s", root ? root : "", path);
        struct stat st;

        return p && stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* A duration in milliseconds: an integer of seconds, or a string such as
 * "500ms", "2s", "1m". */
static int get_ms(const config_t *c, const char *key, int64_t def, int64_t min, int64_t max,
                  int64_t *ret, char **ret_error)
{
        json_t *v = config_get(c, key);
        int64_t ms = def;
        int r = 0;

        if (v && json_is_integer(v))
                ms = (int64_t)json_integer_value(v) * 1000;
        else if (v && json_is_string(v)) {
                const char *str = json_string_value(v);
                size_t n = strlen(str);
                int64_t s;
                if (n > 2 && strcmp(str + n - 2, "ms") == 0) {
                        _cleanup_free_ char *num = str_ndup(str, n - 2);
                        unsigned long long u;
                        if (!num || str_to_u64(num, &u) < 0 || u > 1000000000ULL)
                                r = -EINVAL;
                        else
                                ms = (int64_t)u;
                } else if (schedule_parse_every(str, &s) < 0)
                        r = -EINVAL;
                else
                        ms = s * 1000;
        } else if (v && !json_is_null(v))
                r = -EINVAL;
        if (r < 0 || ms < min || ms > max) {
                *ret_error = str_printf("%s: a duration from %lldms to %llds, such as 500ms or 2s",
                                        key, (long long)min, (long long)(max / 1000));
                return -EINVAL;
        }
        *ret = ms;
        return 0;
}

static int load_logs(const config_t *c, agent_config_t *ac, char **ret_error)
{
        json_t *logs = config_get(c, "agent.logs"), *o;
        size_t i;
        int r;

        if (!logs || json_is_null(logs))
                return 0;
        if (!json_is_array(logs)) {
                *ret_error = strdup("agent.logs: a list of {path, service, format}");
                return -EINVAL;
        }
        json_array_foreach (logs, i, o) {
                const char *path = NULL, *service = NULL, *fmt = "text", *key;
                agent_log_format_t f = AGENT_LOG_TEXT;
                json_t *v;

                if (json_is_string(o))
                        path = json_string_value(o);
                else if (json_is_object(o)) {
                        json_object_foreach (o, key, v) {
                                if (!json_is_string(v) ||
                                    (strcmp(key, "path") && strcmp(key, "service") &&
                                     strcmp(key, "format"))) {
                                        *ret_error = str_printf("agent.logs[%zu].%s: unknown "
                                                                "key or not a string (path, "
                                                                "service, format)",
                                                                i, key);
                                        return -EINVAL;
                                }
                        }
                        path = json_string_value(json_object_get(o, "path"));
                        service = json_string_value(json_object_get(o, "service"));
                        if (json_object_get(o, "format"))
                                fmt = json_string_value(json_object_get(o, "format"));
                }
                if (!path || path[0] != '/' || strlen(path) >= 4096) {
                        *ret_error = str_printf("agent.logs[%zu]: an absolute 'path' is needed", i);
                        return -EINVAL;
                }
                if (service && (!*service || strlen(service) >= LOGEVENT_SERVICE_MAX ||
                                strpbrk(service, " \t\n/"))) {
                        *ret_error = str_printf("agent.logs[%zu].service: a program name such "
                                                "as sshd",
                                                i);
                        return -EINVAL;
                }
                if (strcmp(fmt, "text") == 0)
                        f = AGENT_LOG_TEXT;
                else if (strcmp(fmt, "wtmp") == 0)
                        f = AGENT_LOG_WTMP;
                else if (strcmp(fmt, "btmp") == 0)
                        f = AGENT_LOG_BTMP;
                else {
                        *ret_error = str_printf("agent.logs[%zu].format: text, wtmp or btmp", i);
                        return -EINVAL;
                }
                if ((r = add_log(ac, path, service, f)) < 0) {
                        if (r == -E2BIG)
                                *ret_error =
                                        str_printf("agent.logs: at most %d logs", AGENT_LOGS_MAX);
                        return r == -E2BIG ? -EINVAL : r;
                }
        }
        return 0;
}

static int get_bool(const config_t *c, const char *key, bool def, bool *ret, char **ret_error)
{
        json_t *v = config_get(c, key);

        if (!v || json_is_null(v)) {
                *ret = def;
                return 0;
        }
        if (!json_is_boolean(v)) {
                *ret_error = str_printf("%s: true or false", key);
                return -EINVAL;
        }
        *ret = json_is_true(v);
        return 0;
}

static int get_size(const config_t *c, const char *key, unsigned long long def,
                    unsigned long long min, unsigned long long max, unsigned long long *ret,
                    char **ret_error)
{
        unsigned long long v = def;
        int r = config_get_size(c, key, &v);

        if ((r < 0 && r != -ENOENT) || v < min || v > max) {
                *ret_error =
                        str_printf("%s: a size from %lluKiB to %lluMiB", key, min / KiB, max / MiB);
                return -EINVAL;
        }
        *ret = v;
        return 0;
}

/* agent.center.* and agent.commands.* */
static int load_center(const config_t *c, agent_config_t *ac, char **ret_error)
{
        unsigned long long items, bytes, spool;
        json_t *v;
        int r;

        if ((r = get_bool(c, "agent.center.enabled", true, &ac->center, ret_error)) < 0 ||
            (r = get_size(c, "agent.center.batch_bytes", 1 * MiB, 4 * KiB, 8 * MiB, &bytes,
                          ret_error)) < 0 ||
            (r = get_size(c, "agent.center.spool_max", 256 * MiB, 1 * MiB, 64 * GiB, &spool,
                          ret_error)) < 0 ||
            (r = get_ms(c, "agent.center.heartbeat", 60000, 1000, 3600000, &ac->heartbeat_ms,
                        ret_error)) < 0 ||
            (r = get_ms(c, "agent.center.commands_interval", 30000, 1000, 3600000, &ac->commands_ms,
                        ret_error)) < 0 ||
            (r = get_ms(c, "agent.center.retry_max", 300000, 1000, 3600000, &ac->retry_max_ms,
                        ret_error)) < 0 ||
            (r = get_ms(c, "agent.center.timeout", 30000, 1000, 300000, &ac->timeout_ms,
                        ret_error)) < 0 ||
            (r = get_bool(c, "agent.commands.scan_now", true, &ac->cmd_scan_now, ret_error)) < 0 ||
            (r = get_bool(c, "agent.commands.update_rules", true, &ac->cmd_update_rules,
                          ret_error)) < 0 ||
            (r = get_bool(c, "agent.commands.block_ip", true, &ac->cmd_block_ip, ret_error)) < 0 ||
            (r = get_bool(c, "agent.commands.quarantine", false, &ac->cmd_quarantine, ret_error)) <
                    0 ||
            (r = get_bool(c, "agent.commands.kill", false, &ac->cmd_kill, ret_error)) < 0)
                return r;
        items = (unsigned long long)config_get_int(c, "agent.center.batch_items", 500);
        v = config_get(c, "agent.center.batch_items");
        if ((v && !json_is_integer(v)) || items < 1 || items > 1000) {
                *ret_error = strdup("agent.center.batch_items: 1 to 1000");
                return -EINVAL;
        }
        ac->batch_items = (size_t)items;
        ac->batch_bytes = (size_t)bytes;
        ac->spool_max = spool;
        v = config_get(c, "agent.center.ca_file");
        if (v && json_is_string(v) && json_string_value(v)[0] == '/') {
                ac->center_ca = strdup(json_string_value(v));
                if (!ac->center_ca)
                        return -ENOMEM;
        } else if (v && !json_is_null(v)) {
                *ret_error = strdup("agent.center.ca_file: an absolute file name");
                return -EINVAL;
        }
        return 0;
}

int agent_config_load(const config_t *c, const char *root, agent_config_t *ret, char **ret_error)
{
        agent_config_t ac = { 0 };
        bool use_defaults, utmp, syslog_auth = false;
        agent_journal_t journal = AGENT_JOURNAL_AUTO;
        json_t *v;
        int64_t poll_ms, days;
        int r;

        *ret_error = NULL;
        if ((r = load_logs(c, &ac, ret_error)) < 0 ||
            (r = get_bool(c, "agent.default_logs", true, &use_defaults, ret_error)) < 0 ||
            (r = get_bool(c, "agent.utmp", false, &utmp, ret_error)) < 0 ||
            (r = get_bool(c, "agent.netattack", true, &ac.netattack, ret_error)) < 0 ||
            (r = get_bool(c, "agent.fim", true, &ac.fim, ret_error)) < 0)
                goto fail;
        if (use_defaults) {
                for (size_t i = 0; i < ELEMENTSOF(default_logs); i++) {
                        if (!exists(root, default_logs[i]))
                                continue;
                        _cleanup_free_ char *p =
                                str_printf("%s%s", root ? root : "", default_logs[i]);
                        if (!p || (r = add_log(&ac, p, NULL, AGENT_LOG_TEXT)) < 0) {
                                r = p ? r : -ENOMEM;
                                goto fail;
                        }
                        if (i < 2)
                                syslog_auth = true;
                }
        }
        if (utmp) {
                _cleanup_free_ char *b = str_printf("%s/var/log/btmp", root ? root : "");
                _cleanup_free_ char *w = str_printf("%s/var/log/wtmp", root ? root : "");
                if (!b || !w) {
                        r = -ENOMEM;
                        goto fail;
                }
                if ((r = add_log(&ac, b, NULL, AGENT_LOG_BTMP)) < 0 ||
                    (r = add_log(&ac, w, NULL, AGENT_LOG_WTMP)) < 0)
                        goto fail;
        }
        v = config_get(c, "agent.journal");
        if (v && json_is_boolean(v))
                journal = json_is_true(v) ? AGENT_JOURNAL_ON : AGENT_JOURNAL_OFF;
        else if (v && json_is_string(v) && strcmp(json_string_value(v), "auto") == 0)
                journal = AGENT_JOURNAL_AUTO;
        else if (v && !json_is_null(v)) {
                *ret_error = strdup("agent.journal: auto, true or false");
                r = -EINVAL;
                goto fail;
        }
        v = config_get(c, "agent.journal_dir");
        if (v && json_is_string(v) && json_string_value(v)[0] == '/') {
                ac.journal_dir = strdup(json_string_value(v));
                if (!ac.journal_dir) {
                        r = -ENOMEM;
                        goto fail;
                }
        } else if (v && !json_is_null(v)) {
                *ret_error = strdup("agent.journal_dir: an absolute directory");
                r = -EINVAL;
                goto fail;
        }
        /* Naming a journal directory asks for it, unless the journal is
         * turned off. */
        ac.journal = journal == AGENT_JOURNAL_ON ||
                     (journal == AGENT_JOURNAL_AUTO && (!syslog_auth || ac.journal_dir));
        v = config_get(c, "agent.start_at");
        if (!v || json_is_null(v) ||
            (json_is_string(v) && strcmp(json_string_value(v), "end") == 0))
                ac.start = TAIL_START_END;
        else if (json_is_string(v) && strcmp(json_string_value(v), "beginning") == 0)
                ac.start = TAIL_START_BEGINNING;
        else {
                *ret_error = strdup("agent.start_at: end or beginning");
                r = -EINVAL;
                goto fail;
        }
        v = config_get(c, "agent.output");
        if (v && json_is_string(v) && *json_string_value(v)) {
                ac.output = strdup(json_string_value(v));
                if (!ac.output) {
                        r = -ENOMEM;
                        goto fail;
                }
        } else if (v && !json_is_null(v)) {
                *ret_error = strdup("agent.output: a file name or \"-\"");
                r = -EINVAL;
                goto fail;
        }
        /* A number of days, or a duration ("12w"). */
        v = config_get(c, "agent.retention.days");
        days = 90LL * 86400;
        if (v && json_is_integer(v) && json_integer_value(v) >= 1 && json_integer_value(v) <= 3650)
                days = (int64_t)json_integer_value(v) * 86400;
        else if (v && json_is_string(v) && schedule_parse_every(json_string_value(v), &days) == 0 &&
                 days >= 86400)
                ;
        else if (v && !json_is_null(v)) {
                *ret_error = strdup("agent.retention.days: 1 to 3650");
                r = -EINVAL;
                goto fail;
        }
        ac.retention_s = days;
        ac.max_alerts = config_get_int(c, "agent.retention.max_alerts", 100000);
        if (ac.max_alerts < 100 || ac.max_alerts > 100000000) {
                *ret_error = strdup("agent.retention.max_alerts: 100 to 100000000");
                r = -EINVAL;
                goto fail;
        }
        if ((r = get_ms(c, "agent.poll_interval", 2000, 100, 60000, &poll_ms, ret_error)) < 0)
                goto fail;
        ac.poll_us = poll_ms * 1000;
        {
                unsigned long long b = 1 * MiB;
                r = config_get_size(c, "agent.batch", &b);
                if ((r < 0 && r != -ENOENT) || b < 4 * KiB || b > 64 * MiB) {
                        *ret_error = strdup("agent.batch: a size from 4KiB to 64MiB");
                        r = -EINVAL;
                        goto fail;
                }
                ac.batch = (size_t)b;
        }
        ac.scan_nice = (int)config_get_int(c, "agent.scan_nice", 10);
        if (ac.scan_nice < 0 || ac.scan_nice > 19) {
                *ret_error = strdup("agent.scan_nice: 0 to 19");
                r = -EINVAL;
                goto fail;
        }
        if ((r = schedule_load(c, &ac.scans, ret_error)) < 0 ||
            (r = load_center(c, &ac, ret_error)) < 0)
                goto fail;
        *ret = ac;
        return 0;
fail:
        agent_config_clear(&ac);
        return r;
}
