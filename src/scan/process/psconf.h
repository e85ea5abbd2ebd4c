/* The configuration of the process sweep (the "process" section of
 * vigil.yml), read once into plain values. A value of the wrong type is
 * reported as a warning note and its default is used.
 *
 *   process:
 *     allowlist: [PATH|NAME, ...]     # processes that raise no per-process alert
 *     tmp_dirs: [/tmp, /var/tmp, /dev/shm]
 *     all_netns: true                 # read the socket tables of every network namespace
 *     reverse_shell:
 *       ignore_loopback: false        # a shell connected to 127.0.0.1 counts too
 *       interpreters: [NAME, ...]     # more shell/interpreter base names
 *     miner:
 *       pool_ports: [3333, 4444, 5555, 6666, 7777, 14433, 14444, 45560, 45700]
 *       yara: true                    # YARA miner rules on process executables
 *     hidden:
 *       enabled: true
 *       probe_window: N               # pids probed per sweep; 0 = all (default for
 *                                     # `vigil scan`; the agent's default is 8192)
 *     ld_preload_file: /etc/ld.so.preload
 *     ld_preload_allow: [PATH, ...]
 *     persistence: true               # new uid-0 accounts, sudoers, cron, systemd
 *     listening_ports: true           # new listening ports (running host only)
 *     response:
 *       kill: false
 *       allowlist: [PATH|NAME, ...]
 *
 * An allowlist entry starting with '/' is an executable path (or, ending
 * with '/', a directory of executables); any other entry is a process name
 * (comm) or an executable's base name. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/report.h"
#include "core/text.h"

#define PSCONF_MAX_PORTS 256

typedef struct psconf {
        strv_t allowlist;
        strv_t tmp_dirs;
        bool all_netns;
        bool rs_ignore_loopback;
        strv_t interpreters;
        uint16_t pool_ports[PSCONF_MAX_PORTS];
        size_t n_pool_ports;
        bool miner_yara;
        bool hidden;
        long probe_window;     /* -1: not configured */
        char *ld_preload_file; /* NULL: /etc/ld.so.preload inside the scanned root */
        strv_t ld_preload_allow;
        bool persistence;
        bool listening_ports;
        bool kill;
        strv_t kill_allowlist;
} psconf_t;

/* Read CONFIG (may be NULL: all defaults) into *RET (zeroed by the caller
 * or done with psconf_done). Warnings go to REPORT (may be NULL). Returns 0
 * or -ENOMEM. */
int psconf_load(const config_t *config, report_t *report, psconf_t *ret);
void psconf_done(psconf_t *c);

/* True when a process with executable EXE (may be NULL) and name COMM
 * matches an entry of LIST (see above). */
bool psconf_listed(const strv_t *list, const char *exe, const char *comm);
/* True when PORT is one of the configured pool ports. */
bool psconf_is_pool_port(const psconf_t *c, uint16_t port);
