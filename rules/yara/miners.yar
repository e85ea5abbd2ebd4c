/*
 * vigil YARA rules: cryptocurrency miners.
 *
 * Written for vigil from what miners have to contain to work: the stratum
 * pool protocol (its URL schemes and JSON-RPC method names), the option and
 * configuration names of the XMRig and xmr-stak families, and their mining
 * algorithm names. Literal strings use \x escapes for one character so that
 * this file never matches its own rules.
 */

private rule miner_elf
{
    condition:
        uint32(0) == 0x464c457f
}

rule miner_xmrig_binary
{
    meta:
        description = "XMRig-family Monero miner program"
        level = "high"
        category = "miner"
        family = "xmrig"

    strings:
        $name1 = "xmrig" nocase
        $name2 = "XMRig/\x25s" // the user agent format
        $opt1 = "donate-level"
        $opt2 = "--randomx-1gb-pages"
        $opt3 = "--cpu-max-threads-hint"
        $opt4 = "--nicehash"
        $opt5 = "--rig-id"
        $alg1 = "rx/0"
        $alg2 = "cn/r"
        $alg3 = "randomx" nocase
        $alg4 = "cryptonight" nocase
        $url = /stratum\x2b(tcp|ssl|tls):\/\//

    condition:
        miner_elf and ($name1 or $name2) and 2 of ($opt*) and 1 of ($alg*, $url)
}

rule miner_xmrstak_binary
{
    meta:
        description = "xmr-stak-family Monero miner program"
        level = "high"
        category = "miner"
        family = "xmr-stak"

    strings:
        $name = /xmr-stak(-rx|-cpu|-amd|-nvidia)?/ nocase
        $cfg1 = "pool_address"
        $cfg2 = "wallet_address"
        $cfg3 = "pool_password"
        $cfg4 = "use_nicehash"
        $cfg5 = "rig_id"
        $alg1 = "cryptonight" nocase
        $alg2 = "randomx" nocase

    condition:
        miner_elf and $name and 3 of ($cfg*) and 1 of ($alg*)
}

rule miner_stratum_client_binary
{
    meta:
        description = "Program that speaks the stratum mining pool protocol"
        level = "high"
        category = "miner"
        family = "stratum"

    strings:
        // JSON-RPC methods every stratum (v1) client sends.
        $m1 = "mining\x2esubscribe"
        $m2 = "mining\x2eauthorize"
        $m3 = "mining\x2esubmit"
        $m4 = "mining\x2enotify"
        $m5 = "mining\x2eset_difficulty"
        $url = /stratum\x2b(tcp|ssl|tls):\/\//

    condition:
        miner_elf and 3 of ($m*) and ($url or 4 of ($m*))
}

rule miner_config_file
{
    meta:
        description = "Cryptocurrency miner configuration (pool, wallet, algorithm)"
        level = "high"
        category = "miner"
        family = "xmrig"

    strings:
        // XMRig config.json
        $x1 = "\"donate-level\""
        $x2 = "\"pools\""
        $x3 = "\"randomx\""
        $x4 = /"algo"\s*:\s*"(rx\/0|rx\/wow|cn\/r|cn\/half|cn-heavy\/xhv|argon2\/chukwa|kawpow|ghostrider|gr)"/
        $x5 = "\"coin\""
        $x6 = "\"nicehash\""
        // xmr-stak pools.txt / config.txt
        $s1 = "\"pool_list\""
        $s2 = "\"pool_address\""
        $s3 = "\"wallet_address\""
        $s4 = "\"currency\""
        $url = /"(url|pool_address)"\s*:\s*"(stratum\x2b(tcp|ssl|tls):\/\/)?[A-Za-z0-9.\-]{1,253}:[0-9]{2,5}"/

    condition:
        not miner_elf and filesize < 1MB and
        ((($x1 and $x2) and (1 of ($x3, $x4, $x5, $x6)) and $url) or
         ($s1 and $s2 and $s3 and ($s4 or $url)))
}

rule miner_launch_script
{
    meta:
        description = "Script that starts a miner against a stratum pool"
        level = "high"
        category = "miner"
        family = "stratum"

    strings:
        $url = /stratum\x2b(tcp|ssl|tls):\/\/[A-Za-z0-9.\-]{1,253}:[0-9]{2,5}/
        $p1 = /(^|[\s\/'"])(xmrig|xmr-stak(-rx)?|minerd|cpuminer(-multi|-opt)?|ccminer|t-rex|lolminer|nbminer|srbminer(-multi)?|phoenixminer|cgminer|bfgminer|teamredminer|gminer)(\.exe)?[\s'"]/ nocase
        $p2 = /(\s-o|\s--url[= ])\s*["']?stratum\x2b/
        $p3 = /\s(-u|--user[= ])\s*["']?[0-9A-Za-z]{40,}/
        $p4 = /--donate-level[= ]?[0-9]/
        $p5 = /\s(-a|--algo[= ])\s*["']?(rx\/0|cryptonight|randomx|kawpow|ethash|scrypt|sha256d|x11)/ nocase

    condition:
        not miner_elf and filesize < 4MB and $url and 1 of ($p*)
}

rule miner_pool_url
{
    meta:
        description = "Stratum mining pool address in a text file"
        level = "medium"
        category = "miner"
        family = "stratum"

    strings:
        $url = /stratum\x2b(tcp|ssl|tls):\/\/[A-Za-z0-9.\-]{1,253}:[0-9]{2,5}/

    condition:
        not miner_elf and filesize < 4MB and $url and
        not miner_launch_script and not miner_config_file
}
