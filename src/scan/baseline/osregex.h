/* Translation of the two small pattern languages that OSSEC-derived policy
 * files (Wazuh SCA) use into PCRE2 syntax, so one regex engine serves every
 * policy. OS_Regex is the `r:` dialect: literal characters, the escapes \d \D
 * \w \W \s \S \p \. \t and the escaped literals \( \) \\ \$ \| \<, the
 * quantifiers + and * (only after an escape), ^ and $ as anchors at the ends
 * of an alternative, | between alternatives and one level of capturing
 * parentheses; matching ignores ASCII case. OS_Match is the plain form used
 * for file names in directory rules: |-separated literals, each a substring
 * unless anchored with ^ and/or $, also ignoring case. The exact mapping is in
 * docs/baseline.md. Callers compile the result with PCRE2_CASELESS. */
#pragma once

/* Translate the OS_Regex PATTERN into PCRE2 syntax. Returns 0 and a new
 * string in *RET (caller frees); -EINVAL for a pattern OS_Regex itself would
 * refuse (unknown escape, nested or unbalanced parentheses, | inside
 * parentheses), with a static description in *RET_ERROR when it is not NULL;
 * -ENOMEM. */
int osregex_to_pcre2(const char *pattern, char **ret, const char **ret_error);

/* Translate the OS_Match PATTERN into PCRE2 syntax. Returns 0 and a new
 * string in *RET (caller frees) or -ENOMEM. Every input is valid. */
int osmatch_to_pcre2(const char *pattern, char **ret);
