/* Unit tests for detect/fim/pkgverify: the dpkg md5sums, conffiles and
 * diversions parsers and the apk "Z:" checksums on fixtures with corrupt
 * lines (counted and noted, parsing goes on), and loading the digests of a
 * small dpkg root with a merged /usr, a diversion and a conffile. */
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

#include "core/hash.h"
#include "core/text.h"
#include "detect/fim/pkgverify.h"
#include "inventory/os/rpmdb.h"

static char *fixture(const char *name, size_t *len)
{
        char path[512];
        const char *dir = getenv("VIGIL_FIXTURES");
        FILE *f;
        char *buf;
        long n;

        snprintf(path, sizeof(path), "%s/fim/%s", dir ? dir : "tests/fixtures", name);
        f = fopen(path, "rb");
        assert_non_null(f);
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        fseek(f, 0, SEEK_SET);
        buf = malloc((size_t)n + 1);
        assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
        buf[n] = 0;
        fclose(f);
        *len = (size_t)n;
        return buf;
}

static size_t count_notes(const report_t *r, const char *prefix)
{
        size_t n = 0;
        for (size_t i = 0; i < r->n_notes; i++)
                if (r->notes[i].source && str_startswith(r->notes[i].source, prefix))
                        n++;
        return n;
}

static int collect_md5(const char *path, const uint8_t md5[16], void *userdata)
{
        strv_t *v = userdata;
        char hex[33];
        hash_hex(md5, 16, hex);
        char *s = str_printf("%s=%s", path, hex);
        return strv_push_take(v, s);
}

static void test_md5sums(void **state)
{
        size_t len, bad = 0;
        char *data = fixture("md5sums.bad", &len);
        report_t *r = report_new("h", "/");
        strv_t v = { 0 };

        (void)state;
        assert_int_equal(pkgverify_parse_md5sums(data, len, "x.md5sums", r, collect_md5, &v, &bad),
                         0);
        assert_int_equal(v.n, 4);
        assert_string_equal(v.v[0], "usr/share/doc/x/empty=d41d8cd98f00b204e9800998ecf8427e");
        assert_string_equal(v.v[1], "usr/bin/good=0123456789abcdef0123456789abcdef");
        /* Upper-case hex and md5sum's binary-mode marker are accepted. */
        assert_string_equal(v.v[2], "usr/bin/binary-mode=0123456789abcdef0123456789abcdef");
        assert_string_equal(v.v[3], "usr/bin/name with spaces=0123456789abcdef0123456789abcdef");
        assert_int_equal(bad, 5);
        /* The first few bad lines are noted with file and line. */
        assert_int_equal(count_notes(r, "x.md5sums:"), PKGVERIFY_NOTES_PER_FILE);
        assert_int_equal(count_notes(r, "x.md5sums:3"), 1);
        strv_clear(&v);
        report_free(r);
        free(data);
}

static int collect_apk(const pkgverify_apk_file_t *f, void *userdata)
{
        strv_t *v = userdata;
        char hex[2 * FIMHASH_MAX_LEN + 1];
        hash_hex(f->digest, fimhash_algo_len(f->algo), hex);
        return strv_push_take(v, str_printf("%s %s %s %s:%s", f->pkg, f->version, f->path,
                                            fimhash_algo_name(f->algo), hex));
}

static void test_apk(void **state)
{
        size_t len, bad = 0;
        char *data = fixture("apk-installed", &len);
        report_t *r = report_new("h", "/");
        strv_t v = { 0 };

        (void)state;
        assert_int_equal(pkgverify_parse_apk(data, len, "installed", r, collect_apk, &v, &bad), 0);
        assert_int_equal(v.n, 5);
        assert_string_equal(v.v[0], "busybox 1.36.1-r5 bin/busybox "
                                    "sha1:ae06e35582de05a783f101e7a5a6949873cd26c0");
        /* A symlink's checksum is the SHA-1 of its target ("/bin/busybox"). */
        assert_string_equal(v.v[1], "busybox 1.36.1-r5 bin/sh "
                                    "sha1:a5c7d37c33446cd290736b35b626bb75ad3933c4");
        assert_string_equal(v.v[2], "busybox 1.36.1-r5 etc/securetty "
                                    "sha1:9964c98e306a6b194bf047b746443a98c55b6088");
        assert_string_equal(
                v.v[3], "musl 1.2.4-r2 lib/ld-musl-x86_64.so.1 "
                        "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
        assert_string_equal(v.v[4], "musl 1.2.4-r2 lib/libc.musl-x86_64.so.1 "
                                    "md5:d41d8cd98f00b204e9800998ecf8427e");
        /* Bad base64, a wrong length, a checksum without a file, junk. */
        assert_int_equal(bad, 4);
        assert_true(count_notes(r, "installed:") >= 1);
        strv_clear(&v);
        report_free(r);
        free(data);
}

static void test_apk_checksum(void **state)
{
        uint8_t d[FIMHASH_MAX_LEN];
        fimhash_algo_t a;

        (void)state;
        assert_int_equal(pkgverify_apk_checksum("Q1pcfTfDNEbNKQc2s1tia7da05M8Q=", 30, &a, d), 0);
        assert_int_equal(a, FIMHASH_SHA1);
        assert_int_equal(d[0], 0xa5);
        /* Padding in the middle, a missing pad, stray characters, other
         * prefixes and lengths. */
        assert_int_equal(pkgverify_apk_checksum("Q1pcfT=DNEbNKQc2s1tia7da05M8Q=", 30, &a, d),
                         -EINVAL);
        assert_int_equal(pkgverify_apk_checksum("Q1pcfTfDNEbNKQc2s1tia7da05M8Q", 29, &a, d),
                         -EINVAL);
        assert_int_equal(pkgverify_apk_checksum("Q3pcfTfDNEbNKQc2s1tia7da05M8Q=", 30, &a, d),
                         -EINVAL);
        assert_int_equal(pkgverify_apk_checksum("Q1", 2, &a, d), -EINVAL);
        assert_int_equal(pkgverify_apk_checksum("", 0, &a, d), -EINVAL);
        assert_int_equal(pkgverify_apk_checksum("zz41d8cd98f00b204e9800998ecf8427e", 32, &a, d),
                         -EINVAL);
        assert_int_equal(
                pkgverify_apk_checksum("da39a3ee5e6b4b0d3255bfef95601890afd80709", 40, &a, d), 0);
        assert_int_equal(a, FIMHASH_SHA1);
}

static int collect_div(const char *from, const char *to, const char *pkg, void *userdata)
{
        return strv_push_take(userdata, str_printf("%s>%s@%s", from, to, pkg));
}

static int collect_path(const char *path, void *userdata)
{
        return strv_push(userdata, path);
}

static void test_diversions_conffiles(void **state)
{
        size_t len, bad = 0;
        char *data = fixture("diversions", &len);
        report_t *r = report_new("h", "/");
        strv_t v = { 0 };

        (void)state;
        assert_int_equal(
                pkgverify_parse_diversions(data, len, "diversions", r, collect_div, &v, &bad), 0);
        assert_int_equal(v.n, 2);
        assert_string_equal(v.v[0], "/usr/bin/ls>/usr/bin/ls.distrib@safe-ls");
        assert_string_equal(v.v[1], "/usr/bin/true>/usr/bin/true.local@:");
        assert_int_equal(bad, 1); /* the truncated last record */
        strv_clear(&v);
        free(data);

        bad = 0;
        data = fixture("conffiles", &len);
        assert_int_equal(
                pkgverify_parse_conffiles(data, len, "conffiles", r, collect_path, &v, &bad), 0);
        assert_int_equal(v.n, 2);
        assert_string_equal(v.v[0], "/etc/coreutils.conf");
        assert_string_equal(v.v[1], "/etc/old.conf");
        assert_int_equal(bad, 1);
        strv_clear(&v);
        free(data);
        report_free(r);
}

static void put(const char *root, const char *path, const char *content)
{
        char full[1024];
        FILE *f;

        snprintf(full, sizeof(full), "%s/%s", root, path);
        f = fopen(full, "w");
        assert_non_null(f);
        fputs(content, f);
        fclose(f);
}

static void mkdirs(const char *root, const char *path)
{
        char full[1024];
        snprintf(full, sizeof(full), "%s/%s", root, path);
        for (char *p = full + strlen(root) + 1; *p; p++)
                if (*p == '/') {
                        *p = 0;
                        mkdir(full, 0755);
                        *p = '/';
                }
        mkdir(full, 0755);
}

static bool everything(const char *path, void *userdata)
{
        (void)userdata;
        return !str_startswith(path, "/usr/share/");
}

static void test_load_dpkg(void **state)
{
        char tmpl[] = "/tmp/vigil-pkgv.XXXXXX", link[1100];
        const char *root_path = mkdtemp(tmpl);
        rootfs_t *root = NULL;
        fimpath_t *canon = NULL;
        pkgverify_t *pv = NULL;
        report_t *r = report_new("h", "/");
        const pkgverify_file_t *f;
        fimhash_digests_t d = { .algos = FIMHASH_MD5 };

        (void)state;
        assert_non_null(root_path);
        mkdirs(root_path, "usr/bin");
        mkdirs(root_path, "etc");
        mkdirs(root_path, "var/lib/dpkg/info");
        snprintf(link, sizeof(link), "%s/bin", root_path);
        assert_int_equal(symlink("usr/bin", link), 0);
        put(root_path, "var/lib/dpkg/status",
            "Package: coreutils\nStatus: install ok installed\nVersion: 9.1-1\n"
            "Architecture: amd64\n\n"
            "Package: libfoo\nStatus: install ok installed\nVersion: 2\nArchitecture: amd64\n"
            "Multi-Arch: same\n\n"
            "Package: gone\nStatus: deinstall ok config-files\nVersion: 1\n"
            "Architecture: all\n\n");
        put(root_path, "var/lib/dpkg/info/coreutils.md5sums",
            "00000000000000000000000000000001  bin/ls\n"
            "00000000000000000000000000000002  usr/bin/cat\n"
            "00000000000000000000000000000003  etc/coreutils.conf\n"
            "00000000000000000000000000000004  usr/share/doc/coreutils/copyright\n"
            "00000000000000000000000000000005  usr/bin/../../etc/shadow\n");
        put(root_path, "var/lib/dpkg/info/coreutils.conffiles", "/etc/coreutils.conf\n");
        put(root_path, "var/lib/dpkg/info/libfoo:amd64.md5sums",
            "00000000000000000000000000000006  usr/bin/cat\n");
        put(root_path, "var/lib/dpkg/info/gone.md5sums",
            "00000000000000000000000000000007  usr/bin/gone\n");
        put(root_path, "var/lib/dpkg/diversions", "/usr/bin/cat\n/usr/bin/cat.real\nlibfoo\n");

        assert_int_equal(rootfs_open(root_path, &root), 0);
        assert_int_equal(fimpath_new(root, &canon), 0);
        assert_int_equal(pkgverify_load(root, canon, everything, NULL, r, &pv), 0);
        assert_true(pv->have_dpkg);
        /* bin/ls is known by its canonical path on a merged /usr. */
        f = pkgverify_lookup(pv, "/usr/bin/ls");
        assert_non_null(f);
        assert_string_equal(pkgverify_pkg_of(pv, f)->name, "coreutils");
        assert_string_equal(pkgverify_pkg_of(pv, f)->version, "9.1-1");
        assert_null(pkgverify_lookup(pv, "/bin/ls"));
        /* coreutils' cat was diverted by libfoo to cat.real; libfoo's own
         * cat (the multi-arch md5sums name) stays. */
        f = pkgverify_lookup(pv, "/usr/bin/cat.real");
        assert_non_null(f);
        assert_string_equal(pkgverify_pkg_of(pv, f)->name, "coreutils");
        f = pkgverify_lookup(pv, "/usr/bin/cat");
        assert_non_null(f);
        assert_string_equal(pkgverify_pkg_of(pv, f)->name, "libfoo");
        /* Conffiles are left out, so are paths out of scope, paths with
         * "..", and packages that are not installed. */
        assert_null(pkgverify_lookup(pv, "/etc/coreutils.conf"));
        assert_int_equal(pv->conffiles_skipped, 1);
        assert_null(pkgverify_lookup(pv, "/usr/share/doc/coreutils/copyright"));
        assert_null(pkgverify_lookup(pv, "/etc/shadow"));
        assert_null(pkgverify_lookup(pv, "/usr/bin/gone"));
        assert_int_equal(pv->n_files, 3);

        f = pkgverify_lookup(pv, "/usr/bin/ls");
        memset(d.md5, 0, sizeof(d.md5));
        d.md5[15] = 1;
        assert_true(pkgverify_matches(f, &d));
        d.md5[15] = 2;
        assert_false(pkgverify_matches(f, &d));
        d.algos = FIMHASH_SHA256; /* no MD5 computed: no match */
        assert_false(pkgverify_matches(f, &d));
        {
                char s[PKGVERIFY_DIGEST_STR], *hint = pkgverify_reinstall_hint(pv, f);
                pkgverify_digest_str(f, s, sizeof(s));
                assert_string_equal(s, "md5:00000000000000000000000000000001");
                assert_string_equal(hint, "apt-get install --reinstall coreutils");
                free(hint);
        }
        pkgverify_free(pv);
        fimpath_free(canon);
        rootfs_free(root);
        report_free(r);
        {
                char cmd[256];
                snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root_path);
                assert_int_equal(system(cmd), 0);
        }
}

/* rpm's digest algorithm numbers: the three vigil computes map to them with
 * the right length; the others are refused as unsupported, not as bad. */
static void test_rpm_algo(void **state)
{
        fimhash_algo_t a = 0;
        (void)state;

        assert_int_equal(pkgverify_rpm_algo(RPMDB_DIGEST_SHA256, 32, &a), 0);
        assert_int_equal(a, FIMHASH_SHA256);
        assert_int_equal(pkgverify_rpm_algo(RPMDB_DIGEST_MD5, 16, &a), 0);
        assert_int_equal(a, FIMHASH_MD5);
        assert_int_equal(pkgverify_rpm_algo(RPMDB_DIGEST_SHA1, 20, &a), 0);
        assert_int_equal(a, FIMHASH_SHA1);
        assert_int_equal(pkgverify_rpm_algo(RPMDB_DIGEST_SHA256, 16, &a), -EINVAL);
        assert_int_equal(pkgverify_rpm_algo(RPMDB_DIGEST_MD5, 0, &a), -EINVAL);
        assert_int_equal(pkgverify_rpm_algo(RPMDB_DIGEST_SHA512, 64, &a), -EOPNOTSUPP);
        assert_int_equal(pkgverify_rpm_algo(RPMDB_DIGEST_SHA384, 48, &a), -EOPNOTSUPP);
        assert_int_equal(pkgverify_rpm_algo(RPMDB_DIGEST_SHA224, 28, &a), -EOPNOTSUPP);
        assert_int_equal(pkgverify_rpm_algo(0, 16, &a), -EOPNOTSUPP);
        assert_int_equal(a, FIMHASH_SHA1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_md5sums),      cmocka_unit_test(test_apk),
                cmocka_unit_test(test_apk_checksum), cmocka_unit_test(test_diversions_conffiles),
                cmocka_unit_test(test_load_dpkg),    cmocka_unit_test(test_rpm_algo),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
