/* Unit tests for core/hash: SHA-256 one-shot and streamed (nettle) against
 * the FIPS 180-2 example vectors and against coreutils' sha256sum, hex
 * output, FNV-1a against its published test values. */
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

#include "core/hash.h"

static void sha256_hex(const void *p, size_t n, char hex[HASH_SHA256_HEX])
{
        uint8_t d[HASH_SHA256_LEN];

        hash_sha256(p, n, d);
        hash_hex(d, sizeof(d), hex);
}

/* Pseudo-random bytes from a fixed seed, so a failure can be replayed. */
static void fill(uint8_t *p, size_t n, uint32_t seed)
{
        for (size_t i = 0; i < n; i++) {
                seed = seed * 1103515245u + 12345u;
                p[i] = (uint8_t)(seed >> 16);
        }
}

/* TOOL's digest (the first word it prints) of N bytes at P, run without a
 * shell on a temporary file. */
static void tool_hex(const char *tool, const void *p, size_t n, char *out, size_t out_size)
{
        char path[] = "/tmp/vigil-test-hash.XXXXXX";
        int fd = mkstemp(path), pfd[2], status;
        char line[256];
        ssize_t got, total = 0;
        pid_t pid;

        assert_true(fd >= 0);
        assert_int_equal(write(fd, p, n), (ssize_t)n);
        close(fd);
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
        unlink(path);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        line[total] = 0;
        line[strcspn(line, " \n")] = 0;
        assert_true(strlen(line) < out_size);
        memcpy(out, line, strlen(line) + 1);
}

static void test_fips_vectors(void **state)
{
        static const char two_blocks[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        char hex[HASH_SHA256_HEX];
        uint8_t *million;
        (void)state;

        sha256_hex("", 0, hex);
        assert_string_equal(hex,
                            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        sha256_hex(NULL, 0, hex);
        assert_string_equal(hex,
                            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        sha256_hex("abc", 3, hex);
        assert_string_equal(hex,
                            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        sha256_hex(two_blocks, strlen(two_blocks), hex);
        assert_string_equal(hex,
                            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
        million = malloc(1000000);
        assert_non_null(million);
        memset(million, 'a', 1000000);
        sha256_hex(million, 1000000, hex);
        assert_string_equal(hex,
                            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
        free(million);
}

/* Lengths around the 64-byte block and its 55/56-byte padding edge, and a
 * few larger ones, against sha256sum. */
static void test_against_sha256sum(void **state)
{
        static const size_t lens[] = { 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000, 65537 };
        uint8_t *p = malloc(65537);
        char hex[HASH_SHA256_HEX], want[128];
        (void)state;

        assert_non_null(p);
        for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
                fill(p, lens[i], (uint32_t)i + 7);
                sha256_hex(p, lens[i], hex);
                tool_hex("sha256sum", p, lens[i], want, sizeof(want));
                assert_string_equal(hex, want);
        }
        free(p);
}

/* Feeding the same bytes in pieces of any size, empty pieces included,
 * gives the one-shot digest. */
static void test_streaming(void **state)
{
        enum { N = 200000 };
        uint8_t *p = malloc(N), one[HASH_SHA256_LEN], streamed[HASH_SHA256_LEN];
        hash_sha256_ctx_t c;
        uint32_t seed = 99;
        (void)state;

        assert_non_null(p);
        fill(p, N, 3);
        hash_sha256(p, N, one);
        for (int round = 0; round < 20; round++) {
                size_t off = 0;
                hash_sha256_init(&c);
                while (off < N) {
                        size_t piece;
                        seed = seed * 1103515245u + 12345u;
                        /* Mostly small pieces, some across many blocks, some empty. */
                        piece = (seed >> 8) % (round % 2 ? 5000 : 70);
                        if (piece > N - off)
                                piece = N - off;
                        hash_sha256_update(&c, p + off, piece);
                        off += piece;
                }
                hash_sha256_update(&c, NULL, 0);
                hash_sha256_final(&c, streamed);
                assert_memory_equal(one, streamed, HASH_SHA256_LEN);
        }
        free(p);
}

/* After final the context starts again; a copy forks the computation. */
static void test_final_restarts_and_copy(void **state)
{
        uint8_t d1[HASH_SHA256_LEN], d2[HASH_SHA256_LEN], want[HASH_SHA256_LEN];
        hash_sha256_ctx_t c, branch;
        (void)state;

        hash_sha256_init(&c);
        hash_sha256_update(&c, "something else", 14);
        hash_sha256_final(&c, d1);
        hash_sha256_update(&c, "abc", 3);
        hash_sha256_final(&c, d2);
        hash_sha256("abc", 3, want);
        assert_memory_equal(d2, want, HASH_SHA256_LEN);

        hash_sha256_init(&c);
        hash_sha256_update(&c, "ab", 2);
        branch = c;
        hash_sha256_update(&c, "c", 1);
        hash_sha256_final(&c, d1);
        assert_memory_equal(d1, want, HASH_SHA256_LEN);
        hash_sha256_update(&branch, "x", 1);
        hash_sha256_final(&branch, d2);
        hash_sha256("abx", 3, want);
        assert_memory_equal(d2, want, HASH_SHA256_LEN);
}

static void test_hex(void **state)
{
        static const uint8_t b[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xff };
        char out[2 * sizeof(b) + 1];
        (void)state;

        memset(out, 'x', sizeof(out));
        hash_hex(b, sizeof(b), out);
        assert_string_equal(out, "00017f80abff");
        hash_hex(b, 0, out);
        assert_string_equal(out, "");
}

/* The 64-bit FNV-1a values published with the algorithm. */
static void test_fnv1a(void **state)
{
        (void)state;
        assert_true(hash_fnv1a("", 0) == 0xcbf29ce484222325ULL);
        assert_true(hash_fnv1a("a", 1) == 0xaf63dc4c8601ec8cULL);
        assert_true(hash_fnv1a("foobar", 6) == 0x85944171f73967e8ULL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fips_vectors), cmocka_unit_test(test_against_sha256sum),
                cmocka_unit_test(test_streaming),    cmocka_unit_test(test_final_restarts_and_copy),
                cmocka_unit_test(test_hex),          cmocka_unit_test(test_fnv1a),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
