#include "detect/fim/fimtab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"

fimtab_entry_t *fimtab_entry_new(const char *path)
{
        size_t n = strlen(path);
        fimtab_entry_t *e;

        if (n > FIMTAB_PATH_MAX)
                return NULL;
        e = calloc(1, sizeof(*e));
        if (!e)
                return NULL;
        e->path = str_ndup(path, n);
        if (!e->path) {
                free(e);
                return NULL;
        }
        return e;
}

void fimtab_entry_free(fimtab_entry_t *e)
{
        if (!e)
                return;
        free(e->path);
        free(e->pkg);
        free(e->pkg_digest);
        free(e);
}

fimtab_entry_t *fimtab_entry_dup(const fimtab_entry_t *e)
{
        fimtab_entry_t *c = fimtab_entry_new(e->path);

        if (!c)
                return NULL;
        {
                char *path = c->path;
                *c = *e;
                c->path = path;
                c->pkg = NULL;
                c->pkg_digest = NULL;
        }
        if (fimtab_entry_set_pkg(c, e->pkg, e->pkg_digest) < 0) {
                fimtab_entry_free(c);
                return NULL;
        }
        return c;
}

int fimtab_entry_set_pkg(fimtab_entry_t *e, const char *pkg, const char *pkg_digest)
{
        char *p = NULL, *d = NULL;

        if ((pkg && !(p = strdup(pkg))) || (pkg_digest && !(d = strdup(pkg_digest)))) {
                free(p);
                return -ENOMEM;
        }
        free(e->pkg);
        free(e->pkg_digest);
        e->pkg = p;
        e->pkg_digest = d;
        return 0;
}

void fimtab_entry_set_stat(fimtab_entry_t *e, const struct stat *st)
{
        e->mode = (uint32_t)st->st_mode;
        e->uid = (uint32_t)st->st_uid;
        e->gid = (uint32_t)st->st_gid;
        e->size = (uint64_t)st->st_size;
        e->ino = (uint64_t)st->st_ino;
        e->dev = (uint64_t)st->st_dev;
        e->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
        e->ctime_ns = (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
}

unsigned fimtab_entry_diff(const fimtab_entry_t *a, const fimtab_entry_t *b)
{
        unsigned d = 0;

        if ((a->mode & S_IFMT) != (b->mode & S_IFMT))
                d |= FIMTAB_DIFF_TYPE;
        if ((a->mode & 07777) != (b->mode & 07777))
                d |= FIMTAB_DIFF_MODE;
        if (a->uid != b->uid)
                d |= FIMTAB_DIFF_UID;
        if (a->gid != b->gid)
                d |= FIMTAB_DIFF_GID;
        /* A directory's size and times follow its content; its own identity
         * is its type, mode and owner. */
        if (S_ISDIR(a->mode) && S_ISDIR(b->mode))
                return d;
        if (a->size != b->size)
                d |= FIMTAB_DIFF_SIZE;
        if (a->mtime_ns != b->mtime_ns)
                d |= FIMTAB_DIFF_MTIME;
        if (a->ctime_ns != b->ctime_ns)
                d |= FIMTAB_DIFF_CTIME;
        if (a->ino != b->ino)
                d |= FIMTAB_DIFF_INODE;
        if (a->dev != b->dev)
                d |= FIMTAB_DIFF_DEV;
        return d;
}

unsigned fimtab_stat_diff(const fimtab_entry_t *e, const struct stat *st)
{
        fimtab_entry_t now = { 0 };

        fimtab_entry_set_stat(&now, st);
        return fimtab_entry_diff(e, &now);
}

bool fimtab_can_skip(const fimtab_entry_t *e, const struct stat *st, int64_t now)
{
        if (fimtab_stat_diff(e, st) != 0)
                return false;
        if (!S_ISREG(st->st_mode) && !S_ISLNK(st->st_mode))
                return true;
        if (!e->has_sha256)
                return false;
        return e->rehash_at == 0 || now < e->rehash_at;
}

int64_t fimtab_rehash_time(const char *path, int64_t now, int64_t interval, bool first)
{
        if (interval <= 0)
                return 0;
        if (first)
                return now + 1 + (int64_t)(hash_fnv1a(path, strlen(path)) % (uint64_t)interval);
        return now + interval;
}

/* Tables grow at 50% load so probe chains stay short. */
static size_t slot_of(const fimtab_t *t, const char *path)
{
        return (size_t)hash_fnv1a(path, strlen(path)) & (t->cap - 1);
}

fimtab_entry_t *fimtab_get(const fimtab_t *t, const char *path)
{
        if (!t->cap)
                return NULL;
        for (size_t i = slot_of(t, path);; i = (i + 1) & (t->cap - 1)) {
                fimtab_entry_t *e = t->slots[i];
                if (!e)
                        return NULL;
                if (strcmp(e->path, path) == 0)
                        return e;
        }
}

static int grow(fimtab_t *t)
{
        size_t cap = t->cap ? t->cap * 2 : 64;
        fimtab_entry_t **old = t->slots;
        size_t old_cap = t->cap;

        if (cap < t->cap)
                return -ENOMEM;
        t->slots = calloc(cap, sizeof(*t->slots));
        if (!t->slots) {
                t->slots = old;
                return -ENOMEM;
        }
        t->cap = cap;
        for (size_t i = 0; i < old_cap; i++) {
                fimtab_entry_t *e = old[i];
                size_t j;
                if (!e)
                        continue;
                for (j = slot_of(t, e->path); t->slots[j]; j = (j + 1) & (cap - 1))
                        ;
                t->slots[j] = e;
        }
        free(old);
        return 0;
}

int fimtab_put(fimtab_t *t, fimtab_entry_t *e)
{
        size_t i;

        if ((t->n + 1) * 2 > t->cap && grow(t) < 0) {
                fimtab_entry_free(e);
                return -ENOMEM;
        }
        for (i = slot_of(t, e->path); t->slots[i]; i = (i + 1) & (t->cap - 1))
                if (strcmp(t->slots[i]->path, e->path) == 0) {
                        fimtab_entry_free(t->slots[i]);
                        t->slots[i] = e;
                        return 0;
                }
        t->slots[i] = e;
        t->n++;
        return 0;
}

fimtab_entry_t *fimtab_take(fimtab_t *t, const char *path)
{
        fimtab_entry_t *found;
        size_t i, j, mask = t->cap - 1;

        if (!t->cap)
                return NULL;
        for (i = slot_of(t, path);; i = (i + 1) & mask) {
                if (!t->slots[i])
                        return NULL;
                if (strcmp(t->slots[i]->path, path) == 0)
                        break;
        }
        found = t->slots[i];
        t->slots[i] = NULL;
        t->n--;
        /* Backward shift: move later members of the chain into the hole
         * when their home slot does not lie cyclically in (hole, j]. */
        for (j = (i + 1) & mask; t->slots[j]; j = (j + 1) & mask) {
                size_t home = slot_of(t, t->slots[j]->path);
                bool in_range = i <= j ? (home > i && home <= j) : (home > i || home <= j);
                if (in_range)
                        continue;
                t->slots[i] = t->slots[j];
                t->slots[j] = NULL;
                i = j;
        }
        return found;
}

bool fimtab_remove(fimtab_t *t, const char *path)
{
        fimtab_entry_t *e = fimtab_take(t, path);

        fimtab_entry_free(e);
        return e != NULL;
}

void fimtab_clear(fimtab_t *t)
{
        for (size_t i = 0; i < t->cap; i++)
                fimtab_entry_free(t->slots[i]);
        free(t->slots);
        t->slots = NULL;
        t->cap = 0;
        t->n = 0;
}
