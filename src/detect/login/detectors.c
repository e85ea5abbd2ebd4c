/* The login detectors: brute force, password spraying, login after brute
 * force, abnormal login and root password logins (see detectors.h and
 * docs/login-detection.md for the rules as users see them).
 *
 * State, all bounded:
 *   src   (service, source)  → failure episode, the times of the last N
 *                              failures, a sample of users, the accounts
 *                              tried in the spraying window, publickey
 *                              failures waiting for their grace;
 *   acct  (service, account) → the sources that failed on it in the
 *                              spraying window;
 *   atk   source or network  → failures of any service in the lookback,
 *                              for "login after brute force";
 *   conn  one connection     → whether it already counted a failure.
 * Learned history (per account sources and countries) is in loginstore. */
#include "detect/login/detectors.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/jsonx.h"
#include "core/text.h"
#include "core/timeutil.h"
#include "detect/login/evjson.h"
#include "detect/login/geoip.h"
#include "detect/login/loginconf.h"
#include "detect/login/loginstore.h"
#include "detect/login/lrutab.h"

#define USERS_SAMPLE   4
#define SAMPLE_LEN     64
#define PK_PENDING_MAX 16
/* A connection without a line for this long is forgotten (sshd's
 * LoginGraceTime is 2 minutes by default). */
#define CONN_EXPIRE_US LOGIN_SEC(600)

enum { SNAP_SRC = 1, SNAP_ACCT = 2, SNAP_ATK = 3 };

/* A timestamped fingerprint in a distinct-count window. */
typedef struct slot {
        uint64_t h;
        int64_t t;
} slot_t;

/* Per (service, source). Followed in the same block by int64_t
 * ring[bf_failures] and slot_t accts[spray_accounts]. Invariant: ring_n <=
 * bf_failures, ring_head < bf_failures, n_pk <= PK_PENDING_MAX. */
typedef struct src_state {
        int64_t ep_first, ep_last; /* the failure episode: gaps shorter than the cool-down */
        uint64_t ep_count;
        uint64_t alert_count; /* ep_count at the latest brute-force alert, 0: none yet */
        int64_t touched;      /* log time of the latest event */
        uint32_t ring_n, ring_head;
        uint8_t n_users, n_pk;
        bool spray_alerted;
        int64_t pk[PK_PENDING_MAX];
        char users[USERS_SAMPLE][SAMPLE_LEN];
        char method[24];
} src_state_t;

/* Per (service, account). Followed by slot_t srcs[spray_sources]. */
typedef struct acct_state {
        int64_t ep_first, ep_last;
        uint64_t ep_count;
        bool alerted;
        uint8_t n_sample;
        char sample[USERS_SAMPLE][SAMPLE_LEN]; /* sources, as logged */
} acct_state_t;

/* Per source address (and per network): failures of any service. */
typedef struct atk_state {
        int64_t first, last;
        uint64_t count;
        uint64_t succ_h; /* fingerprint of the account of the latest urgent alert */
        int64_t succ_time;
        uint8_t n_users;
        char service[LOGEVENT_SERVICE_MAX];
        char users[USERS_SAMPLE][SAMPLE_LEN];
} atk_state_t;

typedef struct conn_state {
        int64_t last;
        bool counted;     /* a failure of this connection was counted */
        bool marker_only; /* ...and it was a marker line, not an attempt */
} conn_state_t;

/* Who a failure or login is about, from an event or from a table key.
 * One event looks its source up in several tables, so what the lookups
 * need (the source part of the keys, the attack memory's hash of it, the
 * network) is worked out once, on first use. */
typedef struct subj {
        char service[LOGEVENT_SERVICE_MAX];
        char src[LOGEVENT_HOST_MAX]; /* for an address: "" until subj_src formats it */
        bool has_ip;
        bool has_key, has_key_h, has_net, has_net_h; /* which of the fields below are set */
        ipaddr_t ip;
        size_t key_n;
        unsigned char key[2 + LOGEVENT_HOST_MAX]; /* 'I' family address, or 'H' host name */
        uint64_t key_h;                           /* lrutab_hash(d->atk, key) */
        ipnet_t net;                              /* the address's network (has_ip) */
        uint64_t net_h;                           /* lrutab_hash(d->atk, the network's key) */
        const char *acct_user; /* the user ACCT_H was worked out for, NULL: none */
        uint64_t acct_h;       /* lrutab_hash(d->acct, service NUL acct_user) */
} subj_t;

/* The source as text; addresses are formatted on first use, since most
 * events never need the text. */
static const char *subj_src(subj_t *s)
{
        if (s->has_ip && !s->src[0])
                ipaddr_format(&s->ip, s->src);
        return s->src;
}

/* A remembered answer of ipaddr_is_public. */
#define PUBLIC_MEMO 64
typedef struct public_memo {
        bool used, is_public;
        ipaddr_t ip;
} public_memo_t;

/* A table key: bytes and length. */
typedef struct key {
        unsigned char b[LOGEVENT_SERVICE_MAX + 2 + LOGEVENT_HOST_MAX + LOGEVENT_USER_MAX];
        size_t n;
} tabkey_t;

struct login_detectors {
        login_detectors_opts_t opts;
        login_conf_t conf;
        char *host;
        lrutab_t *src, *acct, *atk, *conn;
        size_t src_size, acct_size;
        loginstore_t *store;
        geoip_t *geoip;
        uint8_t seed[16];
        int64_t clock;                          /* latest event time seen */
        int64_t saved_clock;                    /* CLOCK as saved in the store */
        int64_t clock_wall;                     /* wall time when the log clock was CLOCK_AT_WALL */
        int64_t clock_at_wall;                  /* log time sampled with CLOCK_WALL (for tick) */
        int64_t learn_start;                    /* 0: no judged login yet */
        public_memo_t public_memo[PUBLIC_MEMO]; /* by the source's hash */
        login_detectors_stats_t st;
};

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */

static inline int64_t *src_ring(src_state_t *s)
{
        return (int64_t *)(s + 1);
}

static inline slot_t *src_accts(const login_detectors_t *d, src_state_t *s)
{
        return (slot_t *)(src_ring(s) + d->conf.bf_failures);
}

static inline slot_t *acct_srcs(acct_state_t *a)
{
        return (slot_t *)(a + 1);
}

static void copy_sample(char *dst, const char *s)
{
        size_t n = strlen(s);

        if (n >= SAMPLE_LEN) {
                /* Cut at a UTF-8 boundary. */
                n = SAMPLE_LEN - 1;
                while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
                        n--;
        }
        memcpy(dst, s, n);
        dst[n] = 0;
}

/* Add S to a sample of at most USERS_SAMPLE distinct strings. */
static void sample_add(char (*sample)[SAMPLE_LEN], uint8_t *n, const char *s)
{
        char cut[SAMPLE_LEN];
        size_t len;

        /* A full sample cannot change: most calls, in a long attack. */
        if (!s || !*s || *n >= USERS_SAMPLE)
                return;
        len = strnlen(s, SAMPLE_LEN);
        if (len == SAMPLE_LEN) {
                /* Too long to keep whole: compare and keep the cut form. */
                copy_sample(cut, s);
                s = cut;
                len = strlen(cut);
        }
        /* Comparing the terminating NUL too: equal strings, without
         * copying S first (a sample of one name, such as "root", is
         * compared on every failure). */
        for (uint8_t i = 0; i < *n; i++)
                if (memcmp(sample[i], s, len + 1) == 0)
                        return;
        memcpy(sample[*n], s, len + 1);
        memset(sample[*n] + len + 1, 0, SAMPLE_LEN - len - 1);
        (*n)++;
}

static void format_duration(int64_t us, char *out, size_t n)
{
        int64_t s = us / 1000000;

        if (s < 0)
                s = 0;
        if (s < 120)
                snprintf(out, n, "%lld s", (long long)s);
        else if (s < 2 * 3600)
                snprintf(out, n, "%lld min", (long long)(s / 60));
        else if (s < 2 * 86400)
                snprintf(out, n, "%lld h %lld min", (long long)(s / 3600),
                         (long long)(s % 3600 / 60));
        else
                snprintf(out, n, "%lld days", (long long)(s / 86400));
}

/* Quote S for a POSIX shell: '...' with every ' as '\''. Returns a new
 * string or NULL. A remediation command must never run text an attacker
 * chose, and user names are chosen by whoever connects. */
static char *shell_quote(const char *s)
{
        _cleanup_buf_ buf_t b = { 0 };

        const char *q;

        buf_init(&b, 4 * LOGEVENT_USER_MAX + 8);
        if (buf_append_str(&b, "'") < 0)
                return NULL;
        /* Whole runs between quotes at once. */
        while ((q = strchr(s, '\''))) {
                if (buf_append(&b, s, (size_t)(q - s)) < 0 || buf_append_str(&b, "'\\''") < 0)
                        return NULL;
                s = q + 1;
        }
        if (buf_append_str(&b, s) < 0 || buf_append_str(&b, "'") < 0)
                return NULL;
        return buf_take(&b);
}

static bool key_add(tabkey_t *k, const void *p, size_t n)
{
        if (k->n + n > sizeof(k->b))
                return false;
        memcpy(k->b + k->n, p, n);
        k->n += n;
        return true;
}

/* The source part of the keys: 'I' family address, or 'H' host name. False
 * when S has no source. */
static bool subj_key(subj_t *s)
{
        if (s->has_key)
                return true;
        if (s->has_ip) {
                s->key[0] = 'I';
                s->key[1] = (unsigned char)(s->ip.family == AF_INET ? 4 : 6);
                memcpy(s->key + 2, s->ip.bytes, 16);
                s->key_n = 18;
        } else {
                size_t n = strlen(s->src);

                if (!n)
                        return false;
                s->key[0] = 'H';
                memcpy(s->key + 1, s->src, n);
                s->key_n = n + 1;
        }
        s->has_key = true;
        return true;
}

/* The attack memory's hash of the source key. It doubles as the source's
 * fingerprint in the spraying windows: keyed like every table hash, so
 * nobody can make two sources collide there either. S has a key. */
static uint64_t subj_key_hash(const login_detectors_t *d, subj_t *s)
{
        if (!s->has_key_h) {
                s->key_h = lrutab_hash(d->atk, s->key, s->key_n);
                s->has_key_h = true;
        }
        return s->key_h;
}

/* The network of an address S under the configured prefixes: what
 * ipnet_of computes, a byte at a time. */
static const ipnet_t *subj_net(const login_detectors_t *d, subj_t *s)
{
        if (!s->has_net) {
                unsigned max = s->ip.family == AF_INET ? 32 : 128;
                unsigned prefix = s->ip.family == AF_INET ? d->conf.v4_prefix : d->conf.v6_prefix;
                unsigned full;

                prefix = MIN(prefix, max);
                s->net.addr = s->ip;
                s->net.prefix = prefix;
                full = prefix / 8;
                if (prefix % 8)
                        s->net.addr.bytes[full++] &= (uint8_t)(0xff00u >> (prefix % 8));
                memset(s->net.addr.bytes + full, 0, max / 8 - full);
                s->has_net = true;
        }
        return &s->net;
}

static bool key_add_src(tabkey_t *k, subj_t *s)
{
        return subj_key(s) && key_add(k, s->key, s->key_n);
}

/* service NUL source: the src table's key. */
static bool key_service_src(tabkey_t *k, subj_t *s)
{
        k->n = 0;
        return key_add(k, s->service, strlen(s->service) + 1) && key_add_src(k, s);
}

/* The attack memory's keys: the address, or its network; *RET_H is the
 * table's hash of the key. */
static bool key_atk(const login_detectors_t *d, tabkey_t *k, subj_t *s, bool network,
                    uint64_t *ret_h)
{
        k->n = 0;
        if (!network) {
                if (!key_add_src(k, s))
                        return false;
                *ret_h = subj_key_hash(d, s);
                return true;
        }
        if (!s->has_ip)
                return false;
        {
                const ipnet_t *net = subj_net(d, s);
                unsigned char hdr[3] = { 'N', (unsigned char)(s->ip.family == AF_INET ? 4 : 6),
                                         (unsigned char)net->prefix };

                if (!key_add(k, hdr, 3) || !key_add(k, net->addr.bytes, 16))
                        return false;
                if (!s->has_net_h) {
                        s->net_h = lrutab_hash(d->atk, k->b, k->n);
                        s->has_net_h = true;
                }
                *ret_h = s->net_h;
                return true;
        }
}

/* Copy the NUL-terminated string SRC (at most N - 1 bytes of it) into DST. */
static void copy_str(char *dst, const char *src, size_t n)
{
        size_t len = strnlen(src, n - 1);

        memcpy(dst, src, len);
        dst[len] = 0;
}

static void subj_from_event(subj_t *s, const logevent_t *e)
{
        /* Field by field rather than a memset of the whole (large) struct:
         * this runs for every event. */
        copy_str(s->service, e->service, sizeof(s->service));
        s->has_ip = e->has_ip;
        s->has_key = s->has_key_h = s->has_net = s->has_net_h = false;
        s->acct_user = NULL;
        s->src[0] = 0;
        if (e->has_ip)
                s->ip = e->src_ip;
        else {
                memset(&s->ip, 0, sizeof(s->ip));
                copy_str(s->src, e->src, sizeof(s->src));
        }
}

/* Decode a src-table key back into a subject. */
static bool subj_from_key(subj_t *s, const unsigned char *k, size_t n)
{
        const unsigned char *nul = memchr(k, 0, n);
        size_t sl, rest;

        memset(s, 0, sizeof(*s));
        if (!nul || (sl = (size_t)(nul - k)) >= sizeof(s->service))
                return false;
        memcpy(s->service, k, sl);
        k = nul + 1;
        rest = n - sl - 1;
        if (rest == 18 && k[0] == 'I') {
                s->has_ip = true;
                s->ip.family = k[1] == 4 ? AF_INET : AF_INET6;
                memcpy(s->ip.bytes, k + 2, 16);
                ipaddr_format(&s->ip, s->src);
                return true;
        }
        if (rest >= 2 && k[0] == 'H' && rest - 1 < sizeof(s->src)) {
                memcpy(s->src, k + 1, rest - 1);
                return true;
        }
        return false;
}

static bool is_db_service(const char *service)
{
        return strcmp(service, "mysql") == 0 || strcmp(service, "postgres") == 0;
}

static bool is_password_method(const char *m)
{
        return strcmp(m, "password") == 0 || str_startswith(m, "keyboard-interactive");
}

/* ------------------------------------------------------------------ */
/* Alerts                                                              */

static alert_t *alert_start(login_detectors_t *d, const char *rule, const char *subject,
                            alert_level_t level, int64_t t)
{
        alert_t *a = alert_new(ALERT_ABNORMAL_LOGIN, rule, subject, level, t);

        if (a && alert_set_host(a, d->host) < 0) {
                alert_free(a);
                return NULL;
        }
        return a;
}

static int ev_str(alert_t *a, const char *key, const char *value)
{
        return jsonx_set_str(a->evidence, key, value);
}

static int ev_int(alert_t *a, const char *key, long long v)
{
        return json_object_set_new(a->evidence, key, json_integer(v)) == 0 ? 0 : -ENOMEM;
}

static int ev_time(alert_t *a, const char *key, int64_t t)
{
        char iso[TIMEUTIL_ISO_LEN];

        if (!t)
                return 0;
        evjson_format_time(t, iso);
        return ev_str(a, key, iso);
}

static int ev_sample(alert_t *a, const char *key, const char (*sample)[SAMPLE_LEN], unsigned n)
{
        json_t *arr = json_array();

        if (!arr)
                return -ENOMEM;
        for (unsigned i = 0; i < n; i++)
                if (json_array_append_new(arr, jsonx_string_lossy(sample[i])) < 0) {
                        json_decref(arr);
                        return -ENOMEM;
                }
        return json_object_set_new(a->evidence, key, arr) == 0 ? 0 : -ENOMEM;
}

/* Where the deciding event came from. */
static int ev_origin(alert_t *a, const logevent_t *e)
{
        int r = 0;

        if (e && e->file && (r = ev_str(a, "file", e->file)) == 0 && e->line)
                r = ev_int(a, "line", (long long)e->line);
        return r;
}

static int emit(login_detectors_t *d, alert_t *a)
{
        d->st.alerts++;
        return d->opts.on_alert(a, d->opts.userdata);
}

/* The command that blocks S for 12 hours in vigil's nftables set, or ""
 * when S is not an address. */
static void block_cmd(subj_t *s, char *out, size_t n)
{
        if (!s->has_ip) {
                out[0] = 0;
                return;
        }
        /* An address's text is under IPADDR_STR_MAX bytes. */
        snprintf(out, n, "nft add element inet vigil %s { %.*s timeout 12h }",
                 s->ip.family == AF_INET ? "blocked4" : "blocked6", IPADDR_STR_MAX - 1,
                 subj_src(s));
}

static const char *harden_text(const char *service)
{
        if (strcmp(service, "sshd") == 0)
                return "Harden sshd: set PasswordAuthentication no and MaxAuthTries 3 in "
                       "/etc/ssh/sshd_config, then run: systemctl reload ssh.";
        if (strcmp(service, "mysql") == 0)
                return "Do not expose the database: set bind-address = 127.0.0.1 in the server's "
                       "configuration (/etc/mysql/mariadb.conf.d/50-server.cnf on Debian) or "
                       "allow port 3306 only from known networks, then restart it.";
        if (strcmp(service, "postgres") == 0)
                return "Do not expose the database: set listen_addresses = 'localhost' in "
                       "postgresql.conf or limit the host lines of pg_hba.conf to known "
                       "networks, then run: systemctl reload postgresql.";
        if (strstr(service, "ftp"))
                return "Prefer SFTP to FTP; otherwise allow the FTP port only from known "
                       "networks and disable logins of system accounts.";
        return "Allow the service only from known networks.";
}

static int remediation_block(alert_t *a, subj_t *s, const char *extra)
{
        char cmd[160];
        _cleanup_free_ char *q = shell_quote(s->src);

        if (!q)
                return -ENOMEM;
        block_cmd(s, cmd, sizeof(cmd));
        if (cmd[0])
                return alert_set_remediation(
                        a,
                        "Block the source for 12 hours: %s (the vigil nftables table exists once "
                        "vigil's blocking response is set up; see docs/login-detection.md). Check "
                        "that no login from it succeeded: last -i | grep -F %s; grep -F Accepted "
                        "/var/log/auth.log | grep -F %s. %s",
                        cmd, q, q, extra);
        return alert_set_remediation(
                a,
                "Find the address behind %s and block it (nft add element inet vigil blocked4 { "
                "ADDRESS timeout 12h }); check that no login from it succeeded: last -i | grep -F "
                "%s. %s",
                q, q, extra);
}

static int raise_bruteforce(login_detectors_t *d, subj_t *s, src_state_t *st, const logevent_t *e,
                            int64_t t, bool follow_up, uint64_t previous)
{
        _cleanup_alert_ alert_t *a =
                alert_start(d, "login.brute_force", s->src, ALERT_SUSPICIOUS, t);
        char dur[48];
        int r;

        if (!a)
                return -ENOMEM;
        format_duration(st->ep_last - st->ep_first, dur, sizeof(dur));
        if ((r = alert_set_title(a, "Brute force against %s from %s: %llu failed logins in %s",
                                 s->service, s->src, (unsigned long long)st->ep_count, dur)) < 0 ||
            (r = ev_str(a, "service", s->service)) < 0 || (r = ev_str(a, "src", s->src)) < 0 ||
            (r = ev_sample(a, "users", st->users, st->n_users)) < 0 ||
            (r = ev_int(a, "count", (long long)st->ep_count)) < 0 ||
            (r = ev_int(a, "threshold", d->conf.bf_failures)) < 0 ||
            (r = ev_int(a, "window", (long long)(d->conf.bf_window_us / 1000000))) < 0 ||
            (r = ev_time(a, "first_time", st->ep_first)) < 0 ||
            (r = ev_time(a, "last_time", st->ep_last)) < 0 ||
            (r = ev_str(a, "method", st->method)) < 0 || (r = ev_origin(a, e)) < 0 ||
            (r = remediation_block(a, s, harden_text(s->service))) < 0)
                return r;
        if (follow_up && ((r = json_object_set_new(a->evidence, "follow_up", json_true())) < 0 ||
                          (r = ev_int(a, "previous_count", (long long)previous)) < 0))
                return -ENOMEM;
        return emit(d, TAKE_PTR(a));
}

/* ------------------------------------------------------------------ */
/* Counting failures                                                   */

static void src_reset_episode(login_detectors_t *d, src_state_t *st, int64_t t)
{
        st->ep_first = st->ep_last = t;
        st->ep_count = 0;
        st->alert_count = 0;
        st->spray_alerted = false;
        st->n_users = 0;
        st->ring_n = st->ring_head = 0;
        memset(src_accts(d, st), 0, sizeof(slot_t) * d->conf.spray_accounts);
}

static inline bool in_window(const slot_t *sl, int64_t t, int64_t window)
{
        return sl->t && llabs(t - sl->t) <= window;
}

/* Record fingerprint H at T in a distinct-count window of N slots and
 * return how many distinct fingerprints fall within WINDOW of T; *RET_NEW
 * (when not NULL) tells whether H was not in the window's slots. H takes
 * the first free slot, or else the oldest. One pass finds H or that slot
 * and counts the slots in the window as they are; then the one slot that
 * changes is counted again. */
static unsigned window_add(slot_t *slots, unsigned n, uint64_t h, int64_t t, int64_t window,
                           bool *ret_new)
{
        unsigned hit = n, free_slot = n, oldest = n, count = 0, at;

        for (unsigned i = 0; i < n; i++) {
                int64_t st = slots[i].t;

                if (!st) {
                        if (free_slot == n)
                                free_slot = i;
                        continue;
                }
                count += llabs(t - st) <= window;
                if (hit < n)
                        continue;
                if (slots[i].h == h)
                        hit = i;
                else if (oldest == n || st < slots[oldest].t)
                        oldest = i;
        }
        if (ret_new)
                *ret_new = hit == n;
        at = hit < n ? hit : free_slot < n ? free_slot : oldest;
        if (in_window(&slots[at], t, window))
                count--;
        if (hit < n) {
                if (t > slots[hit].t)
                        slots[hit].t = t;
        } else {
                slots[at].h = h;
                slots[at].t = t ? t : 1;
        }
        if (in_window(&slots[at], t, window))
                count++;
        return count;
}

/* service NUL user: the acct table's key; *RET_H is its hash, worked out
 * once per subject and user. False when the key does not fit. */
static bool key_acct(const login_detectors_t *d, tabkey_t *k, subj_t *s, const char *user,
                     uint64_t *ret_h)
{
        k->n = 0;
        if (!key_add(k, s->service, strlen(s->service) + 1) || !key_add(k, user, strlen(user)))
                return false;
        if (s->acct_user != user) {
                s->acct_h = lrutab_hash(d->acct, k->b, k->n);
                s->acct_user = user;
        }
        *ret_h = s->acct_h;
        return true;
}

static int spray_account_check(login_detectors_t *d, subj_t *s, const char *user,
                               const logevent_t *e, int64_t t)
{
        tabkey_t k;
        acct_state_t *a;
        unsigned distinct;
        bool created, is_new = false;
        uint64_t h;

        if (!d->conf.spray_sources || !user || !*user)
                return 0;
        if (!key_acct(d, &k, s, user, &h))
                return 0;
        a = lrutab_put_hashed(d->acct, h, k.b, k.n, &created);
        if (!a)
                return -ENOMEM;
        if (created || a->ep_count == 0 || t - a->ep_last > d->conf.spray_cooldown_us) {
                memset(a, 0, d->acct_size);
                a->ep_first = a->ep_last = t;
        }
        a->ep_count++;
        if (t > a->ep_last)
                a->ep_last = t;
        if (t < a->ep_first)
                a->ep_first = t;
        if (!subj_key(s))
                return 0;
        h = subj_key_hash(d, s);
        distinct = window_add(acct_srcs(a), d->conf.spray_sources, h, t, d->conf.spray_window_us,
                              &is_new);
        if (is_new && a->n_sample < USERS_SAMPLE)
                sample_add(a->sample, &a->n_sample, subj_src(s));
        if (distinct >= d->conf.spray_sources && !a->alerted) {
                _cleanup_alert_ alert_t *al = NULL;
                _cleanup_free_ char *subject = str_printf("%s@%s", user, s->service);
                _cleanup_free_ char *q = shell_quote(user);
                char dur[48];
                int r;

                a->alerted = true;
                if (!subject || !q)
                        return -ENOMEM;
                al = alert_start(d, "login.password_spray", subject, ALERT_SUSPICIOUS, t);
                if (!al)
                        return -ENOMEM;
                format_duration(a->ep_last - a->ep_first, dur, sizeof(dur));
                if ((r = alert_set_title(al,
                                         "Password spraying against %s account %s: failed "
                                         "logins from %u sources in %s",
                                         s->service, user, distinct, dur)) < 0 ||
                    (r = ev_str(al, "kind", "many_sources")) < 0 ||
                    (r = ev_str(al, "service", s->service)) < 0 ||
                    (r = ev_str(al, "user", user)) < 0 ||
                    (r = ev_sample(al, "srcs", a->sample, a->n_sample)) < 0 ||
                    (r = ev_int(al, "sources", distinct)) < 0 ||
                    (r = ev_int(al, "count", (long long)a->ep_count)) < 0 ||
                    (r = ev_int(al, "window", (long long)(d->conf.spray_window_us / 1000000))) <
                            0 ||
                    (r = ev_time(al, "first_time", a->ep_first)) < 0 ||
                    (r = ev_time(al, "last_time", a->ep_last)) < 0 || (r = ev_origin(al, e)) < 0 ||
                    (r = alert_set_remediation(
                             al,
                             "Make sure %s has a strong password or cannot log in with one: "
                             "check with last -i %s and lastb %s; set a new password with passwd "
                             "%s or lock password logins with passwd -l %s (key logins keep "
                             "working). %s",
                             q, q, q, q, q, harden_text(s->service))) < 0)
                        return r;
                return emit(d, TAKE_PTR(al));
        }
        return 0;
}

static int atk_note(login_detectors_t *d, subj_t *s, const char *user, int64_t t)
{
        for (int pass = 0; pass < 2; pass++) {
                tabkey_t k;
                atk_state_t *a;
                bool created;
                uint64_t h;

                if (pass == 1 && d->conf.abf_scope != LOGIN_SCOPE_NETWORK)
                        break;
                if (!key_atk(d, &k, s, pass == 1, &h))
                        continue;
                a = lrutab_put_hashed(d->atk, h, k.b, k.n, &created);
                if (!a)
                        return -ENOMEM;
                if (created || a->count == 0 || t - a->last > d->conf.abf_lookback_us) {
                        uint64_t sh = a->succ_h;
                        int64_t stime = a->succ_time;

                        memset(a, 0, sizeof(*a));
                        a->first = a->last = t;
                        a->succ_h = sh;
                        a->succ_time = stime;
                }
                a->count++;
                if (t > a->last)
                        a->last = t;
                if (t < a->first)
                        a->first = t;
                copy_sample(a->service, s->service);
                sample_add(a->users, &a->n_users, user);
        }
        return 0;
}

/* One failed attempt from S at T (USER may be NULL: a publickey failure
 * counted after its grace). E is the deciding event, or NULL. */
static int count_failure(login_detectors_t *d, subj_t *s, src_state_t *st, const char *user,
                         const char *method, const logevent_t *e, int64_t t)
{
        int64_t *ring = src_ring(st);
        unsigned n = d->conf.bf_failures;
        int r;

        d->st.failures++;
        if (st->ep_count == 0 || t - st->ep_last > d->conf.bf_cooldown_us)
                src_reset_episode(d, st, t);
        st->ep_count++;
        if (t > st->ep_last)
                st->ep_last = t;
        if (t < st->ep_first)
                st->ep_first = t;
        if (method && *method)
                copy_sample(st->method, method);
        sample_add(st->users, &st->n_users, user);
        ring[st->ring_head] = t;
        st->ring_head = (st->ring_head + 1) % n;
        if (st->ring_n < n)
                st->ring_n++;

        if (st->alert_count == 0 && st->ring_n == n) {
                int64_t lo = ring[0], hi = ring[0];
                for (unsigned i = 1; i < n; i++) {
                        lo = MIN(lo, ring[i]);
                        hi = MAX(hi, ring[i]);
                }
                if (hi - lo <= d->conf.bf_window_us) {
                        subj_src(s);
                        st->alert_count = st->ep_count;
                        if ((r = raise_bruteforce(d, s, st, e, t, false, 0)) < 0)
                                return r;
                }
        } else if (st->alert_count && d->conf.bf_followup_factor &&
                   st->ep_count >= st->alert_count * d->conf.bf_followup_factor) {
                uint64_t prev = st->alert_count;
                subj_src(s);
                st->alert_count = st->ep_count;
                if ((r = raise_bruteforce(d, s, st, e, t, true, prev)) < 0)
                        return r;
        }

        /* Spraying from this source: many accounts. One source, one alert:
         * not raised once the source is reported as a brute force. */
        if (d->conf.spray_accounts && user && *user) {
                /* The account's fingerprint: the acct table's keyed hash of
                 * (service, user), which the spraying check by account
                 * needs too (one source's entry has one service). */
                tabkey_t k;
                uint64_t h;
                unsigned distinct;

                if (!key_acct(d, &k, s, user, &h))
                        h = lrutab_siphash13(d->seed, user, strlen(user));
                distinct = window_add(src_accts(d, st), d->conf.spray_accounts, h, t,
                                      d->conf.spray_window_us, NULL);

                if (distinct >= d->conf.spray_accounts && !st->spray_alerted && !st->alert_count) {
                        _cleanup_alert_ alert_t *a = alert_start(d, "login.password_spray",
                                                                 subj_src(s), ALERT_SUSPICIOUS, t);
                        char dur[48];

                        st->spray_alerted = true;
                        if (!a)
                                return -ENOMEM;
                        format_duration(st->ep_last - st->ep_first, dur, sizeof(dur));
                        if ((r = alert_set_title(a,
                                                 "Password spraying against %s from %s: %u "
                                                 "accounts tried in %s",
                                                 s->service, s->src, distinct, dur)) < 0 ||
                            (r = ev_str(a, "kind", "many_accounts")) < 0 ||
                            (r = ev_str(a, "service", s->service)) < 0 ||
                            (r = ev_str(a, "src", s->src)) < 0 ||
                            (r = ev_sample(a, "users", st->users, st->n_users)) < 0 ||
                            (r = ev_int(a, "accounts", distinct)) < 0 ||
                            (r = ev_int(a, "count", (long long)st->ep_count)) < 0 ||
                            (r = ev_int(a, "window",
                                        (long long)(d->conf.spray_window_us / 1000000))) < 0 ||
                            (r = ev_time(a, "first_time", st->ep_first)) < 0 ||
                            (r = ev_time(a, "last_time", st->ep_last)) < 0 ||
                            (r = ev_origin(a, e)) < 0 ||
                            (r = remediation_block(a, s, harden_text(s->service))) < 0)
                                return r;
                        if ((r = emit(d, TAKE_PTR(a))) < 0)
                                return r;
                }
        }
        if ((r = spray_account_check(d, s, user, e, t)) < 0)
                return r;
        return atk_note(d, s, user, t);
}

/* Count the held publickey failures of ST that are older than the grace at
 * REF (all of them when ALL). */
static int commit_pending(login_detectors_t *d, subj_t *s, src_state_t *st, const logevent_t *e,
                          int64_t ref, bool all)
{
        unsigned keep = 0;
        int r = 0;

        for (unsigned i = 0; i < st->n_pk; i++) {
                if (!all && st->pk[i] + d->conf.pk_grace_us >= ref) {
                        st->pk[keep++] = st->pk[i];
                        continue;
                }
                if (r == 0)
                        r = count_failure(d, s, st, NULL, "publickey", e, st->pk[i]);
        }
        st->n_pk = (uint8_t)keep;
        return r;
}

/* ------------------------------------------------------------------ */
/* Connections                                                         */

static bool conn_key(tabkey_t *k, subj_t *s, const logevent_t *e)
{
        k->n = 0;
        if (!key_add(k, s->service, strlen(s->service) + 1))
                return false;
        if (e->port && (s->has_ip || s->src[0])) {
                unsigned char p[3] = { 'P', (unsigned char)(e->port >> 8),
                                       (unsigned char)(e->port & 0xff) };
                return key_add(k, p, 3) && key_add_src(k, s);
        }
        if (e->pid > 0) {
                uint32_t pid = (uint32_t)e->pid;
                return key_add(k, "p", 1) && key_add(k, &pid, sizeof(pid)) &&
                       key_add(k, e->host, strlen(e->host));
        }
        return false;
}

typedef enum how {
        HOW_ATTEMPT, /* a credential tried and refused: counts, once per line */
        HOW_MARKER, /* the connection failed (invalid user, too many…): counts once per connection
                     */
        HOW_PENDING, /* a refused key: counts after the grace unless a login follows */
        HOW_NOTE,    /* counts nothing, but belongs to the connection */
} how_t;

/* Counting a failure of S by USER looks up the attack memory (the address
 * and its network) and the account's spraying window: ask for the part of
 * each table's index where they live now, so that the lines arrive in
 * parallel (lrutab_prefetch). The hashes are kept in S for the lookups. */
static void prefetch_counting_index(login_detectors_t *d, subj_t *s, const char *user)
{
        tabkey_t k;
        uint64_t h;

        if (key_atk(d, &k, s, false, &h))
                lrutab_prefetch(d->atk, h);
        if (d->conf.abf_scope == LOGIN_SCOPE_NETWORK && key_atk(d, &k, s, true, &h))
                lrutab_prefetch(d->atk, h);
        if (d->conf.spray_sources && user && *user && key_acct(d, &k, s, user, &h))
                lrutab_prefetch(d->acct, h);
}

/* Then the entries themselves (what prefetch_counting_index asked for has
 * had time to arrive): the parts of their values that counting reads. */
static void prefetch_counting_values(login_detectors_t *d, subj_t *s, const char *user)
{
        if (s->has_key_h)
                lrutab_prefetch_value(d->atk, s->key_h, 0, sizeof(atk_state_t));
        if (s->has_net_h)
                lrutab_prefetch_value(d->atk, s->net_h, 0, sizeof(atk_state_t));
        if (user && s->acct_user == user)
                lrutab_prefetch_value(d->acct, s->acct_h, sizeof(acct_state_t),
                                      d->acct_size - sizeof(acct_state_t));
}

static int on_failure(login_detectors_t *d, const logevent_t *e, int64_t t, how_t how, bool close)
{
        subj_t s;
        tabkey_t k, ck;
        src_state_t *st;
        conn_state_t *c = NULL;
        bool add = how == HOW_ATTEMPT || how == HOW_MARKER, has_ck, has_k;
        uint64_t ch = 0, kh = 0;
        int r;

        subj_from_event(&s, e);
        /* Hash both keys first and ask for both tables' index lines, which
         * then arrive together. */
        has_ck = conn_key(&ck, &s, e);
        if (has_ck) {
                ch = lrutab_hash(d->conn, ck.b, ck.n);
                lrutab_prefetch(d->conn, ch);
        }
        has_k = key_service_src(&k, &s);
        if (has_k) {
                kh = lrutab_hash(d->src, k.b, k.n);
                lrutab_prefetch(d->src, kh);
        }
        if (has_ck) {
                c = lrutab_put_hashed(d->conn, ch, ck.b, ck.n, NULL);
                if (!c)
                        return -ENOMEM;
                if (c->last && t - c->last > CONN_EXPIRE_US)
                        memset(c, 0, sizeof(*c));
                c->last = t;
                if (how == HOW_MARKER && c->counted)
                        add = false;
                else if (how == HOW_ATTEMPT && c->counted && c->marker_only) {
                        /* "Invalid user x" then "Failed password for invalid
                         * user x": one attempt, already counted. */
                        add = false;
                        c->marker_only = false;
                } else if (how == HOW_ATTEMPT || how == HOW_MARKER || how == HOW_PENDING) {
                        if (!c->counted)
                                c->marker_only = how == HOW_MARKER;
                        c->counted = true;
                }
                if (close)
                        lrutab_remove_hashed(d->conn, ch, ck.b, ck.n);
        }
        if (!has_k)
                return 0;
        if (!add && how != HOW_PENDING) {
                /* Nothing to count, but held keys may have come of age. */
                st = lrutab_get_hashed(d->src, kh, k.b, k.n);
                return st ? commit_pending(d, &s, st, e, t, false) : 0;
        }
        if (add)
                prefetch_counting_index(d, &s, e->user);
        /* The failure times and the accounts window follow the fixed part. */
        lrutab_prefetch_value(d->src, kh, sizeof(src_state_t), d->src_size - sizeof(src_state_t));
        st = lrutab_put_hashed(d->src, kh, k.b, k.n, NULL);
        if (!st)
                return -ENOMEM;
        st->touched = MAX(st->touched, t);
        if ((r = commit_pending(d, &s, st, e, t, false)) < 0)
                return r;
        if (how == HOW_PENDING) {
                if (st->n_pk == PK_PENDING_MAX) {
                        /* Full: the oldest counts now. */
                        int64_t oldest = st->pk[0];
                        memmove(st->pk, st->pk + 1, sizeof(st->pk[0]) * (PK_PENDING_MAX - 1));
                        st->n_pk--;
                        if ((r = count_failure(d, &s, st, NULL, "publickey", e, oldest)) < 0)
                                return r;
                }
                st->pk[st->n_pk++] = t;
                return 0;
        }
        prefetch_counting_values(d, &s, e->user);
        return count_failure(d, &s, st, e->user, e->method, e, t);
}

/* ------------------------------------------------------------------ */
/* Successful logins                                                   */

static int raise_after_bruteforce(login_detectors_t *d, subj_t *s, const logevent_t *e,
                                  atk_state_t *a, bool network, int64_t t)
{
        _cleanup_alert_ alert_t *al = NULL;
        _cleanup_free_ char *subject = str_printf("%s@%s", e->user, subj_src(s));
        _cleanup_free_ char *qu = shell_quote(e->user), *qs = shell_quote(s->src);
        char cmd[160], net[IPADDR_STR_MAX + 8] = "", lock[600], since[40] = "";
        char dur[48];
        int r;

        if (!subject || !qu || !qs)
                return -ENOMEM;
        al = alert_start(d, "login.brute_force_success", subject, ALERT_URGENT, t);
        if (!al)
                return -ENOMEM;
        format_duration(t - a->first, dur, sizeof(dur));
        if (network)
                ipnet_format(subj_net(d, s), net);
        block_cmd(s, cmd, sizeof(cmd));
        if (strcmp(s->service, "mysql") == 0)
                snprintf(lock, sizeof(lock),
                         "lock it in the mysql client: ALTER USER 'NAME'@'HOST' ACCOUNT LOCK; "
                         "with NAME the account %s and each HOST it has (SELECT user, host FROM "
                         "mysql.user), then give it a new password",
                         qu);
        else if (strcmp(s->service, "postgres") == 0)
                snprintf(lock, sizeof(lock),
                         "lock it in psql as postgres: ALTER ROLE \"NAME\" NOLOGIN; with NAME "
                         "the role %s, end its sessions: SELECT pg_terminate_backend(pid) FROM "
                         "pg_stat_activity WHERE usename = 'NAME'; then give it a new password",
                         qu);
        else
                snprintf(lock, sizeof(lock),
                         "see its logins: last -i %s; lock it: passwd -l %s and usermod "
                         "--expiredate 1 %s (stops key logins too); end its sessions: pkill "
                         "-KILL -u %s; look for added keys and jobs in .ssh/authorized_keys "
                         "under its home (getent passwd %s) and in crontab -l -u %s, then rotate "
                         "its keys and password",
                         qu, qu, qu, qu, qu, qu);
        if ((r = alert_set_title(al,
                                 "Brute force succeeded: %s logged in to %s from %s after %llu "
                                 "failed logins %sin %s",
                                 e->user, s->service, s->src, (unsigned long long)a->count,
                                 network ? "from its network " : "", dur)) < 0 ||
            (r = ev_str(al, "service", s->service)) < 0 || (r = ev_str(al, "src", s->src)) < 0 ||
            (r = ev_str(al, "user", e->user)) < 0 || (r = ev_str(al, "method", e->method)) < 0 ||
            (r = ev_int(al, "count", (long long)a->count)) < 0 ||
            (r = ev_str(al, "failed_service", a->service)) < 0 ||
            (r = ev_sample(al, "failed_users", a->users, a->n_users)) < 0 ||
            (r = ev_time(al, "first_time", a->first)) < 0 ||
            (r = ev_time(al, "last_time", a->last)) < 0 ||
            (r = ev_int(al, "lookback", (long long)(d->conf.abf_lookback_us / 1000000))) < 0 ||
            (r = ev_str(al, "matched", network ? "network" : "address")) < 0 ||
            (network && (r = ev_str(al, "network", net)) < 0) || (r = ev_origin(al, e)) < 0)
                return r;
        if (a->first > 0)
                snprintf(since, sizeof(since), " --since @%lld", (long long)(a->first / 1000000));
        r = alert_set_remediation(
                al,
                "Treat the account %s as compromised: %s. Block the source: %s. Review what was "
                "done: grep -F %s /var/log/auth.log; journalctl _UID=$(id -u %s)%s.",
                qu, lock, cmd[0] ? cmd : "find the address behind the host name and block it", qs,
                qu, since);
        if (r < 0)
                return r;
        return emit(d, TAKE_PTR(al));
}

static int check_after_bruteforce(login_detectors_t *d, subj_t *s, const logevent_t *e, int64_t t)
{
        uint64_t uh = lrutab_siphash13(d->seed, e->user, strlen(e->user));

        if (!d->conf.abf_failures)
                return 0;
        for (int pass = 0; pass < 2; pass++) {
                tabkey_t k;
                atk_state_t *a;
                uint64_t h;

                if (pass == 1 && d->conf.abf_scope != LOGIN_SCOPE_NETWORK)
                        break;
                if (!key_atk(d, &k, s, pass == 1, &h))
                        continue;
                a = lrutab_get_hashed(d->atk, h, k.b, k.n);
                if (!a || a->count < d->conf.abf_failures ||
                    t - a->last > d->conf.abf_lookback_us || t < a->first)
                        continue;
                /* One urgent alert per account and attack. */
                if (a->succ_time && a->succ_h == uh && t - a->succ_time <= d->conf.abf_lookback_us)
                        return 0;
                a->succ_h = uh;
                a->succ_time = t;
                return raise_after_bruteforce(d, s, e, a, pass == 1, t);
        }
        return 0;
}

static int check_root_password(login_detectors_t *d, subj_t *s, const logevent_t *e, int64_t t)
{
        loginstore_known_t k = { 0 };
        const char *where;
        _cleanup_alert_ alert_t *a = NULL;
        int r;

        if (!d->conf.root_password || strcmp(e->user, "root") != 0 ||
            !is_password_method(e->method) || is_db_service(s->service))
                return 0;
        where = subj_src(s)[0] ? s->src : "local";
        r = loginstore_known_get(d->store, "root", LOGINSTORE_ROOTPW, where, &k);
        if (r < 0 && r != -ENOENT)
                return r;
        if (k.alerted && t - k.alerted < d->conf.root_cooldown_us && t >= k.alerted)
                return 0;
        if (!k.first)
                k.first = t;
        k.last = t;
        k.count++;
        k.alerted = t;
        if ((r = loginstore_known_put(d->store, "root", LOGINSTORE_ROOTPW, where, &k)) < 0)
                return r;
        a = alert_start(d, "login.root_password", where, ALERT_REMINDER, t);
        if (!a)
                return -ENOMEM;
        if ((r = alert_set_title(a, "root logged in to %s with a password from %s", s->service,
                                 where)) < 0 ||
            (r = ev_str(a, "service", s->service)) < 0 || (r = ev_str(a, "src", s->src)) < 0 ||
            (r = ev_str(a, "user", "root")) < 0 || (r = ev_str(a, "method", e->method)) < 0 ||
            (r = ev_time(a, "first_time", t)) < 0 || (r = ev_origin(a, e)) < 0 ||
            (r = alert_set_remediation(
                     a, "Log in as an unprivileged user with a key and use sudo. Forbid root "
                        "password logins: set PermitRootLogin prohibit-password in "
                        "/etc/ssh/sshd_config, then run: systemctl reload ssh.")) < 0)
                return r;
        return emit(d, TAKE_PTR(a));
}

static const char *reason_text(const char *reason)
{
        if (strcmp(reason, "new_source") == 0)
                return "first login from this source";
        if (strcmp(reason, "new_country") == 0)
                return "first login from this country";
        if (strcmp(reason, "source_not_approved") == 0)
                return "source not approved";
        if (strcmp(reason, "country_not_approved") == 0)
                return "country not approved";
        if (strcmp(reason, "outside_approved_times") == 0)
                return "outside approved times";
        if (strcmp(reason, "account_not_approved") == 0)
                return "account not approved";
        return reason;
}

/* The learned-history row for a source: the address or its network. */
static void source_value(const login_detectors_t *d, subj_t *s, char *out)
{
        if (d->conf.source_scope == LOGIN_SCOPE_IP) {
                ipaddr_format(&s->ip, out);
        } else
                ipnet_format(subj_net(d, s), out);
}

/* ipaddr_is_public of an address S, remembered for the addresses seen
 * lately: it tries two dozen ranges, and the same few addresses log in
 * over and over. The slot is chosen by the source's keyed hash. */
static bool subj_is_public(login_detectors_t *d, subj_t *s)
{
        public_memo_t *m;

        if (!subj_key(s))
                return ipaddr_is_public(&s->ip);
        m = &d->public_memo[subj_key_hash(d, s) % PUBLIC_MEMO];
        if (!m->used || m->ip.family != s->ip.family ||
            memcmp(m->ip.bytes, s->ip.bytes, sizeof(s->ip.bytes)) != 0) {
                m->ip = s->ip;
                m->is_public = ipaddr_is_public(&s->ip);
                m->used = true;
        }
        return m->is_public;
}

static bool is_usual(const login_detectors_t *d, const loginstore_known_t *k)
{
        return k->usual || k->count >= (int64_t)d->conf.usual_after;
}

static int learn(login_detectors_t *d, const char *user, loginstore_kind_t kind, const char *value,
                 loginstore_known_t *k, bool learning, int64_t t)
{
        if (!k->first || t < k->first)
                k->first = t;
        if (t > k->last)
                k->last = t;
        k->count++;
        if (learning)
                k->usual = true;
        return loginstore_known_put(d->store, user, kind, value, k);
}

static int check_abnormal(login_detectors_t *d, subj_t *s, const logevent_t *e, int64_t t)
{
        const char *reasons[6];
        unsigned n_reasons = 0;
        char srcval[IPADDR_STR_MAX + 8], cc[3] = "";
        loginstore_known_t ks = { 0 }, kc = { 0 };
        bool learning, approved_src = false, have_cc = false;
        int r, tr;

        if (!d->conf.abnormal || !s->has_ip || !e->user[0])
                return 0;
        if (!d->conf.judge_private && !subj_is_public(d, s))
                return 0;
        if (!d->learn_start) {
                d->learn_start = t;
                if ((r = loginstore_set_meta(d->store, "learn_start", t)) < 0)
                        return r;
        }
        learning = t < d->learn_start + d->conf.learning_us;

        if (d->conf.approved_accounts.n &&
            !login_conf_account_in(&d->conf, &d->conf.approved_accounts, e->user))
                reasons[n_reasons++] = "account_not_approved";
        tr = d->conf.n_times ? login_conf_time_approved(&d->conf, e->user, t) : -1;
        if (tr == 0)
                reasons[n_reasons++] = "outside_approved_times";
        if (d->conf.n_approved_sources) {
                approved_src = login_conf_net_match(d->conf.approved_sources,
                                                    d->conf.n_approved_sources, &s->ip);
                if (!approved_src)
                        reasons[n_reasons++] = "source_not_approved";
        }
        if (d->geoip && geoip_country(d->geoip, &s->ip, cc) == 0)
                have_cc = true;
        if (have_cc && d->conf.approved_countries.n && !approved_src &&
            !strv_contains(&d->conf.approved_countries, cc))
                reasons[n_reasons++] = "country_not_approved";

        source_value(d, s, srcval);
        r = loginstore_known_get(d->store, e->user, LOGINSTORE_SOURCE, srcval, &ks);
        if (r < 0 && r != -ENOENT)
                return r;
        if (!learning && d->conf.source_scope != LOGIN_SCOPE_NONE && !d->conf.n_approved_sources &&
            !is_usual(d, &ks))
                reasons[n_reasons++] = "new_source";
        if (have_cc) {
                r = loginstore_known_get(d->store, e->user, LOGINSTORE_COUNTRY, cc, &kc);
                if (r < 0 && r != -ENOENT)
                        return r;
                if (!learning && !d->conf.approved_countries.n && !approved_src &&
                    !is_usual(d, &kc))
                        reasons[n_reasons++] = "new_country";
                if ((r = learn(d, e->user, LOGINSTORE_COUNTRY, cc, &kc, learning, t)) < 0)
                        return r;
        }
        if (n_reasons && ks.alerted && t >= ks.alerted &&
            t - ks.alerted < d->conf.abnormal_cooldown_us)
                n_reasons = 0; /* told recently about this account and source */
        if (n_reasons)
                ks.alerted = t;
        if ((r = learn(d, e->user, LOGINSTORE_SOURCE, srcval, &ks, learning, t)) < 0)
                return r;
        if (!n_reasons)
                return 0;

        subj_src(s);
        {
                _cleanup_free_ char *subject = str_printf("%s@%s", e->user, srcval);
                _cleanup_free_ char *qu = shell_quote(e->user);
                _cleanup_alert_ alert_t *a = NULL;
                _cleanup_buf_ buf_t why = { 0 };
                json_t *arr = json_array();

                buf_init(&why, 512);
                if (!subject || !qu || !arr) {
                        json_decref(arr);
                        return -ENOMEM;
                }
                for (unsigned i = 0; i < n_reasons; i++) {
                        if (json_array_append_new(arr, json_string(reasons[i])) < 0 ||
                            buf_printf(&why, "%s%s", i ? ", " : "", reason_text(reasons[i])) < 0) {
                                json_decref(arr);
                                return -ENOMEM;
                        }
                }
                a = alert_start(d, "login.abnormal", subject, ALERT_SUSPICIOUS, t);
                if (!a || json_object_set_new(a->evidence, "reasons", arr) < 0)
                        return -ENOMEM;
                if ((r = alert_set_title(a, "Unusual login: %s logged in to %s from %s%s%s%s: %s",
                                         e->user, s->service, s->src, have_cc ? " (" : "",
                                         have_cc ? cc : "", have_cc ? ")" : "", why.data)) < 0 ||
                    (r = ev_str(a, "service", s->service)) < 0 ||
                    (r = ev_str(a, "src", s->src)) < 0 || (r = ev_str(a, "user", e->user)) < 0 ||
                    (r = ev_str(a, "method", e->method)) < 0 ||
                    (r = ev_str(a, "source_key", srcval)) < 0 ||
                    (have_cc && (r = ev_str(a, "country", cc)) < 0) ||
                    (r = ev_int(a, "seen_before", (long long)(ks.count - 1))) < 0 ||
                    (r = ev_time(a, "first_time", t)) < 0 || (r = ev_origin(a, e)) < 0 ||
                    (r = alert_set_remediation(
                             a,
                             "If %s did not log in from %s then: see its logins with last -i %s; "
                             "lock it: passwd -l %s and usermod --expiredate 1 %s; end its "
                             "sessions: pkill -KILL -u %s; check .ssh/authorized_keys under its "
                             "home (getent passwd %s). If "
                             "the login was expected, approve it in /etc/vigil/vigil.yml "
                             "(login.approved.sources: [\"%s\"]%s%s%s) or let vigil learn it: it "
                             "becomes usual after %u logins.",
                             qu, s->src, qu, qu, qu, qu, qu, srcval,
                             have_cc ? ", login.approved.countries: [" : "", have_cc ? cc : "",
                             have_cc ? "]" : "", d->conf.usual_after)) < 0)
                        return r;
                return emit(d, TAKE_PTR(a));
        }
}

static int on_success(login_detectors_t *d, const logevent_t *e, int64_t t)
{
        subj_t s;
        tabkey_t k;
        int r;

        subj_from_event(&s, e);
        if (conn_key(&k, &s, e))
                lrutab_remove(d->conn, k.b, k.n);
        if (key_service_src(&k, &s)) {
                src_state_t *st = lrutab_get(d->src, k.b, k.n);
                if (st) {
                        /* Keys refused within the grace before this login
                         * were the client trying its keys in turn. */
                        if ((r = commit_pending(d, &s, st, e, t, false)) < 0)
                                return r;
                        st->n_pk = 0;
                }
        }
        /* The source is formatted as text only for an alert (subj_src). */
        if ((s.has_ip || s.src[0]) && e->user[0] && (r = check_after_bruteforce(d, &s, e, t)) < 0)
                return r;
        if ((r = check_root_password(d, &s, e, t)) < 0)
                return r;
        return check_abnormal(d, &s, e, t);
}

/* ------------------------------------------------------------------ */
/* Entry points                                                        */

/* PAM services whose program logs its own failure line (counted there). */
static bool pam_self_logged(const char *service)
{
        static const char *const names[] = { "sshd",  "sshd-session", "su",
                                             "su-l",  "sudo",         "sudo-i",
                                             "login", "runuser",      "runuser-l" };

        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (strcmp(service, names[i]) == 0)
                        return true;
        return false;
}

int login_detectors_feed(login_detectors_t *d, const logevent_t *e)
{
        int64_t t;

        if (!d || !e || e->kind >= LOGEVENT_KIND__MAX)
                return -EINVAL;
        d->st.events++;
        if (e->time_us > d->clock) {
                /* Reading the wall clock for every event costs; once per
                 * second of log time is precise enough for the timer. */
                if (e->time_us - d->clock_at_wall >= LOGIN_SEC(1)) {
                        d->clock_wall = timeutil_now_us();
                        d->clock_at_wall = e->time_us;
                }
                d->clock = e->time_us;
        }
        t = e->time_us ? e->time_us : d->clock;
        if (e->has_ip &&
            login_conf_net_match(d->conf.ignore_sources, d->conf.n_ignore_sources, &e->src_ip))
                return 0;
        switch (e->kind) {
        case LOGEVENT_AUTH_SUCCESS:
                return on_success(d, e, t);
        case LOGEVENT_AUTH_FAILURE:
                /* The first letter spares the comparisons for passwords. */
                if (e->method[0] == 'n' && strcmp(e->method, "none") == 0)
                        return on_failure(d, e, t, HOW_NOTE, false);
                if ((e->method[0] == 'p' && strcmp(e->method, "publickey") == 0) ||
                    (e->method[0] == 'h' && strcmp(e->method, "hostbased") == 0))
                        return on_failure(d, e, t, HOW_PENDING, false);
                return on_failure(d, e, t, e->method[0] ? HOW_ATTEMPT : HOW_MARKER, false);
        case LOGEVENT_PAM_FAILURE:
                if (pam_self_logged(e->service))
                        return 0;
                return on_failure(d, e, t, HOW_ATTEMPT, false);
        case LOGEVENT_INVALID_USER:
        case LOGEVENT_NOT_ALLOWED:
        case LOGEVENT_ROOT_REFUSED:
        case LOGEVENT_MAX_ATTEMPTS:
                return on_failure(d, e, t, HOW_MARKER, false);
        case LOGEVENT_PREAUTH_CLOSE:
                /* A connection that ended before login while naming an
                 * account failed to log in; one without a name was a probe. */
                return on_failure(d, e, t, e->user[0] ? HOW_MARKER : HOW_NOTE, true);
        case LOGEVENT_SESSION_OPEN:
        case LOGEVENT_PRIV_FAILURE:
        case LOGEVENT_KIND__MAX:
                break;
        }
        return 0;
}

typedef struct sweep {
        login_detectors_t *d;
        int64_t ref;
        bool all;
        int r;
} sweep_t;

static int sweep_src(const void *key, size_t klen, void *value, void *userdata)
{
        sweep_t *sw = userdata;
        login_detectors_t *d = sw->d;
        src_state_t *st = value;
        subj_t s;
        int64_t keep;

        if (st->n_pk && subj_from_key(&s, key, klen)) {
                int r = commit_pending(d, &s, st, NULL, sw->ref, sw->all);
                if (r < 0)
                        return r;
        }
        if (sw->all || st->n_pk)
                return 0;
        keep = MAX(d->conf.bf_cooldown_us, d->conf.spray_window_us);
        return sw->ref - MAX(st->touched, st->ep_last) > keep ? 1 : 0;
}

static int sweep_acct(const void *key, size_t klen, void *value, void *userdata)
{
        sweep_t *sw = userdata;
        acct_state_t *a = value;

        return sw->ref - a->ep_last >
                               MAX(sw->d->conf.spray_cooldown_us, sw->d->conf.spray_window_us)
                       ? 1
                       : 0;
}

static int sweep_atk(const void *key, size_t klen, void *value, void *userdata)
{
        sweep_t *sw = userdata;
        atk_state_t *a = value;

        return sw->ref - MAX(a->last, a->succ_time) > sw->d->conf.abf_lookback_us ? 1 : 0;
}

static int sweep_conn(const void *key, size_t klen, void *value, void *userdata)
{
        sweep_t *sw = userdata;
        conn_state_t *c = value;

        return sw->ref - c->last > CONN_EXPIRE_US ? 1 : 0;
}

typedef struct saver {
        login_detectors_t *d;
        int tab;
        size_t size;
        unsigned rows; /* rows written or deleted */
} saver_t;

static int save_one(const void *key, size_t klen, void *value, void *userdata)
{
        saver_t *sv = userdata;
        int r = loginstore_snap_put(sv->d->store, sv->tab, key, klen, value, sv->size);

        sv->rows++;
        return r == -E2BIG ? 0 : r;
}

/* The whole snapshot: every table's rows replaced. The tables' change
 * marks start again from here. */
static int save_snapshot(login_detectors_t *d)
{
        saver_t sv[] = { { d, SNAP_SRC, d->src_size, 0 },
                         { d, SNAP_ACCT, d->acct_size, 0 },
                         { d, SNAP_ATK, sizeof(atk_state_t), 0 } };
        lrutab_t *tabs[] = { d->src, d->acct, d->atk };
        int r;

        if (!d->opts.state_dir)
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(sv); i++) {
                if ((r = loginstore_snap_clear(d->store, sv[i].tab)) < 0 ||
                    (r = lrutab_foreach(tabs[i], save_one, &sv[i])) < 0)
                        return r;
                lrutab_track_changes(tabs[i], true);
        }
        if ((r = loginstore_set_meta(d->store, "clock", d->clock)) < 0)
                return r;
        return loginstore_commit(d->store);
}

static int save_gone(const void *key, size_t klen, void *userdata)
{
        saver_t *sv = userdata;

        sv->rows++;
        return loginstore_snap_del(sv->d->store, sv->tab, key, klen);
}

/* What changed since the last save: rows of removed entries deleted, rows
 * of entries got or put since then written again. Cheap enough to run
 * after every batch of lines, so a crash loses at most what the detectors
 * saw after the agent's last commit. */
static int save_changes(login_detectors_t *d)
{
        saver_t sv[] = { { d, SNAP_SRC, d->src_size, 0 },
                         { d, SNAP_ACCT, d->acct_size, 0 },
                         { d, SNAP_ATK, sizeof(atk_state_t), 0 } };
        lrutab_t *tabs[] = { d->src, d->acct, d->atk };
        unsigned rows = 0;
        int r;

        if (!d->opts.state_dir)
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(sv); i++) {
                r = lrutab_drain_changes(tabs[i], save_gone, save_one, &sv[i]);
                if (r == -ENOBUFS)
                        return save_snapshot(d);
                if (r < 0)
                        return r;
                rows += sv[i].rows;
        }
        /* An idle host: nothing to write, no transaction every tick. */
        if (!rows && d->clock == d->saved_clock)
                return loginstore_commit(d->store);
        if ((r = loginstore_set_meta(d->store, "clock", d->clock)) < 0)
                return r;
        d->saved_clock = d->clock;
        return loginstore_commit(d->store);
}

static int load_one(const void *key, size_t klen, const void *value, size_t vlen, void *userdata)
{
        saver_t *sv = userdata;
        lrutab_t *t = sv->tab == SNAP_SRC    ? sv->d->src
                      : sv->tab == SNAP_ACCT ? sv->d->acct
                                             : sv->d->atk;
        void *v;

        /* A snapshot written with other thresholds has other sizes. */
        if (vlen != sv->size)
                return 0;
        v = lrutab_put(t, key, klen, NULL);
        if (!v)
                return -ENOMEM;
        memcpy(v, value, vlen);
        if (sv->tab == SNAP_SRC) {
                src_state_t *st = v;
                /* Never trust indexes read back from a file. */
                if (st->ring_n > sv->d->conf.bf_failures ||
                    st->ring_head >= sv->d->conf.bf_failures || st->n_pk > PK_PENDING_MAX ||
                    st->n_users > USERS_SAMPLE)
                        lrutab_remove(t, key, klen);
                else {
                        for (int i = 0; i < USERS_SAMPLE; i++)
                                st->users[i][SAMPLE_LEN - 1] = 0;
                        st->method[sizeof(st->method) - 1] = 0;
                }
        } else if (sv->tab == SNAP_ACCT) {
                acct_state_t *a = v;
                if (a->n_sample > USERS_SAMPLE)
                        lrutab_remove(t, key, klen);
                else
                        for (int i = 0; i < USERS_SAMPLE; i++)
                                a->sample[i][SAMPLE_LEN - 1] = 0;
        } else {
                atk_state_t *a = v;
                if (a->n_users > USERS_SAMPLE)
                        lrutab_remove(t, key, klen);
                else {
                        for (int i = 0; i < USERS_SAMPLE; i++)
                                a->users[i][SAMPLE_LEN - 1] = 0;
                        a->service[sizeof(a->service) - 1] = 0;
                }
        }
        return 0;
}

/* The fingerprints in the saved windows (accounts a source tried, sources
 * that tried an account) are keyed hashes: they only match the same
 * account or source after a restart when the key is the same. A host's
 * key is made once, from getrandom, and kept in the store beside the
 * snapshot; without a state directory the random one stays. */
static int use_saved_key(login_detectors_t *d)
{
        int64_t half[2];
        int r;

        if (!d->opts.state_dir)
                return 0;
        if (loginstore_get_meta(d->store, "hash_key0", &half[0]) == 0 &&
            loginstore_get_meta(d->store, "hash_key1", &half[1]) == 0)
                memcpy(d->seed, half, sizeof(d->seed));
        else {
                memcpy(half, d->seed, sizeof(d->seed));
                if ((r = loginstore_set_meta(d->store, "hash_key0", half[0])) < 0 ||
                    (r = loginstore_set_meta(d->store, "hash_key1", half[1])) < 0 ||
                    (r = loginstore_commit(d->store)) < 0)
                        return r;
        }
        if ((r = lrutab_set_key(d->src, d->seed)) < 0 ||
            (r = lrutab_set_key(d->acct, d->seed)) < 0 ||
            (r = lrutab_set_key(d->atk, d->seed)) < 0 || (r = lrutab_set_key(d->conn, d->seed)) < 0)
                return r;
        return 0;
}

static int load_snapshot(login_detectors_t *d)
{
        saver_t sv[] = { { d, SNAP_SRC, d->src_size, 0 },
                         { d, SNAP_ACCT, d->acct_size, 0 },
                         { d, SNAP_ATK, sizeof(atk_state_t), 0 } };
        int64_t v;
        int r;

        if (loginstore_get_meta(d->store, "learn_start", &v) == 0)
                d->learn_start = v;
        if (loginstore_get_meta(d->store, "clock", &v) == 0)
                d->clock = v;
        for (size_t i = 0; i < ELEMENTSOF(sv); i++)
                if ((r = loginstore_snap_load(d->store, sv[i].tab, load_one, &sv[i])) < 0)
                        return r;
        /* From here on, saves write only what changes (nothing is saved
         * without a state directory: no tracking then). */
        if (d->opts.state_dir) {
                lrutab_track_changes(d->src, true);
                lrutab_track_changes(d->acct, true);
                lrutab_track_changes(d->atk, true);
        }
        return 0;
}

int login_detectors_new(const login_detectors_opts_t *opts, login_detectors_t **ret,
                        char **ret_error)
{
        login_detectors_t *d;
        _cleanup_free_ char *err = NULL;
        char hostbuf[256];
        int r;

        if (ret_error)
                *ret_error = NULL;
        if (!opts || !opts->config || !opts->on_alert || !ret)
                return -EINVAL;
        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        d->opts = *opts;
        r = login_conf_load(opts->config, &d->conf, &err);
        if (r < 0)
                goto fail;
        d->opts.state_dir = NULL;
        if (opts->state_dir && !(d->opts.state_dir = strdup(opts->state_dir))) {
                r = -ENOMEM;
                goto fail;
        }
        if (opts->host)
                d->host = strdup(opts->host);
        else {
                if (gethostname(hostbuf, sizeof(hostbuf)) < 0)
                        snprintf(hostbuf, sizeof(hostbuf), "localhost");
                hostbuf[sizeof(hostbuf) - 1] = 0;
                d->host = strdup(hostbuf);
        }
        if (!d->host) {
                r = -ENOMEM;
                goto fail;
        }
        if (getrandom(d->seed, sizeof(d->seed), 0) != (ssize_t)sizeof(d->seed)) {
                r = -EIO;
                goto fail;
        }
        d->src_size = sizeof(src_state_t) + sizeof(int64_t) * d->conf.bf_failures +
                      sizeof(slot_t) * d->conf.spray_accounts;
        d->acct_size = sizeof(acct_state_t) + sizeof(slot_t) * d->conf.spray_sources;
        if ((r = lrutab_new(d->conf.max_sources, d->src_size, &d->src)) < 0 ||
            (r = lrutab_new(d->conf.max_accounts, d->acct_size, &d->acct)) < 0 ||
            (r = lrutab_new(d->conf.max_sources, sizeof(atk_state_t), &d->atk)) < 0 ||
            (r = lrutab_new(d->conf.max_connections, sizeof(conn_state_t), &d->conn)) < 0)
                goto fail;
        if ((r = loginstore_open(d->opts.state_dir, &d->store, &err)) < 0 ||
            (r = use_saved_key(d)) < 0)
                goto fail;
        if (d->conf.geoip_db && (r = geoip_open(d->conf.geoip_db, &d->geoip, &err)) < 0)
                goto fail;
        if ((r = load_snapshot(d)) < 0) {
                if (!err)
                        err = str_printf("%s/%s: cannot read the saved login state",
                                         d->opts.state_dir ? d->opts.state_dir : "",
                                         LOGINSTORE_FILE);
                goto fail;
        }
        d->clock_wall = timeutil_now_us();
        d->clock_at_wall = d->clock;
        *ret = d;
        return 0;
fail:
        login_detectors_free(d);
        if (ret_error)
                *ret_error = TAKE_PTR(err);
        return r;
}

int login_detectors_flush(login_detectors_t *d)
{
        sweep_t sw = { .d = d, .ref = d->clock, .all = true };
        int r;

        /* End of input: nothing can excuse a held publickey failure now. */
        if ((r = lrutab_foreach(d->src, sweep_src, &sw)) < 0)
                return r;
        if (d->opts.state_dir && (r = save_snapshot(d)) < 0)
                return r;
        return loginstore_commit(d->store);
}

int login_detectors_tick(login_detectors_t *d, int64_t now_us)
{
        sweep_t sw = { .d = d, .all = false };
        int64_t elapsed = now_us - d->clock_wall;
        int r;

        /* The log clock moved on by the wall time elapsed since the latest
         * event; a wall clock far from the log's own (a zone error) then
         * does not matter. */
        sw.ref = MAX(d->clock, d->clock_at_wall + MAX(elapsed, 0));
        if ((r = lrutab_foreach(d->src, sweep_src, &sw)) < 0 ||
            (r = lrutab_foreach(d->acct, sweep_acct, &sw)) < 0 ||
            (r = lrutab_foreach(d->atk, sweep_atk, &sw)) < 0 ||
            (r = lrutab_foreach(d->conn, sweep_conn, &sw)) < 0)
                return r;
        if ((r = save_changes(d)) < 0)
                return r;
        return loginstore_commit(d->store);
}

int login_detectors_save(login_detectors_t *d)
{
        int r = save_changes(d);

        return r < 0 ? r : loginstore_commit(d->store);
}

void login_detectors_stats(const login_detectors_t *d, login_detectors_stats_t *ret)
{
        *ret = d->st;
        ret->sources = lrutab_count(d->src);
        ret->accounts = lrutab_count(d->acct);
        ret->attackers = lrutab_count(d->atk);
        ret->connections = lrutab_count(d->conn);
        ret->evictions = lrutab_evictions(d->src) + lrutab_evictions(d->acct) +
                         lrutab_evictions(d->atk) + lrutab_evictions(d->conn);
        ret->known = loginstore_known_count(d->store);
}

void login_detectors_free(login_detectors_t *d)
{
        if (!d)
                return;
        if (d->store && d->src && d->opts.state_dir)
                (void)save_snapshot(d);
        loginstore_close(d->store);
        geoip_close(d->geoip);
        lrutab_free(d->src);
        lrutab_free(d->acct);
        lrutab_free(d->atk);
        lrutab_free(d->conn);
        login_conf_clear(&d->conf);
        free((char *)d->opts.state_dir);
        free(d->host);
        free(d);
}
