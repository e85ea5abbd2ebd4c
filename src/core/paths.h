/* Where vigil finds its shipped data (rules/: policies, secret rules, YARA
 * rules, password lists). In order: the config key "rules_dir", the
 * environment variable VIGIL_RULES_DIR, the installed data directory
 * (PREFIX/share/vigil/rules), and last the rules/ folder of the source tree
 * the binary was built from, so a freshly built vigil runs from its build
 * directory without installing. */
#pragma once

#include "core/config.h"

/* The rules directory (borrowed string, valid while CONFIG lives), or NULL
 * when none of the candidates is a directory. */
const char *paths_rules_dir(const config_t *config);

/* RULES_DIR/SUB as a new string (caller frees), or NULL when there is no
 * rules directory or out of memory. */
char *paths_rules_file(const config_t *config, const char *sub);
