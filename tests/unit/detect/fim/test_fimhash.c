/* Unit tests for detect/fim/fimhash: SHA-256, MD5 and SHA-1 of files and
 * byte strings (libnettle) against coreutils' sha256sum, md5sum and sha1sum
 * at sizes around the digest block and the read buffer, only the asked
 * digests filled in, the size cap, and a context reused many times. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "detect/fim/fimhash.h"

static char dir[] = "/tmp/vigil-test-fimhash.XXXXXX";

static int setup(void **state)
{
        (void)state;
        return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
        char path[sizeof(dir) + 16];
        (void)state;

        snprintf(path, sizeof(path), "%s/data", dir);
        unlink(path);
        return rmdir(dir);
}

/* Pseudo-random bytes from a fixed seed, so a failure can be replayed. */
static void fill(uint8_t *p, size_t n, uint32_t seed)
{
        for (size_t i = 0; i < n; i++) {
                seed = seed * 1103515245u + 12345u;
                p[i] = (uint8_t)(seed >> 16);
        }
}

/* Write N bytes at P to DIR/data and return its path (static). */
static const char *write_data(const void *p, size_t n)
{
        static char path[sizeof(dir) + 16];
        int fd;

        snprintf(path, sizeof(path), "%s/data", dir);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, p, n), (ssize_t)n);
        close(fd);
        return path;
}

/* TOOL's digest of PATH (the first word it prints), run without a shell. */
static void tool_hex(const char *tool, const char *path, char *out, size_t out_size)
{
        int pfd[2], status;
        char line[512];
        ssize_t got, total = 0;
        pid_t pid;

        assert_int_equal(pipe(pfd), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                dup2(pfd[1], 1);
                close(pfd[0]);
                close(pfd[1]);
                execlp(tool, tool, path, (char *)NULL);
                _exit(127);
        }
        close(pfd[1]);
        while ((got = read(pfd[0], line + total, sizeof(line) - 1 - (size_t)total)) > 0)
                total += got;
        close(pfd[0]);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        line[total] = 0;
        line[strcspn(line, " \n")] = 0;
        assert_true(strlen(line) < out_size);
        memcpy(out, line, strlen(line) + 1);
}

static void assert_digest(const fimhash_digests_t *d, fimhash_algo_t algo, const char *want)
{
        char hex[2 * FIMHASH_MAX_LEN + 1];
        size_t len = 0;
        const uint8_t *p = fimhash_get(d, algo, &len);

        assert_non_null(p);
        assert_int_equal(len, fimhash_algo_len(algo));
        hash_hex(p, len, hex);
        assert_string_equal(hex, want);
}

static const struct {
        fimhash_algo_t algo;
        const char *tool;
} oracles[] = {
        { FIMHASH_SHA256, "sha256sum" },
        { FIMHASH_MD5, "md5sum" },
        { FIMHASH_SHA1, "sha1sum" },
};

/* Every digest of files and byte strings whose sizes straddle the 64-byte
 * block, the padding edge and the read buffer, as the tools compute them.
 * One context serves every size, so leftover state would show. */
static void test_against_tools(void **state)
{
        static const size_t lens[] = { 0,
                                       1,
                                       55,
                                       56,
                                       64,
                                       65,
                                       4096,
                                       FIMHASH_BUF_SIZE - 1,
                                       FIMHASH_BUF_SIZE,
                                       FIMHASH_BUF_SIZE + 1,
                                       3 * FIMHASH_BUF_SIZE + 17 };
        const size_t max = 3 * FIMHASH_BUF_SIZE + 17;
        _cleanup_(fimhash_freep) fimhash_t *h = NULL;
        uint8_t *p = malloc(max);
        char want[3][2 * FIMHASH_MAX_LEN + 1];
        (void)state;

        assert_non_null(p);
        assert_int_equal(fimhash_new(&h), 0);
        for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
                const char *path;
                fimhash_digests_t d;
                int fd;

                fill(p, lens[i], (uint32_t)i + 1);
                path = write_data(p, lens[i]);
                for (size_t k = 0; k < 3; k++)
                        tool_hex(oracles[k].tool, path, want[k], sizeof(want[k]));

                fd = open(path, O_RDONLY | O_CLOEXEC);
                assert_true(fd >= 0);
                assert_int_equal(fimhash_fd(h, fd, FIMHASH_MD5 | FIMHASH_SHA1, 0, 0, &d), 0);
                close(fd);
                assert_int_equal(d.bytes, lens[i]);
                assert_int_equal(d.algos, FIMHASH_SHA256 | FIMHASH_MD5 | FIMHASH_SHA1);
                for (size_t k = 0; k < 3; k++)
                        assert_digest(&d, oracles[k].algo, want[k]);

                memset(&d, 0, sizeof(d));
                assert_int_equal(fimhash_bytes(h, p, lens[i], FIMHASH_MD5 | FIMHASH_SHA1, &d), 0);
                assert_int_equal(d.bytes, lens[i]);
                for (size_t k = 0; k < 3; k++)
                        assert_digest(&d, oracles[k].algo, want[k]);
        }
        free(p);
}

/* SHA-256 is always there; the others only when asked for. */
static void test_only_asked(void **state)
{
        _cleanup_(fimhash_freep) fimhash_t *h = NULL;
        fimhash_digests_t d;
        (void)state;

        assert_int_equal(fimhash_new(&h), 0);
        assert_int_equal(fimhash_bytes(h, "abc", 3, 0, &d), 0);
        assert_int_equal(d.algos, FIMHASH_SHA256);
        assert_digest(&d, FIMHASH_SHA256,
                      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_null(fimhash_get(&d, FIMHASH_MD5, NULL));
        assert_null(fimhash_get(&d, FIMHASH_SHA1, NULL));

        assert_int_equal(fimhash_bytes(h, "abc", 3, FIMHASH_MD5, &d), 0);
        assert_digest(&d, FIMHASH_MD5, "900150983cd24fb0d6963f7d28e17f72");
        assert_null(fimhash_get(&d, FIMHASH_SHA1, NULL));

        assert_int_equal(fimhash_bytes(h, "abc", 3, FIMHASH_SHA1, &d), 0);
        assert_digest(&d, FIMHASH_SHA1, "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_null(fimhash_get(&d, FIMHASH_MD5, NULL));

        assert_string_equal(fimhash_algo_name(FIMHASH_SHA256), "sha256");
        assert_string_equal(fimhash_algo_name(FIMHASH_MD5), "md5");
        assert_string_equal(fimhash_algo_name(FIMHASH_SHA1), "sha1");
}

/* Over the size cap is an error and leaves *RET alone; at the cap is fine. */
static void test_size_cap(void **state)
{
        _cleanup_(fimhash_freep) fimhash_t *h = NULL;
        fimhash_digests_t d = { .bytes = 12345 };
        uint8_t p[1000];
        const char *path;
        int fd;
        (void)state;

        fill(p, sizeof(p), 5);
        path = write_data(p, sizeof(p));
        assert_int_equal(fimhash_new(&h), 0);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(fimhash_fd(h, fd, FIMHASH_MD5, 999, 0, &d), -EFBIG);
        assert_int_equal(d.bytes, 12345);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        assert_int_equal(fimhash_fd(h, fd, FIMHASH_MD5, 1000, 0, &d), 0);
        assert_int_equal(d.bytes, 1000);
        close(fd);
        fimhash_free(NULL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_against_tools),
                cmocka_unit_test(test_only_asked),
                cmocka_unit_test(test_size_cap),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
