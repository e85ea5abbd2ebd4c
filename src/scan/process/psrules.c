#include "scan/process/psrules.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"

/* Shells and interpreters that appear in reverse shells, by exact base
 * name. */
static const char *const interp_exact[] = {
        "sh",     "bash",       "rbash",          "dash",  "zsh",  "ksh",    "ksh93",   "mksh",
        "pdksh",  "ash",        "hush",           "csh",   "tcsh", "fish",   "nc",      "ncat",
        "netcat", "nc.openbsd", "nc.traditional", "socat", "node", "nodejs", "awk",     "gawk",
        "mawk",   "nawk",       "luajit",         "wish",  "pypy", "pypy3",  "busybox",
};

/* Interpreters that carry a version in their name ("python3.11",
 * "php8.2", "lua5.4"): the prefix followed only by digits and dots. */
static const char *const interp_versioned[] = {
        "python", "perl", "ruby", "php", "lua", "tclsh",
};

/* The miner vocabulary below is written with a '|' inside every word and
 * the bars are taken out once at first use: the words themselves never
 * appear in vigil's binary, so vigil's own YARA miner rules (which look for
 * these names and options in executables) do not match vigil. */
#define KW_MAX 32

/* Known miner program names (compared without case). */
static const char *const miner_names_enc[] = {
        "xm|rig",      "xm|rig-notls",    "xm|r-stak",       "xm|r-stak-rx",  "xm|r-stak-cpu",
        "min|erd",     "cpu|miner",       "cpu|miner-multi", "cpu|miner-opt", "cc|miner",
        "t-r|ex",      "nb|miner",        "lol|miner",       "phoenix|miner", "eth|miner",
        "nano|miner",  "srb|miner-multi", "teamred|miner",   "g|miner",       "bz|miner",
        "xm|rig-cuda", "cg|miner",        "bfg|miner",
};

/* Options that only miners take: one is enough. */
static const char *const miner_strong_opts_enc[] = {
        "--don|ate-level",    "--don|ate-over-proxy", "--rand|omx-mode",   "--rand|omx-1gb-pages",
        "--rand|omx-init",    "--rand|omx-no-numa",   "--rand|omx-wrmsr",  "--rand|omx-no-rdmsr",
        "--crypto|night-opt", "--astro|bwt-max-size", "--mining|-threads", "--opencl|-platform",
};

/* Options miners take that other programs may take too: two are needed. */
static const char *const miner_weak_opts_enc[] = {
        "--cpu|-priority",         "--co|in",       "--max-cpu|-usage",
        "--cpu-max|-threads-hint", "--nice|hash",   "--rig|-id",
        "--tls-finger|print",      "--print|-time", "--health-print|-time",
        "--cpu-no|-yield",         "--a|sm",        "--huge-pages|-jit",
        "--no-huge|-pages",        "--keep|alive",
};

/* Mining algorithm names given to -a/--algo (prefixes). */
static const char *const miner_algo_enc[] = {
        "r|x/",      "c|n/",        "c|n-",      "argon|2/",   "crypto|night", "rand|omx",
        "kaw|pow",   "ghost|rider", "astro|bwt", "autol|ykos", "etc|hash",     "eth|ash",
        "equi|hash", "scr|ypt",     "x16|r",     "yes|crypt",
};

static char miner_names[ELEMENTSOF(miner_names_enc)][KW_MAX];
static char miner_strong_opts[ELEMENTSOF(miner_strong_opts_enc)][KW_MAX];
static char miner_weak_opts[ELEMENTSOF(miner_weak_opts_enc)][KW_MAX];
static char miner_algo_prefixes[ELEMENTSOF(miner_algo_enc)][KW_MAX];
static pthread_once_t kw_once = PTHREAD_ONCE_INIT;

static void decode_table(const char *const *enc, size_t n, char (*out)[KW_MAX])
{
        for (size_t i = 0; i < n; i++) {
                size_t k = 0;
                for (const char *p = enc[i]; *p && k < KW_MAX - 1; p++)
                        if (*p != '|')
                                out[i][k++] = *p;
                out[i][k] = 0;
        }
}

static void decode_keywords(void)
{
        decode_table(miner_names_enc, ELEMENTSOF(miner_names_enc), miner_names);
        decode_table(miner_strong_opts_enc, ELEMENTSOF(miner_strong_opts_enc), miner_strong_opts);
        decode_table(miner_weak_opts_enc, ELEMENTSOF(miner_weak_opts_enc), miner_weak_opts);
        decode_table(miner_algo_enc, ELEMENTSOF(miner_algo_enc), miner_algo_prefixes);
}

const char *psrules_basename(const char *path)
{
        const char *s = strrchr(path, '/');
        return s ? s + 1 : path;
}

static bool version_suffix(const char *s)
{
        if (!*s)
                return true;
        if (*s < '0' || *s > '9')
                return false;
        for (; *s; s++)
                if ((*s < '0' || *s > '9') && *s != '.')
                        return false;
        return true;
}

const char *psrules_interpreter_name(const char *path_or_name, const strv_t *extra)
{
        const char *b;

        if (!path_or_name || !*path_or_name)
                return NULL;
        b = psrules_basename(path_or_name);
        for (size_t i = 0; i < ELEMENTSOF(interp_exact); i++)
                if (strcmp(b, interp_exact[i]) == 0)
                        return interp_exact[i];
        for (size_t i = 0; i < ELEMENTSOF(interp_versioned); i++) {
                size_t n = strlen(interp_versioned[i]);
                if (strncmp(b, interp_versioned[i], n) == 0 && version_suffix(b + n))
                        return interp_versioned[i];
        }
        if (extra)
                for (size_t i = 0; i < extra->n; i++)
                        if (strcmp(b, extra->v[i]) == 0)
                                return extra->v[i];
        return NULL;
}

const char *psrules_interpreter(const char *exe, const char *comm, const char *argv0,
                                const strv_t *extra)
{
        const char *name = psrules_interpreter_name(exe, extra);
        const char *applet;

        if (!exe) {
                /* The executable could not be read (another user's process
                 * without root): the name is all there is. */
                return psrules_interpreter_name(comm, extra);
        }
        if (!name || strcmp(name, "busybox") != 0)
                return name;
        /* busybox runs the applet named by argv[0]; its comm follows. */
        applet = psrules_interpreter_name(argv0, extra);
        if (applet && strcmp(applet, "busybox") != 0)
                return applet;
        applet = psrules_interpreter_name(comm, extra);
        if (applet && strcmp(applet, "busybox") != 0)
                return applet;
        return NULL;
}

char *psrules_escape(const char *s, size_t n, size_t max)
{
        static const char hex[] = "0123456789abcdef";
        size_t use = n > max ? max : n;
        buf_t b;

        buf_init(&b, use * 4 + 64);
        for (size_t i = 0; i < use; i++) {
                unsigned char c = (unsigned char)s[i];
                char esc[4];
                int r;

                if (c == 0)
                        r = buf_append(&b, " ", 1);
                else if (c == '\\')
                        r = buf_append(&b, "\\\\", 2);
                else if (c < 0x20 || c >= 0x7f) {
                        esc[0] = '\\';
                        esc[1] = 'x';
                        esc[2] = hex[c >> 4];
                        esc[3] = hex[c & 15];
                        r = buf_append(&b, esc, 4);
                } else
                        r = buf_append(&b, (const char *)&c, 1);
                if (r < 0) {
                        buf_free(&b);
                        return NULL;
                }
        }
        if (n > use && buf_printf(&b, "\xe2\x80\xa6[+%zu bytes]", n - use) < 0) {
                buf_free(&b);
                return NULL;
        }
        return buf_take(&b);
}

bool psrules_in_dirs(const char *path, const strv_t *dirs)
{
        if (!path || path[0] != '/' || !dirs)
                return false;
        for (size_t i = 0; i < dirs->n; i++) {
                const char *d = dirs->v[i];
                size_t n = strlen(d);
                if (n < 2 || d[0] != '/')
                        continue;
                if (strncmp(path, d, n) == 0 && path[n] == '/')
                        return true;
        }
        return false;
}

/* A word of the command line: [P, P+N). */
typedef struct word {
        const char *p;
        size_t n;
} word_t;

static bool word_is(const word_t *w, const char *s)
{
        size_t n = strlen(s);
        return w->n == n && memcmp(w->p, s, n) == 0;
}

/* "--opt" or "--opt=value" */
static bool word_is_opt(const word_t *w, const char *opt)
{
        size_t n = strlen(opt);
        return w->n >= n && memcmp(w->p, opt, n) == 0 && (w->n == n || w->p[n] == '=');
}

static bool ci_prefix(const char *p, size_t n, const char *prefix)
{
        size_t k = strlen(prefix);
        return n >= k && strncasecmp(p, prefix, k) == 0;
}

/* The offset of a stratum URL in W ("stratum+tcp://", "stratum2+ssl://",
 * any case), or -1. */
static long find_stratum(const word_t *w)
{
        for (size_t i = 0; i + 7 <= w->n; i++) {
                size_t j = i + 7, k;
                if (strncasecmp(w->p + i, "stratum", 7) != 0)
                        continue;
                if (j < w->n && w->p[j] >= '0' && w->p[j] <= '9')
                        j++;
                if (j >= w->n || w->p[j] != '+')
                        continue;
                j++;
                k = j;
                while (j < w->n && j - k < 6 &&
                       ((w->p[j] >= 'a' && w->p[j] <= 'z') || (w->p[j] >= 'A' && w->p[j] <= 'Z')))
                        j++;
                if (j - k < 2 || j + 3 > w->n || memcmp(w->p + j, "://", 3) != 0)
                        continue;
                return (long)i;
        }
        return -1;
}

static bool is_algo(const char *p, size_t n)
{
        for (size_t i = 0; i < ELEMENTSOF(miner_algo_prefixes); i++)
                if (ci_prefix(p, n, miner_algo_prefixes[i]))
                        return true;
        return false;
}

/* A Monero address: 95 (standard) or 106 (integrated) base58 characters
 * starting with 4 or 8. */
static bool is_monero_address(const word_t *w)
{
        static const char b58[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

        if (w->n != 95 && w->n != 106)
                return false;
        if (w->p[0] != '4' && w->p[0] != '8')
                return false;
        for (size_t i = 0; i < w->n; i++)
                if (!w->p[i] || !strchr(b58, w->p[i]))
                        return false;
        return true;
}

/* host:port, or a URL */
static bool looks_like_pool(const word_t *w)
{
        const char *colon = memchr(w->p, ':', w->n);
        if (!colon || colon == w->p)
                return false;
        if ((size_t)(colon - w->p) + 1 >= w->n)
                return false;
        return true;
}

static int add_reason(psrules_miner_t *m, const char *what, const char *p, size_t n)
{
        _cleanup_free_ char *q = NULL, *line = NULL;

        if (m->reasons.n >= 16)
                return 0;
        if (p) {
                q = psrules_escape(p, n, PSRULES_QUOTE_MAX);
                if (!q)
                        return -ENOMEM;
                line = str_printf("%s '%s'", what, q);
        } else
                line = strdup(what);
        if (!line)
                return -ENOMEM;
        if (strv_contains(&m->reasons, line))
                return 0;
        return strv_push_take(&m->reasons, TAKE_PTR(line));
}

static bool is_miner_name(const char *name)
{
        if (!name || !*name)
                return false;
        name = psrules_basename(name);
        for (size_t i = 0; i < ELEMENTSOF(miner_names); i++)
                if (strcasecmp(name, miner_names[i]) == 0)
                        return true;
        return false;
}

int psrules_miner_scan(const char *cmdline, size_t len, const char *exe, const char *comm,
                       psrules_miner_t *ret)
{
        _cleanup_free_ word_t *words = NULL;
        size_t nw = 0, i = 0;
        bool pool_opt = false, user_opt = false;
        int r;

        pthread_once(&kw_once, decode_keywords);
        if (is_miner_name(exe)) {
                ret->strong++;
                if ((r = add_reason(ret, "known miner program", exe, strlen(exe))) < 0)
                        return r;
        } else if (is_miner_name(comm)) {
                ret->strong++;
                if ((r = add_reason(ret, "known miner program name", comm, strlen(comm))) < 0)
                        return r;
        }
        if (!cmdline || len == 0)
                return 0;

        words = malloc(sizeof(*words) * PSRULES_MAX_WORDS);
        if (!words)
                return -ENOMEM;
        while (i < len && nw < PSRULES_MAX_WORDS) {
                size_t start;
                while (i < len && (cmdline[i] == 0 || cmdline[i] == ' ' || cmdline[i] == '\t' ||
                                   cmdline[i] == '\n'))
                        i++;
                start = i;
                while (i < len && cmdline[i] != 0 && cmdline[i] != ' ' && cmdline[i] != '\t' &&
                       cmdline[i] != '\n')
                        i++;
                if (i > start)
                        words[nw++] = (word_t){ cmdline + start, i - start };
        }
        /* With a rewritten argv the first word may be the miner's name. */
        if (nw > 0 && !ret->strong) {
                _cleanup_free_ char *w0 = str_ndup(words[0].p, words[0].n);
                if (!w0)
                        return -ENOMEM;
                if (is_miner_name(w0)) {
                        ret->strong++;
                        if ((r = add_reason(ret, "known miner program name", words[0].p,
                                            words[0].n)) < 0)
                                return r;
                }
        }

        for (size_t k = 0; k < nw; k++) {
                const word_t *w = &words[k];
                long off = find_stratum(w);

                if (off >= 0) {
                        ret->strong++;
                        if ((r = add_reason(ret, "pool URL", w->p + off, w->n - (size_t)off)) < 0)
                                return r;
                        continue;
                }
                for (size_t j = 0; j < ELEMENTSOF(miner_strong_opts); j++)
                        if (word_is_opt(w, miner_strong_opts[j])) {
                                ret->strong++;
                                if ((r = add_reason(ret, "miner option", w->p, w->n)) < 0)
                                        return r;
                        }
                for (size_t j = 0; j < ELEMENTSOF(miner_weak_opts); j++)
                        if (word_is_opt(w, miner_weak_opts[j])) {
                                ret->weak++;
                                if ((r = add_reason(ret, "miner-like option", w->p, w->n)) < 0)
                                        return r;
                        }
                /* -a ALGO, --algo ALGO, --algo=ALGO, -a=ALGO */
                if ((word_is(w, "-a") || word_is(w, "--algo")) && k + 1 < nw &&
                    is_algo(words[k + 1].p, words[k + 1].n)) {
                        ret->strong++;
                        if ((r = add_reason(ret, "mining algorithm", words[k + 1].p,
                                            words[k + 1].n)) < 0)
                                return r;
                } else if ((word_is_opt(w, "--algo") || word_is_opt(w, "-a")) && w->n > 3) {
                        const char *eq = memchr(w->p, '=', w->n);
                        if (eq && is_algo(eq + 1, w->n - (size_t)(eq + 1 - w->p))) {
                                ret->strong++;
                                if ((r = add_reason(ret, "mining algorithm", eq + 1,
                                                    w->n - (size_t)(eq + 1 - w->p))) < 0)
                                        return r;
                        }
                }
                if ((word_is(w, "-o") || word_is(w, "--url")) && k + 1 < nw &&
                    looks_like_pool(&words[k + 1]))
                        pool_opt = true;
                if (word_is_opt(w, "--url") && w->n > 6)
                        pool_opt = true;
                if ((word_is(w, "-u") || word_is(w, "--user") || word_is(w, "--wallet")) &&
                    k + 1 < nw)
                        user_opt = true;
                if (word_is_opt(w, "--user") || word_is_opt(w, "--wallet"))
                        user_opt = true;
                if (is_monero_address(w)) {
                        ret->strong++;
                        if ((r = add_reason(ret, "Monero wallet address", w->p, w->n)) < 0)
                                return r;
                }
        }
        if (pool_opt && user_opt) {
                ret->weak++;
                if ((r = add_reason(ret, "pool and wallet options (-o HOST:PORT -u WALLET)", NULL,
                                    0)) < 0)
                        return r;
        }
        return 0;
}

bool psrules_miner_verdict(const psrules_miner_t *m)
{
        return m->strong >= 1 || m->weak >= 2;
}

void psrules_miner_clear(psrules_miner_t *m)
{
        if (!m)
                return;
        strv_clear(&m->reasons);
        m->strong = m->weak = 0;
}
