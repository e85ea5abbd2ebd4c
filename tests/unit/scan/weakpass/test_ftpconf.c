/* Unit tests for scan/weakpass/ftpconf: vsftpd's strict option syntax and
 * ProFTPD's <Anonymous> sections. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scan/weakpass/ftpconf.h"

static vsftpd_conf_t vs(const char *text, report_t *r)
{
        vsftpd_conf_t c;
        assert_int_equal(ftpconf_parse_vsftpd(text, strlen(text), "vsftpd.conf", r, &c), 0);
        return c;
}

static void test_vsftpd(void **state)
{
        report_t *r = report_new("h", "/");
        vsftpd_conf_t c;

        (void)state;
        c = vs("listen=YES\n", NULL);
        assert_false(c.anonymous_enable); /* vsftpd 3 default */
        assert_int_equal(c.anonymous_line, 0);
        c = vs("# anonymous_enable=YES\nanonymous_enable=YES\n", NULL);
        assert_true(c.anonymous_enable);
        assert_int_equal(c.anonymous_line, 2);
        c = vs("anonymous_enable=yes\nanonymous_enable=NO\n", NULL);
        assert_false(c.anonymous_enable);
        c = vs("anonymous_enable=TRUE\nwrite_enable=1\nanon_upload_enable=yes\n", NULL);
        assert_true(c.anonymous_enable && c.write_enable && c.anon_upload_enable);
        /* vsftpd reads the whole name before '=': blanks make another name,
         * and a bad boolean stops vsftpd (a warning here). */
        c = vs(" anonymous_enable=YES\nanonymous_enable = YES\nanonymous_enable=maybe\n", r);
        assert_false(c.anonymous_enable);
        assert_int_equal(r->n_notes, 1);
        assert_string_equal(r->notes[0].source, "vsftpd.conf:3");
        c = vs("anonymous_enable=YES\r\n", NULL);
        assert_false(c.anonymous_enable);
        report_free(r);
}

static int includes;

static int on_include(const char *path, const char *where, void *userdata)
{
        (void)userdata;
        assert_string_equal(path, "/etc/proftpd/conf.d/");
        assert_string_equal(where, "p:2");
        includes++;
        return 0;
}

static void test_proftpd(void **state)
{
        static const char text[] = "ServerName \"x y\"\n"
                                   "Include /etc/proftpd/conf.d/\n"
                                   "# <Anonymous ~ftp>\n"
                                   "<IfModule mod_x.c>\n"
                                   "<Anonymous ~ftp>\n"
                                   "  User ftp\n"
                                   "  <Limit WRITE>\n"
                                   "    DenyAll\n"
                                   "  </Limit>\n"
                                   "</Anonymous>\n"
                                   "</IfModule>\n"
                                   "<Anonymous /srv/closed>\n"
                                   "  <Limit LOGIN>\n"
                                   "    DenyAll\n"
                                   "  </Limit>\n"
                                   "</Anonymous>\n"
                                   "<Anonymous /srv/up>\n"
                                   "  <Directory incoming>\n"
                                   "    <Limit STOR MKD>\n"
                                   "      AllowAll\n"
                                   "    </Limit>\n"
                                   "  </Directory>\n"
                                   "</Anonymous>\n"
                                   "<Anonymous /srv/pw>\n"
                                   "  AnonRequirePassword on\n"
                                   "  Include /not/followed\n"
                                   "</Anonymous>\n"
                                   "</Stray>\n";
        proftpd_conf_t c = { .n_anons = 0 };
        report_t *r = report_new("h", "/");

        (void)state;
        assert_int_equal(
                ftpconf_parse_proftpd(text, sizeof(text) - 1, "p", r, on_include, NULL, &c), 0);
        assert_int_equal(includes, 1);
        assert_int_equal(c.n_anons, 4);
        assert_string_equal(c.anons[0].where, "p:5");
        assert_string_equal(c.anons[0].dir, "~ftp");
        assert_false(c.anons[0].login_denied);
        assert_false(c.anons[0].writable);
        assert_true(c.anons[1].login_denied);
        assert_true(c.anons[2].writable);
        assert_false(c.anons[2].login_denied);
        assert_true(c.anons[3].require_password);
        assert_int_equal(r->n_notes, 2);
        assert_string_equal(r->notes[0].source, "p:26");
        assert_string_equal(r->notes[1].source, "p:28");
        ftpconf_proftpd_clear(&c);
        report_free(r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_vsftpd),
                cmocka_unit_test(test_proftpd),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
