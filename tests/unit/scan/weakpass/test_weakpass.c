/* Unit tests for the scanner as a whole (scan/weakpass/weakpass, services,
 * wpcommon): a scan of a small root built in a temporary directory, with
 * configuration keys, globbed paths, include loops, the passwd/shadow
 * precedence, and configuration errors. */
#include <crypt.h>
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/config.h"
#include "core/rootfs.h"
#include "scan/weakpass/weakpass.h"

static char tmpl[] = "/tmp/vigil-weakpass-XXXXXX";
static char *top;

static void put(const char *rel, const char *content)
{
        char p[512];
        FILE *f;

        snprintf(p, sizeof(p), "%s/%s", top, rel);
        /* Create the parent directories. */
        for (char *slash = strchr(p + strlen(top) + 1, '/'); slash;
             slash = strchr(slash + 1, '/')) {
                *slash = 0;
                assert_true(mkdir(p, 0755) == 0 || errno == EEXIST);
                *slash = '/';
        }
        f = fopen(p, "w");
        assert_non_null(f);
        fputs(content, f);
        fclose(f);
}

static char *des(const char *pw)
{
        struct crypt_data cd;
        memset(&cd, 0, sizeof(cd));
        assert_non_null(crypt_rn(pw, "zz", &cd, sizeof(cd)));
        return strdup(cd.output);
}

static report_t *scan(const char *yaml)
{
        char cfgpath[600], rootpath[600];
        config_t *cfg = NULL;
        char *err = NULL;
        rootfs_t *root = NULL;
        report_t *r;

        snprintf(cfgpath, sizeof(cfgpath), "%s/vigil.yml", top);
        snprintf(rootpath, sizeof(rootpath), "%s/root", top);
        put("vigil.yml", yaml);
        assert_int_equal(config_load(cfgpath, true, &cfg, &err), 0);
        assert_int_equal(rootfs_open(rootpath, &root), 0);
        r = report_new("h", rootpath);
        scan_ctx_t ctx = {
                .root = root,
                .config = cfg,
                .state_dir = top,
                .report = r,
                .threads = 2,
        };
        assert_int_equal(weakpass_scan(&ctx), 0);
        rootfs_free(root);
        config_free(cfg);
        return r;
}

static const finding_t *find(const report_t *r, const char *check, const char *key,
                             const char *value)
{
        for (size_t i = 0; i < r->n_findings; i++) {
                const finding_t *f = r->findings[i];
                json_t *v = json_object_get(f->evidence, key);
                if (strcmp(f->check, check) == 0 && json_is_string(v) &&
                    strcmp(json_string_value(v), value) == 0)
                        return f;
        }
        return NULL;
}

static bool note_contains(const report_t *r, report_note_kind_t kind, const char *text)
{
        for (size_t i = 0; i < r->n_notes; i++)
                if (r->notes[i].kind == kind && strstr(r->notes[i].message, text))
                        return true;
        return false;
}

static int setup(void **state)
{
        char *h1 = NULL, *h2 = NULL, *h3 = NULL, buf[1024];

        (void)state;
        top = mkdtemp(tmpl);
        assert_non_null(top);
        h1 = des("letmein");
        h2 = des("sunshine");
        h3 = des("Qx7!vTz2");
        /* bob's passwd field overrides his shadow entry (pam_unix reads the
         * shadow entry only when passwd says "x"). */
        snprintf(buf, sizeof(buf),
                 "root:x:0:0:root:/root:/bin/bash\n"
                 "bob:%s:1000:1000::/home/bob:/bin/sh\n"
                 "amy:x:1001:1001::/home/amy:/bin/zsh\n",
                 h2);
        put("root/etc/passwd", buf);
        snprintf(buf, sizeof(buf), "root:*:1::::::\nbob:%s:1::::::\namy:%s:1::::::\n", h3, h1);
        put("root/etc/shadow", buf);
        put("root/etc/postgresql/15/main/pg_hba.conf", "host all all 0.0.0.0/0 trust\n");
        put("root/etc/postgresql/16/other/pg_hba.conf",
            "local all all trust\ninclude_if_exists ../../15/main/pg_hba.conf\n");
        put("root/etc/redis/redis.conf", "include /etc/redis/redis.conf\nrequirepass x\n");
        put("root/srv/my-redis.conf", "port 0\n");
        free(h1);
        free(h2);
        free(h3);
        return 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        (void)st;
        (void)type;
        (void)ftw;
        return remove(path);
}

static int teardown(void **state)
{
        (void)state;
        return nftw(top, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void test_full_scan(void **state)
{
        report_t *r;
        const finding_t *f;

        (void)state;
        r = scan("weak_password:\n  system_dictionaries: []\n  mysql: {enabled: false}\n");
        /* amy: shadow hash of a listed password, with uid and shell from
         * passwd. */
        f = find(r, "account.weak-password", "account", "amy");
        assert_non_null(f);
        assert_int_equal(f->level, FINDING_HIGH);
        assert_string_equal(json_string_value(json_object_get(f->evidence, "shell")), "/bin/zsh");
        assert_int_equal(json_integer_value(json_object_get(f->evidence, "uid")), 1001);
        /* bob: the weak hash in passwd counts, the strong one in shadow not. */
        f = find(r, "account.weak-password", "account", "bob");
        assert_non_null(f);
        assert_true(str_endswith(json_string_value(json_object_get(f->evidence, "path")),
                                 "/etc/passwd"));
        /* Both clusters' files are found by the glob; the include of the
         * other cluster's file reports its rule again under that file. */
        assert_non_null(find(r, "postgresql.trust", "rule", "host all all 0.0.0.0/0 trust"));
        assert_non_null(find(r, "postgresql.trust", "rule", "local all all trust"));
        /* A Redis configuration that includes itself ends at the cap. */
        assert_true(note_contains(r, REPORT_NOTE_WARNING, "include not followed"));
        assert_non_null(find(r, "redis.weak-password", "user", "default"));
        assert_int_equal(json_integer_value(json_object_get(
                                 json_object_get(r->stats, "weak_password"), "accounts")),
                         3);
        report_free(r);
}

static void test_config_keys(void **state)
{
        report_t *r;

        (void)state;
        /* Parts can be switched off, paths pointed elsewhere, and bad
         * values are errors that fall back to the default. */
        r = scan("weak_password:\n"
                 "  budget_per_hash: soon\n"
                 "  system_dictionaries: []\n"
                 "  shadow: {enabled: false}\n"
                 "  postgresql: {enabled: nope}\n"
                 "  mysql: {enabled: false}\n"
                 "  redis:\n"
                 "    configs: [/srv/*-redis.conf]\n");
        assert_null(find(r, "account.weak-password", "account", "amy"));
        assert_non_null(find(r, "redis.no-password", "user", "default"));
        assert_null(find(r, "redis.weak-password", "user", "default"));
        assert_non_null(find(r, "postgresql.trust", "rule", "local all all trust"));
        assert_true(note_contains(r, REPORT_NOTE_ERROR, "weak_password.budget_per_hash"));
        assert_true(note_contains(r, REPORT_NOTE_ERROR, "weak_password.postgresql.enabled"));
        report_free(r);

        /* A custom dictionary that does not exist is a warning. */
        r = scan("weak_password:\n  system_dictionaries: []\n  dictionary: /nonexistent/words\n"
                 "  mysql: {enabled: false}\n");
        bool found = false;
        for (size_t i = 0; i < r->n_notes; i++)
                found = found || (r->notes[i].kind == REPORT_NOTE_WARNING &&
                                  strcmp(r->notes[i].source, "/nonexistent/words") == 0);
        assert_true(found);
        report_free(r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_full_scan),
                cmocka_unit_test(test_config_keys),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
