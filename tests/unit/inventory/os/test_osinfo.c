/* Unit tests for inventory/os/osinfo: os-release quoting rules, where the
 * file is looked for, errors naming file and line, and the OSV ecosystem of
 * each distribution vigil knows. */
#include <errno.h>
#include <fcntl.h>
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

#include "core/rootfs.h"
#include "core/text.h"
#include "inventory/os/osinfo.h"

static char *fixture(const char *rel)
{
        const char *base = getenv("VIGIL_FIXTURES");
        char *p;

        assert_non_null(base);
        p = str_printf("%s/%s", base, rel);
        assert_non_null(p);
        return p;
}

static void parse_ok(const char *text, osinfo_t *os)
{
        char *err = NULL;
        int r = osinfo_parse(text, strlen(text), os, &err);
        if (r != 0)
                fail_msg("parse failed (%d): %s", r, err ? err : "");
        assert_null(err);
}

/* N is the length of TEXT, or SIZE_MAX for strlen(TEXT). */
static void parse_bad(const char *text, size_t n, const char *want)
{
        osinfo_t os = { 0 };
        char *err = NULL;

        if (n == SIZE_MAX)
                n = strlen(text);
        assert_int_equal(osinfo_parse(text, n, &os, &err), -EINVAL);
        assert_non_null(err);
        if (!strstr(err, want))
                fail_msg("error \"%s\" does not contain \"%s\"", err, want);
        assert_null(os.id); /* untouched on failure */
        free(err);
}

static void test_quoting(void **state)
{
        osinfo_t os = { 0 };
        (void)state;

        parse_ok("# comment\n\n  \t\n"
                 "NAME=\"A \\\"quoted\\\" \\$name \\`x\\` \\\\ and \\n kept\"\n"
                 "PRETTY_NAME='single $quoted \\ \"literal\"'\n"
                 "ID=plain\\ word\n"
                 "VERSION_ID=\"1.0\"   # trailing comment\n"
                 "VERSION_CODENAME=\r\n"
                 "ID_LIKE=\"rhel fedora\"\r\n"
                 "UNKNOWN_KEY=\"ignored\"\n"
                 "  LEADING=1",
                 &os);
        assert_string_equal(os.name, "A \"quoted\" $name `x` \\ and \\n kept");
        assert_string_equal(os.pretty_name, "single $quoted \\ \"literal\"");
        assert_string_equal(os.id, "plain word");
        assert_string_equal(os.version_id, "1.0");
        assert_null(os.version_codename); /* empty is the same as unset */
        assert_string_equal(os.id_like, "rhel fedora");
        osinfo_clear(&os);

        /* ID defaults to "linux"; the last assignment wins; UTF-8 is fine. */
        parse_ok("NAME=\"Caf\xc3\xa9 OS\"\nVERSION_ID=1\nVERSION_ID=2\n", &os);
        assert_string_equal(os.id, "linux");
        assert_string_equal(os.name, "Caf\xc3\xa9 OS");
        assert_string_equal(os.version_id, "2");
        osinfo_clear(&os);
        osinfo_clear(NULL);
}

static void test_parse_errors(void **state)
{
        static const char nul[] = "ID=debian\nNAME=\"a\0b\"\n";
        (void)state;

        parse_bad("ID=debian\nthis is not an assignment\n", SIZE_MAX, "line 2:");
        parse_bad("ID=debian\nexport VERSION_ID=1\n", SIZE_MAX, "line 2: not a KEY=value");
        parse_bad("1ID=x\n", SIZE_MAX, "line 1: not a KEY=value");
        parse_bad("ID =x\n", SIZE_MAX, "line 1: not a KEY=value");
        parse_bad("ID=debian\n\nNAME=\"unterminated\n", SIZE_MAX, "line 3: unterminated");
        parse_bad("NAME='also unterminated\n", SIZE_MAX, "line 1: unterminated");
        parse_bad("NAME=\"a\"\"b\"\n", SIZE_MAX, "line 1: text after the closing quote");
        parse_bad("NAME=\"a\"b\n", SIZE_MAX, "line 1: text after the closing quote");
        parse_bad("NAME=a\"b\"\n", SIZE_MAX, "line 1: quote inside an unquoted value");
        parse_bad("NAME=ab\\\n", SIZE_MAX, "line 1: backslash at the end");
        parse_bad(nul, sizeof(nul) - 1, "line 2: NUL byte");
        parse_bad("NAME=\"a\x01\"\n", SIZE_MAX, "line 1: value is not UTF-8 text");
        parse_bad("NAME=\"\xff\xfe\"\n", SIZE_MAX, "line 1: value is not UTF-8 text");
        parse_bad("NAME=\"\xc0\xaf\"\n", SIZE_MAX, "line 1: value is not UTF-8 text");
}

static void test_fixture_roots(void **state)
{
        _cleanup_free_ char *deb = fixture("os/debian12"), *ubu = fixture("os/ubuntu2204"),
                            *rocky = fixture("os/rocky9"), *testing = fixture("os/debian-testing");
        _cleanup_rootfs_ rootfs_t *r1 = NULL, *r2 = NULL, *r3 = NULL, *r4 = NULL;
        _cleanup_free_ char *eco = NULL;
        osinfo_t os = { 0 };
        json_t *j;
        (void)state;

        assert_int_equal(rootfs_open(deb, &r1), 0);
        assert_int_equal(osinfo_read(r1, &os, NULL), 0);
        assert_string_equal(os.id, "debian");
        assert_string_equal(os.version_id, "12");
        assert_string_equal(os.version_codename, "bookworm");
        assert_string_equal(os.pretty_name, "Debian GNU/Linux 12 (bookworm)");
        assert_string_equal(os.name, "Debian GNU/Linux");
        assert_null(os.id_like);
        eco = osinfo_osv_ecosystem(&os);
        assert_string_equal(eco, "Debian:12");
        j = osinfo_to_json(&os);
        assert_non_null(j);
        assert_string_equal(json_string_value(json_object_get(j, "id")), "debian");
        assert_string_equal(json_string_value(json_object_get(j, "version_id")), "12");
        assert_string_equal(json_string_value(json_object_get(j, "codename")), "bookworm");
        assert_string_equal(json_string_value(json_object_get(j, "pretty_name")),
                            "Debian GNU/Linux 12 (bookworm)");
        assert_string_equal(json_string_value(json_object_get(j, "ecosystem")), "Debian:12");
        json_decref(j);
        osinfo_clear(&os);

        /* Only usr/lib/os-release exists: the fallback. */
        assert_int_equal(rootfs_open(ubu, &r2), 0);
        assert_int_equal(osinfo_read(r2, &os, NULL), 0);
        assert_string_equal(os.id, "ubuntu");
        assert_string_equal(os.id_like, "debian");
        free(eco);
        eco = osinfo_osv_ecosystem(&os);
        assert_string_equal(eco, "Ubuntu:22.04");
        osinfo_clear(&os);

        assert_int_equal(rootfs_open(rocky, &r3), 0);
        assert_int_equal(osinfo_read(r3, &os, NULL), 0);
        free(eco);
        eco = osinfo_osv_ecosystem(&os);
        assert_string_equal(eco, "Rocky Linux:9");
        osinfo_clear(&os);

        /* Debian testing has no VERSION_ID: the code name gives the number.
         * The ecosystem is null in JSON when unknown. */
        assert_int_equal(rootfs_open(testing, &r4), 0);
        assert_int_equal(osinfo_read(r4, &os, NULL), 0);
        assert_null(os.version_id);
        free(eco);
        eco = osinfo_osv_ecosystem(&os);
        assert_string_equal(eco, "Debian:13");
        j = osinfo_to_json(&os);
        assert_true(json_is_null(json_object_get(j, "version_id")));
        json_decref(j);
        osinfo_clear(&os);
}

static char tmpl[] = "/tmp/vigil-osinfo-XXXXXX";

static void put(const char *top, const char *rel, const char *content, size_t n)
{
        char p[512];
        FILE *f;
        snprintf(p, sizeof(p), "%s/%s", top, rel);
        f = fopen(p, "w");
        assert_non_null(f);
        assert_int_equal(fwrite(content, 1, n, f), n);
        fclose(f);
}

static void test_read_errors_and_links(void **state)
{
        char *top = mkdtemp(tmpl), p[512], *err = NULL, *big;
        _cleanup_rootfs_ rootfs_t *root = NULL;
        osinfo_t os = { 0 };
        (void)state;

        assert_non_null(top);
        assert_int_equal(rootfs_open(top, &root), 0);
        assert_int_equal(osinfo_read(root, &os, &err), -ENOENT);
        assert_null(err);

        snprintf(p, sizeof(p), "%s/etc", top);
        assert_int_equal(mkdir(p, 0755), 0);
        snprintf(p, sizeof(p), "%s/usr", top);
        assert_int_equal(mkdir(p, 0755), 0);
        snprintf(p, sizeof(p), "%s/usr/lib", top);
        assert_int_equal(mkdir(p, 0755), 0);
        put(top, "usr/lib/os-release", "ID=alpine\nVERSION_ID=3.19.1\n", 27);

        /* The usual absolute symlink resolves inside the root. */
        snprintf(p, sizeof(p), "%s/etc/os-release", top);
        assert_int_equal(symlink("/usr/lib/os-release", p), 0);
        assert_int_equal(osinfo_read(root, &os, &err), 0);
        assert_string_equal(os.id, "alpine");
        osinfo_clear(&os);

        /* A broken /etc/os-release is an error naming file and line, not a
         * reason to fall back. */
        unlink(p);
        put(top, "etc/os-release", "ID=x\nNAME=\"open\n", 16);
        assert_int_equal(osinfo_read(root, &os, &err), -EINVAL);
        {
                _cleanup_free_ char *want = str_printf("%s/etc/os-release:2: unterminated", top);
                assert_non_null(err);
                if (!str_startswith(err, want))
                        fail_msg("error \"%s\"", err);
        }
        free(err);
        err = NULL;

        /* Over the cap. */
        big = malloc(70000);
        assert_non_null(big);
        memset(big, '#', 70000);
        put(top, "etc/os-release", big, 70000);
        free(big);
        assert_int_equal(osinfo_read(root, &os, &err), -EINVAL);
        assert_non_null(strstr(err, "64 KiB"));
        free(err);
        err = NULL;

        /* A directory where the file should be. */
        unlink(p);
        assert_int_equal(mkdir(p, 0755), 0);
        assert_int_equal(osinfo_read(root, &os, &err), -EINVAL);
        free(err);
        rmdir(p);
        snprintf(p, sizeof(p), "%s/usr/lib/os-release", top);
        unlink(p);
        snprintf(p, sizeof(p), "%s/usr/lib", top);
        rmdir(p);
        snprintf(p, sizeof(p), "%s/usr", top);
        rmdir(p);
        snprintf(p, sizeof(p), "%s/etc", top);
        rmdir(p);
        rmdir(top);
}

static void test_ecosystems(void **state)
{
        static const struct {
                const char *text;
                const char *want; /* NULL: none */
        } cases[] = {
                { "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n", "Debian:12" },
                { "ID=debian\nVERSION_ID=\"11\"\n", "Debian:11" },
                { "ID=debian\nVERSION_CODENAME=trixie\n", "Debian:13" },
                { "ID=debian\nVERSION_CODENAME=forky\n", "Debian:14" },
                { "ID=debian\nVERSION_CODENAME=sid\n", NULL },
                { "ID=debian\n", NULL },
                { "ID=ubuntu\nVERSION_ID=\"22.04\"\n", "Ubuntu:22.04" },
                { "ID=ubuntu\nVERSION_ID=\"24.10\"\n", "Ubuntu:24.10" },
                { "ID=ubuntu\nVERSION_ID=\"20.04\"\n", "Ubuntu:20.04" },
                { "ID=ubuntu\n", NULL },
                { "ID=alpine\nVERSION_ID=3.19.1\n", "Alpine:v3.19" },
                { "ID=alpine\nVERSION_ID=3.20.0\n", "Alpine:v3.20" },
                { "ID=alpine\nVERSION_ID=3.9.6\n", "Alpine:v3.9" },
                { "ID=alpine\nVERSION_ID=3.21\n", "Alpine:v3.21" },
                { "ID=alpine\nVERSION_ID=3.20_alpha20240329\n", NULL },
                { "ID=alpine\n", NULL },
                { "ID=\"rocky\"\nVERSION_ID=\"9.3\"\n", "Rocky Linux:9" },
                { "ID=\"rocky\"\nVERSION_ID=\"8.9\"\n", "Rocky Linux:8" },
                { "ID=\"almalinux\"\nVERSION_ID=\"9.3\"\n", "AlmaLinux:9" },
                { "ID=\"almalinux\"\nVERSION_ID=\"8.10\"\n", "AlmaLinux:8" },
                { "ID=\"rhel\"\nVERSION_ID=\"9.3\"\n", "Red Hat" },
                { "ID=\"opensuse-leap\"\nVERSION_ID=\"15.5\"\nPRETTY_NAME=\"openSUSE Leap "
                  "15.5\"\n",
                  "openSUSE:Leap 15.5" },
                { "ID=\"opensuse-tumbleweed\"\nPRETTY_NAME=\"openSUSE Tumbleweed\"\n",
                  "openSUSE:Tumbleweed" },
                { "ID=\"sles\"\nVERSION_ID=\"15.5\"\nPRETTY_NAME=\"SUSE Linux Enterprise Server "
                  "15 SP5\"\n",
                  "SUSE:Linux Enterprise Server 15 SP5" },
                { "ID=\"sles\"\nVERSION_ID=\"15.5\"\n", NULL },
                { "ID=centos\nVERSION_ID=\"7\"\n", NULL },
                { "ID=fedora\nVERSION_ID=39\n", NULL },
                { "ID=linuxmint\nID_LIKE=\"ubuntu debian\"\nVERSION_ID=\"21.3\"\n", NULL },
        };
        (void)state;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                osinfo_t os = { 0 };
                char *eco;
                parse_ok(cases[i].text, &os);
                eco = osinfo_osv_ecosystem(&os);
                if (!cases[i].want) {
                        if (eco)
                                fail_msg("case %zu: got %s, want none", i, eco);
                } else if (!eco || strcmp(eco, cases[i].want) != 0)
                        fail_msg("case %zu: got %s, want %s", i, eco ? eco : "none", cases[i].want);
                free(eco);
                osinfo_clear(&os);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_quoting),       cmocka_unit_test(test_parse_errors),
                cmocka_unit_test(test_fixture_roots), cmocka_unit_test(test_read_errors_and_links),
                cmocka_unit_test(test_ecosystems),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
