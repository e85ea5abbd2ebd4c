/* Walk-only cost: core/walk.h over a tree with the options the secret
 * scanner uses, counting regular files, without opening them; for the
 * comparison with "rg --files". Built by bench/secrets/run.sh. */
#include <stdio.h>
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
        walk_opts_t o = { .skip_pseudo = true };
        unsigned long files = 0;

        if (argc != 2 || rootfs_open("/", &root) < 0) {
                fprintf(stderr, "usage: walk_bench DIR\n");
                return 2;
        }
        if (walk_tree(root, argv[1], &o, count, &files, NULL) < 0)
                return 1;
        printf("%lu\n", files);
        rootfs_free(root);
        return 0;
}
