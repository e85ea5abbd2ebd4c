/*
 * vigil YARA rules: backdoors and persistence.
 *
 * Written for vigil: PAM modules that log or short-circuit passwords,
 * authorized_keys entries whose forced command calls out to another host,
 * LD_PRELOAD rootkits and the scripts that install them, set-uid copies of
 * shells, and download-and-run droppers. Literal strings use \x escapes so
 * that this file never matches its own rules.
 */

import "elf"

private rule bd_elf
{
    condition:
        uint32(0) == 0x464c457f
}

rule backdoor_pam_credential_logger
{
    meta:
        description = "PAM module that records passwords or hides a log file (backdoored pam_unix)"
        level = "high"
        category = "backdoor"
        family = "pam"

    strings:
        $api = "pam_sm_authenticate"
        // user=%s pass=%s and the like: a format that writes a credential pair
        $fmt = /(user(name)?|login|usr)\s{0,3}[:=\]]\s{0,3}(\[)?%s[^\x00\n]{0,24}(pass(word)?|pwd|pw)\s{0,3}[:=\]]\s{0,3}(\[)?%s/ nocase
        // a log in a place where nobody looks
        $log = /\/(tmp|var\/tmp|dev\/shm|usr\/include|usr\/share\/fonts|lib\/udev|etc\/X11)\/\.[A-Za-z0-9_.\-]{1,40}\x00/

    condition:
        bd_elf and $api and ($fmt or $log)
}

rule backdoor_pam_source_patch
{
    meta:
        description = "PAM source patched with a hard-coded password or a password log"
        level = "high"
        category = "backdoor"
        family = "pam"

    strings:
        $pam1 = "pam_sm_authenticate"
        $pam2 = "unix_verify_password"
        $pam3 = "pam_get_authtok"
        // a string compare of the password being checked with a literal
        $cmp = /str(n)?cmp\s*\(\s*(p|pass|passwd|password|pwd|authtok)\s*,\s*"[^"\n]{1,64}"\s*(,\s*[0-9]{1,3}\s*)?\)\s*==\s*0/
        $log = /fopen\s*\(\s*"\/[^"\n]{1,128}"\s*,\s*"a\+?"\s*\)[^;]{0,10};[^\n]{0,200}\n[^\n]{0,200}fprintf\s*\([^,]{1,40},\s*"[^"\n]{0,40}%s[^"\n]{0,40}%s/

    condition:
        not bd_elf and filesize < 2MB and 1 of ($pam*) and ($cmp or $log)
}

rule backdoor_ssh_forced_command
{
    meta:
        description = "SSH authorized key whose forced command connects out or pipes a download to a shell"
        level = "high"
        category = "backdoor"
        family = "ssh-key"

    strings:
        $line = /(^|\n)[^\n#]{0,300}command\s*=\s*"[^"\n]{0,600}(\/dev\/(tcp|udp)\/|\b(nc|ncat|netcat|socat|telnet)\s|\b(curl|wget)\s[^"\n]{1,300}\|\s*(\/usr)?(\/bin\/)?(ba|da|z|k)?sh\b|mkfifo\s)[^"\n]{0,600}"[^\n]{0,300}\s(ssh-(rsa|dss|ed25519)|ecdsa-sha2-nistp[0-9]{3}|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com)\s+AAAA/

    condition:
        not bd_elf and filesize < 4MB and $line
}

rule backdoor_ld_preload_rootkit
{
    meta:
        description = "LD_PRELOAD rootkit library: hooks directory listing and hides its preload entry"
        level = "high"
        category = "backdoor"
        family = "ld-preload"

    strings:
        $preload = "/etc/ld\x2eso.preload"
        $dlsym = "dlsym"

    condition:
        // It defines readdir itself (a hook: it calls the real one through
        // dlsym) and knows the preload file, which it hides. libc defines
        // readdir but never names the preload file; the loader names it
        // but defines no readdir.
        bd_elf and $preload and $dlsym and
        for any i in (0..elf.dynsym_entries - 1) : (
            (elf.dynsym[i].name == "readdir" or elf.dynsym[i].name == "readdir64") and
            elf.dynsym[i].shndx != 0)
}

rule backdoor_ld_preload_writer
{
    meta:
        description = "Script that adds a library to /etc/ld.so.preload (LD_PRELOAD rootkit installer)"
        level = "medium"
        category = "backdoor"
        family = "ld-preload"

    strings:
        $w1 = /\b(echo|printf)\s[^\n;|]{1,300}>>?\s*['"]?\/etc\/ld\x2eso\.preload/
        $w2 = /\btee\s+(-a\s+)?['"]?\/etc\/ld\x2eso\.preload/
        $w3 = /open\s*\(\s*['"]\/etc\/ld\x2eso\.preload['"]\s*,\s*['"][aw]/

    condition:
        not bd_elf and filesize < 4MB and any of them
}

rule backdoor_suid_shell
{
    meta:
        description = "Script that makes a set-uid copy of a shell (root backdoor)"
        level = "high"
        category = "backdoor"
        family = "suid-shell"

    strings:
        // chmod u+s or 4755 on a shell itself
        $direct = /\bchmod\s+(-[a-zA-Z]+\s+)?([ugoa]*\+[rwx]*s[rwx]*|[2-7][0-7]{3})\s+['"]?(\/usr)?\/bin\/(ba|da|z|k|tc|c)?sh\b/
        // cp /bin/bash SOMEWHERE ... chmod 4755 SOMEWHERE
        $copy = /\bcp\s+(-[a-zA-Z]+\s+)?['"]?(\/usr)?\/bin\/(ba|da|z|k)?sh\s+['"]?([^\s;&|'"]{1,255})[^\n]{0,20}[;&\n][^\n]{0,200}\bchmod\s+(-[a-zA-Z]+\s+)?(u?\+s|[ugoa]*\+[rwx]*s[rwx]*|[4-7][0-7]{3})\s/

    condition:
        not bd_elf and filesize < 4MB and any of them
}

rule dropper_download_and_run
{
    meta:
        description = "Downloads a script from a bare IP address or a paste site and runs it"
        level = "medium"
        category = "dropper"
        family = "download-exec"

    strings:
        $pipe = /\b(curl|wget)\s[^\n|;]{0,300}(https?:\/\/)?([0-9]{1,3}\.){3}[0-9]{1,3}(:[0-9]{1,5})?\/[^\s|;]{0,200}[^\n|;]{0,100}\|\s*(sudo\s+)?(\/usr)?(\/bin\/)?(ba|da|z|k)?sh\b/
        $paste = /\b(curl|wget)\s[^\n|;]{0,300}(pastebin\.com\/raw|transfer\.sh|paste\.ee\/r)[^\n|;]{0,200}\|\s*(sudo\s+)?(\/usr)?(\/bin\/)?(ba|da|z|k)?sh\b/

    condition:
        not bd_elf and filesize < 4MB and any of them and not backdoor_ssh_forced_command
}
