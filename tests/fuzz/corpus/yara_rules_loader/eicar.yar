/*
 * vigil YARA rules: the EICAR anti-virus test file.
 *
 * Written for vigil. The EICAR file is harmless; it exists so that people can
 * check that a scanner and everything behind it (findings, alerts,
 * quarantine) works. The string is given in hex so that this file is not
 * itself taken for the test file by other scanners.
 *
 * Every vigil rule carries these metas:
 *   description  one line for people (the finding's title)
 *   level        high | medium | low (see docs/malware.md)
 *   category     test | miner | webshell | reverse_shell | backdoor | dropper
 *   family       a short name of the kind of tool
 */

rule eicar_test_file
{
    meta:
        description = "EICAR anti-virus test file"
        level = "high"
        category = "test"
        family = "eicar"

    strings:
        // The 68-byte standard string, which must start the file.
        $eicar = { 58 35 4F 21 50 25 40 41 50 5B 34 5C 50 5A 58 35 34 28 50 5E 29 37 43 43
                   29 37 7D 24 45 49 43 41 52 2D 53 54 41 4E 44 41 52 44 2D 41 4E 54 49 56
                   49 52 55 53 2D 54 45 53 54 2D 46 49 4C 45 21 24 48 2B 48 2A }

    condition:
        // The standard allows trailing white space up to 128 bytes in all.
        $eicar at 0 and filesize <= 128
}
