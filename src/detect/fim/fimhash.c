#include "detect/fim/fimhash.h"

#include <errno.h>
#include <fcntl.h>
#include <nettle/md5.h>
#include <nettle/sha1.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/timeutil.h"

/* How many bytes are read between two looks at the clock. */
#define FIMHASH_CLOCK_EVERY (8 * MiB)

/* The three digests come from libnettle, like core's SHA-256: they keep no
 * global state and need no library initialisation, which keeps OpenSSL
 * out of the agent daemon. Nettle's functions cannot fail. */
struct fimhash {
        hash_sha256_ctx_t sha256;
        struct md5_ctx md5;
        struct sha1_ctx sha1;
        uint8_t *buf;
};

_Static_assert(MD5_DIGEST_SIZE == FIMHASH_MD5_LEN, "nettle's MD5 digest size");
_Static_assert(SHA1_DIGEST_SIZE == FIMHASH_SHA1_LEN, "nettle's SHA-1 digest size");

int fimhash_new(fimhash_t **ret)
{
        fimhash_t *h = calloc(1, sizeof(*h));

        if (!h)
                return -ENOMEM;
        h->buf = malloc(FIMHASH_BUF_SIZE);
        if (!h->buf) {
                free(h);
                return -ENOMEM;
        }
        *ret = h;
        return 0;
}

void fimhash_free(fimhash_t *h)
{
        if (!h)
                return;
        free(h->buf);
        free(h);
}

static void start(fimhash_t *h, unsigned algos)
{
        hash_sha256_init(&h->sha256);
        if (algos & FIMHASH_MD5)
                md5_init(&h->md5);
        if (algos & FIMHASH_SHA1)
                sha1_init(&h->sha1);
}

static void feed(fimhash_t *h, unsigned algos, const void *p, size_t n)
{
        if (n == 0)
                return;
        hash_sha256_update(&h->sha256, p, n);
        if (algos & FIMHASH_MD5)
                md5_update(&h->md5, n, p);
        if (algos & FIMHASH_SHA1)
                sha1_update(&h->sha1, n, p);
}

static void finish(fimhash_t *h, unsigned algos, uint64_t bytes, fimhash_digests_t *ret)
{
        fimhash_digests_t d = { .algos = algos, .bytes = bytes };

        hash_sha256_final(&h->sha256, d.sha256);
        if (algos & FIMHASH_MD5)
                md5_digest(&h->md5, FIMHASH_MD5_LEN, d.md5);
        if (algos & FIMHASH_SHA1)
                sha1_digest(&h->sha1, FIMHASH_SHA1_LEN, d.sha1);
        *ret = d;
}

int fimhash_fd(fimhash_t *h, int fd, unsigned algos, uint64_t max_size, int64_t max_time_us,
               fimhash_digests_t *ret)
{
        int64_t deadline = max_time_us > 0 ? timeutil_mono_us() + max_time_us : 0;
        uint64_t total = 0, next_clock = FIMHASH_CLOCK_EVERY;

        algos |= FIMHASH_SHA256;
        start(h, algos);
        /* Tell the kernel the whole file will be read in order, so read-ahead
         * is large; a failure only costs speed. */
        (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
        for (;;) {
                ssize_t n = read(fd, h->buf, FIMHASH_BUF_SIZE);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                total += (uint64_t)n;
                if (max_size && total > max_size)
                        return -EFBIG;
                feed(h, algos, h->buf, (size_t)n);
                if (deadline && total >= next_clock) {
                        next_clock = total + FIMHASH_CLOCK_EVERY;
                        if (timeutil_mono_us() > deadline)
                                return -ETIMEDOUT;
                }
        }
        finish(h, algos, total, ret);
        return 0;
}

int fimhash_bytes(fimhash_t *h, const void *p, size_t n, unsigned algos, fimhash_digests_t *ret)
{
        algos |= FIMHASH_SHA256;
        start(h, algos);
        feed(h, algos, p, n);
        finish(h, algos, n, ret);
        return 0;
}

const uint8_t *fimhash_get(const fimhash_digests_t *d, fimhash_algo_t algo, size_t *ret_len)
{
        if (!(d->algos & algo))
                return NULL;
        if (ret_len)
                *ret_len = fimhash_algo_len(algo);
        switch (algo) {
        case FIMHASH_SHA256:
                return d->sha256;
        case FIMHASH_MD5:
                return d->md5;
        case FIMHASH_SHA1:
                return d->sha1;
        }
        return NULL;
}

const char *fimhash_algo_name(fimhash_algo_t algo)
{
        switch (algo) {
        case FIMHASH_SHA256:
                return "sha256";
        case FIMHASH_MD5:
                return "md5";
        case FIMHASH_SHA1:
                return "sha1";
        }
        return "unknown";
}

size_t fimhash_algo_len(fimhash_algo_t algo)
{
        switch (algo) {
        case FIMHASH_SHA256:
                return HASH_SHA256_LEN;
        case FIMHASH_MD5:
                return FIMHASH_MD5_LEN;
        case FIMHASH_SHA1:
                return FIMHASH_SHA1_LEN;
        }
        return 0;
}
