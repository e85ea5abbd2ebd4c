#include "scan/secrets/gitscan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/buf.h"
#include "core/hash.h"
#include "core/text.h"
#include "core/timeutil.h"
#include "core/walk.h"

#define OID_LEN 20
#define OID_HEX (OID_LEN * 2 + 1)

/* Longest delta chain followed (git's own default is 50, --aggressive 250). */
#define MAX_DELTA_DEPTH 512
/* Largest pack index read into memory (about 4.5 million objects). */
#define MAX_IDX_SIZE (128 * MiB)
#define MAX_PACKS    256
/* Trees, commits and delta bases: a size cap apart from the blob cap. */
#define MAX_META_OBJECT (16 * MiB)
/* Small objects kept for delta resolution and repeated tree reads. */
#define CACHE_SLOTS     256
#define CACHE_MAX_OBJ   (1 * MiB)
#define CACHE_MAX_BYTES (48 * MiB)
/* Files under refs/ and logs/ and the packed-refs file. */
#define MAX_REF_FILE   (64 * MiB)
#define MAX_REFS       200000
#define MAX_TREE_DEPTH 64
#define MAX_PATH       4096
#define BINARY_PROBE   8192

enum {
        OBJ_COMMIT = 1,
        OBJ_TREE = 2,
        OBJ_BLOB = 3,
        OBJ_TAG = 4,
        OBJ_OFS_DELTA = 6,
        OBJ_REF_DELTA = 7
};

typedef struct oid {
        uint8_t b[OID_LEN];
} oid_t;

typedef struct pack {
        int fd;
        uint64_t size;
        uint8_t *idx;
        size_t idx_len;
        uint32_t n;
        const uint8_t *fanout, *oids, *off32, *off64;
        size_t n64;
} pack_t;

typedef struct centry {
        size_t pack; /* index + 1; 0 = empty */
        uint64_t off;
        int type;
        uint8_t *data;
        size_t len;
        uint64_t tick;
} centry_t;

/* A set of object ids, open addressing; the all-zero id marks a free slot
 * (it is never a real object). */
typedef struct oidset {
        oid_t *slots;
        size_t cap, n;
} oidset_t;

typedef struct odb {
        const rootfs_t *root;
        int objects_fd;
        pack_t *packs;
        size_t n_packs;
        centry_t cache[CACHE_SLOTS];
        size_t cache_bytes;
        uint64_t tick;
        secrets_git_stats_t *stats;
} odb_t;

static void oid_hex(const oid_t *o, char out[OID_HEX])
{
        hash_hex(o->b, OID_LEN, out);
}

/* Parse 40 hex digits at S. */
static bool oid_parse(const char *s, size_t n, oid_t *ret)
{
        if (n < 40)
                return false;
        for (size_t i = 0; i < OID_LEN; i++) {
                int hi = str_hexval(s[2 * i]), lo = str_hexval(s[2 * i + 1]);
                if (hi < 0 || lo < 0)
                        return false;
                ret->b[i] = (uint8_t)(hi << 4 | lo);
        }
        return true;
}

static bool oid_is_zero(const oid_t *o)
{
        for (size_t i = 0; i < OID_LEN; i++)
                if (o->b[i])
                        return false;
        return true;
}

/* ---------------------------------------------------------------- oidset */

static size_t oid_hash(const oid_t *o)
{
        size_t h;
        memcpy(&h, o->b, sizeof(h)); /* object ids are already uniform */
        return h;
}

/* Add O; returns 1 when added, 0 when it was there, -ENOMEM. */
static int oidset_add(oidset_t *s, const oid_t *o)
{
        size_t i;

        if (oid_is_zero(o))
                return 0;
        if ((s->n + 1) * 2 > s->cap) {
                size_t cap = s->cap ? s->cap * 2 : 1024;
                oid_t *slots = calloc(cap, sizeof(*slots));
                if (!slots)
                        return -ENOMEM;
                for (size_t k = 0; k < s->cap; k++) {
                        if (oid_is_zero(&s->slots[k]))
                                continue;
                        i = oid_hash(&s->slots[k]) & (cap - 1);
                        while (!oid_is_zero(&slots[i]))
                                i = (i + 1) & (cap - 1);
                        slots[i] = s->slots[k];
                }
                free(s->slots);
                s->slots = slots;
                s->cap = cap;
        }
        i = oid_hash(o) & (s->cap - 1);
        while (!oid_is_zero(&s->slots[i])) {
                if (memcmp(s->slots[i].b, o->b, OID_LEN) == 0)
                        return 0;
                i = (i + 1) & (s->cap - 1);
        }
        s->slots[i] = *o;
        s->n++;
        return 1;
}

static void oidset_free(oidset_t *s)
{
        free(s->slots);
        *s = (oidset_t){ 0 };
}

/* ----------------------------------------------------------------- inflate */

/* Inflate a zlib stream read by RD into exactly EXPECT bytes (a stream that
 * gives more or fewer is corrupt). */
typedef ssize_t (*read_fn)(void *src, uint64_t pos, uint8_t *buf, size_t n);

static int inflate_exact(read_fn rd, void *src, uint64_t pos, size_t expect, uint8_t **ret)
{
        uint8_t in[16 * KiB], spare;
        uint8_t *out = malloc(expect + 1);
        z_stream z = { 0 };
        int r = 0;

        if (!out)
                return -ENOMEM;
        if (inflateInit(&z) != Z_OK) {
                free(out);
                return -ENOMEM;
        }
        z.next_out = out;
        z.avail_out = (uInt)expect;
        for (;;) {
                int zr;
                if (z.avail_in == 0) {
                        ssize_t n = rd(src, pos, in, sizeof(in));
                        if (n <= 0) {
                                r = n < 0 ? (int)n : -EBADMSG;
                                break;
                        }
                        pos += (uint64_t)n;
                        z.next_in = in;
                        z.avail_in = (uInt)n;
                }
                /* Once the output is full only the end of the stream may
                 * follow; one spare byte of room makes "too long" visible. */
                if (z.avail_out == 0 && z.total_out == expect) {
                        z.next_out = &spare;
                        z.avail_out = 1;
                }
                zr = inflate(&z, Z_NO_FLUSH);
                if (z.total_out > expect) {
                        r = -EBADMSG;
                        break;
                }
                if (zr == Z_STREAM_END)
                        break;
                if (zr == Z_MEM_ERROR) {
                        r = -ENOMEM;
                        break;
                }
                if (zr != Z_OK && zr != Z_BUF_ERROR) {
                        r = -EBADMSG;
                        break;
                }
        }
        if (!r && z.total_out != expect)
                r = -EBADMSG;
        inflateEnd(&z);
        if (r < 0) {
                free(out);
                return r;
        }
        out[expect] = 0;
        *ret = out;
        return 0;
}

static ssize_t pack_read(void *src, uint64_t pos, uint8_t *buf, size_t n)
{
        const pack_t *p = src;
        ssize_t r;

        if (pos >= p->size)
                return 0;
        if (n > p->size - pos)
                n = (size_t)(p->size - pos);
        do
                r = pread(p->fd, buf, n, (off_t)pos);
        while (r < 0 && errno == EINTR);
        return r < 0 ? -errno : r;
}

struct membuf {
        const uint8_t *p;
        size_t n;
};

static ssize_t mem_read(void *src, uint64_t pos, uint8_t *buf, size_t n)
{
        const struct membuf *m = src;

        if (pos >= m->n)
                return 0;
        if (n > m->n - pos)
                n = (size_t)(m->n - pos);
        memcpy(buf, m->p + pos, n);
        return (ssize_t)n;
}

/* ---------------------------------------------------------------- packs */

static uint32_t be32(const uint8_t *p)
{
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
        return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static int pack_open(odb_t *db, int packdir, const char *idx_name, pack_t *ret)
{
        _cleanup_free_ char *pack_name = NULL, *data = NULL;
        size_t len, base, nlen = strlen(idx_name);
        struct stat st;
        uint8_t hdr[12];
        pack_t p = { .fd = -1 };
        int fd, r;

        fd = rootfs_openat_dir(db->root, packdir, idx_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
        if (fd < 0)
                return fd;
        r = rootfs_read_fd(fd, MAX_IDX_SIZE, &data, &len);
        close(fd);
        if (r < 0)
                return r;
        if (len < 8 + 1024 + 40 || memcmp(data, "\377tOc", 4) != 0 ||
            be32((uint8_t *)data + 4) != 2)
                return -EBADMSG;
        p.fanout = (uint8_t *)data + 8;
        p.n = be32(p.fanout + 255 * 4);
        for (size_t i = 1; i < 256; i++)
                if (be32(p.fanout + i * 4) < be32(p.fanout + (i - 1) * 4))
                        return -EBADMSG;
        base = 8 + 1024 + (size_t)p.n * (OID_LEN + 4 + 4);
        if ((uint64_t)p.n * 28 > len || base + 40 > len || (len - base - 40) % 8 != 0)
                return -EBADMSG;
        p.oids = p.fanout + 1024;
        p.off32 = p.oids + (size_t)p.n * (OID_LEN + 4);
        p.off64 = p.off32 + (size_t)p.n * 4;
        p.n64 = (len - base - 40) / 8;
        pack_name = str_printf("%.*s.pack", (int)(nlen - 4), idx_name);
        if (!pack_name)
                return -ENOMEM;
        p.fd = rootfs_openat_dir(db->root, packdir, pack_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
        if (p.fd < 0)
                return p.fd;
        if (fstat(p.fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < 32 ||
            pread(p.fd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr) ||
            memcmp(hdr, "PACK", 4) != 0 || (be32(hdr + 4) != 2 && be32(hdr + 4) != 3)) {
                close(p.fd);
                return -EBADMSG;
        }
        p.size = (uint64_t)st.st_size - OID_LEN; /* the trailing checksum is no object */
        p.idx = (uint8_t *)TAKE_PTR(data);
        p.idx_len = len;
        *ret = p;
        return 0;
}

static bool pack_find(const pack_t *p, const oid_t *o, uint64_t *ret_off)
{
        uint32_t lo = o->b[0] ? be32(p->fanout + (o->b[0] - 1) * 4) : 0;
        uint32_t hi = be32(p->fanout + o->b[0] * 4);

        if (hi > p->n)
                return false;
        while (lo < hi) {
                uint32_t mid = lo + (hi - lo) / 2;
                int c = memcmp(p->oids + (size_t)mid * OID_LEN, o->b, OID_LEN);
                if (c == 0) {
                        uint32_t off = be32(p->off32 + (size_t)mid * 4);
                        if (off & 0x80000000u) {
                                size_t k = off & 0x7fffffffu;
                                if (k >= p->n64)
                                        return false;
                                *ret_off = be64(p->off64 + k * 8);
                        } else
                                *ret_off = off;
                        return *ret_off < p->size;
                }
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return false;
}

/* ---------------------------------------------------------------- cache */

static const centry_t *cache_get(odb_t *db, size_t pack, uint64_t off)
{
        for (size_t i = 0; i < CACHE_SLOTS; i++) {
                centry_t *c = &db->cache[i];
                if (c->pack == pack + 1 && c->off == off) {
                        c->tick = ++db->tick;
                        return c;
                }
        }
        return NULL;
}

static void cache_put(odb_t *db, size_t pack, uint64_t off, int type, const uint8_t *data,
                      size_t len)
{
        centry_t *victim = NULL;

        if (len > CACHE_MAX_OBJ)
                return;
        while (db->cache_bytes + len > CACHE_MAX_BYTES || !victim) {
                centry_t *oldest = NULL;
                for (size_t i = 0; i < CACHE_SLOTS; i++) {
                        centry_t *c = &db->cache[i];
                        if (!c->pack) {
                                if (!victim)
                                        victim = c;
                                continue;
                        }
                        if (!oldest || c->tick < oldest->tick)
                                oldest = c;
                }
                if (victim && db->cache_bytes + len <= CACHE_MAX_BYTES)
                        break;
                if (!oldest)
                        return;
                db->cache_bytes -= oldest->len;
                free(oldest->data);
                *oldest = (centry_t){ 0 };
                victim = oldest;
        }
        victim->data = malloc(len + 1);
        if (!victim->data)
                return;
        memcpy(victim->data, data, len);
        victim->data[len] = 0;
        victim->pack = pack + 1;
        victim->off = off;
        victim->type = type;
        victim->len = len;
        victim->tick = ++db->tick;
        db->cache_bytes += len;
}

/* -------------------------------------------------------------- objects */

static int apply_delta(const uint8_t *base, size_t blen, const uint8_t *d, size_t dlen,
                       uint64_t cap, uint8_t **ret, size_t *ret_len)
{
        const uint8_t *end = d + dlen;
        uint64_t src = 0, tgt = 0;
        unsigned shift = 0;
        uint8_t *out;
        size_t o = 0;

        do {
                if (d >= end || shift > 63)
                        return -EBADMSG;
                src |= (uint64_t)(*d & 0x7f) << shift;
                shift += 7;
        } while (*d++ & 0x80);
        shift = 0;
        do {
                if (d >= end || shift > 63)
                        return -EBADMSG;
                tgt |= (uint64_t)(*d & 0x7f) << shift;
                shift += 7;
        } while (*d++ & 0x80);
        if (src != blen)
                return -EBADMSG;
        if (tgt > cap)
                return -EFBIG;
        out = malloc((size_t)tgt + 1);
        if (!out)
                return -ENOMEM;
        while (d < end) {
                uint8_t op = *d++;
                if (op & 0x80) {
                        uint64_t off = 0, size = 0;
                        for (unsigned i = 0; i < 4; i++)
                                if (op & (1u << i)) {
                                        if (d >= end)
                                                goto bad;
                                        off |= (uint64_t)*d++ << (8 * i);
                                }
                        for (unsigned i = 0; i < 3; i++)
                                if (op & (0x10u << i)) {
                                        if (d >= end)
                                                goto bad;
                                        size |= (uint64_t)*d++ << (8 * i);
                                }
                        if (!size)
                                size = 0x10000;
                        if (off + size > blen || o + size > tgt)
                                goto bad;
                        memcpy(out + o, base + off, (size_t)size);
                        o += (size_t)size;
                } else if (op) {
                        if ((size_t)(end - d) < op || o + op > tgt)
                                goto bad;
                        memcpy(out + o, d, op);
                        d += op;
                        o += op;
                } else
                        goto bad;
        }
        if (o != tgt)
                goto bad;
        out[o] = 0;
        *ret = out;
        *ret_len = o;
        return 0;
bad:
        free(out);
        return -EBADMSG;
}

static int odb_read(odb_t *db, const oid_t *o, uint64_t cap, unsigned depth, int *ret_type,
                    uint8_t **ret, size_t *ret_len);

/* The object at OFF in pack PI. */
static int pack_object(odb_t *db, size_t pi, uint64_t off, uint64_t cap, unsigned depth,
                       int *ret_type, uint8_t **ret, size_t *ret_len)
{
        pack_t *p = &db->packs[pi];
        const centry_t *c;
        uint8_t h[64], *delta = NULL, *base = NULL, *out = NULL;
        size_t i = 1, blen = 0, olen = 0;
        uint64_t size, base_off = 0;
        unsigned shift = 4;
        int type, btype = 0, r;
        ssize_t n;
        oid_t base_oid;

        if (depth > MAX_DELTA_DEPTH)
                return -ELOOP;
        if ((c = cache_get(db, pi, off))) {
                if (c->len > cap)
                        return -EFBIG;
                out = malloc(c->len + 1);
                if (!out)
                        return -ENOMEM;
                memcpy(out, c->data, c->len + 1);
                *ret_type = c->type;
                *ret = out;
                *ret_len = c->len;
                return 0;
        }
        n = pack_read(p, off, h, sizeof(h));
        if (n < 2)
                return -EBADMSG;
        type = (h[0] >> 4) & 7;
        size = h[0] & 15;
        if (h[0] & 0x80) {
                do {
                        if (i >= (size_t)n || shift > 60)
                                return -EBADMSG;
                        size |= (uint64_t)(h[i] & 0x7f) << shift;
                        shift += 7;
                } while (h[i++] & 0x80);
        }
        switch (type) {
        case OBJ_COMMIT:
        case OBJ_TREE:
        case OBJ_BLOB:
        case OBJ_TAG:
                if (size > cap)
                        return -EFBIG;
                r = inflate_exact(pack_read, p, off + i, (size_t)size, &out);
                if (r < 0)
                        return r;
                olen = (size_t)size;
                break;
        case OBJ_OFS_DELTA: {
                uint64_t rel;
                if (i >= (size_t)n)
                        return -EBADMSG;
                rel = h[i] & 0x7f;
                while (h[i++] & 0x80) {
                        if (i >= (size_t)n || rel > (UINT64_MAX >> 8))
                                return -EBADMSG;
                        rel = ((rel + 1) << 7) | (h[i] & 0x7f);
                }
                if (rel == 0 || rel > off)
                        return -EBADMSG;
                base_off = off - rel;
                break;
        }
        case OBJ_REF_DELTA:
                if (i + OID_LEN > (size_t)n)
                        return -EBADMSG;
                memcpy(base_oid.b, h + i, OID_LEN);
                i += OID_LEN;
                break;
        default:
                return -EBADMSG;
        }
        if (type == OBJ_OFS_DELTA || type == OBJ_REF_DELTA) {
                /* A delta is at most about as big as its result plus the
                 * copy instructions; cap it apart. */
                if (size > cap + cap / 2 + 4096)
                        return -EFBIG;
                r = inflate_exact(pack_read, p, off + i, (size_t)size, &delta);
                if (r < 0)
                        return r;
                if (type == OBJ_OFS_DELTA)
                        r = pack_object(db, pi, base_off,
                                        MAX_META_OBJECT > cap ? MAX_META_OBJECT : cap, depth + 1,
                                        &btype, &base, &blen);
                else
                        r = odb_read(db, &base_oid, MAX_META_OBJECT > cap ? MAX_META_OBJECT : cap,
                                     depth + 1, &btype, &base, &blen);
                if (r == 0)
                        r = apply_delta(base, blen, delta, (size_t)size, cap, &out, &olen);
                free(delta);
                free(base);
                if (r < 0)
                        return r;
                type = btype;
        }
        if (type < OBJ_COMMIT || type > OBJ_TAG) {
                free(out);
                return -EBADMSG;
        }
        cache_put(db, pi, off, type, out, olen);
        *ret_type = type;
        *ret = out;
        *ret_len = olen;
        return 0;
}

/* A loose object: objects/xx/yyyy..., zlib of "TYPE SIZE\0DATA". */
static int loose_object(odb_t *db, const oid_t *o, uint64_t cap, int *ret_type, uint8_t **ret,
                        size_t *ret_len)
{
        _cleanup_free_ char *data = NULL;
        char hex[OID_HEX], name[OID_HEX + 1];
        uint8_t head[64], *full = NULL;
        struct membuf m;
        z_stream z = { 0 };
        size_t len, hl;
        uint64_t size = 0;
        const char *sp;
        int type, fd, r, zr;

        if (db->objects_fd < 0)
                return -ENOENT;
        oid_hex(o, hex);
        snprintf(name, sizeof(name), "%.2s/%s", hex, hex + 2);
        fd = rootfs_openat_dir(db->root, db->objects_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
        if (fd < 0)
                return fd;
        /* Compressed data of incompressible content is slightly bigger. */
        r = rootfs_read_fd(fd, (size_t)(cap + cap / 16 + 64 * KiB), &data, &len);
        close(fd);
        if (r < 0)
                return r;
        /* Inflate just the header first. */
        if (inflateInit(&z) != Z_OK)
                return -ENOMEM;
        z.next_in = (Bytef *)data;
        z.avail_in = (uInt)len;
        z.next_out = head;
        z.avail_out = sizeof(head) - 1;
        zr = inflate(&z, Z_SYNC_FLUSH);
        hl = sizeof(head) - 1 - z.avail_out;
        inflateEnd(&z);
        if ((zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR) || !hl)
                return -EBADMSG;
        head[hl] = 0;
        sp = memchr(head, ' ', hl);
        if (!sp)
                return -EBADMSG;
        if (strncmp((char *)head, "blob ", 5) == 0)
                type = OBJ_BLOB;
        else if (strncmp((char *)head, "tree ", 5) == 0)
                type = OBJ_TREE;
        else if (strncmp((char *)head, "commit ", 7) == 0)
                type = OBJ_COMMIT;
        else if (strncmp((char *)head, "tag ", 4) == 0)
                type = OBJ_TAG;
        else
                return -EBADMSG;
        for (sp++; *sp >= '0' && *sp <= '9'; sp++) {
                if (size > (UINT64_MAX - 9) / 10)
                        return -EBADMSG;
                size = size * 10 + (uint64_t)(*sp - '0');
        }
        if (*sp != 0 || (size_t)((const uint8_t *)sp - head) >= hl)
                return -EBADMSG;
        if (size > cap)
                return -EFBIG;
        /* Now all of it: header, NUL, content. */
        hl = (size_t)((const uint8_t *)sp - head) + 1;
        m = (struct membuf){ (const uint8_t *)data, len };
        r = inflate_exact(mem_read, &m, 0, hl + (size_t)size, &full);
        if (r < 0)
                return r;
        memmove(full, full + hl, (size_t)size + 1);
        *ret_type = type;
        *ret = full;
        *ret_len = (size_t)size;
        return 0;
}

static int odb_read(odb_t *db, const oid_t *o, uint64_t cap, unsigned depth, int *ret_type,
                    uint8_t **ret, size_t *ret_len)
{
        uint64_t off;
        int r;

        if (depth > MAX_DELTA_DEPTH)
                return -ELOOP;
        for (size_t i = 0; i < db->n_packs; i++)
                if (pack_find(&db->packs[i], o, &off))
                        return pack_object(db, i, off, cap, depth, ret_type, ret, ret_len);
        r = loose_object(db, o, cap, ret_type, ret, ret_len);
        return r == -ELOOP ? -EBADMSG : r;
}

static void odb_close(odb_t *db)
{
        for (size_t i = 0; i < db->n_packs; i++) {
                close(db->packs[i].fd);
                free(db->packs[i].idx);
        }
        free(db->packs);
        for (size_t i = 0; i < CACHE_SLOTS; i++)
                free(db->cache[i].data);
        if (db->objects_fd >= 0)
                close(db->objects_fd);
}

static int cmp_name(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static int odb_open(odb_t *db, const rootfs_t *root, const char *gitdir, secrets_git_stats_t *stats)
{
        _cleanup_free_ char *objects = str_printf("%s/objects", gitdir);
        _cleanup_(strv_clear) strv_t idx = { 0 };
        struct dirent *de;
        DIR *d;
        int pfd, r = 0;

        memset(db, 0, sizeof(*db));
        db->root = root;
        db->stats = stats;
        db->objects_fd = -1;
        if (!objects)
                return -ENOMEM;
        db->objects_fd = rootfs_openat(root, objects, O_RDONLY | O_DIRECTORY);
        if (db->objects_fd < 0)
                return db->objects_fd;
        pfd = rootfs_openat_dir(root, db->objects_fd, "pack", O_RDONLY | O_DIRECTORY);
        if (pfd < 0)
                return 0; /* only loose objects */
        d = fdopendir(pfd);
        if (!d) {
                close(pfd);
                return -errno;
        }
        while ((de = readdir(d))) {
                size_t n = strlen(de->d_name);
                if (n > 4 && strcmp(de->d_name + n - 4, ".idx") == 0 && idx.n < MAX_PACKS &&
                    (r = strv_push(&idx, de->d_name)) < 0)
                        break;
        }
        if (!r && idx.n) {
                qsort(idx.v, idx.n, sizeof(char *), cmp_name);
                db->packs = calloc(idx.n, sizeof(*db->packs));
                if (!db->packs)
                        r = -ENOMEM;
        }
        for (size_t i = 0; !r && i < idx.n; i++) {
                int pr = pack_open(db, dirfd(d), idx.v[i], &db->packs[db->n_packs]);
                if (pr == -ENOMEM)
                        r = pr;
                else if (pr == 0)
                        db->n_packs++;
                else
                        db->stats->objects_corrupt++;
        }
        closedir(d);
        return r;
}

/* ---------------------------------------------------------------- refs */

struct walker {
        const rootfs_t *root;
        const char *gitdir;
        const secrets_git_opts_t *opts;
        secrets_git_blob_fn fn;
        void *userdata;
        secrets_git_stats_t *stats;
        odb_t db;
        oidset_t seen_commits, seen_blobs;
        oid_t *queue;
        size_t qhead, qlen, qcap;
        int64_t deadline;
        char commit_hex[OID_HEX];
        buf_t path;
        int err;
};

static int queue_push(struct walker *w, const oid_t *o)
{
        int r = oidset_add(&w->seen_commits, o);

        if (r <= 0)
                return r;
        if (w->qlen == w->qcap) {
                size_t cap = w->qcap ? w->qcap * 2 : 256;
                oid_t *q = realloc(w->queue, cap * sizeof(*q));
                if (!q)
                        return -ENOMEM;
                w->queue = q;
                w->qcap = cap;
        }
        w->queue[w->qlen++] = *o;
        return 0;
}

/* Every 40-hex word that starts a line or follows a space in DATA: loose
 * refs, packed-refs ("^" peeled lines too) and reflogs ("old new ..."). */
static int refs_from_text(struct walker *w, const char *data, size_t len, bool reflog)
{
        const char *p = data, *end = data + len;
        size_t added = 0;
        int r;

        while (p < end && added < MAX_REFS) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
                oid_t o;

                if (n && p[0] == '^') {
                        p++;
                        n--;
                }
                if (oid_parse(p, n, &o)) {
                        if ((r = queue_push(w, &o)) < 0)
                                return r;
                        added++;
                }
                if (reflog && n >= 81 && p[40] == ' ' && oid_parse(p + 41, n - 41, &o)) {
                        if ((r = queue_push(w, &o)) < 0)
                                return r;
                        added++;
                }
                p = nl ? nl + 1 : end;
        }
        return 0;
}

static int ref_file_cb(const walk_entry_t *e, void *userdata)
{
        struct walker *w = userdata;
        _cleanup_free_ char *data = NULL;
        size_t len;
        int fd, r;

        if (!S_ISREG(e->st->st_mode))
                return WALK_CONTINUE;
        fd = openat(e->dirfd, e->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return WALK_CONTINUE;
        r = rootfs_read_fd(fd, MAX_REF_FILE, &data, &len);
        close(fd);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return WALK_CONTINUE;
        r = refs_from_text(w, data, len, strstr(e->path, "/logs/") != NULL);
        return r < 0 ? r : WALK_CONTINUE;
}

static int collect_refs(struct walker *w)
{
        static const char *const files[] = { "HEAD", "ORIG_HEAD", "FETCH_HEAD", "packed-refs" };
        walk_opts_t wo = { .max_depth = 32, .max_entries = MAX_REFS };
        int r;

        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                _cleanup_free_ char *p = str_printf("%s/%s", w->gitdir, files[i]), *data = NULL;
                size_t len;
                if (!p)
                        return -ENOMEM;
                r = rootfs_read_file(w->root, p, MAX_REF_FILE, &data, &len);
                if (r == -ENOMEM)
                        return r;
                if (r == 0 && (r = refs_from_text(w, data, len, false)) < 0)
                        return r;
        }
        for (size_t i = 0; i < 2; i++) {
                _cleanup_free_ char *p = str_printf("%s/%s", w->gitdir, i ? "logs" : "refs");
                if (!p)
                        return -ENOMEM;
                r = walk_tree(w->root, p, &wo, ref_file_cb, w, NULL);
                if (r < 0 && r != -ENOENT && r != -ENOTDIR)
                        return r;
        }
        return 0;
}

/* ---------------------------------------------------------------- trees */

typedef struct tentry {
        unsigned mode;
        const char *name;
        size_t nlen;
        const uint8_t *oid;
} tentry_t;

/* The next entry of a tree object; false at the end or on bad data. */
static bool tree_next(const uint8_t **pp, const uint8_t *end, tentry_t *e)
{
        const uint8_t *p = *pp, *sp, *nul;
        unsigned mode = 0;

        if (p >= end)
                return false;
        sp = memchr(p, ' ', (size_t)(end - p));
        if (!sp || sp == p || sp - p > 7)
                return false;
        for (; p < sp; p++) {
                if (*p < '0' || *p > '7')
                        return false;
                mode = mode * 8 + (unsigned)(*p - '0');
        }
        nul = memchr(sp + 1, 0, (size_t)(end - sp - 1));
        if (!nul || nul == sp + 1 || (size_t)(end - nul - 1) < OID_LEN)
                return false;
        e->mode = mode;
        e->name = (const char *)sp + 1;
        e->nlen = (size_t)(nul - sp - 1);
        e->oid = nul + 1;
        *pp = nul + 1 + OID_LEN;
        return true;
}

static bool is_tree(unsigned mode)
{
        return (mode & 0170000) == 0040000;
}

static bool is_file(unsigned mode)
{
        return (mode & 0170000) == 0100000;
}

/* git orders tree entries by name, a directory's name compared as if it
 * ended in '/'. */
static int tentry_cmp(const tentry_t *a, const tentry_t *b)
{
        size_t n = a->nlen < b->nlen ? a->nlen : b->nlen;
        int c = memcmp(a->name, b->name, n);
        unsigned ca, cb;

        if (c)
                return c;
        ca = a->nlen > n ? (unsigned char)a->name[n] : is_tree(a->mode) ? '/' : 0;
        cb = b->nlen > n ? (unsigned char)b->name[n] : is_tree(b->mode) ? '/' : 0;
        return (int)ca - (int)cb;
}

static bool past_deadline(struct walker *w)
{
        if (w->stats->truncated)
                return true;
        if (timeutil_mono_us() > w->deadline) {
                w->stats->truncated = true;
                w->stats->truncated_by = "time";
                return true;
        }
        return false;
}

static int read_typed(struct walker *w, const uint8_t *oidb, int want, uint64_t cap, uint8_t **ret,
                      size_t *ret_len)
{
        oid_t o;
        int type, r;

        memcpy(o.b, oidb, OID_LEN);
        r = odb_read(&w->db, &o, cap, 0, &type, ret, ret_len);
        if (r == -ENOENT) {
                w->stats->objects_missing++;
                return r;
        }
        if (r == -EBADMSG || r == -ELOOP) {
                w->stats->objects_corrupt++;
                return r;
        }
        if (r < 0)
                return r;
        if (type != want) {
                free(*ret);
                w->stats->objects_corrupt++;
                return -EBADMSG;
        }
        return 0;
}

static int blob_changed(struct walker *w, const uint8_t *oidb)
{
        _cleanup_free_ uint8_t *data = NULL;
        char hex[OID_HEX];
        secrets_git_blob_t b;
        size_t len;
        oid_t o;
        int r;

        memcpy(o.b, oidb, OID_LEN);
        r = oidset_add(&w->seen_blobs, &o);
        if (r <= 0)
                return r;
        if (w->stats->bytes >= w->opts->max_total_bytes) {
                w->stats->truncated = true;
                w->stats->truncated_by = "bytes";
                return 0;
        }
        r = read_typed(w, oidb, OBJ_BLOB, w->opts->max_blob_size, &data, &len);
        if (r == -EFBIG) {
                w->stats->blobs_too_large++;
                return 0;
        }
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return 0;
        if (memchr(data, 0, len < BINARY_PROBE ? len : BINARY_PROBE)) {
                w->stats->blobs_binary++;
                return 0;
        }
        w->stats->blobs_scanned++;
        w->stats->bytes += len;
        oid_hex(&o, hex);
        b = (secrets_git_blob_t){ w->commit_hex, w->path.data ? w->path.data : "", hex };
        return w->fn((const char *)data, len, &b, w->userdata);
}

/* Hand on every file in NEW that is not the same in OLD (NULL: an empty
 * tree). The path of the tree is in w->path. */
static int diff_trees(struct walker *w, const uint8_t *new_oid, const uint8_t *old_oid,
                      unsigned depth)
{
        _cleanup_free_ uint8_t *nt = NULL, *ot = NULL;
        const uint8_t *np, *nend, *op = NULL, *oend = NULL;
        size_t nlen, olen = 0, base = w->path.len;
        tentry_t oe = { 0 };
        bool have_old = false;
        int r;

        if (old_oid && memcmp(new_oid, old_oid, OID_LEN) == 0)
                return 0;
        if (depth > MAX_TREE_DEPTH || past_deadline(w))
                return 0;
        r = read_typed(w, new_oid, OBJ_TREE, MAX_META_OBJECT, &nt, &nlen);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return 0;
        w->stats->trees++;
        if (old_oid) {
                r = read_typed(w, old_oid, OBJ_TREE, MAX_META_OBJECT, &ot, &olen);
                if (r == -ENOMEM)
                        return r;
                if (r == 0) {
                        op = ot;
                        oend = ot + olen;
                        have_old = tree_next(&op, oend, &oe);
                }
        }
        np = nt;
        nend = nt + nlen;
        for (;;) {
                tentry_t ne;
                const tentry_t *match = NULL;

                if (!tree_next(&np, nend, &ne))
                        break;
                while (have_old && tentry_cmp(&oe, &ne) < 0)
                        have_old = tree_next(&op, oend, &oe);
                if (have_old && tentry_cmp(&oe, &ne) == 0)
                        match = &oe;
                if (!is_tree(ne.mode) && !is_file(ne.mode))
                        continue; /* symlinks and submodules */
                if (match && memcmp(match->oid, ne.oid, OID_LEN) == 0)
                        continue;
                w->path.len = base;
                if (w->path.data)
                        w->path.data[base] = 0;
                if ((base && buf_append(&w->path, "/", 1) < 0) ||
                    buf_append(&w->path, ne.name, ne.nlen) < 0)
                        continue; /* path over the cap */
                if (is_tree(ne.mode))
                        r = diff_trees(w, ne.oid, match && is_tree(match->mode) ? match->oid : NULL,
                                       depth + 1);
                else
                        r = blob_changed(w, ne.oid);
                if (r < 0)
                        return r;
                if (w->stats->truncated)
                        break;
        }
        w->path.len = base;
        if (w->path.data)
                w->path.data[base] = 0;
        return 0;
}

/* "tree X", "parent Y" and "object Z" headers of commits and tags. */
static bool header_oid(const uint8_t *data, size_t len, const char *key, size_t nth, oid_t *ret)
{
        const char *p = (const char *)data, *end = p + len;
        size_t klen = strlen(key), seen = 0;

        while (p < end && *p != '\n') {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
                if (n > klen && memcmp(p, key, klen) == 0 && p[klen] == ' ' &&
                    oid_parse(p + klen + 1, n - klen - 1, ret) && seen++ == nth)
                        return true;
                p = nl ? nl + 1 : end;
        }
        return false;
}

static int walk_commit(struct walker *w, const oid_t *o)
{
        _cleanup_free_ uint8_t *data = NULL, *pdata = NULL;
        oid_t tree, parent, ptree, target;
        bool have_ptree = false;
        size_t len, plen;
        int type, r;

        r = odb_read(&w->db, o, MAX_META_OBJECT, 0, &type, &data, &len);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                if (r == -ENOENT)
                        w->stats->objects_missing++;
                else
                        w->stats->objects_corrupt++;
                return 0;
        }
        if (type == OBJ_TAG) {
                if (header_oid(data, len, "object", 0, &target))
                        return queue_push(w, &target);
                return 0;
        }
        if (type != OBJ_COMMIT)
                return 0;
        if (w->stats->commits >= w->opts->max_commits) {
                w->stats->truncated = true;
                w->stats->truncated_by = "commits";
                return 0;
        }
        w->stats->commits++;
        if (!header_oid(data, len, "tree", 0, &tree)) {
                w->stats->objects_corrupt++;
                return 0;
        }
        for (size_t k = 0; header_oid(data, len, "parent", k, &parent); k++) {
                if ((r = queue_push(w, &parent)) < 0)
                        return r;
                if (k == 0) {
                        r = odb_read(&w->db, &parent, MAX_META_OBJECT, 0, &type, &pdata, &plen);
                        if (r == -ENOMEM)
                                return r;
                        if (r == 0 && type == OBJ_COMMIT &&
                            header_oid(pdata, plen, "tree", 0, &ptree))
                                have_ptree = true;
                }
        }
        oid_hex(o, w->commit_hex);
        buf_reset(&w->path);
        return diff_trees(w, tree.b, have_ptree ? ptree.b : NULL, 0);
}

static bool sha256_repo(const rootfs_t *root, const char *gitdir)
{
        _cleanup_free_ char *p = str_printf("%s/config", gitdir), *data = NULL;
        size_t len;
        char *s;

        if (!p || rootfs_read_file(root, p, 1 * MiB, &data, &len) < 0)
                return false;
        for (s = data; *s; s++)
                if (*s >= 'A' && *s <= 'Z')
                        *s = (char)(*s + 32);
        s = strstr(data, "objectformat");
        if (!s)
                return false;
        s += strlen("objectformat");
        while (*s == ' ' || *s == '\t' || *s == '=')
                s++;
        return strncmp(s, "sha256", 6) == 0;
}

int secrets_git_scan(const rootfs_t *root, const char *gitdir, const secrets_git_opts_t *opts,
                     secrets_git_blob_fn fn, void *userdata, secrets_git_stats_t *stats,
                     char **ret_problem)
{
        struct walker w = { .root = root,
                            .gitdir = gitdir,
                            .opts = opts,
                            .fn = fn,
                            .userdata = userdata,
                            .stats = stats };
        int r;

        *ret_problem = NULL;
        memset(stats, 0, sizeof(*stats));
        if (sha256_repo(root, gitdir)) {
                *ret_problem = strdup("SHA-256 repositories are not supported");
                return *ret_problem ? -ENOTSUP : -ENOMEM;
        }
        r = odb_open(&w.db, root, gitdir, stats);
        if (r < 0) {
                odb_close(&w.db);
                if (r == -ENOMEM)
                        return r;
                *ret_problem = str_printf("cannot open the object store: %s", strerror(-r));
                return *ret_problem ? -ENOTSUP : -ENOMEM;
        }
        buf_init(&w.path, MAX_PATH);
        w.deadline =
                timeutil_mono_us() + (int64_t)(opts->max_seconds ? opts->max_seconds : 1) * 1000000;
        r = collect_refs(&w);
        while (r == 0 && w.qhead < w.qlen && !past_deadline(&w)) {
                oid_t o = w.queue[w.qhead++];
                r = walk_commit(&w, &o);
        }
        buf_free(&w.path);
        free(w.queue);
        oidset_free(&w.seen_commits);
        oidset_free(&w.seen_blobs);
        odb_close(&w.db);
        return r;
}
