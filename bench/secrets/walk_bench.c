/* Walk-only cost: core/walk.h over a tree with the options the secret
 * scanner uses (trust_dtype: regular files and directories known by the
 * directory listing's type, not stat'ed), counting regular files without
 * opening them; for the comparison with "rg --files". With --stat-all the
 * walker stats every entry, as its other callers do (the walker's default,
 * and what the scanner did before issue 4). Built by bench/secrets/run.sh.
 *
 *   walk_bench [--stat-all] DIR */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/rootfs.h"
#include "core/walk.h"

static int count(const walk_entry_t *e, void *userdata)
{
        if (S_ISREG(e->st->st_mode))
                (*(unsigned long *)userdata)++;
        return WALK_CONTINUE;
}

int main(int argc, char **argv)
{
        rootfs_t *root = NULL;
        walk_opts_t o = { .skip_pseudo = true, .trust_dtype = true };
        unsigned long files = 0;
        const char *dir;

        if (argc == 3 && strcmp(argv[1], "--stat-all") == 0) {
                o.trust_dtype = false;
                dir = argv[2];
        } else if (argc == 2)
                dir = argv[1];
        else {
                fprintf(stderr, "usage: walk_bench [--stat-all] DIR\n");
                return 2;
        }
        if (rootfs_open("/", &root) < 0) {
                fprintf(stderr, "walk_bench: cannot open /\n");
                return 1;
        }
        if (walk_tree(root, dir, &o, count, &files, NULL) < 0)
                return 1;
        printf("%lu\n", files);
        rootfs_free(root);
        return 0;
}
