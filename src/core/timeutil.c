#include "core/timeutil.h"

#include <stdio.h>
#include <time.h>

int64_t timeutil_now_us(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t timeutil_mono_us(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void timeutil_format_iso(int64_t t_us, char *out, size_t n)
{
        time_t secs = (time_t)(t_us / 1000000);
        long frac = (long)(t_us % 1000000);
        struct tm tm;

        if (frac < 0) {
                frac += 1000000;
                secs -= 1;
        }
        if (!gmtime_r(&secs, &tm)) {
                snprintf(out, n, "invalid");
                return;
        }
        if (frac)
                snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
                         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
        else
                snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}
