/* Unit tests for scan/baseline/certs. Certificates are made at test time
 * with the openssl command (expired ones with `openssl ca -startdate
 * -enddate`, which OpenSSL 3.0 supports), then found and judged. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "scan/baseline/certs.h"

static char tmpl[] = "/tmp/vigil-certs-XXXXXX";
static char *top;

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
        char cmd[4096];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(cmd, sizeof(cmd), fmt, ap);
        va_end(ap);
        if (system(cmd) != 0)
                fail_msg("command failed: %s", cmd);
}

static int setup(void **state)
{
        (void)state;
        top = mkdtemp(tmpl);
        assert_non_null(top);
        sh("cd %s && mkdir -p gen newcerts root/etc/ssl/web root/etc/ssl/certs "
           "root/etc/ssl/private root/etc/nginx/sites-enabled root/etc/apache2/sites-enabled "
           "root/etc/letsencrypt/archive/site root/etc/letsencrypt/live/site",
           top);
        /* A valid certificate, one expiring in 10 days, a weak key, SHA-1. */
        sh("cd %s/gen && openssl req -x509 -newkey rsa:2048 -nodes -keyout ok.key -out ok.pem "
           "-days 365 -subj /CN=ok.test 2>/dev/null",
           top);
        sh("cd %s/gen && openssl req -x509 -newkey rsa:2048 -nodes -keyout soon.key -out "
           "soon.pem -days 10 -subj /CN=soon.test 2>/dev/null",
           top);
        sh("cd %s/gen && openssl req -x509 -newkey rsa:1024 -nodes -keyout weak.key -out "
           "weak.pem -days 365 -subj /CN=weak.test 2>/dev/null",
           top);
        sh("cd %s/gen && openssl req -x509 -newkey rsa:2048 -sha1 -nodes -keyout sha1.key -out "
           "sha1.pem -days 365 -subj /CN=sha1.test 2>/dev/null",
           top);
        sh("cd %s/gen && openssl x509 -in ok.pem -outform DER -out ok.der", top);
        /* An expired one, signed by itself through a throw-away CA setup. */
        sh("cd %s && touch index.txt && echo 01 > serial && printf '[ca]\\ndefault_ca=t\\n"
           "[t]\\ndir=.\\ndatabase=./index.txt\\nnew_certs_dir=./newcerts\\nserial=./serial\\n"
           "default_md=sha256\\npolicy=p\\n[p]\\ncommonName=supplied\\n' > ca.cnf && "
           "openssl req -new -newkey rsa:2048 -nodes -keyout gen/old.key -out old.csr "
           "-subj /CN=expired.test 2>/dev/null && openssl ca -batch -config ca.cnf -selfsign "
           "-keyfile gen/old.key -in old.csr -out gen/old.pem -startdate 20200101000000Z "
           "-enddate 20200201000000Z 2>/dev/null",
           top);
        /* Lay them out in a root the way servers do. */
        sh("cd %s && cp gen/old.pem root/etc/ssl/web/expired.pem && cp gen/weak.pem "
           "root/etc/ssl/web/weak.pem && cp gen/ok.pem root/etc/ssl/web/ok.pem && "
           "cp gen/sha1.pem root/etc/ssl/certs/legacy.pem && cp gen/weak.key "
           "root/etc/ssl/private/weak.key && cat gen/ok.pem gen/old.pem > "
           "root/etc/ssl/certs/ca-certificates.crt && ln -s /usr/share/ca-certificates/x.crt "
           "root/etc/ssl/certs/x.pem && cp gen/soon.pem root/etc/letsencrypt/archive/site/"
           "cert1.pem && ln -s ../../archive/site/cert1.pem root/etc/letsencrypt/live/site/"
           "cert.pem",
           top);
        sh("cd %s && printf 'server {\\n  listen 443 ssl;\\n  ssl_certificate "
           "/etc/ssl/web/expired.pem;\\n  ssl_certificate_key /etc/ssl/private/x.key;\\n"
           "  ssl_certificate /etc/ssl/missing.pem;\\n}\\n' > root/etc/nginx/sites-enabled/site",
           top);
        sh("cd %s && printf '<VirtualHost *:443>\\n  SSLCertificateFile \"/etc/ssl/web/"
           "ok.pem\"\\n</VirtualHost>\\n' > root/etc/apache2/sites-enabled/default-ssl.conf",
           top);
        return 0;
}

static int teardown(void **state)
{
        char cmd[600];
        (void)state;
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
        return system(cmd) == 0 ? 0 : -1;
}

static void judge_file(const char *name, cert_info_t *ci)
{
        char p[600], *data;
        size_t n;
        FILE *f;

        snprintf(p, sizeof(p), "%s/gen/%s", top, name);
        f = fopen(p, "rb");
        assert_non_null(f);
        data = malloc(1 << 16);
        n = fread(data, 1, 1 << 16, f);
        fclose(f);
        memset(ci, 0, sizeof(*ci));
        assert_int_equal(certs_judge(data, n, time(NULL), ci, NULL), 0);
        free(data);
}

static void test_judge(void **state)
{
        cert_info_t ci;
        (void)state;

        judge_file("ok.pem", &ci);
        assert_false(ci.expired || ci.expiring || ci.weak_key || ci.weak_signature);
        assert_string_equal(ci.key_type, "RSA");
        assert_int_equal(ci.key_bits, 2048);
        assert_string_equal(ci.subject, "CN=ok.test");
        assert_true(ci.days_left >= 363 && ci.days_left <= 365);
        certs_info_clear(&ci);

        judge_file("ok.der", &ci);
        assert_string_equal(ci.subject, "CN=ok.test");
        certs_info_clear(&ci);

        judge_file("soon.pem", &ci);
        assert_true(ci.expiring);
        assert_false(ci.expired);
        assert_true(ci.days_left >= 9 && ci.days_left <= 10);
        certs_info_clear(&ci);

        judge_file("old.pem", &ci);
        assert_true(ci.expired);
        assert_false(ci.expiring);
        assert_true(ci.days_left < 0);
        assert_string_equal(ci.not_after, "2020-02-01T00:00:00Z");
        certs_info_clear(&ci);

        judge_file("weak.pem", &ci);
        assert_true(ci.weak_key);
        assert_int_equal(ci.key_bits, 1024);
        certs_info_clear(&ci);

        judge_file("sha1.pem", &ci);
        assert_true(ci.weak_signature);
        assert_string_equal(ci.sig_alg, "sha1WithRSAEncryption");
        certs_info_clear(&ci);

        /* Not a certificate. */
        memset(&ci, 0, sizeof(ci));
        assert_int_equal(certs_judge("hello", 5, time(NULL), &ci, NULL), -EINVAL);
        assert_int_equal(certs_judge("-----BEGIN CERTIFICATE-----\nAAAA\n-----END "
                                     "CERTIFICATE-----\n",
                                     57, time(NULL), &ci, NULL),
                         -EINVAL);
        assert_int_equal(certs_judge("\x30\x82\x01", 3, time(NULL), &ci, NULL), -EINVAL);
        certs_info_clear(&ci);
}

static const cert_info_t *find(const cert_list_t *l, const char *path)
{
        for (size_t i = 0; i < l->n; i++)
                if (strcmp(l->v[i].path, path) == 0)
                        return &l->v[i];
        return NULL;
}

static void test_collect(void **state)
{
        char rp[600];
        rootfs_t *root;
        cert_list_t l = { 0 };
        const cert_info_t *c;
        (void)state;

        snprintf(rp, sizeof(rp), "%s/root", top);
        assert_int_equal(rootfs_open(rp, &root), 0);
        assert_int_equal(certs_collect(root, time(NULL), &l), 0);
        for (size_t i = 0; i < l.n; i++)
                print_message("cert %s (%s)\n", l.v[i].path,
                              l.v[i].found_in ? l.v[i].found_in : "-");
        /* expired.pem (named by nginx), ok.pem (named by apache), weak.pem,
         * legacy.pem (a real file in /etc/ssl/certs), the Let's Encrypt
         * cert; not the bundle, not the symlink, not the key; each once. */
        assert_int_equal(l.n, 5);
        c = find(&l, "/etc/ssl/web/expired.pem");
        assert_non_null(c);
        assert_true(c->expired);
        assert_string_equal(c->found_in, "/etc/nginx/sites-enabled/site:3");
        c = find(&l, "/etc/ssl/web/ok.pem");
        assert_non_null(c);
        assert_string_equal(c->found_in, "/etc/apache2/sites-enabled/default-ssl.conf:2");
        assert_non_null(find(&l, "/etc/ssl/web/weak.pem"));
        assert_non_null(find(&l, "/etc/ssl/certs/legacy.pem"));
        c = find(&l, "/etc/letsencrypt/live/site/cert.pem");
        assert_non_null(c);
        assert_true(c->expiring);
        /* A config naming a missing file is not a problem worth a note. */
        assert_int_equal(l.problems.n, 0);
        certs_list_clear(&l);
        rootfs_free(root);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_judge),
                cmocka_unit_test(test_collect),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
