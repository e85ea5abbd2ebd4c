#include "core/walk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"

/* Paths inside a scanned tree are capped; deeper paths are counted as errors. */
#define WALK_PATH_MAX (16 * KiB)
/* Deepest directory level entered whatever the options say. */
#define WALK_DEPTH_HARD_MAX 256

/* A directory being walked, as fstat of its open descriptor saw it. */
struct dir_id {
        dev_t dev;
        ino_t ino;
};

/* Invariant: ANCESTORS[0..DEPTH] are the directories from the start
 * directory down to the one being listed, DEPTH < WALK_DEPTH_HARD_MAX. */
struct walker {
        const rootfs_t *root;
        const walk_opts_t *opts;
        walk_fn fn;
        void *userdata;
        walk_stats_t *stats;
        dev_t start_dev;
        buf_t path;
        struct dir_id ancestors[WALK_DEPTH_HARD_MAX + 1];
};

static bool is_pseudo(const char *path)
{
        static const char *const skip[] = { "/proc", "/sys", "/dev", "/run" };
        for (size_t i = 0; i < ELEMENTSOF(skip); i++)
                if (strcmp(path, skip[i]) == 0)
                        return true;
        return false;
}

static void report_error(struct walker *w, const char *path, int err)
{
        w->stats->errors++;
        if (w->opts->on_error)
                w->opts->on_error(path, err, w->userdata);
}

/* True when ST is one of the directories above depth DEPTH + 1: entering
 * it again would walk the same tree over and over. Without symlinks this
 * only happens through bind mounts, but those any root process may make. */
static bool is_ancestor(const struct walker *w, unsigned depth, const struct stat *st)
{
        for (unsigned i = 0; i <= depth; i++)
                if (w->ancestors[i].dev == st->st_dev && w->ancestors[i].ino == st->st_ino)
                        return true;
        return false;
}

/* Fill ST for DE from the directory listing alone when the options allow
 * it and the listing names a type that needs no stat. Returns true when ST
 * was filled that way. */
static bool type_from_listing(const struct walker *w, const struct dirent *de, struct stat *st)
{
        if (!w->opts->trust_dtype)
                return false;
        /* The device of a directory must be known before it is opened when
         * the walk stays on one filesystem: opening a mount point of
         * another one may mount it (autofs) or hang (a dead NFS server). */
        if (de->d_type == DT_DIR && w->opts->one_filesystem)
                return false;
        if (de->d_type != DT_REG && de->d_type != DT_DIR)
                return false;
        memset(st, 0, sizeof(*st));
        st->st_mode = de->d_type == DT_REG ? S_IFREG : S_IFDIR;
        st->st_ino = de->d_ino;
        return true;
}

static int walk_dir(struct walker *w, int dfd, unsigned depth)
{
        DIR *d = fdopendir(dfd);
        struct dirent *de;
        size_t base_len = w->path.len;
        int ret = 0;

        if (!d) {
                int err = -errno;
                close(dfd);
                report_error(w, w->path.data, err);
                return 0;
        }
        for (;;) {
                struct stat st;
                walk_entry_t e;
                bool type_only;
                int r;

                errno = 0;
                de = readdir(d);
                if (!de) {
                        if (errno)
                                report_error(w, w->path.data, -errno);
                        break;
                }
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (w->opts->max_entries && w->stats->entries >= w->opts->max_entries) {
                        w->stats->truncated = true;
                        ret = WALK_STOP;
                        break;
                }
                w->path.len = base_len;
                if ((base_len > 1 && buf_append(&w->path, "/", 1) < 0) ||
                    buf_append_str(&w->path, de->d_name) < 0) {
                        w->path.len = base_len;
                        w->path.data[base_len] = 0;
                        report_error(w, w->path.data, -ENAMETOOLONG);
                        continue;
                }
                type_only = type_from_listing(w, de, &st);
                if (!type_only && fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        /* Vanished between readdir and stat: count, go on. */
                        report_error(w, w->path.data, -errno);
                        continue;
                }
                w->stats->entries++;
                e = (walk_entry_t){ .dirfd = dirfd(d),
                                    .name = de->d_name,
                                    .path = w->path.data,
                                    .st = &st,
                                    .depth = depth,
                                    .type_only = type_only };
                r = w->fn(&e, w->userdata);
                if (r < 0 || r == WALK_STOP) {
                        ret = r;
                        break;
                }
                if (!S_ISDIR(st.st_mode) || r == WALK_SKIP)
                        continue;
                if (w->opts->max_depth && depth + 1 >= w->opts->max_depth)
                        continue;
                if (depth + 1 >= WALK_DEPTH_HARD_MAX) {
                        /* Each level holds a descriptor; a deeper tree is
                         * more likely a trap than data. */
                        report_error(w, w->path.data, -ELOOP);
                        continue;
                }
                if (w->opts->one_filesystem && st.st_dev != w->start_dev)
                        continue;
                if (w->opts->skip_pseudo && w->root->is_host && is_pseudo(w->path.data))
                        continue;
                {
                        int cfd = openat(dirfd(d), de->d_name,
                                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        struct stat cst;
                        if (cfd < 0) {
                                /* An entry the listing called a directory
                                 * but that is a symlink or a file now was
                                 * swapped after the listing. */
                                int err = -errno;
                                if (type_only && (err == -ELOOP || err == -ENOTDIR))
                                        err = -ESTALE;
                                report_error(w, w->path.data, err);
                                continue;
                        }
                        /* The directory may have been swapped for another
                         * after the stat; only descend into what was seen.
                         * An entry that was not stat'ed has nothing to
                         * compare with (the listing's inode number is the
                         * covered directory's for a mount point), but
                         * O_NOFOLLOW | O_DIRECTORY still kept the open to
                         * a directory beneath this one. */
                        if (fstat(cfd, &cst) < 0 ||
                            (!type_only && (cst.st_ino != st.st_ino || cst.st_dev != st.st_dev))) {
                                close(cfd);
                                report_error(w, w->path.data, -ESTALE);
                                continue;
                        }
                        if (is_ancestor(w, depth, &cst)) {
                                close(cfd);
                                report_error(w, w->path.data, -ELOOP);
                                continue;
                        }
                        w->ancestors[depth + 1] = (struct dir_id){ cst.st_dev, cst.st_ino };
                        w->stats->dirs++;
                        r = walk_dir(w, cfd, depth + 1);
                        if (r < 0 || r == WALK_STOP) {
                                ret = r;
                                break;
                        }
                }
        }
        closedir(d);
        w->path.len = base_len;
        if (w->path.data)
                w->path.data[base_len] = 0;
        return ret;
}

int walk_tree(const rootfs_t *r, const char *start, const walk_opts_t *opts, walk_fn fn,
              void *userdata, walk_stats_t *stats)
{
        walk_opts_t defaults = { 0 };
        walk_stats_t local = { 0 };
        struct walker w;
        struct stat st;
        int dfd, ret;

        if (!opts)
                opts = &defaults;
        if (!stats)
                stats = &local;
        memset(stats, 0, sizeof(*stats));
        dfd = rootfs_openat(r, start, O_RDONLY | O_DIRECTORY);
        if (dfd < 0)
                return dfd;
        if (fstat(dfd, &st) < 0) {
                ret = -errno;
                close(dfd);
                return ret;
        }
        w = (struct walker){ .root = r,
                             .opts = opts,
                             .fn = fn,
                             .userdata = userdata,
                             .stats = stats,
                             .start_dev = st.st_dev };
        w.ancestors[0] = (struct dir_id){ st.st_dev, st.st_ino };
        buf_init(&w.path, WALK_PATH_MAX);
        while (*start == '/')
                start++;
        if (buf_append(&w.path, "/", 1) < 0 || buf_append_str(&w.path, start) < 0) {
                close(dfd);
                buf_free(&w.path);
                return -ENAMETOOLONG;
        }
        /* Drop a trailing slash so joined paths have exactly one. */
        while (w.path.len > 1 && w.path.data[w.path.len - 1] == '/')
                w.path.data[--w.path.len] = 0;
        stats->dirs = 1;
        ret = walk_dir(&w, dfd, 0);
        buf_free(&w.path);
        return ret == WALK_STOP ? 0 : ret;
}
