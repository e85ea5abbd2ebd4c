import "elf"
rule r : tag { meta: level = "high" score = 80 strings: $r = /ab+c{1,3}[^x]/ nocase wide ascii $t = "t" xor(1-3) condition: any of them and filesize < 10KB and elf.type == 2 }
include "x.yar"
