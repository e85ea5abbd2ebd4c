#include "detect/fim/fimhash.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/timeutil.h"

/* How many bytes are read between two looks at the clock. */
#define FIMHASH_CLOCK_EVERY (8 * MiB)

struct fimhash {
        EVP_MD_CTX *ctx[3]; /* SHA-256, MD5, SHA-1 */
        const EVP_MD *md[3];
        uint8_t *buf;
};

static const fimhash_algo_t algo_bits[3] = { FIMHASH_SHA256, FIMHASH_MD5, FIMHASH_SHA1 };

int fimhash_new(fimhash_t **ret)
{
        fimhash_t *h = calloc(1, sizeof(*h));

        if (!h)
                return -ENOMEM;
        h->md[0] = EVP_sha256();
        h->md[1] = EVP_md5();
        h->md[2] = EVP_sha1();
        h->buf = malloc(FIMHASH_BUF_SIZE);
        if (!h->buf)
                goto fail;
        for (size_t i = 0; i < 3; i++)
                if (!h->md[i] || !(h->ctx[i] = EVP_MD_CTX_new()))
                        goto fail;
        *ret = h;
        return 0;
fail:
        fimhash_free(h);
        return -ENOMEM;
}

void fimhash_free(fimhash_t *h)
{
        if (!h)
                return;
        for (size_t i = 0; i < 3; i++)
                EVP_MD_CTX_free(h->ctx[i]);
        free(h->buf);
        free(h);
}

static int start(fimhash_t *h, unsigned algos)
{
        for (size_t i = 0; i < 3; i++)
                if ((algos & algo_bits[i]) && !EVP_DigestInit_ex(h->ctx[i], h->md[i], NULL))
                        return -EIO;
        return 0;
}

static int feed(fimhash_t *h, unsigned algos, const void *p, size_t n)
{
        for (size_t i = 0; i < 3; i++)
                if ((algos & algo_bits[i]) && !EVP_DigestUpdate(h->ctx[i], p, n))
                        return -EIO;
        return 0;
}

static int finish(fimhash_t *h, unsigned algos, uint64_t bytes, fimhash_digests_t *ret)
{
        fimhash_digests_t d = { .algos = algos, .bytes = bytes };
        uint8_t *out[3] = { d.sha256, d.md5, d.sha1 };

        for (size_t i = 0; i < 3; i++)
                if ((algos & algo_bits[i]) && !EVP_DigestFinal_ex(h->ctx[i], out[i], NULL))
                        return -EIO;
        *ret = d;
        return 0;
}

int fimhash_fd(fimhash_t *h, int fd, unsigned algos, uint64_t max_size, int64_t max_time_us,
               fimhash_digests_t *ret)
{
        int64_t deadline = max_time_us > 0 ? timeutil_mono_us() + max_time_us : 0;
        uint64_t total = 0, next_clock = FIMHASH_CLOCK_EVERY;
        int r;

        algos |= FIMHASH_SHA256;
        if ((r = start(h, algos)) < 0)
                return r;
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
                if ((r = feed(h, algos, h->buf, (size_t)n)) < 0)
                        return r;
                if (deadline && total >= next_clock) {
                        next_clock = total + FIMHASH_CLOCK_EVERY;
                        if (timeutil_mono_us() > deadline)
                                return -ETIMEDOUT;
                }
        }
        return finish(h, algos, total, ret);
}

int fimhash_bytes(fimhash_t *h, const void *p, size_t n, unsigned algos, fimhash_digests_t *ret)
{
        int r;

        algos |= FIMHASH_SHA256;
        if ((r = start(h, algos)) < 0 || (r = feed(h, algos, p, n)) < 0)
                return r;
        return finish(h, algos, n, ret);
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
