#include "center/session.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "center/auth.h"
#include "center/cutil.h"
#include "core/timeutil.h"

static bool lower_hex(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}

int session_create(cdb_conn_t *c, int64_t user_id, const char *remote, int64_t now_us,
                   char ret_token[SESSION_TOKEN_HEX + 1], char ret_csrf[SESSION_TOKEN_HEX + 1])
{
        char token[SESSION_TOKEN_HEX + 1], csrf[SESSION_TOKEN_HEX + 1], hash[65];
        int r;

        r = cutil_random_hex(token, SESSION_TOKEN_HEX / 2);
        if (r == 0)
                r = cutil_random_hex(csrf, SESSION_TOKEN_HEX / 2);
        if (r < 0)
                return r;
        cutil_sha256_hex(token, hash);
        {
                /* Sessions that ended by time are of no use to anyone. */
                cdb_param_t p[] = { CDB_INT(now_us), CDB_INT(now_us - SESSION_IDLE_US) };
                r = cdb_exec(c, "DELETE FROM sessions WHERE expires_at <= $1 OR last_used <= $2", p,
                             ELEMENTSOF(p), NULL);
                if (r < 0)
                        return r;
        }
        cdb_param_t p[] = { CDB_TEXT(hash),  CDB_INT(user_id),
                            CDB_TEXT(csrf),  CDB_INT(now_us),
                            CDB_INT(now_us), CDB_INT(now_us + SESSION_LIFETIME_US),
                            CDB_TEXT(remote) };
        r = cdb_exec(c,
                     "INSERT INTO sessions (id_hash, user_id, csrf, created_at, last_used,"
                     " expires_at, remote) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                     p, ELEMENTSOF(p), NULL);
        if (r < 0)
                return r;
        memcpy(ret_token, token, sizeof(token));
        memcpy(ret_csrf, csrf, sizeof(csrf));
        return 0;
}

int session_lookup(cdb_conn_t *c, const char *token, int64_t now_us, session_info_t *ret)
{
        _cleanup_res_ cdb_res_t *res = NULL;
        session_info_t s = { 0 };
        char hash[65];
        int64_t expires, last_used;
        const char *name, *csrf;
        int r;

        if (!token || strlen(token) != SESSION_TOKEN_HEX || !lower_hex(token, SESSION_TOKEN_HEX))
                return -ENOENT;
        cutil_sha256_hex(token, hash);
        cdb_param_t p[] = { CDB_TEXT(hash) };
        r = cdb_query(c,
                      "SELECT s.user_id, u.role, u.name, s.csrf, s.expires_at, s.last_used"
                      " FROM sessions s JOIN users u ON u.id = s.user_id"
                      " WHERE s.id_hash = $1 AND u.disabled = 0",
                      p, 1, &res);
        if (r == 0)
                r = cdb_next(res);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENOENT;
        expires = cdb_get_int(res, 4);
        last_used = cdb_get_int(res, 5);
        name = cdb_get_text(res, 2);
        csrf = cdb_get_text(res, 3);
        if (expires <= now_us || last_used + SESSION_IDLE_US <= now_us || !name || !csrf ||
            strlen(csrf) != SESSION_TOKEN_HEX ||
            auth_role_from_name(cdb_get_text(res, 1), &s.role) < 0)
                return -ENOENT;
        s.user_id = cdb_get_int(res, 0);
        snprintf(s.user, sizeof(s.user), "%s", name);
        memcpy(s.csrf, csrf, sizeof(s.csrf));
        cdb_res_free(TAKE_PTR(res));
        if (now_us - last_used >= SESSION_TOUCH_US) {
                cdb_param_t q[] = { CDB_TEXT(hash), CDB_INT(now_us) };
                r = cdb_exec(c, "UPDATE sessions SET last_used = $2 WHERE id_hash = $1", q,
                             ELEMENTSOF(q), NULL);
                if (r < 0)
                        return r;
                last_used = now_us;
        }
        s.expires_at =
                last_used + SESSION_IDLE_US < expires ? last_used + SESSION_IDLE_US : expires;
        *ret = s;
        return 0;
}

int session_delete(cdb_conn_t *c, const char *token)
{
        char hash[65];

        if (!token || strlen(token) != SESSION_TOKEN_HEX)
                return 0;
        cutil_sha256_hex(token, hash);
        cdb_param_t p[] = { CDB_TEXT(hash) };
        return cdb_exec(c, "DELETE FROM sessions WHERE id_hash = $1", p, 1, NULL);
}

int session_cookie_token(const char *header, char out[SESSION_TOKEN_HEX + 1])
{
        const char *s = header;
        bool seen = false;

        if (!header)
                return -ENOENT;
        if (strlen(header) > SESSION_MAX_COOKIE_HEADER)
                return -EINVAL;
        /* "a=b; c=d": pairs separated by ';' and optional spaces. A name
         * given twice is refused rather than guessed at. */
        while (*s) {
                const char *end, *eq;
                size_t nlen, vlen;

                while (*s == ' ' || *s == ';')
                        s++;
                if (!*s)
                        break;
                end = strchr(s, ';');
                if (!end)
                        end = s + strlen(s);
                eq = memchr(s, '=', (size_t)(end - s));
                if (eq) {
                        nlen = (size_t)(eq - s);
                        while (nlen > 0 && s[nlen - 1] == ' ')
                                nlen--;
                        if (nlen == STRLEN(SESSION_COOKIE) &&
                            memcmp(s, SESSION_COOKIE, nlen) == 0) {
                                const char *v = eq + 1;
                                vlen = (size_t)(end - v);
                                while (vlen > 0 && v[vlen - 1] == ' ')
                                        vlen--;
                                if (seen || vlen != SESSION_TOKEN_HEX ||
                                    !lower_hex(v, SESSION_TOKEN_HEX))
                                        return -EINVAL;
                                memcpy(out, v, SESSION_TOKEN_HEX);
                                out[SESSION_TOKEN_HEX] = 0;
                                seen = true;
                        }
                }
                s = end;
        }
        return seen ? 0 : -ENOENT;
}

bool session_needs_csrf(const char *method)
{
        return !method || (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0);
}

int session_check_csrf(const session_info_t *s, const char *method, const char *sent)
{
        if (!session_needs_csrf(method))
                return 0;
        if (!sent || strlen(sent) != SESSION_TOKEN_HEX || strlen(s->csrf) != SESSION_TOKEN_HEX)
                return -EACCES;
        return cutil_equal_ct(sent, s->csrf) ? 0 : -EACCES;
}

int session_cookie_header(const char *token, bool secure, char *out, size_t size)
{
        int n;

        if (token)
                n = snprintf(out, size, "%s=%s; Path=/; Max-Age=%lld; HttpOnly; SameSite=Strict%s",
                             SESSION_COOKIE, token, (long long)(SESSION_LIFETIME_US / 1000000),
                             secure ? "; Secure" : "");
        else
                n = snprintf(out, size, "%s=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict%s",
                             SESSION_COOKIE, secure ? "; Secure" : "");
        return n < 0 || (size_t)n >= size ? -ENOBUFS : 0;
}

int session_user_auth(center_t *c, const http_req_t *req, http_principal_t *principal)
{
        _cleanup_conn_ cdb_conn_t *conn = NULL;
        char token[SESSION_TOKEN_HEX + 1];
        session_info_t s;
        int r;

        r = session_cookie_token(http_req_header(req, "Cookie"), token);
        if (r == -ENOENT)
                return -ENOENT;
        if (r < 0)
                return -EACCES;
        r = cdb_acquire(c->db, &conn);
        if (r < 0)
                return r;
        r = session_lookup(conn, token, timeutil_now_us(), &s);
        if (r == -ENOENT)
                return -EACCES;
        if (r < 0)
                return r;
        if (session_check_csrf(&s, req->method, http_req_header(req, SESSION_CSRF_HEADER)) < 0)
                return -EACCES;
        principal->kind = s.role;
        principal->agent_id = 0;
        snprintf(principal->name, sizeof(principal->name), "user:%s", s.user);
        return 0;
}
