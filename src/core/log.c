#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>

#include "core/text.h"

static enum log_level log_threshold = LOG_LEVEL_WARN;

void log_set_level(enum log_level level)
{
        log_threshold = level;
}

enum log_level log_get_level(void)
{
        return log_threshold;
}

_printf_(3, 0) static void log_emit(enum log_level level, const char *prefix, const char *fmt, va_list ap)
{
        char msg[4096];

        if (level > log_threshold)
                return;
        vsnprintf(msg, sizeof(msg), fmt, ap);
        fputs("vigil: ", stderr);
        fputs(prefix, stderr);
        text_put_escaped(stderr, msg);
        fputc('\n', stderr);
}

void log_error(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        log_emit(LOG_LEVEL_ERROR, "", fmt, ap);
        va_end(ap);
}

void log_warn(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        log_emit(LOG_LEVEL_WARN, "warning: ", fmt, ap);
        va_end(ap);
}

void log_info(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        log_emit(LOG_LEVEL_INFO, "", fmt, ap);
        va_end(ap);
}

void log_debug(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        log_emit(LOG_LEVEL_DEBUG, "debug: ", fmt, ap);
        va_end(ap);
}
