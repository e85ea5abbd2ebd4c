/* Unit tests for agent/curlfn: libcurl loaded on demand. Nothing is loaded
 * before curlfn_load; a missing library and a library without curl's
 * functions fail with messages a person can act on; every slot of the
 * loaded table is libcurl.so.4's function of that name (the dynamic
 * linker's dladdr says so); threads loading at once all succeed; the table
 * makes a real HTTP request to a local socket. */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/curlfn.h"

static void test_missing_library(void **state)
{
        curlfn_t t;
        char *err = NULL;
        (void)state;

        assert_null(curlfn_get());
        assert_int_equal(curlfn_open("libvigil-no-such-curl.so.4", &t, &err), -ELIBACC);
        assert_non_null(err);
        assert_non_null(strstr(err, "libvigil-no-such-curl.so.4 not found: install libcurl4"));
        free(err);
        /* Trying another file loads nothing process-wide. */
        assert_null(curlfn_get());
}

/* zlib is a shared library, but not curl: the first function is missing. */
static void test_not_curl(void **state)
{
        curlfn_t t;
        char *err = NULL;
        (void)state;

        assert_int_equal(curlfn_open("libz.so.1", &t, &err), -ENOSYS);
        assert_non_null(err);
        assert_non_null(strstr(err, "libz.so.1 has no curl_global_init"));
        free(err);
        assert_null(curlfn_get());
}

/* Every slot must hold curl's function of that name: ask the dynamic
 * linker which symbol of which file each pointer is. */
static void assert_symbol(const void *fnp, const char *want)
{
        void *p;
        Dl_info info;

        memcpy(&p, fnp, sizeof(p));
        assert_non_null(p);
        assert_true(dladdr(p, &info) != 0);
        assert_non_null(info.dli_sname);
        assert_string_equal(info.dli_sname, want);
        assert_non_null(strstr(info.dli_fname, "libcurl.so.4"));
}

static void test_load_resolves_curl(void **state)
{
        const curlfn_t *cf;
        char *err = NULL;
        (void)state;

        assert_int_equal(curlfn_load(&err), 0);
        assert_null(err);
        cf = curlfn_get();
        assert_non_null(cf);
        assert_symbol(&cf->global_init, "curl_global_init");
        assert_symbol(&cf->version_info, "curl_version_info");
        assert_symbol(&cf->easy_init, "curl_easy_init");
        assert_symbol(&cf->easy_setopt, "curl_easy_setopt");
        assert_symbol(&cf->easy_perform, "curl_easy_perform");
        assert_symbol(&cf->easy_getinfo, "curl_easy_getinfo");
        assert_symbol(&cf->easy_cleanup, "curl_easy_cleanup");
        assert_symbol(&cf->easy_strerror, "curl_easy_strerror");
        assert_symbol(&cf->slist_append, "curl_slist_append");
        assert_symbol(&cf->slist_free_all, "curl_slist_free_all");
        assert_symbol(&cf->url, "curl_url");
        assert_symbol(&cf->url_set, "curl_url_set");
        assert_symbol(&cf->url_get, "curl_url_get");
        assert_symbol(&cf->url_cleanup, "curl_url_cleanup");
        assert_symbol(&cf->free, "curl_free");
        assert_true(cf->version_info(CURLVERSION_NOW)->version_num >= CURLFN_MIN_VERSION);
        /* Later calls give the first outcome and the same table. */
        assert_int_equal(curlfn_load(&err), 0);
        assert_ptr_equal(curlfn_get(), cf);
}

static void *load_thread(void *arg)
{
        char *err = NULL;

        *(int *)arg = curlfn_load(&err);
        free(err);
        return NULL;
}

/* Many threads at once all see a loaded library. */
static void test_load_threads(void **state)
{
        pthread_t t[8];
        int r[8];
        (void)state;

        for (size_t i = 0; i < 8; i++) {
                r[i] = -1;
                assert_int_equal(pthread_create(&t[i], NULL, load_thread, &r[i]), 0);
        }
        for (size_t i = 0; i < 8; i++) {
                assert_int_equal(pthread_join(t[i], NULL), 0);
                assert_int_equal(r[i], 0);
        }
}

/* A real HTTP exchange through the table's variadic setopt/getinfo: a
 * one-shot server thread answers 204 on a loopback socket. */
static void *serve_once(void *arg)
{
        int lfd = *(int *)arg, fd;
        char req[4096];
        static const char answer[] = "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n";

        fd = accept(lfd, NULL, NULL);
        if (fd >= 0) {
                /* The request ends with an empty line; curl sends it at once. */
                size_t have = 0;
                while (have < sizeof(req) - 1) {
                        ssize_t n = read(fd, req + have, sizeof(req) - 1 - have);
                        if (n <= 0)
                                break;
                        have += (size_t)n;
                        req[have] = 0;
                        if (strstr(req, "\r\n\r\n"))
                                break;
                }
                /* A failed write shows as the client's error. */
                ssize_t w = write(fd, answer, sizeof(answer) - 1);
                (void)w;
                close(fd);
        }
        return NULL;
}

static void test_request(void **state)
{
        struct sockaddr_in a = { .sin_family = AF_INET };
        socklen_t alen = sizeof(a);
        const curlfn_t *cf;
        char *err = NULL, url[64];
        long status = 0;
        pthread_t t;
        CURL *h;
        int lfd;
        (void)state;

        assert_int_equal(curlfn_load(&err), 0);
        cf = curlfn_get();
        lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(lfd >= 0);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
        assert_int_equal(listen(lfd, 1), 0);
        assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &alen), 0);
        snprintf(url, sizeof(url), "http://127.0.0.1:%u/x", (unsigned)ntohs(a.sin_port));
        assert_int_equal(pthread_create(&t, NULL, serve_once, &lfd), 0);

        h = cf->easy_init();
        assert_non_null(h);
        assert_int_equal(cf->easy_setopt(h, CURLOPT_URL, url), CURLE_OK);
        assert_int_equal(cf->easy_setopt(h, CURLOPT_NOSIGNAL, 1L), CURLE_OK);
        assert_int_equal(cf->easy_setopt(h, CURLOPT_NOPROXY, "*"), CURLE_OK);
        assert_int_equal(cf->easy_setopt(h, CURLOPT_TIMEOUT, 30L), CURLE_OK);
        assert_int_equal(cf->easy_perform(h), CURLE_OK);
        assert_int_equal(cf->easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status), CURLE_OK);
        assert_int_equal(status, 204);
        assert_string_equal(cf->easy_strerror(CURLE_OK), "No error");
        cf->easy_cleanup(h);
        assert_int_equal(pthread_join(t, NULL), 0);
        close(lfd);
}

int main(void)
{
        /* The order matters: nothing may be loaded before the load test. */
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_missing_library),
                cmocka_unit_test(test_not_curl),
                cmocka_unit_test(test_load_resolves_curl),
                cmocka_unit_test(test_load_threads),
                cmocka_unit_test(test_request),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
