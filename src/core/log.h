/* Logging for commands at the top of the program. Library code never logs:
 * it returns an error and the command that called it logs once. The only
 * global state in vigil is the settings here (verbosity, program name). */
#pragma once

#include "core/macro.h"

enum log_level {
        LOG_LEVEL_ERROR = 0,
        LOG_LEVEL_WARN = 1,
        LOG_LEVEL_INFO = 2,
        LOG_LEVEL_DEBUG = 3,
};

void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/* Print one line "vigil: MESSAGE" (with "warning: " for warnings) on stderr.
 * Control characters in the formatted text are escaped, because messages
 * often quote file names and other attacker-written data. */
void log_error(const char *fmt, ...) _printf_(1, 2);
void log_warn(const char *fmt, ...) _printf_(1, 2);
void log_info(const char *fmt, ...) _printf_(1, 2);
void log_debug(const char *fmt, ...) _printf_(1, 2);
