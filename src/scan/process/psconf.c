#include "scan/process/psconf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "scan/process/psrules.h"

static const uint16_t default_pool_ports[] = { 3333,  4444,  5555,  6666, 7777,
                                               14433, 14444, 45560, 45700 };
static const char *const default_tmp_dirs[] = { "/tmp", "/var/tmp", "/dev/shm" };

static void warn(report_t *r, const char *key, const char *what)
{
        if (r)
                report_note(r, REPORT_NOTE_WARNING, "config", "process.%s: %s", key, what);
}

static int opt_bool(const config_t *c, const char *key, bool def, report_t *r, bool *ret)
{
        _cleanup_free_ char *path = str_printf("process.%s", key);
        json_t *j;

        if (!path)
                return -ENOMEM;
        j = c ? config_get(c, path) : NULL;
        if (j && !json_is_boolean(j))
                warn(r, key, "not true or false; the default is used");
        *ret = j && json_is_boolean(j) ? json_is_true(j) : def;
        return 0;
}

/* A list of strings; DEFS (may be NULL) when missing or malformed. ABS:
 * entries must be absolute paths (a trailing '/' is removed). */
static int opt_strv(const config_t *c, const char *key, const char *const *defs, size_t n_defs,
                    bool abs, report_t *r, strv_t *ret)
{
        _cleanup_free_ char *path = str_printf("process.%s", key);
        _cleanup_(strv_clear) strv_t v = { 0 };
        int k;

        if (!path)
                return -ENOMEM;
        k = c ? config_get_strv(c, path, &v) : -ENOENT;
        if (k == -ENOMEM)
                return k;
        if (k == -EINVAL)
                warn(r, key, "not a list of strings; the default is used");
        if (k < 0) {
                strv_clear(&v);
                for (size_t i = 0; i < n_defs; i++)
                        if ((k = strv_push(&v, defs[i])) < 0)
                                return k;
        }
        for (size_t i = 0; i < v.n; i++) {
                char *s = v.v[i];
                size_t n = strlen(s);
                if (abs) {
                        while (n > 1 && s[n - 1] == '/')
                                s[--n] = 0;
                        if (s[0] != '/') {
                                warn(r, key, "an entry that is not an absolute path is ignored");
                                s[0] = 0;
                        }
                }
                if (s[0] && (k = strv_push(ret, s)) < 0)
                        return k;
        }
        return 0;
}

static int opt_ports(const config_t *c, report_t *r, psconf_t *ret)
{
        json_t *j = c ? config_get(c, "process.miner.pool_ports") : NULL, *e;
        size_t i;

        ret->n_pool_ports = 0;
        if (j && json_is_integer(j)) {
                json_int_t v = json_integer_value(j);
                if (v > 0 && v < 65536) {
                        ret->pool_ports[ret->n_pool_ports++] = (uint16_t)v;
                        return 0;
                }
        }
        if (j && json_is_array(j) && json_array_size(j) <= PSCONF_MAX_PORTS) {
                json_array_foreach (j, i, e) {
                        json_int_t v = json_is_integer(e) ? json_integer_value(e) : -1;
                        if (v <= 0 || v > 65535) {
                                warn(r, "miner.pool_ports", "an entry is not a port; ignored");
                                continue;
                        }
                        ret->pool_ports[ret->n_pool_ports++] = (uint16_t)v;
                }
                return 0;
        }
        if (j)
                warn(r, "miner.pool_ports",
                     "not a list of at most 256 port numbers; the default is used");
        for (i = 0; i < ELEMENTSOF(default_pool_ports); i++)
                ret->pool_ports[ret->n_pool_ports++] = default_pool_ports[i];
        return 0;
}

int psconf_load(const config_t *config, report_t *report, psconf_t *ret)
{
        psconf_t c = { .probe_window = -1 };
        json_t *j;
        int r;

        if ((r = opt_strv(config, "allowlist", NULL, 0, false, report, &c.allowlist)) < 0 ||
            (r = opt_strv(config, "tmp_dirs", default_tmp_dirs, ELEMENTSOF(default_tmp_dirs), true,
                          report, &c.tmp_dirs)) < 0 ||
            (r = opt_bool(config, "all_netns", true, report, &c.all_netns)) < 0 ||
            (r = opt_bool(config, "reverse_shell.ignore_loopback", false, report,
                          &c.rs_ignore_loopback)) < 0 ||
            (r = opt_strv(config, "reverse_shell.interpreters", NULL, 0, false, report,
                          &c.interpreters)) < 0 ||
            (r = opt_ports(config, report, &c)) < 0 ||
            (r = opt_bool(config, "miner.yara", true, report, &c.miner_yara)) < 0 ||
            (r = opt_bool(config, "hidden.enabled", true, report, &c.hidden)) < 0 ||
            (r = opt_strv(config, "ld_preload_allow", NULL, 0, true, report, &c.ld_preload_allow)) <
                    0 ||
            (r = opt_bool(config, "persistence", true, report, &c.persistence)) < 0 ||
            (r = opt_bool(config, "listening_ports", true, report, &c.listening_ports)) < 0 ||
            (r = opt_bool(config, "response.kill", false, report, &c.kill)) < 0 ||
            (r = opt_strv(config, "response.allowlist", NULL, 0, false, report,
                          &c.kill_allowlist)) < 0)
                goto fail;

        j = config ? config_get(config, "process.hidden.probe_window") : NULL;
        if (j) {
                json_int_t v = json_is_integer(j) ? json_integer_value(j) : -1;
                if (v < 0 || v > 4194304)
                        warn(report, "hidden.probe_window",
                             "not a number of pids from 0 to 4194304; the default is used");
                else
                        c.probe_window = (long)v;
        }
        j = config ? config_get(config, "process.ld_preload_file") : NULL;
        if (j) {
                if (!json_is_string(j) || json_string_value(j)[0] != '/')
                        warn(report, "ld_preload_file", "not an absolute path; ignored");
                else if (!(c.ld_preload_file = strdup(json_string_value(j)))) {
                        r = -ENOMEM;
                        goto fail;
                }
        }
        *ret = c;
        return 0;
fail:
        psconf_done(&c);
        return r;
}

void psconf_done(psconf_t *c)
{
        if (!c)
                return;
        strv_clear(&c->allowlist);
        strv_clear(&c->tmp_dirs);
        strv_clear(&c->interpreters);
        strv_clear(&c->ld_preload_allow);
        strv_clear(&c->kill_allowlist);
        free(c->ld_preload_file);
        c->ld_preload_file = NULL;
}

bool psconf_listed(const strv_t *list, const char *exe, const char *comm)
{
        for (size_t i = 0; list && i < list->n; i++) {
                const char *e = list->v[i];
                size_t n = strlen(e);
                if (e[0] == '/') {
                        if (!exe)
                                continue;
                        if (e[n - 1] == '/' ? strncmp(exe, e, n) == 0 : strcmp(exe, e) == 0)
                                return true;
                } else if ((comm && strcmp(comm, e) == 0) ||
                           (exe && strcmp(psrules_basename(exe), e) == 0))
                        return true;
        }
        return false;
}

bool psconf_is_pool_port(const psconf_t *c, uint16_t port)
{
        for (size_t i = 0; i < c->n_pool_ports; i++)
                if (c->pool_ports[i] == port)
                        return true;
        return false;
}
