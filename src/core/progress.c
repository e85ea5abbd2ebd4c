#include "core/progress.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/timeutil.h"

struct progress {
        bool enabled;
        bool drawn;
        int64_t last_us;
        pthread_mutex_t lock;
};

progress_t *progress_new(bool enabled)
{
        progress_t *p = calloc(1, sizeof(*p));

        if (!p)
                return NULL;
        p->enabled = enabled && isatty(STDERR_FILENO);
        pthread_mutex_init(&p->lock, NULL);
        return p;
}

void progress_free(progress_t *p)
{
        if (!p)
                return;
        progress_clear(p);
        pthread_mutex_destroy(&p->lock);
        free(p);
}

void progress_update(progress_t *p, const char *stage, size_t done, size_t total)
{
        int64_t now;

        if (!p || !p->enabled)
                return;
        now = timeutil_mono_us();
        pthread_mutex_lock(&p->lock);
        if (now - p->last_us >= 100000 || (total && done == total)) {
                p->last_us = now;
                if (total)
                        fprintf(stderr, "\r\033[K%s %zu/%zu", stage, done, total);
                else
                        fprintf(stderr, "\r\033[K%s", stage);
                fflush(stderr);
                p->drawn = true;
        }
        pthread_mutex_unlock(&p->lock);
}

void progress_clear(progress_t *p)
{
        if (!p || !p->enabled)
                return;
        pthread_mutex_lock(&p->lock);
        if (p->drawn) {
                fputs("\r\033[K", stderr);
                fflush(stderr);
                p->drawn = false;
        }
        pthread_mutex_unlock(&p->lock);
}
