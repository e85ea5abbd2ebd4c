/* Countries from a MaxMind DB in the login baseline: geoip.c against a
 * tiny database that tests/fixtures/login/make-mmdb.pl writes with
 * MaxMind's own writer (Perl MaxMind::DB::Writer, Debian
 * libmaxmind-db-writer-perl), and the detectors' country rules on top.
 * Without the Perl module the whole program is skipped (exit 77). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "detect/login/geoip.h"
#include "dettest.h"

extern char **environ;

static char g_dir[] = "/tmp/vigil-geoip-XXXXXX";
static char g_db[128];

static void country_of(const geoip_t *g, const char *addr, const char *want)
{
        ipaddr_t a;
        char cc[3];

        assert_int_equal(ipaddr_parse(addr, &a), 0);
        if (!want) {
                assert_int_equal(geoip_country(g, &a, cc), -ENOENT);
                return;
        }
        assert_int_equal(geoip_country(g, &a, cc), 0);
        assert_string_equal(cc, want);
}

static void lookups(void **state)
{
        geoip_t *g = NULL;
        char *err = NULL;

        assert_int_equal(geoip_open(g_db, &g, &err), 0);
        country_of(g, "81.2.69.10", "GB");
        country_of(g, "::ffff:81.2.69.200", "GB");
        country_of(g, "5.6.7.8", "DE");
        country_of(g, "1.2.3.4", "AU"); /* registered_country only */
        country_of(g, "2a02:ff00:1::5", "NL");
        country_of(g, "8.8.8.8", NULL);
        country_of(g, "2001:4860::1", NULL);
        geoip_close(g);
}

static void bad_files(void **state)
{
        char path[192];
        geoip_t *g = NULL;
        char *err = NULL;
        int fd;

        snprintf(path, sizeof(path), "%s/not.mmdb", g_dir);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "not a database\n", 15), 15);
        close(fd);
        assert_int_equal(geoip_open(path, &g, &err), -EINVAL);
        assert_non_null(strstr(err, "not.mmdb"));
        free(err);
        err = NULL;
        snprintf(path, sizeof(path), "%s/missing.mmdb", g_dir);
        assert_int_equal(geoip_open(path, &g, &err), -ENOENT);
        free(err);
}

static char *conf(const char *extra)
{
        char *s = NULL;

        assert_true(asprintf(&s,
                             "{\"login\": {\"geoip\": {\"database\": \"%s\"},"
                             " \"learning_period\": \"1h\", \"usual_after\": 2%s}}",
                             g_db, extra) > 0);
        return s;
}

static const char *reason(const alert_t *a, size_t i)
{
        return json_string_value(json_array_get(json_object_get(a->evidence, "reasons"), i));
}

static void new_country(void **state)
{
        dt_t t = { 0 };
        char *c = conf(", \"abnormal\": {\"cooldown\": 0}");
        alert_t *a;

        assert_int_equal(dt_start(&t, c, NULL), 0);
        free(c);
        assert_int_equal(dt_login(&t, "alice", "81.2.69.10", "publickey", 0), 0);
        assert_int_equal(t.alerts.n, 0);
        /* After learning: a new network in the usual country is a new
         * source only; a network in a new country is both. */
        assert_int_equal(dt_login(&t, "alice", "81.2.70.1", "publickey", 4000), 0);
        assert_int_equal(dt_count(&t.alerts, "login.abnormal"), 1);
        a = dt_last(&t.alerts, "login.abnormal");
        assert_string_equal(reason(a, 0), "new_source");
        assert_null(reason(a, 1));
        assert_int_equal(dt_login(&t, "alice", "5.6.7.8", "publickey", 4100), 0);
        assert_int_equal(dt_count(&t.alerts, "login.abnormal"), 2);
        a = dt_last(&t.alerts, "login.abnormal");
        assert_string_equal(reason(a, 0), "new_source");
        assert_string_equal(reason(a, 1), "new_country");
        assert_string_equal(dt_ev_str(a, "country"), "DE");
        assert_non_null(strstr(a->title, "from 5.6.7.8 (DE)"));
        /* Usual after two logins: the third from Germany is quiet. */
        assert_int_equal(dt_login(&t, "alice", "5.6.7.8", "publickey", 4200), 0);
        assert_int_equal(dt_count(&t.alerts, "login.abnormal"), 3);
        assert_int_equal(dt_login(&t, "alice", "5.6.7.8", "publickey", 4300), 0);
        assert_int_equal(dt_count(&t.alerts, "login.abnormal"), 3);
        dt_end(&t);
}

static void approved_countries(void **state)
{
        dt_t t = { 0 };
        char *c = conf(", \"abnormal\": {\"source_scope\": \"none\"},"
                       " \"approved\": {\"countries\": [\"gb\", \"NL\"]}");

        assert_int_equal(dt_start(&t, c, NULL), 0);
        free(c);
        /* Approved countries are judged even while learning. */
        assert_int_equal(dt_login(&t, "alice", "81.2.69.10", "publickey", 0), 0);
        assert_int_equal(dt_login(&t, "alice", "2a02:ff00:9::1", "publickey", 10), 0);
        assert_int_equal(t.alerts.n, 0);
        assert_int_equal(dt_login(&t, "alice", "5.6.7.8", "publickey", 20), 0);
        assert_int_equal(dt_count(&t.alerts, "login.abnormal"), 1);
        assert_string_equal(reason(dt_last(&t.alerts, "login.abnormal"), 0),
                            "country_not_approved");
        /* An address the database does not know is not judged on country. */
        assert_int_equal(dt_login(&t, "alice", "8.8.8.8", "publickey", 30), 0);
        assert_int_equal(dt_count(&t.alerts, "login.abnormal"), 1);
        dt_end(&t);
}

static int rm_db(void **state)
{
        char path[192];

        unlink(g_db);
        snprintf(path, sizeof(path), "%s/not.mmdb", g_dir);
        unlink(path);
        rmdir(g_dir);
        return 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(lookups),
                cmocka_unit_test(bad_files),
                cmocka_unit_test(new_country),
                cmocka_unit_test(approved_countries),
        };
        const char *fixtures = getenv("VIGIL_FIXTURES");
        char script[512];
        char *argv[4];
        pid_t pid;
        int status = -1;

        if (!mkdtemp(g_dir))
                return 1;
        snprintf(g_db, sizeof(g_db), "%s/test.mmdb", g_dir);
        snprintf(script, sizeof(script), "%s/login/make-mmdb.pl", fixtures ? fixtures : "fixtures");
        argv[0] = (char *)"perl";
        argv[1] = script;
        argv[2] = g_db;
        argv[3] = NULL;
        if (posix_spawnp(&pid, "perl", NULL, NULL, argv, environ) != 0) {
                fprintf(stderr, "skip: perl is not installed\n");
                rmdir(g_dir);
                return 77;
        }
        if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                bool skip = WIFEXITED(status) && WEXITSTATUS(status) == 77;
                fprintf(stderr, "%s: cannot build the test database%s\n", script,
                        skip ? " (no MaxMind::DB::Writer: install libmaxmind-db-writer-perl)" : "");
                rmdir(g_dir);
                return skip ? 77 : 1;
        }
        return cmocka_run_group_tests(tests, NULL, rm_db);
}
