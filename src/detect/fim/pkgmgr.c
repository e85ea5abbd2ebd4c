#include "detect/fim/pkgmgr.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/macro.h"
#include "core/text.h"

static const char *const lock_files[] = {
        "/var/lib/dpkg/lock-frontend",     "/var/lib/dpkg/lock", "/var/lib/rpm/.rpm.lock",
        "/usr/lib/sysimage/rpm/.rpm.lock", "/lib/apk/db/lock",
};

/* /proc/PID/comm is cut at 15 bytes, so long names appear shortened. */
static const char *const manager_names[] = {
        "dpkg", "dpkg-deb",      "dpkg-divert", "dpkg-statoverr",  "dpkg-trigger", "dpkg-preconfig",
        "apt",  "apt-get",       "aptitude",    "unattended-upgr", "rpm",          "rpmdb",
        "dnf",  "dnf-automatic", "yum",         "microdnf",        "tdnf",         "zypper",
        "apk",
};

static const char *const system_dirs[] = {
        "/usr/bin/", "/usr/sbin/", "/bin/", "/sbin/", "/usr/lib/", "/usr/lib64/", "/usr/libexec/",
};

bool pkgmgr_is_manager_name(const char *comm)
{
        for (size_t i = 0; i < ELEMENTSOF(manager_names); i++)
                if (strcmp(comm, manager_names[i]) == 0)
                        return true;
        return false;
}

static int read_comm(pid_t pid, char *out, size_t n)
{
        char path[64];
        ssize_t len;
        int fd;

        snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        len = read(fd, out, n - 1);
        close(fd);
        if (len < 0)
                return -errno;
        while (len > 0 && out[len - 1] == '\n')
                len--;
        out[len] = 0;
        return 0;
}

bool pkgmgr_pid_is_manager(pid_t pid, char *name, size_t n)
{
        char comm[32], path[64], exe[PATH_MAX];
        ssize_t len;
        bool in_system = false;

        if (pid <= 0 || read_comm(pid, comm, sizeof(comm)) < 0 || !pkgmgr_is_manager_name(comm))
                return false;
        snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
        len = readlink(path, exe, sizeof(exe) - 1);
        if (len < 0 || (size_t)len >= sizeof(exe) - 1)
                return false;
        exe[len] = 0;
        if (str_endswith(exe, " (deleted)"))
                return false;
        for (size_t i = 0; i < ELEMENTSOF(system_dirs); i++)
                if (str_startswith(exe, system_dirs[i]) && !strstr(exe, "/../"))
                        in_system = true;
        if (in_system && name)
                snprintf(name, n, "%s", comm);
        return in_system;
}

pid_t pkgmgr_lock_holder(int fd)
{
        struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };

        if (fcntl(fd, F_GETLK, &fl) < 0)
                return -errno;
        return fl.l_type == F_UNLCK ? 0 : fl.l_pid;
}

static int scan_processes(pkgmgr_state_t *st)
{
        DIR *d = opendir("/proc");
        struct dirent *de;
        pid_t self = getpid();

        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                unsigned long long v;
                char name[32];
                if (str_to_u64(de->d_name, &v) < 0 || v == 0 || v > INT_MAX)
                        continue;
                if ((pid_t)v == self)
                        continue;
                if (pkgmgr_pid_is_manager((pid_t)v, name, sizeof(name))) {
                        st->running = true;
                        st->pid = (pid_t)v;
                        snprintf(st->name, sizeof(st->name), "%s", name);
                        snprintf(st->via, sizeof(st->via), "process");
                        break;
                }
        }
        closedir(d);
        return 0;
}

int pkgmgr_probe(const rootfs_t *root, bool host_processes, pkgmgr_state_t *ret)
{
        pkgmgr_state_t st = { 0 };

        for (size_t i = 0; i < ELEMENTSOF(lock_files) && !st.running; i++) {
                /* O_RDWR is needed for F_GETLK of a write lock on some file
                 * systems; fall back to read-only. Opening never creates. */
                int fd = rootfs_openat(root, lock_files[i], O_RDWR | O_NOFOLLOW | O_NONBLOCK);
                pid_t holder;
                char name[32];
                if (fd < 0)
                        fd = rootfs_openat(root, lock_files[i], O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
                if (fd < 0)
                        continue;
                holder = pkgmgr_lock_holder(fd);
                close(fd);
                if (holder <= 0)
                        continue;
                if (pkgmgr_pid_is_manager(holder, name, sizeof(name))) {
                        st.running = true;
                        st.pid = holder;
                        snprintf(st.name, sizeof(st.name), "%s", name);
                        snprintf(st.via, sizeof(st.via), "lock %s", lock_files[i]);
                } else if (!st.holder_untrusted) {
                        st.holder_untrusted = true;
                        st.untrusted_pid = holder;
                        if (read_comm(holder, st.untrusted_name, sizeof(st.untrusted_name)) < 0)
                                st.untrusted_name[0] = 0;
                }
        }
        if (!st.running && host_processes) {
                int r = scan_processes(&st);
                if (r < 0)
                        return r;
        }
        *ret = st;
        return 0;
}

/* The parent of PID from /proc/PID/stat, whose second field (the name in
 * parentheses) may itself hold ") " and so is skipped from its last ')'. */
static int parent_of(pid_t pid, pid_t *ret)
{
        char path[64], buf[512];
        const char *p;
        long long ppid;
        ssize_t n;
        int fd;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -ESRCH;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
                return -ESRCH;
        buf[n] = 0;
        p = strrchr(buf, ')');
        if (!p || sscanf(p + 1, " %*c %lld", &ppid) != 1 || ppid < 0 || ppid > INT_MAX)
                return -ESRCH;
        *ret = (pid_t)ppid;
        return 0;
}

int pkgmgr_pid_under_manager(pid_t pid)
{
        for (int depth = 0; depth < 64 && pid > 1; depth++) {
                pid_t parent;
                if (pkgmgr_pid_is_manager(pid, NULL, 0))
                        return 1;
                if (parent_of(pid, &parent) < 0)
                        return -ESRCH;
                pid = parent;
        }
        return 0;
}
