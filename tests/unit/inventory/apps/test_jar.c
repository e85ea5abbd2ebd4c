/* Unit tests for inventory/apps/jar: real archives built at test time by
 * tests/fixtures/apps/mkjars.py (a war holding log4j-core, a struts2-core jar
 * with only a manifest, a jar known only by its name, an ear, a shaded jar,
 * six levels of nesting, a truncated jar, a 2 GiB zip bomb, members lying
 * about their size, an encrypted member, hostile member names, 70000
 * members), and the JDK's own reading of the system's jars as an oracle. */
#include "apps_test_util.h"

#include <archive.h>
#include <archive_entry.h>

#include "inventory/apps/jar.h"

static char *jars; /* the directory mkjars.py wrote */

struct scan {
        pkg_list_t pkgs;
        report_t *report;
        appnote_t notes;
        jar_stats_t stats;
        char *path;
};

static int group_setup(void **state)
{
        _cleanup_free_ char *fx = tu_fixtures(), *script = str_printf("%s/mkjars.py", fx);
        const char *argv[] = { tu_python(), script, NULL, NULL };

        (void)state;
        jars = tu_mkdtemp();
        argv[2] = jars;
        if (tu_run(argv, NULL, NULL) != 0) {
                fprintf(stderr, "mkjars.py failed\n");
                return -1;
        }
        return 0;
}

static int group_teardown(void **state)
{
        (void)state;
        tu_rmrf(jars);
        free(jars);
        return 0;
}

/* Scan the fixture NAME with LIM (NULL: defaults) from a descriptor. */
static void scan_file(struct scan *s, const char *name, const jar_limits_t *lim)
{
        int fd;

        *s = (struct scan){ 0 };
        s->report = report_new("test", "/");
        assert_non_null(s->report);
        appnote_init(&s->notes, s->report, 100);
        s->path = str_printf("%s/%s", jars, name);
        assert_non_null(s->path);
        fd = open(s->path, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(jar_scan_fd(fd, s->path, lim, &s->pkgs, &s->notes, &s->stats), 0);
        close(fd);
        assert_false(s->notes.oom);
}

static void scan_done(struct scan *s)
{
        pkg_list_clear(&s->pkgs);
        report_free(s->report);
        free(s->path);
}

/* Expect component NAME VERSION with location PATH + LOC and manifest PATH +
 * MANIFEST. */
static void expect(const struct scan *s, const char *name, const char *version, const char *loc,
                   const char *manifest)
{
        _cleanup_free_ char *l = str_printf("%s%s", s->path, loc);
        _cleanup_free_ char *m = str_printf("%s%s", s->path, manifest);
        const pkg_t *p = tu_find(&s->pkgs, PKG_MAVEN, name, version, NULL);

        if (!p) {
                fprintf(stderr, "missing %s %s\n", name, version);
                tu_dump(&s->pkgs, s->report);
        }
        assert_non_null(p);
        assert_string_equal(p->location, l);
        assert_string_equal(p->manifest, m);
        assert_null(p->source);
}

static void test_war_with_log4j_struts_and_a_bare_jar(void **state)
{
        struct scan s;
        (void)state;

        scan_file(&s, "app.war", NULL);
        expect(&s, "org.apache.logging.log4j:log4j-core", "2.14.1",
               "!/WEB-INF/lib/log4j-core-2.14.1.jar!/META-INF/maven/org.apache.logging.log4j/"
               "log4j-core/pom.properties",
               "!/WEB-INF/lib/log4j-core-2.14.1.jar");
        expect(&s, "org.apache.struts:struts2-core", "2.5.30",
               "!/WEB-INF/lib/struts2-core-2.5.30.jar!/META-INF/MANIFEST.MF",
               "!/WEB-INF/lib/struts2-core-2.5.30.jar");
        /* Known by its file name only: no groupId, so no colon. */
        expect(&s, "commons-text", "1.9", "!/WEB-INF/lib/commons-text-1.9.jar",
               "!/WEB-INF/lib/commons-text-1.9.jar");
        expect(&s, "com.example:shop", "1.0.0", "!/META-INF/maven/com.example/shop/pom.properties",
               "");
        assert_int_equal(s.pkgs.n, 4);
        assert_int_equal(s.report->n_notes, 0);
        assert_int_equal(s.stats.archives, 4);
        assert_int_equal(s.stats.bad, 0);
        scan_done(&s);
}

static void test_ear_with_war_inside(void **state)
{
        struct scan s;
        (void)state;

        scan_file(&s, "app.ear", NULL);
        expect(&s, "com.fasterxml.jackson.core:jackson-databind", "2.9.10",
               "!/lib/jackson-databind-2.9.10.jar!/META-INF/maven/com.fasterxml.jackson.core/"
               "jackson-databind/pom.properties",
               "!/lib/jackson-databind-2.9.10.jar");
        expect(&s, "spring-core", "5.3.17",
               "!/shop.war!/WEB-INF/lib/spring-core-5.3.17.jar!/META-INF/MANIFEST.MF",
               "!/shop.war!/WEB-INF/lib/spring-core-5.3.17.jar");
        assert_int_equal(s.pkgs.n, 2);
        assert_int_equal(s.report->n_notes, 0);
        scan_done(&s);
}

static void test_shaded_jars_report_every_pom(void **state)
{
        struct scan s;
        (void)state;

        scan_file(&s, "fat-2.0.jar", NULL);
        expect(&s, "com.example:fat", "2.0", "!/META-INF/maven/com.example/fat/pom.properties", "");
        expect(&s, "com.google.guava:guava", "31.1-jre",
               "!/META-INF/maven/com.google.guava/guava/pom.properties", "");
        /* The manifest and name say "fat 2.0", which a pom already says. */
        assert_int_equal(s.pkgs.n, 2);
        scan_done(&s);

        /* Only a shaded dependency's pom: the jar itself is named too. */
        scan_file(&s, "shaded-only-3.1.jar", NULL);
        expect(&s, "com.google.guava:guava", "29.0-jre",
               "!/META-INF/maven/com.google.guava/guava/pom.properties", "");
        expect(&s, "shaded-only", "3.1", "", "");
        assert_int_equal(s.pkgs.n, 2);
        scan_done(&s);
}

static void test_nesting_is_capped(void **state)
{
        jar_limits_t lim;
        struct scan s;
        (void)state;

        scan_file(&s, "deep.jar", NULL);
        for (int i = 1; i <= 6; i++) {
                char name[32];
                snprintf(name, sizeof(name), "org.example:level%d", i);
                if (i <= 4)
                        assert_non_null(tu_find(&s.pkgs, PKG_MAVEN, name, NULL, NULL));
                else
                        assert_null(tu_find(&s.pkgs, PKG_MAVEN, name, NULL, NULL));
        }
        assert_int_equal(s.pkgs.n, 4);
        assert_true(tu_note(s.report, "level4-1.4.jar!/lib/level5-1.5.jar", "deeper than 4"));
        expect(&s, "org.example:level4", "1.4",
               "!/lib/level2-1.2.jar!/lib/level3-1.3.jar!/lib/level4-1.4.jar!/META-INF/maven/"
               "org.example/level4/pom.properties",
               "!/lib/level2-1.2.jar!/lib/level3-1.3.jar!/lib/level4-1.4.jar");
        scan_done(&s);

        jar_limits_default(&lim);
        lim.max_depth = 6;
        scan_file(&s, "deep.jar", &lim);
        assert_int_equal(s.pkgs.n, 6);
        assert_int_equal(s.report->n_notes, 0);
        scan_done(&s);

        lim.max_depth = 1;
        scan_file(&s, "deep.jar", &lim);
        assert_int_equal(s.pkgs.n, 1);
        assert_non_null(tu_find(&s.pkgs, PKG_MAVEN, "org.example:level1", "1.1", NULL));
        scan_done(&s);
}

static void test_truncated_and_broken_archives(void **state)
{
        struct scan s;
        (void)state;

        /* What comes before the damage is still read. */
        scan_file(&s, "truncated.jar", NULL);
        expect(&s, "org.example:cut", "1.0", "!/META-INF/maven/org.example/cut/pom.properties", "");
        assert_true(tu_note(s.report, "truncated.jar", "damaged"));
        assert_int_equal(s.stats.bad, 1);
        scan_done(&s);

        scan_file(&s, "notzip.jar", NULL);
        assert_int_equal(s.pkgs.n, 0);
        assert_true(tu_note(s.report, "notzip.jar", "not a readable zip archive"));
        scan_done(&s);

        scan_file(&s, "empty.jar", NULL);
        assert_int_equal(s.pkgs.n, 0);
        assert_true(tu_note(s.report, "empty.jar", "not a readable zip archive"));
        scan_done(&s);
}

static void test_zip_bomb_with_honest_sizes_is_not_inflated(void **state)
{
        struct scan s;
        (void)state;

        scan_file(&s, "bomb.jar", NULL);
        expect(&s, "org.example:bomb", "6.6.6", "!/META-INF/maven/org.example/bomb/pom.properties",
               "");
        assert_true(tu_note(s.report, "bomb.jar!/META-INF/MANIFEST.MF", "larger than 1048576"));
        assert_true(tu_note(s.report, "bomb.jar!/WEB-INF/lib/zeros.jar", "larger than"));
        /* The stated sizes were enough to refuse both members. */
        assert_true(s.stats.inflated < 4096);
        scan_done(&s);
}

static void test_zip_bomb_with_lying_sizes_stops_at_the_caps(void **state)
{
        jar_limits_t lim;
        struct scan s;
        (void)state;

        jar_limits_default(&lim);
        lim.max_inflated = 64 * MiB;
        scan_file(&s, "liar.war", &lim);
        expect(&s, "org.example:liar", "1.0", "!/META-INF/maven/org.example/liar/pom.properties",
               "");
        assert_true(tu_note(s.report, "liar.war!/WEB-INF/lib/zeros.jar",
                            "more than 67108864 bytes inflated"));
        assert_true(s.stats.inflated <= 64 * MiB + 1);
        assert_true(s.stats.inflated >= 64 * MiB);
        scan_done(&s);

        /* With room to spare, the per-member caps stop each member. */
        jar_limits_default(&lim);
        lim.max_nested_size = 8 * MiB;
        scan_file(&s, "liar.war", &lim);
        assert_true(tu_note(s.report, "liar.war!/WEB-INF/lib/zeros.jar", "larger than 8388608"));
        assert_true(tu_note(s.report, "liar.war!/META-INF/MANIFEST.MF", "larger than 1048576"));
        /* Each member stops one byte past its cap; the pom.properties is small. */
        assert_true(s.stats.inflated <= 8 * MiB + 1 + 1 * MiB + 1 + 4096);
        assert_int_equal(s.pkgs.n, 1);
        scan_done(&s);
}

static void test_encrypted_member_is_noted(void **state)
{
        struct scan s;
        (void)state;

        scan_file(&s, "secret-1.0.jar", NULL);
        assert_true(tu_note(s.report,
                            "secret-1.0.jar!/META-INF/maven/org.example/secret/pom.properties",
                            "encrypted member not read"));
        assert_null(tu_find(&s.pkgs, PKG_MAVEN, "org.example:secret", NULL, NULL));
        expect(&s, "secret", "1.0", "", "");
        scan_done(&s);
}

static void test_hostile_member_names_are_kept_as_bytes(void **state)
{
        struct scan s;
        (void)state;

        scan_file(&s, "traversal.jar", NULL);
        expect(&s, "org.example:evil", "0.1",
               "!/../../../../tmp/evil-0.1.jar!/META-INF/maven/org.example/evil/pom.properties",
               "!/../../../../tmp/evil-0.1.jar");
        expect(&s, "org.example:red", "2.0",
               "!/\x1b[31mred\x1b[0m-2.0.jar!/META-INF/maven/org.example/red/pom.properties",
               "!/\x1b[31mred\x1b[0m-2.0.jar");
        /* A name flagged as UTF-8 comes through as its bytes, whatever the
         * process locale; one that is not valid UTF-8 cannot be named. */
        expect(&s, "org.example:umlaut", "1.0",
               "!/lib/\xc3\xbc"
               "ber-1.0.jar!/META-INF/maven/org.example/umlaut/pom.properties",
               "!/lib/\xc3\xbc"
               "ber-1.0.jar");
        assert_true(tu_note(s.report, "traversal.jar", "member 4 not read: its name is not valid"));
        assert_int_equal(s.pkgs.n, 3);
        scan_done(&s);
}

static void test_member_count_cap(void **state)
{
        jar_limits_t lim;
        struct scan s;
        (void)state;

        scan_file(&s, "many.jar", NULL);
        assert_int_equal(s.report->n_notes, 0);
        assert_int_equal(s.stats.members, 70000);
        scan_done(&s);

        jar_limits_default(&lim);
        lim.max_members = 1000;
        scan_file(&s, "many.jar", &lim);
        assert_true(tu_note(s.report, "many.jar", "members"));
        assert_true(s.stats.members <= 1001);
        assert_int_equal(s.stats.bad, 1);
        scan_done(&s);
}

static void test_buffer_and_descriptor_agree(void **state)
{
        _cleanup_free_ char *path = str_printf("%s/app.ear", jars), *data = NULL;
        pkg_list_t a = { 0 }, b = { 0 };
        appnote_t notes;
        size_t len;
        int fd;
        (void)state;

        appnote_init(&notes, NULL, 0);
        data = tu_read(path, &len);
        assert_int_equal(jar_scan_buffer(data, len, path, NULL, &a, &notes, NULL), 0);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        /* The descriptor's offset does not matter. */
        assert_int_equal(lseek(fd, 100, SEEK_SET), 100);
        assert_int_equal(jar_scan_fd(fd, path, NULL, &b, &notes, NULL), 0);
        close(fd);
        assert_int_equal(a.n, b.n);
        for (size_t i = 0; i < a.n; i++) {
                assert_string_equal(a.v[i].name, b.v[i].name);
                assert_string_equal(a.v[i].version, b.v[i].version);
                assert_string_equal(a.v[i].location, b.v[i].location);
        }
        assert_int_equal(notes.problems, 0);
        pkg_list_clear(&a);
        pkg_list_clear(&b);
}

static void test_jar_made_by_the_jdk(void **state)
{
        _cleanup_free_ char *path = str_printf("%s/jdkmade.jar", jars);
        struct scan s;
        (void)state;

        if (access(path, F_OK) != 0)
                skip();
        scan_file(&s, "jdkmade.jar", NULL);
        expect(&s, "org.example:jdkmade", "3.0",
               "!/META-INF/maven/org.example/jdkmade/pom.properties", "");
        assert_int_equal(s.pkgs.n, 1);
        scan_done(&s);
}

static void test_parse_manifest(void **state)
{
        static const char mf[] = "Manifest-Version: 1.0\r\n"
                                 "implementation-title: Foo\r\n"
                                 "Implementation-Version: 1.2\r\n"
                                 " .3\r\n"
                                 "Bundle-SymbolicName: org.example.foo;singleton:=true\n"
                                 "Bundle-Version:2.0 \n"
                                 "Implementation-Version: 1.2.4\r"
                                 "Implementation-Vendor-Id: org.example\n"
                                 "\n"
                                 "Name: org/example/\n"
                                 "Implementation-Title: not the main section\n";
        jar_manifest_t m = { 0 };
        (void)state;

        assert_int_equal(jar_parse_manifest(mf, strlen(mf), &m), 0);
        assert_string_equal(m.impl_title, "Foo");
        /* A later attribute replaces an earlier one, as in the JDK. */
        assert_string_equal(m.impl_version, "1.2.4");
        assert_string_equal(m.bundle_name, "org.example.foo");
        assert_string_equal(m.bundle_version, "2.0");
        assert_string_equal(m.impl_vendor_id, "org.example");
        assert_null(m.bundle_title);
        jar_manifest_clear(&m);

        /* A continuation line joins without its leading space. */
        {
                static const char cont[] = "Implementation-Version: 1.\n 2\n  3";
                assert_int_equal(jar_parse_manifest(cont, strlen(cont), &m), 0);
        }
        assert_string_equal(m.impl_version, "1.2 3");
        jar_manifest_clear(&m);

        assert_int_equal(jar_parse_manifest("", 0, &m), 0);
        assert_null(m.impl_version);
        jar_manifest_clear(&m);
        jar_manifest_clear(NULL);
}

static void test_parse_pom_properties(void **state)
{
        static const char pp[] = "#Generated by Maven\n"
                                 "! another comment\n"
                                 "   \n"
                                 "groupId = org.ex\\\n"
                                 "    ample\n"
                                 "artifactId:my\\u002dlib\r\n"
                                 "version 1.0\\tbeta\n"
                                 "ignored=x\n"
                                 "version=1.0.1\n";
        jar_pom_t p = { 0 };
        (void)state;

        assert_int_equal(jar_parse_pom_properties(pp, strlen(pp), &p), 0);
        assert_string_equal(p.group_id, "org.example");
        assert_string_equal(p.artifact_id, "my-lib");
        assert_string_equal(p.version, "1.0.1");
        jar_pom_clear(&p);

        assert_int_equal(jar_parse_pom_properties("version=1\\u00e9\n", 16, &p), 0);
        assert_string_equal(p.version, "1\xc3\xa9");
        assert_null(p.group_id);
        jar_pom_clear(&p);

        /* A key escaped with a separator in it is not "version". */
        assert_int_equal(jar_parse_pom_properties("vers\\=ion=2\nversion\n", 20, &p), 0);
        assert_string_equal(p.version, "");
        jar_pom_clear(&p);
        jar_pom_clear(NULL);
}

static void test_name_from_filename(void **state)
{
        static const struct {
                const char *file, *artifact, *version;
        } cases[] = {
                { "log4j-core-2.14.1.jar", "log4j-core", "2.14.1" },
                { "/opt/x/commons-lang3-3.12.0.jar", "commons-lang3", "3.12.0" },
                { "guava-31.1-jre.jar", "guava", "31.1-jre" },
                { "jetty-server-9.4.43.v20210629.JAR", "jetty-server", "9.4.43.v20210629" },
                { "bcprov-jdk15on-1.70.jar", "bcprov-jdk15on", "1.70" },
                { "app-2.war", "app", "2" },
                { "app.jar", NULL, NULL },
                { "-1.0.jar", NULL, NULL },
                { "foo-.jar", NULL, NULL },
                { "foo-bar.jar", NULL, NULL },
                { "x-1\x1b.jar", NULL, NULL },
        };
        (void)state;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char *a = NULL, *v = NULL;
                int r = jar_name_from_filename(cases[i].file, &a, &v);
                if (!cases[i].artifact) {
                        assert_int_equal(r, -EINVAL);
                        continue;
                }
                assert_int_equal(r, 0);
                assert_string_equal(a, cases[i].artifact);
                assert_string_equal(v, cases[i].version);
                free(a);
                free(v);
        }
}

static void test_identify_manifest(void **state)
{
        struct {
                jar_manifest_t m;
                const char *file, *name, *version;
        } cases[] = {
                /* The file name agrees with the version: artifactId. */
                { { .impl_vendor_id = "org.apache.logging.log4j",
                    .impl_version = "2.14.1",
                    .impl_title = "Apache Log4j Core",
                    .bundle_name = "org.apache.logging.log4j.core" },
                  "log4j-core-2.14.1.jar",
                  "org.apache.logging.log4j:log4j-core",
                  "2.14.1" },
                /* Renamed file: the title is not an artifactId; weaker
                 * evidence, no groupId. */
                { { .impl_vendor_id = "org.apache.logging.log4j",
                    .impl_version = "2.14.1",
                    .impl_title = "Apache Log4j Core",
                    .bundle_name = "org.apache.logging.log4j.core" },
                  "logging.jar",
                  "core",
                  "2.14.1" },
                { { .impl_title = "jackson-databind",
                    .impl_vendor_id = "com.fasterxml.jackson.core",
                    .bundle_version = "2.9.10" },
                  NULL,
                  "com.fasterxml.jackson.core:jackson-databind",
                  "2.9.10" },
                { { .impl_title = "spring-core", .impl_version = "5.3.17" },
                  "spring.jar",
                  "spring-core",
                  "5.3.17" },
                { { .bundle_name = "com.google.inject",
                    .bundle_title = "guice",
                    .bundle_version = "4.2.3" },
                  "guice.jar",
                  "guice",
                  "4.2.3" },
                { { .bundle_name = "org.example.b", .bundle_version = "1" },
                  NULL,
                  "org.example.b",
                  "1" },
                { { .impl_title = "Foo", .impl_version = "1" }, "foo-2.jar", "Foo", "1" },
                { { .impl_title = "Foo Bar", .impl_version = "1" }, NULL, NULL, NULL },
                { { .impl_title = "foo" }, "foo-1.jar", NULL, NULL },
        };
        (void)state;

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char *n = NULL, *v = NULL;
                int r = jar_identify_manifest(&cases[i].m, cases[i].file, &n, &v);
                if (!cases[i].name) {
                        assert_int_equal(r, -ENOENT);
                        continue;
                }
                assert_int_equal(r, 0);
                assert_string_equal(n, cases[i].name);
                assert_string_equal(v, cases[i].version);
                free(n);
                free(v);
        }
}

/* ---- the JDK as oracle ------------------------------------------------ */

/* The main manifest of the jar at PATH, read with libarchive; NULL when it
 * has none. */
static char *read_manifest(const char *path, size_t *ret_len)
{
        struct archive *a = archive_read_new();
        struct archive_entry *e;
        char *data = NULL;

        assert_non_null(a);
        archive_read_support_format_zip(a);
        if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK)
                goto out;
        while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
                la_int64_t size = archive_entry_size(e);
                if (strcasecmp(archive_entry_pathname(e), "META-INF/MANIFEST.MF") != 0)
                        continue;
                assert_true(size >= 0 && size < 16 * 1024 * 1024);
                data = calloc(1, (size_t)size + 1);
                assert_non_null(data);
                assert_int_equal(archive_read_data(a, data, (size_t)size), size);
                *ret_len = (size_t)size;
                break;
        }
out:
        archive_read_free(a);
        return data;
}

static void add_line(buf_t *b, const char *kind, const char *path, const char *k, const char *v)
{
        assert_int_equal(buf_printf(b, "%s\t%s\t%s\t%s\n", kind, path, k, v), 0);
}

static void test_jdk_reads_what_we_read(void **state)
{
        static const char *const dirs[] = { "/usr/share/java", "/usr/share/maven-repo",
                                            "/usr/lib/jvm" };
        _cleanup_free_ char *fx = tu_fixtures(), *src = str_printf("%s/JarOracle.java", fx);
        _cleanup_free_ char *out_path = str_printf("%s/oracle.txt", jars);
        _cleanup_free_ char *theirs = NULL, *ours = NULL;
        _cleanup_free_ const char **argv = NULL;
        strv_t files = { 0 }, expected = { 0 }, got = { 0 };
        buf_t b;
        size_t n = 0, nf;
        (void)state;

        if (!tu_have("java"))
                skip();
        /* Real jars on this machine (not symlinks), and ours. */
        for (size_t d = 0; d < ELEMENTSOF(dirs); d++) {
                _cleanup_free_ char *list = str_printf("%s/list-%zu.txt", jars, d);
                const char *find[] = { "find", dirs[d], "-type", "f", "-name", "*.jar", NULL };
                _cleanup_free_ char *text = NULL;
                if (access(dirs[d], F_OK) != 0 || tu_run(find, NULL, list) != 0)
                        continue;
                text = tu_read(list, NULL);
                assert_int_equal(strv_split(&files, text, "\n"), 0);
        }
        for (const char *const *f = (const char *const[]){ "app.war", "fat-2.0.jar", "jdkmade.jar",
                                                           "shaded-only-3.1.jar", NULL };
             *f; f++) {
                char *p = str_printf("%s/%s", jars, *f);
                if (access(p, F_OK) == 0)
                        assert_int_equal(strv_push_take(&files, p), 0);
                else
                        free(p);
        }
        nf = MIN(files.n, (size_t)300); /* enough to compare */
        argv = calloc(nf + 5, sizeof(*argv));
        assert_non_null(argv);
        /* A short-lived JVM: the quick compiler and a simple collector
         * halve its start-up. */
        argv[0] = "java";
        argv[1] = "-XX:TieredStopAtLevel=1";
        argv[2] = "-XX:+UseSerialGC";
        argv[3] = src;
        for (size_t i = 0; i < nf; i++)
                argv[4 + i] = files.v[i];
        assert_int_equal(tu_run(argv, NULL, out_path), 0);
        theirs = tu_read(out_path, NULL);
        assert_int_equal(strv_split(&expected, theirs, "\n"), 0);

        buf_init(&b, 64 * MiB);
        for (size_t i = 0; i < nf; i++) {
                const char *path = files.v[i];
                _cleanup_free_ char *mf = NULL, *pomloc = str_printf("%s!/META-INF/maven/", path);
                jar_manifest_t m = { 0 };
                pkg_list_t pkgs = { 0 };
                appnote_t notes;
                size_t mf_len = 0;
                int fd = open(path, O_RDONLY | O_CLOEXEC);

                assert_true(fd >= 0);
                appnote_init(&notes, NULL, 0);
                assert_int_equal(jar_scan_fd(fd, path, NULL, &pkgs, &notes, NULL), 0);
                close(fd);
                /* The pom.properties of the outer archive only: the JDK does
                 * not look inside nested jars. */
                for (size_t k = 0; k < pkgs.n; k++)
                        if (str_startswith(pkgs.v[k].location, pomloc) &&
                            !strstr(pkgs.v[k].location + strlen(pomloc), "!/"))
                                add_line(&b, "POM", path, pkgs.v[k].name, pkgs.v[k].version);
                mf = read_manifest(path, &mf_len);
                if (mf) {
                        assert_int_equal(jar_parse_manifest(mf, mf_len, &m), 0);
                        if (m.impl_title)
                                add_line(&b, "MF", path, "Implementation-Title", m.impl_title);
                        if (m.impl_vendor_id)
                                add_line(&b, "MF", path, "Implementation-Vendor-Id",
                                         m.impl_vendor_id);
                        if (m.impl_version)
                                add_line(&b, "MF", path, "Implementation-Version", m.impl_version);
                        if (m.bundle_name)
                                add_line(&b, "MF", path, "Bundle-SymbolicName", m.bundle_name);
                        if (m.bundle_title)
                                add_line(&b, "MF", path, "Bundle-Name", m.bundle_title);
                        if (m.bundle_version)
                                add_line(&b, "MF", path, "Bundle-Version", m.bundle_version);
                        jar_manifest_clear(&m);
                }
                n += pkgs.n;
                pkg_list_clear(&pkgs);
        }
        ours = buf_take(&b);
        assert_non_null(ours);
        assert_int_equal(strv_split(&got, ours, "\n"), 0);
        /* Same records, in any order. */
        qsort(expected.v, expected.n, sizeof(char *), tu_cmp_str);
        qsort(got.v, got.n, sizeof(char *), tu_cmp_str);
        for (size_t i = 0; i < MAX(expected.n, got.n); i++) {
                const char *x = i < expected.n ? expected.v[i] : "(none)";
                const char *y = i < got.n ? got.v[i] : "(none)";
                if (strcmp(x, y) != 0)
                        fprintf(stderr, "JDK: %s\nvigil: %s\n", x, y);
                assert_string_equal(x, y);
        }
        fprintf(stderr, "# %zu jars, %zu records agree with the JDK\n", nf, got.n);
        assert_true(n > 0);
        strv_clear(&files);
        strv_clear(&expected);
        strv_clear(&got);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_war_with_log4j_struts_and_a_bare_jar),
                cmocka_unit_test(test_ear_with_war_inside),
                cmocka_unit_test(test_shaded_jars_report_every_pom),
                cmocka_unit_test(test_nesting_is_capped),
                cmocka_unit_test(test_truncated_and_broken_archives),
                cmocka_unit_test(test_zip_bomb_with_honest_sizes_is_not_inflated),
                cmocka_unit_test(test_zip_bomb_with_lying_sizes_stops_at_the_caps),
                cmocka_unit_test(test_encrypted_member_is_noted),
                cmocka_unit_test(test_hostile_member_names_are_kept_as_bytes),
                cmocka_unit_test(test_member_count_cap),
                cmocka_unit_test(test_buffer_and_descriptor_agree),
                cmocka_unit_test(test_jar_made_by_the_jdk),
                cmocka_unit_test(test_parse_manifest),
                cmocka_unit_test(test_parse_pom_properties),
                cmocka_unit_test(test_name_from_filename),
                cmocka_unit_test(test_identify_manifest),
                cmocka_unit_test(test_jdk_reads_what_we_read),
        };
        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
