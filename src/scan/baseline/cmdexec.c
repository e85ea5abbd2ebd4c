#include "scan/baseline/cmdexec.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "inventory/host/cmdrun.h"

int cmdexec_split(const char *s, strv_t *ret)
{
        _cleanup_buf_ buf_t word;
        size_t words = 0;
        bool in_word = false;
        int r;

        buf_init(&word, 64 * KiB);
        for (;;) {
                char c = *s;
                if (c == 0 || c == ' ' || c == '\t' || c == '\n') {
                        if (in_word) {
                                char *w = buf_take(&word);
                                if (!w)
                                        return -ENOMEM;
                                if (++words > CMDEXEC_MAX_WORDS) {
                                        free(w);
                                        return -EINVAL;
                                }
                                if ((r = strv_push_take(ret, w)) < 0)
                                        return r;
                                in_word = false;
                        }
                        if (c == 0)
                                break;
                        s++;
                        continue;
                }
                in_word = true;
                if (c == '\'') {
                        const char *end = strchr(s + 1, '\'');
                        if (!end)
                                return -EINVAL;
                        if ((r = buf_append(&word, s + 1, (size_t)(end - s - 1))) < 0)
                                return r;
                        s = end + 1;
                } else if (c == '"') {
                        s++;
                        for (;;) {
                                if (!*s)
                                        return -EINVAL;
                                if (*s == '"') {
                                        s++;
                                        break;
                                }
                                if (*s == '\\' && s[1] && strchr("\"\\$`", s[1]))
                                        s++;
                                if ((r = buf_append(&word, s, 1)) < 0)
                                        return r;
                                s++;
                        }
                } else if (c == '\\' && s[1]) {
                        if ((r = buf_append(&word, s + 1, 1)) < 0)
                                return r;
                        s += 2;
                } else {
                        if ((r = buf_append(&word, s, 1)) < 0)
                                return r;
                        s++;
                }
        }
        return words ? 0 : -EINVAL;
}

int cmdexec_run(char *const *argv, const cmdexec_opts_t *opts, char **ret_output, size_t *ret_len,
                int *ret_status)
{
        /* The runner shared with other scanners does the work: no shell, a
         * fixed PATH and environment, its own process group killed on
         * timeout, and an output cap. Policy commands are read with their
         * standard error, as Wazuh reads both. */
        cmdrun_opts_t o = {
                .timeout_ms = (int)(opts && opts->timeout_ms ? opts->timeout_ms
                                                             : CMDEXEC_DEFAULT_TIMEOUT_MS),
                .max_out = opts && opts->max_output ? opts->max_output : CMDEXEC_DEFAULT_MAX_OUTPUT,
                .merge_stderr = true,
        };

        if (!argv || !argv[0])
                return -EINVAL;
        return cmdrun_run((const char *const *)argv, &o, ret_output, ret_len, ret_status);
}
