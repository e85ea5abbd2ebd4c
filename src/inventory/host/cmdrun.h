/* Running a helper program of the host and capturing what it prints, for
 * the few facts that only a tool can give (the nftables ruleset through
 * `nft -j`, iptables rules through `iptables-save`). The program is run
 * directly with execve, never through a shell, with a fixed environment,
 * standard input and error on /dev/null, in its own process group, under a
 * time limit and an output cap; going over either kills it and is an error,
 * so a hung or chatty tool never stalls or floods a scan. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* The absolute path of program NAME (a bare name, no '/') in the system
 * directories /usr/sbin, /usr/bin, /sbin and /bin, in that order; the
 * caller's PATH is not used. Returns 0 with *RET (caller frees), -ENOENT,
 * -EINVAL for a name with '/', -ENOMEM. */
int cmdrun_find_program(const char *name, char **ret);

/* Run ARGV (ARGV[0] an absolute path; NULL-terminated) and capture its
 * standard output. TIMEOUT_MS bounds the whole run; MAX_OUT the bytes kept.
 * Returns 0 when the program ran to its end: *RET_OUT holds its output
 * (NUL-terminated, caller frees), *RET_LEN its length and *RET_STATUS the
 * exit code (128 + N when killed by signal N). Errors: -ENOENT (no such
 * program), -ETIMEDOUT, -E2BIG (more output than MAX_OUT), -ENOMEM, or the
 * errno of a failed pipe/fork. In every error case the program is killed
 * and reaped. */
int cmdrun_capture(const char *const argv[], int timeout_ms, size_t max_out, char **ret_out,
                   size_t *ret_len, int *ret_status);

typedef struct cmdrun_opts {
        int timeout_ms;    /* bound on the whole run */
        size_t max_out;    /* bytes of output kept; more is -E2BIG */
        bool merge_stderr; /* capture standard error with standard output */
} cmdrun_opts_t;

/* Like cmdrun_capture, with OPTS; ARGV[0] may also be a bare program name,
 * looked up with cmdrun_find_program. */
int cmdrun_run(const char *const argv[], const cmdrun_opts_t *opts, char **ret_out, size_t *ret_len,
               int *ret_status);
