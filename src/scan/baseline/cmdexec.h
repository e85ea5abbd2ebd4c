/* Running the commands of `c:` policy rules without a shell: the command
 * text is split into words by simple shell-like quoting rules (no
 * expansion, no globbing, no redirection), the program is looked up in a
 * fixed PATH, and it runs with stdin from /dev/null, a minimal environment
 * (PATH=/usr/sbin:/usr/bin:/sbin:/bin, LC_ALL=C), its own process group, a
 * timeout after which the whole group is killed, and a cap on the output
 * (stdout and stderr together, as Wazuh reads both). */
#pragma once

#include <stddef.h>

#include "core/text.h"

#define CMDEXEC_DEFAULT_TIMEOUT_MS 5000
#define CMDEXEC_DEFAULT_MAX_OUTPUT (1 * MiB)
#define CMDEXEC_MAX_WORDS          256

typedef struct cmdexec_opts {
        unsigned timeout_ms; /* 0: CMDEXEC_DEFAULT_TIMEOUT_MS */
        size_t max_output;   /* 0: CMDEXEC_DEFAULT_MAX_OUTPUT */
} cmdexec_opts_t;

/* Split CMDLINE into words: blanks separate words; '...' keeps everything
 * literally; "..." keeps everything but lets \" \\ \$ \` stand for the
 * character; outside quotes a backslash makes the next character literal.
 * Nothing is expanded: "$(id)" and "*" are plain text. Returns 0 with the
 * words appended to RET, -EINVAL for an unterminated quote, an empty
 * command or more than CMDEXEC_MAX_WORDS words, -ENOMEM. */
int cmdexec_split(const char *cmdline, strv_t *ret);

/* Run ARGV (NULL-terminated; ARGV[0] without a '/' is looked up in the fixed
 * PATH). On success returns 0, *RET_OUTPUT holds the output
 * (NUL-terminated, caller frees), *RET_LEN its length and *RET_STATUS the
 * exit status (128+N when killed by signal N). Errors: -ENOENT (no such
 * program), -EACCES, -ETIMEDOUT (killed after the timeout), -E2BIG (more
 * output than the cap; the process is killed), -ENOMEM, or another negative
 * errno from fork/pipe. */
int cmdexec_run(char *const *argv, const cmdexec_opts_t *opts, char **ret_output, size_t *ret_len,
                int *ret_status);
