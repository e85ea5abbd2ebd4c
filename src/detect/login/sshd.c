#include "detect/login/sshd.h"

#include <string.h>

#include "detect/login/pam.h"

bool sshd_is_prog(const char *prog, size_t n)
{
        return logmsg_eq(prog, n, LIT("sshd")) || logmsg_eq(prog, n, LIT("sshd-session")) ||
               logmsg_eq(prog, n, LIT("sshd-auth"));
}

/* Strip one of the prefixes sshd puts before some messages by log level. */
static void skip_level(const char **s, size_t *n)
{
        if (logmsg_starts(*s, *n, LIT("error: "))) {
                *s += 7;
                *n -= 7;
        } else if (logmsg_starts(*s, *n, LIT("fatal: "))) {
                *s += 7;
                *n -= 7;
        }
}

static bool cut_suffix(const char *s, size_t *n, const char *lit, size_t ln)
{
        if (!logmsg_ends(s, *n, lit, ln))
                return false;
        *n -= ln;
        return true;
}

static void set_user(logevent_t *e, const char *u, size_t n)
{
        logevent_set(e, e->user, sizeof(e->user), u, n);
}

/* "USER-PART ADDR port N" with nothing after: take the address and port off
 * the end; *N is left at the end of the user part (before " ADDR"). */
static bool cut_addr_port(const char *s, size_t *n, logevent_t *e)
{
        const char *tok;
        size_t tl;

        if (!logmsg_cut_port(s, n, &e->port))
                return false;
        if (!logmsg_cut_token(s, n, &tok, &tl))
                return false;
        return logmsg_set_src(e, tok, tl);
}

/* A user part "[invalid user |authenticating user |user ]USER". */
static bool set_user_part(logevent_t *e, const char *s, size_t n)
{
        if (logmsg_starts(s, n, LIT("invalid user "))) {
                e->invalid_user = true;
                s += 13;
                n -= 13;
        } else if (logmsg_starts(s, n, LIT("authenticating user "))) {
                s += 20;
                n -= 20;
        } else if (logmsg_starts(s, n, LIT("user "))) {
                s += 5;
                n -= 5;
        } else
                return false;
        set_user(e, s, n);
        return true;
}

static bool is_method(const char *s, size_t n)
{
        if (n == 0 || n >= LOGEVENT_METHOD_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '-' || s[i] == '/'))
                        return false;
        return true;
}

/* A key type as sshd prints it ("RSA", "ED25519", "ECDSA-SK", "RSA-CERT"). */
static bool is_keytype(const char *s, size_t n)
{
        if (n == 0 || n > 32)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
                      s[i] == '@' || (s[i] >= 'a' && s[i] <= 'z') || s[i] == '.'))
                        return false;
        return true;
}

/* A fingerprint "SHA256:base64" or "MD5:hex:hex:…". */
static bool is_fingerprint(const char *s, size_t n)
{
        if (logmsg_starts(s, n, LIT("SHA256:"))) {
                s += 7;
                n -= 7;
        } else if (logmsg_starts(s, n, LIT("MD5:"))) {
                s += 4;
                n -= 4;
        } else
                return false;
        if (n == 0 || n > 100)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
                      (s[i] >= '0' && s[i] <= '9') || s[i] == '+' || s[i] == '/' || s[i] == '=' ||
                      s[i] == ':'))
                        return false;
        return true;
}

/* "TYPE FP" filling all of S. */
static bool is_key(const char *s, size_t n)
{
        const char *sp = memchr(s, ' ', n);

        return sp && is_keytype(s, (size_t)(sp - s)) &&
               is_fingerprint(sp + 1, n - (size_t)(sp - s) - 1);
}

/* Check a certificate tail after " (serial ": "N) CA TYPE FP", exactly. */
static bool is_cert_tail(const char *s, size_t n)
{
        size_t i = 0;

        while (i < n && s[i] >= '0' && s[i] <= '9' && i < 20)
                i++;
        if (i == 0 || !logmsg_starts(s + i, n - i, LIT(") CA ")))
                return false;
        i += 5;
        return is_key(s + i, n - i);
}

/* What may follow "ssh2" in a Failed/Accepted line: nothing, or for a key
 * method ": TYPE FP", or for a certificate ": TYPE FP ID KEYID (serial N) CA
 * TYPE FP" where KEYID is free text. Anything else means this "ssh2" is not
 * the real end of the fixed part. */
static bool valid_tail(const char *method, size_t ml, const char *s, size_t n)
{
        const char *id, *serial;

        if (n == 0)
                return true;
        if (!logmsg_eq(method, ml, LIT("publickey")) && !logmsg_eq(method, ml, LIT("hostbased")))
                return false;
        if (!logmsg_starts(s, n, LIT(": ")))
                return false;
        s += 2;
        n -= 2;
        if (is_key(s, n))
                return true;
        id = logmsg_find(s, n, LIT(" ID "));
        serial = logmsg_rfind(s, n, LIT(" (serial "));
        if (!id || !serial || serial < id + 3 || !is_key(s, (size_t)(id - s)))
                return false;
        return is_cert_tail(serial + 9, n - (size_t)(serial + 9 - s));
}

/* One way to split "USER-PART from ADDR port N ssh2TAIL". */
typedef struct split {
        size_t user_len; /* bytes of the user part */
        const char *addr;
        size_t addr_len;
        uint16_t port;
} split_t;

/* Find every position where " from ADDR port N ssh2" fits with a valid
 * tail after it, right to left; at most MAX of them. */
static size_t find_splits(const char *method, size_t ml, const char *s, size_t n, split_t *out,
                          size_t max)
{
        size_t found = 0, end = n;

        while (found < max) {
                const char *p = logmsg_rfind(s, end, LIT(" ssh2"));
                size_t k, tl;
                const char *tok;
                split_t sp;

                if (!p)
                        break;
                end = (size_t)(p - s);
                k = end;
                if (!valid_tail(method, ml, p + 5, n - (size_t)(p + 5 - s)))
                        continue;
                if (!logmsg_cut_port(s, &k, &sp.port) || !logmsg_cut_token(s, &k, &tok, &tl) ||
                    !cut_suffix(s, &k, LIT(" from")))
                        continue;
                sp.addr = tok;
                sp.addr_len = tl;
                sp.user_len = k;
                out[found++] = sp;
        }
        return found;
}

/* "Failed METHOD for [invalid user ]USER from ADDR port N ssh2[: INFO]" and
 * the same with "Accepted". */
static int parse_auth(const logmsg_t *m, pidtab_t *pids, uint64_t key, const char *s, size_t n,
                      logevent_kind_t kind, logevent_t *e)
{
        const char *sp = memchr(s, ' ', MIN(n, (size_t)LOGEVENT_METHOD_MAX + 1));
        const char *method = s;
        size_t ml, nsplit, pick = 0;
        split_t splits[4];

        if (!sp)
                return 0;
        ml = (size_t)(sp - s);
        if (!is_method(method, ml) || !logmsg_starts(sp, n - ml, LIT(" for ")))
                return 0;
        s = sp + 5;
        n -= ml + 5;
        nsplit = find_splits(method, ml, s, n, splits, ELEMENTSOF(splits));
        if (nsplit == 0)
                return 0;
        logmsg_event_init(e, m, "sshd");
        e->kind = kind;
        logevent_set(e, e->method, sizeof(e->method), method, ml);
        if (nsplit > 1) {
                /* A certificate's key id and the user name are both free
                 * text: believe a split only if this connection's earlier
                 * lines named the same address. */
                logevent_t known;
                bool resolved = false;

                memset(&known, 0, sizeof(known));
                if (pids && pidtab_fill(pids, key, m->time_us, &known)) {
                        for (size_t i = 0; i < nsplit && !resolved; i++) {
                                logevent_t probe;
                                memset(&probe, 0, sizeof(probe));
                                if (logmsg_set_src(&probe, splits[i].addr, splits[i].addr_len) &&
                                    strcmp(probe.src, known.src) == 0) {
                                        pick = i;
                                        resolved = true;
                                }
                        }
                }
                if (!resolved) {
                        /* Keep the event (the attempt happened) without a
                         * source; the user is as uncertain, so it is the
                         * shortest reading. */
                        size_t u = splits[nsplit - 1].user_len;
                        if (logmsg_starts(s, u, LIT("invalid user "))) {
                                e->invalid_user = true;
                                set_user(e, s + 13, u - 13);
                        } else
                                set_user(e, s, u);
                        return 1;
                }
        }
        if (!logmsg_set_src(e, splits[pick].addr, splits[pick].addr_len))
                return 0;
        e->port = splits[pick].port;
        if (logmsg_starts(s, splits[pick].user_len, LIT("invalid user "))) {
                e->invalid_user = true;
                set_user(e, s + 13, splits[pick].user_len - 13);
        } else
                set_user(e, s, splits[pick].user_len);
        if (pids)
                pidtab_learn(pids, key, m->time_us, e);
        return 1;
}

/* "USER from ADDR[ port N]" (Invalid user, maximum attempts). */
static bool parse_user_from(const char *s, size_t n, bool port_required, logevent_t *e)
{
        const char *tok;
        size_t tl;
        uint16_t port = 0;

        if (!logmsg_cut_port(s, &n, &port) && port_required)
                return false;
        if (!logmsg_cut_token(s, &n, &tok, &tl) || !cut_suffix(s, &n, LIT(" from")))
                return false;
        if (!logmsg_set_src(e, tok, tl))
                return false;
        e->port = port;
        if (logmsg_starts(s, n, LIT("invalid user "))) {
                e->invalid_user = true;
                s += 13;
                n -= 13;
        }
        set_user(e, s, n);
        return true;
}

/* " [authenticating user U |invalid user U |user U ]ADDR port N" after
 * "Connection closed by", "Connection reset by", "Disconnected from",
 * "Disconnecting"; S starts at the space before the first word. */
static bool parse_closed(const char *s, size_t n, logevent_t *e)
{
        if (!cut_addr_port(s, &n, e))
                return false;
        if (n == 0)
                return true;
        if (n < 2 || s[0] != ' ')
                return false;
        return set_user_part(e, s + 1, n - 1);
}

int sshd_parse(const logmsg_t *m, pidtab_t *pids, logevent_t *e)
{
        const char *s = m->msg;
        size_t n = m->len;
        uint64_t key = pids ? pidtab_key("sshd", m->host, m->host_len, m->pid) : 0;

        if (n < 10)
                return 0;
        switch (s[0]) {
        case 'F':
                if (logmsg_starts(s, n, LIT("Failed ")))
                        return parse_auth(m, pids, key, s + 7, n - 7, LOGEVENT_AUTH_FAILURE, e);
                break;
        case 'A':
                if (logmsg_starts(s, n, LIT("Accepted ")))
                        return parse_auth(m, pids, key, s + 9, n - 9, LOGEVENT_AUTH_SUCCESS, e);
                break;
        case 'I':
                if (logmsg_starts(s, n, LIT("Invalid user "))) {
                        logmsg_event_init(e, m, "sshd");
                        e->kind = LOGEVENT_INVALID_USER;
                        e->invalid_user = true;
                        if (!parse_user_from(s + 13, n - 13, false, e))
                                return 0;
                        if (pids)
                                pidtab_learn(pids, key, m->time_us, e);
                        return 1;
                }
                break;
        case 'p':
                if (pam_is_pam(m)) {
                        if (!pam_parse(m, e))
                                return 0;
                        if (pids && e->src[0])
                                pidtab_learn(pids, key, m->time_us, e);
                        return 1;
                }
                break;
        case 'C':
                if (logmsg_starts(s, n, LIT("Connection closed by ")) ||
                    logmsg_starts(s, n, LIT("Connection reset by "))) {
                        size_t skip = s[11] == 'c' ? 20 : 19;
                        logmsg_event_init(e, m, "sshd");
                        e->kind = LOGEVENT_PREAUTH_CLOSE;
                        if (!cut_suffix(s, &n, LIT(" [preauth]"))) {
                                /* The end of a session after login. */
                                if (pids)
                                        pidtab_forget(pids, key);
                                return 0;
                        }
                        if (!parse_closed(s + skip, n - skip, e))
                                return 0;
                        if (pids)
                                pidtab_forget(pids, key);
                        return 1;
                }
                if (logmsg_starts(s, n, LIT("Connection from "))) {
                        /* LogLevel VERBOSE: "Connection from A port P on B
                         * port Q[ rdomain "…"]". Learned, not an event. */
                        const char *sp = memchr(s + 16, ' ', n - 16);
                        uint16_t port;
                        const char *p;
                        size_t pl;

                        if (!pids || !sp || !logmsg_starts(sp, n - (size_t)(sp - s), LIT(" port ")))
                                return 0;
                        p = sp + 6;
                        pl = 0;
                        while (p + pl < s + n && p[pl] >= '0' && p[pl] <= '9')
                                pl++;
                        if (!logmsg_parse_port(p, pl, &port) ||
                            !logmsg_starts(p + pl, n - (size_t)(p + pl - s), LIT(" on ")))
                                return 0;
                        logmsg_event_init(e, m, "sshd");
                        if (logmsg_set_src(e, s + 16, (size_t)(sp - s) - 16)) {
                                e->port = port;
                                pidtab_learn(pids, key, m->time_us, e);
                        }
                        return 0;
                }
                break;
        case 'D':
                if (logmsg_starts(s, n, LIT("Disconnected from "))) {
                        logmsg_event_init(e, m, "sshd");
                        e->kind = LOGEVENT_PREAUTH_CLOSE;
                        if (!cut_suffix(s, &n, LIT(" [preauth]"))) {
                                /* The end of a session after login. */
                                if (pids)
                                        pidtab_forget(pids, key);
                                return 0;
                        }
                        if (!parse_closed(s + 17, n - 17, e))
                                return 0;
                        if (pids)
                                pidtab_forget(pids, key);
                        return 1;
                }
                if (logmsg_starts(s, n, LIT("Disconnecting: Too many authentication failures"))) {
                        /* Older sshd: "… [for USER] [preauth]", no address. */
                        const char *u = s + 47;
                        size_t ul = n - 47;
                        unsigned flags;

                        logmsg_event_init(e, m, "sshd");
                        cut_suffix(u, &ul, LIT(" [preauth]"));
                        if (logmsg_starts(u, ul, LIT(" for ")))
                                set_user(e, u + 5, ul - 5);
                        else if (ul != 0)
                                return 0;
                        /* The newer "maximum authentication attempts" line
                         * for the same connection was already an event. */
                        flags = pids ? pidtab_set_flags(pids, key, m->time_us, 0) : 0;
                        e->kind = flags & PIDTAB_F_MAX_ATTEMPTS ? LOGEVENT_PREAUTH_CLOSE
                                                                : LOGEVENT_MAX_ATTEMPTS;
                        if (pids) {
                                pidtab_fill(pids, key, m->time_us, e);
                                pidtab_forget(pids, key);
                        }
                        return 1;
                }
                if (logmsg_starts(s, n, LIT("Disconnecting "))) {
                        /* "Disconnecting authenticating user U A port P:
                         * Too many authentication failures [preauth]". */
                        logmsg_event_init(e, m, "sshd");
                        e->kind = LOGEVENT_PREAUTH_CLOSE;
                        if (!cut_suffix(s, &n, LIT(": Too many authentication failures [preauth]")))
                                return 0;
                        if (!parse_closed(s + 13, n - 13, e) || !e->user[0])
                                return 0;
                        if (pids)
                                pidtab_forget(pids, key);
                        return 1;
                }
                break;
        case 'R':
                if (logmsg_starts(s, n, LIT("Received disconnect from "))) {
                        /* The reason after "port N:CODE:" is the client's own
                         * text, so the address is read from the left. */
                        const char *a = s + 25, *sp, *p, *reason;
                        size_t pl = 0;

                        sp = memchr(a, ' ', n - 25);
                        if (!sp || !logmsg_starts(sp, n - (size_t)(sp - s), LIT(" port ")))
                                return 0;
                        p = sp + 6;
                        while (p + pl < s + n && p[pl] >= '0' && p[pl] <= '9')
                                pl++;
                        if (p + pl >= s + n || p[pl] != ':')
                                return 0;
                        logmsg_event_init(e, m, "sshd");
                        if (!logmsg_parse_port(p, pl, &e->port) ||
                            !logmsg_set_src(e, a, (size_t)(sp - a)))
                                return 0;
                        reason = p + pl;
                        if (logmsg_ends(s, n, LIT(" [preauth]")) &&
                            logmsg_find(reason, n - (size_t)(reason - s), LIT("Auth fail"))) {
                                e->kind = LOGEVENT_AUTH_FAILURE;
                                return 1;
                        }
                        /* Otherwise it is not an event: sshd follows it with
                         * "Disconnected from … [preauth]", which is. */
                        return 0;
                }
                if (logmsg_starts(s, n, LIT("ROOT LOGIN REFUSED FROM "))) {
                        logmsg_event_init(e, m, "sshd");
                        e->kind = LOGEVENT_ROOT_REFUSED;
                        cut_suffix(s, &n, LIT(" [preauth]"));
                        if (!cut_addr_port(s, &n, e) || n != 23)
                                return 0;
                        set_user(e, "root", 4);
                        return 1;
                }
                break;
        case 'U': {
                const char *nab, *from;

                if (!logmsg_starts(s, n, LIT("User ")))
                        break;
                /* "User U from HOST not allowed because REASON": REASON is
                 * fixed text and HOST has no spaces. */
                nab = logmsg_rfind(s, n, LIT(" not allowed because "));
                if (!nab)
                        return 0;
                from = logmsg_rfind(s, (size_t)(nab - s), LIT(" from "));
                if (!from || from < s + 4 || memchr(from + 6, ' ', (size_t)(nab - from - 6)))
                        return 0;
                logmsg_event_init(e, m, "sshd");
                if (!logmsg_set_src(e, from + 6, (size_t)(nab - from - 6)))
                        return 0;
                set_user(e, s + 5, (size_t)(from - s - 5));
                e->kind =
                        strcmp(e->user, "root") == 0 ? LOGEVENT_ROOT_REFUSED : LOGEVENT_NOT_ALLOWED;
                if (pids)
                        pidtab_learn(pids, key, m->time_us, e);
                return 1;
        }
        case 'e':
        case 'f':
        case 'T': {
                const char *t = s;
                size_t tn = n;

                skip_level(&t, &tn);
                if (logmsg_starts(t, tn, LIT("maximum authentication attempts exceeded for "))) {
                        logmsg_event_init(e, m, "sshd");
                        e->kind = LOGEVENT_MAX_ATTEMPTS;
                        cut_suffix(t, &tn, LIT(" [preauth]"));
                        if (!cut_suffix(t, &tn, LIT(" ssh2")) ||
                            !parse_user_from(t + 45, tn - 45, true, e))
                                return 0;
                        if (pids) {
                                pidtab_learn(pids, key, m->time_us, e);
                                pidtab_set_flags(pids, key, m->time_us, PIDTAB_F_MAX_ATTEMPTS);
                        }
                        return 1;
                }
                if (logmsg_starts(t, tn, LIT("PAM: Authentication failure for "))) {
                        /* "error: PAM: Authentication failure for [illegal
                         * user ]U from HOST": keyboard-interactive through
                         * PAM; the "Failed keyboard-interactive/pam" line
                         * follows, so this is a PAM failure. */
                        const char *tok;
                        size_t tl, k = tn;

                        if (!logmsg_cut_token(t, &k, &tok, &tl) ||
                            !cut_suffix(t, &k, LIT(" from")) || k < 32)
                                return 0;
                        logmsg_event_init(e, m, "sshd");
                        e->kind = LOGEVENT_PAM_FAILURE;
                        if (!logmsg_set_src(e, tok, tl))
                                return 0;
                        if (logmsg_starts(t + 32, k - 32, LIT("illegal user "))) {
                                e->invalid_user = true;
                                set_user(e, t + 45, k - 45);
                        } else
                                set_user(e, t + 32, k - 32);
                        if (pids)
                                pidtab_learn(pids, key, m->time_us, e);
                        return 1;
                }
                if (logmsg_starts(t, tn, LIT("Timeout before authentication for "))) {
                        logmsg_event_init(e, m, "sshd");
                        e->kind = LOGEVENT_PREAUTH_CLOSE;
                        if (!cut_addr_port(t, &tn, e) || tn != 33)
                                return 0;
                        if (pids)
                                pidtab_forget(pids, key);
                        return 1;
                }
                break;
        }
        }
        return 0;
}
