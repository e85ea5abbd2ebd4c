#include "agent/curlfn.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/macro.h"
#include "core/text.h"

/* The process-wide outcome of curlfn_load, written once under
 * pthread_once and only read afterwards: LOAD_R is 0 when TABLE is usable,
 * else the negative errno, with LOAD_ERROR the message (NULL when even
 * that could not be allocated); LOADED tells curlfn_get, without taking
 * part in pthread_once, that TABLE is complete. */
static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static curlfn_t table;
static int load_r = -ENOMEM;
static char *load_error;
static bool loaded;

/* Each table member and the curl symbol it is resolved from: the member's
 * name with curl's prefix. */
#define FN(member)                                                                                 \
        {                                                                                          \
                offsetof(curlfn_t, member), "curl_" #member                                        \
        }
static const struct {
        size_t offset;
        const char *symbol;
} functions[] = {
        FN(global_init),  FN(version_info), FN(easy_init),     FN(easy_setopt),  FN(easy_perform),
        FN(easy_getinfo), FN(easy_cleanup), FN(easy_strerror), FN(slist_append), FN(slist_free_all),
        FN(url),          FN(url_set),      FN(url_get),       FN(url_cleanup),  FN(free),
};
#undef FN

/* Every member is a function pointer of its own type; the loop below
 * stores through this one, which has the same size and representation. */
typedef void (*any_fn_t)(void);
_Static_assert(sizeof(curlfn_t) == ELEMENTSOF(functions) * sizeof(any_fn_t),
               "every member of curlfn_t is resolved");

int curlfn_open(const char *soname, curlfn_t *ret, char **ret_error)
{
        curlfn_t t;
        const curl_version_info_data *v;
        const char *e;
        void *h;

        *ret_error = NULL;
        /* RTLD_NOW: a missing symbol of curl's own dependencies shows now,
         * not as a crash in the middle of a request. RTLD_LOCAL: curl's
         * symbols stay out of the global scope. */
        h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
                e = dlerror();
                *ret_error = str_printf("%s not found: install libcurl4 (%s)", soname,
                                        e ? e : "dlopen failed");
                return -ELIBACC;
        }
        for (size_t i = 0; i < ELEMENTSOF(functions); i++) {
                void *sym;
                any_fn_t fn;

                (void)dlerror();
                sym = dlsym(h, functions[i].symbol);
                if (!sym) {
                        *ret_error =
                                str_printf("%s has no %s: install libcurl4 %s or later", soname,
                                           functions[i].symbol, CURLFN_MIN_VERSION_STR);
                        dlclose(h);
                        return -ENOSYS;
                }
                /* POSIX guarantees that dlsym's object pointer converts to
                 * a function pointer; memcpy says so without a cast that
                 * -Wpedantic would flag. */
                memcpy(&fn, &sym, sizeof(fn));
                memcpy((char *)&t + functions[i].offset, &fn, sizeof(fn));
        }
        v = t.version_info(CURLVERSION_NOW);
        if (!v || v->version_num < CURLFN_MIN_VERSION) {
                *ret_error = str_printf("%s is libcurl %s: vigil needs %s or later", soname,
                                        v && v->version ? v->version : "of unknown version",
                                        CURLFN_MIN_VERSION_STR);
                dlclose(h);
                return -ENOSYS;
        }
        /* The handle is deliberately never closed: curl registers
         * thread-local and atexit state that must outlive every call. */
        *ret = t;
        return 0;
}

static void load(void)
{
        curlfn_t t;
        CURLcode cc;
        char *err = NULL;
        int r;

        r = curlfn_open(CURLFN_SONAME, &t, &err);
        if (r < 0) {
                load_r = r;
                load_error = err;
                return;
        }
        /* Once per process, serialised by pthread_once; curl 7.84 and later
         * also make this call thread-safe themselves. */
        cc = t.global_init(CURL_GLOBAL_DEFAULT);
        if (cc != CURLE_OK) {
                load_error = str_printf("%s: curl_global_init failed: %s", CURLFN_SONAME,
                                        t.easy_strerror(cc));
                load_r = -EIO;
                return;
        }
        table = t;
        load_r = 0;
        __atomic_store_n(&loaded, true, __ATOMIC_RELEASE);
}

int curlfn_load(char **ret_error)
{
        *ret_error = NULL;
        if (pthread_once(&load_once, load) != 0) {
                *ret_error = strdup("cannot load libcurl: pthread_once failed");
                return -EIO;
        }
        if (load_r < 0 && load_error && !(*ret_error = strdup(load_error)))
                return -ENOMEM;
        return load_r;
}

const curlfn_t *curlfn_get(void)
{
        /* LOADED is set only after TABLE is complete, with release order,
         * so a thread that sees it also sees the whole table. */
        return __atomic_load_n(&loaded, __ATOMIC_ACQUIRE) ? &table : NULL;
}
