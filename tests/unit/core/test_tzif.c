/* Unit tests for core/tzif: offsets of real zone files against two
 * independent readers of the same files, glibc's zdump (every transition
 * from 1970 to 2040, both sides of it) and date(1) for instants after
 * 2037, where the footer's POSIX rule decides; then names that must be
 * refused, footer rules that must be refused, and every truncation of a
 * real file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/macro.h"
#include "core/tzif.h"

static const char *const zones[] = {
        "Europe/Berlin",
        "America/New_York",
        "Australia/Lord_Howe",
        "Asia/Kolkata",
        "America/Sao_Paulo",
        "Pacific/Apia",
        "UTC",
        "Asia/Shanghai",
        "Europe/London",
        "America/Santiago",
        "Pacific/Chatham",
        "Asia/Tehran",
        "America/St_Johns",
        "Europe/Dublin",
        "Antarctica/Troll",
        "Africa/Casablanca",
        "Australia/Adelaide",
        "Pacific/Kiritimati",
};

/* Run ARGV with ENVP (no shell) and return its standard output, read into
 * a buffer of at most 4 MiB (caller frees). STDIN_PATH, when not NULL,
 * becomes its standard input. */
static char *run(char *const argv[], char *const envp[], const char *stdin_path)
{
        int fds[2];
        pid_t pid;
        size_t len = 0, cap = 4 * MiB;
        char *out = malloc(cap + 1);
        int status;

        assert_non_null(out);
        assert_int_equal(pipe(fds), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                dup2(fds[1], 1);
                close(fds[0]);
                close(fds[1]);
                if (stdin_path && !freopen(stdin_path, "r", stdin))
                        _exit(126);
                execve(argv[0], argv, envp);
                _exit(127);
        }
        close(fds[1]);
        for (;;) {
                ssize_t n = read(fds[0], out + len, cap - len);
                if (n <= 0)
                        break;
                len += (size_t)n;
        }
        close(fds[0]);
        assert_true(waitpid(pid, &status, 0) == pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        assert_true(len < cap);
        out[len] = '\0';
        return out;
}

/* The next line of the text at *P (cut in place), or NULL at its end. */
static char *next_line(char **p)
{
        char *s = *p, *nl;

        if (!s || !*s)
                return NULL;
        nl = strchr(s, '\n');
        if (nl) {
                *nl = '\0';
                *p = nl + 1;
        } else
                *p = NULL;
        return s;
}

/* "Sun Mar 29 00:59:59 1981 UT = ... gmtoff=3600" into the UTC instant and
 * the offset; false for zdump's "NULL" lines at the ends of time. */
static bool zdump_line(const char *line, int64_t *t, int *off)
{
        static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
        char wd[8], mon[8];
        int d, h, mi, s, y;
        const char *p = strstr(line, "  "), *g = strstr(line, "gmtoff=");
        struct tm tm = { 0 };

        if (!p || !g || !strstr(line, " UT = "))
                return false;
        if (sscanf(p, " %3s %3s %d %d:%d:%d %d UT", wd, mon, &d, &h, &mi, &s, &y) != 7)
                return false;
        tm.tm_mon = -1;
        for (int i = 0; i < 12; i++)
                if (strcmp(mon, months[i]) == 0)
                        tm.tm_mon = i;
        assert_true(tm.tm_mon >= 0);
        tm.tm_year = y - 1900;
        tm.tm_mday = d;
        tm.tm_hour = h;
        tm.tm_min = mi;
        tm.tm_sec = s;
        *t = (int64_t)timegm(&tm);
        *off = (int)strtol(g + 7, NULL, 10);
        return true;
}

static void test_against_zdump(void **state)
{
        (void)state;
        size_t total = 0;

        if (access("/usr/bin/zdump", X_OK) != 0 || access(TZIF_DIR "/Europe/Berlin", R_OK) != 0)
                skip();
        for (size_t z = 0; z < ELEMENTSOF(zones); z++) {
                char *argv[] = {
                        "/usr/bin/zdump", "-v", "-c", "1970,2040", (char *)zones[z], NULL
                };
                char *envp[] = { "LC_ALL=C", NULL };
                char *out = run(argv, envp, NULL), *next = out;
                tzif_t *tz = NULL;
                size_t n = 0;

                assert_int_equal(tzif_load(NULL, zones[z], &tz), 0);
                for (char *line; (line = next_line(&next));) {
                        int64_t t;
                        int want, got = 0;
                        if (!zdump_line(line, &t, &want))
                                continue;
                        assert_int_equal(tzif_offset(tz, t, &got), 0);
                        if (got != want)
                                fail_msg("%s at %lld: %d, zdump says %d", zones[z], (long long)t,
                                         got, want);
                        n++;
                }
                /* UTC and Kolkata have no transitions in the range;
                 * every other zone here has many. */
                if (strcmp(zones[z], "UTC") != 0 && strcmp(zones[z], "Asia/Kolkata") != 0 &&
                    strcmp(zones[z], "Asia/Shanghai") != 0 &&
                    strcmp(zones[z], "Pacific/Kiritimati") != 0)
                        assert_true(n >= 4);
                total += n;
                tzif_free(tz);
                free(out);
        }
        assert_true(total > 1000);
}

/* Instants after the last transition of the table: the footer rule
 * decides, and date(1) (glibc, reading the same footer) is the oracle. */
static void test_footer_against_date(void **state)
{
        (void)state;

        if (access("/usr/bin/date", X_OK) != 0 || access(TZIF_DIR "/Europe/Berlin", R_OK) != 0)
                skip();
        for (size_t z = 0; z < ELEMENTSOF(zones); z++) {
                char path[] = "/tmp/vigil-tzif-XXXXXX";
                int fd = mkstemp(path);
                FILE *f;
                int64_t ts[400];
                size_t n = 0;
                char tzenv[128];
                tzif_t *tz = NULL;

                assert_true(fd >= 0);
                f = fdopen(fd, "w");
                assert_non_null(f);
                /* Every 23 days and 7 hours from 2038 to 2062, plus both
                 * sides of a few whole hours: the samples land on every
                 * month and hour of the day. */
                for (int64_t t = 2147483648LL;
                     n < ELEMENTSOF(ts) && t < 2147483648LL + 25LL * 31556952;
                     t += 23 * 86400 + 7 * 3600 + 59) {
                        ts[n++] = t;
                        fprintf(f, "@%lld\n", (long long)t);
                }
                fclose(f);
                snprintf(tzenv, sizeof(tzenv), "TZ=:%s", zones[z]);
                char *argv[] = { "/usr/bin/date", "-f", path, "+%z", NULL };
                char *envp[] = { tzenv, "LC_ALL=C", NULL };
                char *out = run(argv, envp, NULL), *next = out;
                unlink(path);
                assert_int_equal(tzif_load(NULL, zones[z], &tz), 0);
                for (size_t i = 0; i < n; i++) {
                        char *line = next_line(&next);
                        int got = 0, want;
                        assert_non_null(line);
                        assert_int_equal(strlen(line), 5);
                        want = (line[0] == '-' ? -1 : 1) *
                               (((line[1] - '0') * 10 + (line[2] - '0')) * 3600 +
                                ((line[3] - '0') * 10 + (line[4] - '0')) * 60);
                        assert_int_equal(tzif_offset(tz, ts[i], &got), 0);
                        if (got != want)
                                fail_msg("%s at %lld: %d, date says %d", zones[z], (long long)ts[i],
                                         got, want);
                }
                tzif_free(tz);
                free(out);
        }
}

static void test_known_instants(void **state)
{
        (void)state;
        tzif_t *tz = NULL;
        int off = 0;
        bool dst = false;

        if (access(TZIF_DIR "/Europe/Berlin", R_OK) != 0)
                skip();
        assert_int_equal(tzif_load(NULL, "Europe/Berlin", &tz), 0);
        /* 2026-07-01 12:00 UTC: CEST; 2026-01-15 12:00 UTC: CET. */
        assert_int_equal(tzif_offset(tz, 1782907200, &off), 0);
        assert_int_equal(off, 7200);
        assert_int_equal(tzif_is_dst(tz, 1782907200, &dst), 0);
        assert_true(dst);
        assert_int_equal(tzif_offset(tz, 1768478400, &off), 0);
        assert_int_equal(off, 3600);
        /* The year 3000, by the footer rule: summer and winter. */
        assert_int_equal(tzif_offset(tz, 32519361600LL, &off), 0); /* 3000-07-01 */
        assert_int_equal(off, 7200);
        assert_int_equal(tzif_offset(tz, 32503982400LL, &off), 0); /* 3000-01-04 */
        assert_int_equal(off, 3600);
        assert_int_equal(tzif_offset(tz, (int64_t)1 << 51, &off), -ERANGE);
        tzif_free(tz);
}

static void test_names(void **state)
{
        (void)state;
        tzif_t *tz = NULL;

        assert_true(tzif_valid_name("Europe/Berlin"));
        assert_true(tzif_valid_name("Etc/GMT+5"));
        assert_true(tzif_valid_name("America/Port-au-Prince"));
        assert_true(tzif_valid_name("UTC"));
        assert_false(tzif_valid_name(NULL));
        assert_false(tzif_valid_name(""));
        assert_false(tzif_valid_name("/etc/passwd"));
        assert_false(tzif_valid_name("../../etc/passwd"));
        assert_false(tzif_valid_name("Europe/../../etc"));
        assert_false(tzif_valid_name("Europe/"));
        assert_false(tzif_valid_name("Europe//Berlin"));
        assert_false(tzif_valid_name("Europe/Berlin "));
        assert_false(tzif_valid_name("Europe\\Berlin"));
        assert_false(tzif_valid_name("a.b"));
        assert_false(tzif_valid_name(
                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
        assert_int_equal(tzif_load(NULL, "../../etc/passwd", &tz), -EINVAL);
        assert_int_equal(tzif_load(NULL, "No/Such_Zone", &tz), -ENOENT);
        if (access(TZIF_DIR "/Europe", R_OK) == 0)
                assert_int_equal(tzif_load(NULL, "Europe", &tz), -ENOENT);
        /* A file that is not a zone. */
        char dir[] = "/tmp/vigil-tzif-dir-XXXXXX";
        assert_non_null(mkdtemp(dir));
        char path[128];
        snprintf(path, sizeof(path), "%s/Bad", dir);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs("root:x:0:0::/root:/bin/sh\n", f);
        fclose(f);
        assert_int_equal(tzif_load(dir, "Bad", &tz), -EINVAL);
        unlink(path);
        rmdir(dir);
}

/* A version 2 file with one type (UTC+1) and no transitions, ending in
 * FOOTER: the rule decides at every instant. */
static size_t make_file(uint8_t *out, const char *footer)
{
        static const uint8_t hdr[44] = { 'T', 'Z', 'i', 'f', '2', [39] = 1, [43] = 4 };
        static const uint8_t block[10] = { 0, 0, 0x0e, 0x10, 0, 0, 'C', 'E', 'T', 0 };
        size_t n = 0;

        for (int i = 0; i < 2; i++) {
                memcpy(out + n, hdr, sizeof(hdr));
                n += sizeof(hdr);
                memcpy(out + n, block, sizeof(block));
                n += sizeof(block);
        }
        n += (size_t)snprintf((char *)out + n, 128, "\n%s\n", footer);
        return n;
}

static void test_footers(void **state)
{
        (void)state;
        static const char *const good[] = {
                "",
                "CET-1CEST,M3.5.0,M10.5.0/3",
                "<+0530>-5:30",
                "EST5EDT,M3.2.0,M11.1.0",
                "<-03>3<-02>,M3.5.0/-2,M10.5.0/-1",
                "EST5EDT4,0/0,J365/25",
                "AEST-10AEDT,M10.1.0,M4.1.0/3",
                "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0",
                "XXX-24:00:00",
                "<+13>-13",
        };
        static const char *const bad[] = {
                "CET",                       /* no offset */
                "CET-25",                    /* offset over 24 h */
                "CET-1CEST",                 /* daylight saving without a rule */
                "CET-1CEST,M13.5.0,M10.5.0", /* month 13 */
                "CET-1CEST,M3.6.0,M10.5.0",  /* week 6 */
                "CET-1CEST,M3.5.7,M10.5.0",  /* weekday 7 */
                "CET-1CEST,J0,J365",         /* J counts from 1 */
                "CET-1CEST,366,J365",        /* n counts to 365 */
                "CET-1CEST,M3.5.0/168,M10.5.0",
                "CET-1CEST,M3.5.0,M10.5.0,",
                "CE-1",
                "<+1>-1",
                "CET-1:60",
                "CET-1 ",
                "CET-1CEST,M3.5.0",
        };
        uint8_t buf[512];
        tzif_t *tz = NULL;
        int off = 0;

        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                size_t n = make_file(buf, good[i]);
                if (tzif_parse(buf, n, &tz) != 0)
                        fail_msg("refused footer \"%s\"", good[i]);
                tzif_free(tz);
        }
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                size_t n = make_file(buf, bad[i]);
                if (tzif_parse(buf, n, &tz) != -EINVAL)
                        fail_msg("accepted footer \"%s\"", bad[i]);
        }
        /* An empty footer: the last type (UTC+1) for ever. */
        assert_int_equal(tzif_parse(buf, make_file(buf, ""), &tz), 0);
        assert_int_equal(tzif_offset(tz, 4000000000LL, &off), 0);
        assert_int_equal(off, 3600);
        tzif_free(tz);
        /* Southern hemisphere: Adelaide-like rule, January is summer. */
        assert_int_equal(tzif_parse(buf, make_file(buf, "ACST-9:30ACDT,M10.1.0,M4.1.0/3"), &tz), 0);
        assert_int_equal(tzif_offset(tz, 4102444800LL + 15 * 86400, &off), 0); /* 2100-01-16 */
        assert_int_equal(off, 10 * 3600 + 1800);
        assert_int_equal(tzif_offset(tz, 4102444800LL + 180 * 86400, &off), 0); /* 2100-06-30 */
        assert_int_equal(off, 9 * 3600 + 1800);
        tzif_free(tz);
        /* Trailing bytes after the footer, a missing final newline. */
        size_t n = make_file(buf, "UTC0");
        buf[n] = 'x';
        assert_int_equal(tzif_parse(buf, n + 1, &tz), -EINVAL);
        assert_int_equal(tzif_parse(buf, n - 1, &tz), -EINVAL);
        /* A version this reader does not know. */
        buf[4] = '5';
        assert_int_equal(tzif_parse(buf, n, &tz), -EINVAL);
}

/* Every prefix of a real file is refused (not read past its end: ASan
 * watches), and so is a file with a type index out of range. */
static void test_truncated_and_corrupt(void **state)
{
        (void)state;
        FILE *f = fopen(TZIF_DIR "/America/New_York", "rb");
        uint8_t *data = malloc(TZIF_FILE_MAX);
        size_t len;
        tzif_t *tz = NULL;

        assert_non_null(data);
        if (!f) {
                free(data);
                skip();
        }
        len = fread(data, 1, TZIF_FILE_MAX, f);
        fclose(f);
        assert_int_equal(tzif_parse(data, len, &tz), 0);
        tzif_free(tz);
        for (size_t n = 0; n < len; n++) {
                uint8_t *copy = malloc(n ? n : 1);
                assert_non_null(copy);
                memcpy(copy, data, n);
                assert_int_equal(tzif_parse(copy, n, &tz), -EINVAL);
                free(copy);
        }
        /* typecnt of the 64-bit header set to 0. */
        uint8_t *bad = malloc(len);
        assert_non_null(bad);
        memcpy(bad, data, len);
        bad[36] = bad[37] = bad[38] = bad[39] = 0;
        assert_int_equal(tzif_parse(bad, len, &tz), -EINVAL);
        /* A huge timecnt in the first header. */
        memcpy(bad, data, len);
        bad[32] = 0x7f;
        assert_int_equal(tzif_parse(bad, len, &tz), -EINVAL);
        free(bad);
        assert_int_equal(tzif_parse(data, TZIF_FILE_MAX + 1, &tz), -E2BIG);
        free(data);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_against_zdump),  cmocka_unit_test(test_footer_against_date),
                cmocka_unit_test(test_known_instants), cmocka_unit_test(test_names),
                cmocka_unit_test(test_footers),        cmocka_unit_test(test_truncated_and_corrupt),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
