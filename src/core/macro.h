/* Small helpers shared by every module: scope-bound cleanup, ownership
 * hand-off and array sizing. Nothing here allocates. */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f)   __attribute__((cleanup(f)))
#define _unused_       __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _warn_unused_  __attribute__((warn_unused_result))
#define ELEMENTSOF(x)  (sizeof(x) / sizeof((x)[0]))
#define STRLEN(s)      (sizeof(s) - 1)
#define MIN(a, b)      ((a) < (b) ? (a) : (b))
#define MAX(a, b)      ((a) > (b) ? (a) : (b))

/* Return the value of a pointer variable and set the variable to NULL, so a
 * cleanup attribute on it no longer frees what was handed over. */
#define TAKE_PTR(p)                                                                                \
        ({                                                                                         \
                __typeof__(p) _take_tmp = (p);                                                     \
                (p) = NULL;                                                                        \
                _take_tmp;                                                                         \
        })

#define TAKE_FD(fd)                                                                                \
        ({                                                                                         \
                int _take_fd = (fd);                                                               \
                (fd) = -1;                                                                         \
                _take_fd;                                                                          \
        })

static inline void freep(void *p)
{
        free(*(void **)p);
}

static inline void closep(int *fd)
{
        if (*fd >= 0)
                close(*fd);
}

static inline void fclosep(FILE **f)
{
        if (*f)
                fclose(*f);
}

#define _cleanup_free_   _cleanup_(freep)
#define _cleanup_close_  _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Size multipliers for caps, so a cap reads like its intent. */
#define KiB ((size_t)1024)
#define MiB (KiB * 1024)
#define GiB (MiB * 1024)
