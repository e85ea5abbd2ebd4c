#!/usr/bin/env python3
"""Print the PCRE2 patterns of a secret rules file, one per line, for
"rg -P -f FILE". ripgrep joins the lines into one alternation, so the named
groups (the same name in every rule) become plain groups, and numbered
back-references become relative ones (\\g{-N}) that survive the joining.

Usage: rg_patterns.py rules/secrets/rules.yml > patterns.txt
"""
import sys


def convert(p):
    out = []
    i = 0
    groups = 0
    in_class = False
    while i < len(p):
        c = p[i]
        if c == "\\":
            nxt = p[i + 1] if i + 1 < len(p) else ""
            if not in_class and nxt.isdigit():
                out.append("\\g{-%d}" % (groups - int(nxt) + 1))
                i += 2
                continue
            out.append(p[i:i + 2])
            i += 2
            continue
        if in_class:
            in_class = c != "]"
            out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            out.append(c)
            i += 1
            if p[i:i + 1] == "^":
                out.append("^")
                i += 1
            if p[i:i + 1] == "]":
                out.append("]")
                i += 1
            continue
        if c == "(":
            if p.startswith("(?<", i) and not p.startswith(("(?<=", "(?<!"), i):
                out.append("(")
                groups += 1
                i = p.index(">", i) + 1
                continue
            if not p.startswith("(?", i):
                groups += 1
        out.append(c)
        i += 1
    return "".join(out)


for line in open(sys.argv[1]):
    s = line.strip()
    if s.startswith("pattern: '") and s.endswith("'"):
        print(convert(s[len("pattern: '"):-1].replace("''", "'")))
