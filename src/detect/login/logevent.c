#include "detect/login/logevent.h"

#include <errno.h>
#include <string.h>

#include "core/jsonx.h"
#include "core/timeutil.h"

static const char *const kind_names[LOGEVENT_KIND__MAX] = {
        [LOGEVENT_AUTH_FAILURE] = "auth_failure",   [LOGEVENT_AUTH_SUCCESS] = "auth_success",
        [LOGEVENT_INVALID_USER] = "invalid_user",   [LOGEVENT_ROOT_REFUSED] = "root_refused",
        [LOGEVENT_NOT_ALLOWED] = "not_allowed",     [LOGEVENT_MAX_ATTEMPTS] = "max_attempts",
        [LOGEVENT_PREAUTH_CLOSE] = "preauth_close", [LOGEVENT_SESSION_OPEN] = "session_open",
        [LOGEVENT_PRIV_FAILURE] = "priv_failure",   [LOGEVENT_PAM_FAILURE] = "pam_failure",
};

const char *logevent_kind_name(logevent_kind_t kind)
{
        return kind < LOGEVENT_KIND__MAX ? kind_names[kind] : "unknown";
}

void logevent_set(logevent_t *e, char *field, size_t cap, const char *s, size_t n)
{
        if (n >= cap) {
                n = cap - 1;
                /* Do not cut a UTF-8 sequence in half: back up over
                 * continuation bytes to the start of the last character. */
                while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
                        n--;
                e->truncated = true;
        }
        memcpy(field, s, n);
        field[n] = 0;
}

json_t *logevent_to_json(const logevent_t *e)
{
        char when[TIMEUTIL_ISO_LEN];
        json_t *o = json_object();
        int r = 0;

        if (!o)
                return NULL;
        r |= jsonx_set_str(o, "kind", "event");
        r |= jsonx_set_str(o, "file", e->file);
        r |= json_object_set_new(o, "line", json_integer((json_int_t)e->line));
        if (e->time_us) {
                timeutil_format_iso(e->time_us, when, sizeof(when));
                r |= jsonx_set_str(o, "time", when);
        } else
                r |= json_object_set_new(o, "time", json_null());
        r |= jsonx_set_str(o, "service", e->service);
        r |= jsonx_set_str(o, "event", logevent_kind_name(e->kind));
        r |= jsonx_set_str(o, "method", e->method[0] ? e->method : NULL);
        r |= jsonx_set_str(o, "user", e->user);
        if (e->target_user[0])
                r |= jsonx_set_str(o, "target_user", e->target_user);
        r |= jsonx_set_str(o, "src", e->src[0] ? e->src : NULL);
        if (e->port)
                r |= json_object_set_new(o, "port", json_integer(e->port));
        if (e->pid)
                r |= json_object_set_new(o, "pid", json_integer(e->pid));
        if (e->host[0])
                r |= jsonx_set_str(o, "host", e->host);
        if (e->invalid_user)
                r |= json_object_set_new(o, "invalid_user", json_true());
        if (e->truncated)
                r |= json_object_set_new(o, "truncated", json_true());
        if (r) {
                json_decref(o);
                return NULL;
        }
        return o;
}
