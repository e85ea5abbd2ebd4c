/* Is a package manager at work? Files that dpkg, rpm or apk change while
 * they run are not tampering, so file integrity monitoring holds its
 * judgement on changes seen during a package operation and checks them
 * against the (new) package digests once it has finished.
 *
 * Two signs are read: the package managers' lock files under the root
 * (var/lib/dpkg/lock-frontend and lock, the rpm database lock, apk's
 * lib/apk/db/lock) held by a process, asked with fcntl(F_GETLK) so nothing
 * is ever locked by vigil; and, on the running host only, a process of a
 * package manager (dpkg, apt, apt-get, aptitude, unattended-upgrade, rpm,
 * dnf, yum, zypper, apk, …).
 *
 * Holding a lock is all it would take an attacker to silence alerts, so a
 * sign counts only when the process is a package manager: its name is one
 * of the known ones and its executable lies in a system directory (/usr/bin,
 * /usr/sbin, /bin, /sbin or /usr/lib*). A lock held by anything else is
 * reported (HOLDER_UNTRUSTED) and does not count. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "core/rootfs.h"

typedef struct pkgmgr_state {
        bool running;          /* a trusted sign was found */
        pid_t pid;             /* the package manager's process (0 when unknown) */
        char name[32];         /* its name ("dpkg"), or "" */
        char via[64];          /* "lock /var/lib/dpkg/lock-frontend" or "process" */
        bool holder_untrusted; /* a lock is held by a process that is not a package manager */
        pid_t untrusted_pid;   /* that process */
        char untrusted_name[32];
} pkgmgr_state_t;

/* Look for a running package manager for ROOT. HOST_PROCESSES adds the
 * process list of this host (only meaningful when ROOT is the host, or an
 * image the host's package manager may be installing into). Returns 0 with
 * *RET filled (also when nothing runs), or a negative errno when /proc
 * cannot be read. Lock files that do not exist or cannot be opened are
 * skipped. */
int pkgmgr_probe(const rootfs_t *root, bool host_processes, pkgmgr_state_t *ret);

/* True when COMM (a /proc/PID/comm value) names a package manager. */
bool pkgmgr_is_manager_name(const char *comm);

/* True when process PID is a package manager (name and executable as above),
 * with its name in NAME (N bytes) when not NULL. */
bool pkgmgr_pid_is_manager(pid_t pid, char *name, size_t n);

/* Whether process PID is a package manager or runs under one (a
 * maintainer script, a trigger): its parent chain is followed up to 64
 * levels. Returns 1 yes, 0 no, -ESRCH when PID (or a parent) is gone and
 * nothing can be said. */
int pkgmgr_pid_under_manager(pid_t pid);

/* The pid holding a write-conflicting POSIX lock on open file FD, 0 when
 * none, or a negative errno. */
pid_t pkgmgr_lock_holder(int fd);
