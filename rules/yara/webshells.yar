/*
 * vigil YARA rules: webshells in PHP, JSP and ASP/ASP.NET.
 *
 * Written for vigil. A webshell is server-side code that runs what an HTTP
 * request tells it to. These rules look for that data flow in one
 * expression: request data (PHP $_GET/$_POST/$_REQUEST/$_COOKIE or
 * php://input, JSP request.getParameter, ASP Request) fed straight into a
 * function that evaluates code or runs commands. Ordinary web code names
 * both, but not one inside the other. Obfuscated eval chains without
 * request data in sight are only suspicious (medium). Literal strings use
 * \x escapes so that this file never matches its own rules.
 */

private rule ws_php_file
{
    strings:
        $open1 = "<\x3fphp" nocase
        $open2 = "<\x3f="
        $open3 = /<\x3f[\s]/
    condition:
        any of them
}

private rule ws_server_page
{
    strings:
        $jsp1 = "<\x25"
        $asp1 = /<script[^>]{0,100}runat\s*=\s*["']?server/ nocase
    condition:
        any of them
}

rule webshell_php_chopper
{
    meta:
        description = "One-line PHP webshell (China Chopper style): evaluates a request parameter"
        level = "high"
        category = "webshell"
        family = "chopper"

    strings:
        $e = /(@\s*)?(eval|assert)\s*\(\s*(@\s*)?\$_(POST|GET|REQUEST|COOKIE)\s*\[\s*['"]?[A-Za-z0-9_\-]{0,32}['"]?\s*\]\s*\)/ nocase
        // eval(file_get_contents('php://input')): code in the request body.
        // Only in a small file: development consoles do this on purpose.
        $input = /\b(eval|assert|system|passthru|shell_exec|exec|popen|create_function)\s*\(\s*(@\s*)?([a-z0-9_]{2,20}\s*\(\s*){0,3}file_get_contents\s*\(\s*['"]php:\/\/input['"]/ nocase

    condition:
        ws_php_file and filesize < 4KB and ($e or $input)
}

rule webshell_php_request_exec
{
    meta:
        description = "PHP webshell: code or commands taken from the HTTP request are run"
        level = "high"
        category = "webshell"
        family = "php-exec"

    strings:
        // eval/system/... of a request value, possibly through decoders.
        $direct = /\b(eval|assert|system|passthru|shell_exec|exec|popen|proc_open|pcntl_exec|create_function)\s*\(\s*(@\s*)?([a-z0-9_]{2,20}\s*\(\s*){0,4}(@\s*)?\$_(GET|POST|REQUEST|COOKIE|SERVER\s*\[\s*['"]HTTP_)/ nocase
        // preg_replace with the /e modifier and request data
        $preg = /preg_replace\s*\(\s*['"][^'"]{1,100}\/[a-df-z]{0,5}e[a-df-z]{0,5}['"]\s*,\s*(@\s*)?\$_(GET|POST|REQUEST|COOKIE)/ nocase
        // $_GET['f']($_GET['c']): the function name itself comes from the request
        $call = /\$_(GET|POST|REQUEST|COOKIE)\s*\[[^\]]{1,40}\]\s*\(\s*(@\s*)?\$_(GET|POST|REQUEST|COOKIE)/ nocase
        // call_user_func / array_map and friends with request data
        $cb1 = /\b(call_user_func(_array)?|array_map|array_filter|array_walk|usort|uasort|uksort|register_shutdown_function|register_tick_function)\s*\(\s*(@\s*)?\$_(GET|POST|REQUEST|COOKIE)/ nocase
        $cb2 = /\b(array_map|array_filter|array_walk|call_user_func(_array)?|usort|uasort)\s*\(\s*['"](assert|system|eval|passthru|shell_exec|exec)['"]\s*,\s*(@\s*)?\$_(GET|POST|REQUEST|COOKIE)/ nocase
        // backticks run a shell command
        $tick = /`\s*\$_(GET|POST|REQUEST|COOKIE)\s*\[/

    condition:
        ws_php_file and any of them and not webshell_php_chopper
}

rule webshell_php_known_marker
{
    meta:
        description = "PHP file carrying the marks of a well-known webshell (WSO/FilesMan, c99, r57, b374k, IndoXploit)"
        level = "high"
        category = "webshell"
        family = "known-webshell"

    strings:
        $wso1 = "FilesMan"
        $wso2 = /WSO [0-9]\.[0-9]/
        $c99a = "c99shell" nocase
        $c99b = "c99sh_"
        $r57 = "r57shell" nocase
        $b374k = "b374k" nocase
        $indo = "IndoXploit" nocase
        // The action names the WSO/FilesMan family posts back to itself.
        $act1 = "actionFilesTools"
        $act2 = "actionSecInfo"
        $act3 = "actionStringTools"
        $act4 = "actionConsole"

    condition:
        ws_php_file and (1 of ($wso*, $c99*, $r57, $b374k, $indo) or 2 of ($act*))
}

rule webshell_php_obfuscated_eval
{
    meta:
        description = "PHP code that evaluates decoded or decompressed data (common webshell obfuscation)"
        level = "medium"
        category = "webshell"
        family = "php-obfuscated"

    strings:
        // eval(gzinflate(base64_decode(...))), assert(str_rot13(...)), ...
        $chain = /\b(eval|assert|create_function)\s*\(\s*(@\s*)?(gzinflate|gzuncompress|gzdecode|str_rot13|base64_decode|convert_uudecode|strrev|hex2bin)\s*\(/ nocase

    condition:
        ws_php_file and $chain and
        not webshell_php_request_exec and not webshell_php_chopper and not webshell_php_known_marker
}

rule webshell_jsp_request_exec
{
    meta:
        description = "JSP webshell: runs commands or loads classes taken from the HTTP request"
        level = "high"
        category = "webshell"
        family = "jsp-exec"

    strings:
        $rt = /Runtime\s*\.\s*getRuntime\s*\(\s*\)\s*\.\s*exec\s*\(\s*request\s*\.\s*getParameter\s*\(/
        $pb = /new\s+ProcessBuilder\s*\([^;]{0,200}request\s*\.\s*getParameter\s*\(/
        // Class-loading shells (Behinder/Godzilla style) define a class
        // from bytes sent in the request.
        $def = "defineClass"
        $req1 = "request.getReader()"
        $req2 = /request\s*\.\s*getParameter\s*\(/
        $dec = /(BASE64Decoder|Base64\s*\.\s*getDecoder|decodeBuffer|Cipher\s*\.\s*getInstance)/

    condition:
        ws_server_page and filesize < 1MB and ($rt or $pb or ($def and 1 of ($req*) and $dec))
}

rule webshell_asp_request_eval
{
    meta:
        description = "ASP/ASP.NET webshell: evaluates or runs what the HTTP request sends"
        level = "high"
        category = "webshell"
        family = "asp-eval"

    strings:
        // JScript.NET chopper: eval(Request.Item["x"],"unsafe")
        $js = /\beval\s*\(\s*Request\s*(\.\s*(Item|Form|QueryString)\s*)?[\[\(]/ nocase
        // Classic ASP: eval request("x") / execute request("x")
        $vb = /\b(eval|execute|executeglobal)\s*\(?\s*request\s*(\.\s*(item|form|querystring)\s*)?[\(\[]/ nocase
        $ps = /Process\s*\.\s*Start\s*\([^;]{0,200}Request\s*(\.\s*(Item|Form|QueryString)\s*)?[\[\(]/ nocase

    condition:
        ws_server_page and filesize < 1MB and any of them
}
