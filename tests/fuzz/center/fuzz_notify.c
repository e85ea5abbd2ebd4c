/* Fuzz target for the notification parsers and renderers. The first byte
 * picks what the rest is:
 *   'S' a settings document: parsed; when valid, written back and parsed
 *       again to the same schedules, and every schedule's next window and
 *       digest time computed for times derived from the input, which must
 *       not lie before the time asked about;
 *   'C' a channel definition: parsed, written back (redacted and not) and
 *       the unredacted form parsed again;
 *   'R' a JSON array of items: rendered for every channel kind, mail and
 *       syslog included; mail headers must hold no bare CR or LF. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "center/cutil.h"
#include "center/notify_conf.h"

/* Field by field: the structs have padding. */
static int sched_equal(const notify_schedule_t *a, const notify_schedule_t *b)
{
        return a->always == b->always && a->offset_min == b->offset_min && a->days == b->days &&
               a->from_min == b->from_min && a->to_min == b->to_min &&
               a->digest_at_min == b->digest_at_min && a->digest_day == b->digest_day &&
               strcmp(a->zone, b->zone) == 0 && !a->tz == !b->tz;
}
#include "center/notify_render.h"

static void check_schedule(const notify_rule_t *r, int64_t t)
{
        int64_t next = notify_schedule_next(&r->sched, t);
        int64_t due = notify_due(r->mode, &r->sched, t);

        if (next < t || due < t || next > t + 9 * USEC_PER_DAY || due > t + 9 * USEC_PER_DAY)
                abort();
}

static void fuzz_settings(const char *p, size_t n, uint64_t seed)
{
        notify_settings_t s, s2;
        char *err = NULL, *out;
        json_t *j;

        if (notify_settings_parse(p, n, &s, &err) < 0) {
                free(err);
                return;
        }
        j = notify_settings_json(&s);
        out = j ? json_dumps(j, JSON_COMPACT) : NULL;
        json_decref(j);
        if (out) {
                if (notify_settings_parse(out, strlen(out), &s2, &err) < 0)
                        abort();
                for (int l = 1; l <= 3; l++)
                        if (!sched_equal(&s.alert[l].sched, &s2.alert[l].sched) ||
                            !sched_equal(&s.finding[l].sched, &s2.finding[l].sched) ||
                            s.alert[l].enabled != s2.alert[l].enabled ||
                            s.finding[l].mode != s2.finding[l].mode ||
                            s.finding[l].n_channels != s2.finding[l].n_channels)
                                abort();
                notify_settings_clear(&s2);
                free(out);
        }
        /* Times from 1900 to 2100, chosen by the input. */
        int64_t t = (int64_t)(seed % (200ULL * 366 * 86400)) * USEC_PER_SEC -
                    70LL * 366 * 86400 * USEC_PER_SEC;
        for (int l = 1; l <= 3; l++) {
                check_schedule(&s.alert[l], t);
                check_schedule(&s.finding[l], t);
        }
        notify_settings_clear(&s);
}

static void fuzz_channel(const char *p, size_t n)
{
        json_t *o = json_loadb(p, n, JSON_REJECT_DUPLICATES, NULL), *j;
        notify_channel_t ch, ch2;
        char *err = NULL;

        if (notify_channel_parse(o, &ch, &err) == 0) {
                json_decref(notify_channel_json(&ch, true));
                j = notify_channel_json(&ch, false);
                if (j) {
                        json_object_del(j, "id");
                        if (notify_channel_parse(j, &ch2, &err) < 0)
                                abort();
                        notify_channel_clear(&ch2);
                }
                json_decref(j);
                notify_channel_clear(&ch);
        }
        free(err);
        json_decref(o);
}

static void fuzz_render(const char *p, size_t n)
{
        json_t *items = json_loadb(p, n, JSON_REJECT_DUPLICATES, NULL);
        notify_channel_t ch = { .from = "v@example.com", .n_to = 1, .facility = 16 };
        buf_t b;

        ch.to[0] = "ops@example.com";
        buf_init(&b, 1 << 20);
        for (int k = NOTIFY_WEBHOOK; k <= NOTIFY_FEISHU; k++) {
                buf_reset(&b);
                (void)notify_render_webhook((notify_kind_t)k, items, &b);
        }
        buf_reset(&b);
        (void)notify_render_text(items, true, &b);
        buf_reset(&b);
        if (notify_render_mail(&ch, items, 0, "id", &b) == 0) {
                const char *end = strstr(b.data, "\r\n\r\n");
                if (!end)
                        abort();
                for (const char *q = b.data; q < end; q++)
                        if ((*q == '\n' && (q == b.data || q[-1] != '\r')) ||
                            (*q == '\r' && q[1] != '\n'))
                                abort();
        }
        if (json_is_array(items)) {
                size_t i;
                json_t *it;
                json_array_foreach (items, i, it) {
                        buf_reset(&b);
                        ch.tcp = i % 2;
                        if (notify_render_syslog(&ch, it, "c", 0, &b) == 0 &&
                            memchr(b.data, '\n', b.len))
                                abort();
                }
        }
        buf_free(&b);
        json_decref(items);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        uint64_t seed = 0;

        if (size < 1 || size > 128 * 1024)
                return 0;
        for (size_t i = 0; i < size && i < 8; i++)
                seed = seed * 131 + data[i];
        switch (data[0]) {
        case 'S':
                fuzz_settings((const char *)data + 1, size - 1, seed);
                break;
        case 'C':
                fuzz_channel((const char *)data + 1, size - 1);
                break;
        case 'R':
                fuzz_render((const char *)data + 1, size - 1);
                break;
        }
        return 0;
}
