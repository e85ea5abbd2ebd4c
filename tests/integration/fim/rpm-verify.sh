#!/bin/sh
# vigil fim against a real rpm database, without any baseline: two small
# packages are built with rpmbuild (one with SHA-256 file digests, one with
# MD5), installed with rpm --root, and their files tampered with. A
# replaced program is an urgent package mismatch on the first run, with the
# digest rpm recorded; the edited %config file, the untouched files, the
# symlink, the directory and the %ghost file are not reported. rpm -V is the
# oracle. A database that librpm cannot read is noted, not fatal.
. "$(dirname "$0")/../lib.sh"

if ! command -v rpmbuild >/dev/null || ! command -v rpm >/dev/null; then
        echo "SKIP: rpm and rpmbuild are needed (Debian package \"rpm\")"
        exit 77
fi

json() { # json FILE PYTHON-EXPRESSION-ON-d
        python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"
}
alerts() { # alerts FILE: "rule level path" per alert, sorted
        python3 -c "
import json,sys
d=json.load(open(sys.argv[1]))
for a in d['alerts']:
    print(a['rule'], a['level'], a['evidence']['path'])" "$1" | sort
}

# spec NAME: a package with a program, a data file, a %config file, a
# symlink, a directory and a %ghost file, all where the default policy
# looks (/usr/bin, /usr/lib, /etc/ssh).
spec() {
        cat <<EOF
Name: $1
Version: 1.0
Release: 2
Summary: vigil rpm verification test package
License: GPL-3.0-or-later
BuildArch: noarch
%description
A package that only exists for vigil's tests.
%install
mkdir -p %{buildroot}/usr/bin %{buildroot}/etc/ssh %{buildroot}/usr/lib/$1
printf '#!/bin/sh\necho $1\n' >%{buildroot}/usr/bin/$1
chmod 755 %{buildroot}/usr/bin/$1
printf 'data of $1\n' >%{buildroot}/usr/lib/$1/data
printf 'setting=1\n' >%{buildroot}/etc/ssh/$1.conf
ln -s $1 %{buildroot}/usr/bin/$1-link
%files
/usr/bin/$1
/usr/bin/$1-link
/usr/lib/$1/data
%config(noreplace) /etc/ssh/$1.conf
%dir /usr/lib/$1
%ghost /usr/lib/$1/state
EOF
}

spec vigil-rpmsha >"$WORK/sha.spec"
spec vigil-rpmmd5 >"$WORK/md5.spec"
B="$WORK/build"
rpmbuild -bb --quiet --define "_topdir $B" --define "_rpmdir $WORK/rpms" \
        --define "_tmppath $WORK" "$WORK/sha.spec" >"$WORK/rpmbuild.log" 2>&1 ||
        { cat "$WORK/rpmbuild.log" >&2; fail "rpmbuild (sha256)"; finish; }
rpmbuild -bb --quiet --define "_topdir $B" --define "_rpmdir $WORK/rpms" \
        --define "_tmppath $WORK" --define "_binary_filedigest_algorithm 1" \
        "$WORK/md5.spec" >"$WORK/rpmbuild.log" 2>&1 ||
        { cat "$WORK/rpmbuild.log" >&2; fail "rpmbuild (md5)"; finish; }

R="$WORK/root"
mkdir -p "$R"
RPM="rpm --root $R --dbpath /var/lib/rpm"
$RPM --initdb
$RPM -i --nodeps --noscripts "$WORK/rpms/noarch/vigil-rpmsha-1.0-2.noarch.rpm" \
        "$WORK/rpms/noarch/vigil-rpmmd5-1.0-2.noarch.rpm" >"$WORK/install.log" 2>&1 ||
        { cat "$WORK/install.log" >&2; fail "rpm -i"; finish; }
[ "$($RPM -q --qf '%{FILEDIGESTALGO}' vigil-rpmsha)" = 8 ] && ok "fixture package uses SHA-256" ||
        fail "sha package digest algorithm"
# rpm leaves the tag out for MD5, its default.
case $($RPM -q --qf '%{FILEDIGESTALGO}' vigil-rpmmd5) in
1 | "(none)") ok "fixture package uses MD5" ;;
*) fail "md5 package digest algorithm" ;;
esac
S="$WORK/state"

# --- 1. A fresh install is clean ---------------------------------------
if run 0 "$VIGIL" fim check --root "$R" --state "$S" --format json; then
        [ -z "$(alerts "$WORK/out")" ] && ok "fresh rpm install: no alerts" ||
                fail "fresh install alerts: $(alerts "$WORK/out")"
        n=$(json "$WORK/out" "d['stats']['fim']['package_files']")
        # The program and the data file of each package; not the %config
        # file, the %ghost file (absent: it would be a deleted package file),
        # the symlink or the directory.
        [ "$n" = 4 ] && ok "four package files verified (programs and data)" ||
                fail "package_files is $n, wanted 4"
fi
expect_not_in "$WORK/err" "not verified yet" "no 'rpm not verified' note any more"

# --- 2. A tampered program is caught on the first run; %config is not ---
orig=$(sha256sum "$R/usr/bin/vigil-rpmsha" | cut -d' ' -f1)
printf 'setting=2\n' >"$R/etc/ssh/vigil-rpmsha.conf"
printf 'setting=2\n' >"$R/etc/ssh/vigil-rpmmd5.conf"
printf '#!/bin/sh\n# trojaned\nexec /bin/sh -i\n' >"$R/usr/bin/vigil-rpmsha"
if run 1 "$VIGIL" fim check --root "$R" --state "$S" --format json; then
        cp "$WORK/out" "$WORK/first.json"
        [ "$(alerts "$WORK/first.json")" = "fim.package_mismatch urgent $R/usr/bin/vigil-rpmsha" ] &&
                ok "replaced program: urgent fim.package_mismatch, nothing else" ||
                fail "alerts: $(alerts "$WORK/first.json")"
        ev="d['alerts'][0]['evidence']"
        [ "$(json "$WORK/first.json" "$ev['expected_digest']")" = "sha256:$orig" ] &&
                ok "expected digest is rpm's SHA-256" || fail "expected digest"
        [ "$(json "$WORK/first.json" "$ev['actual_digest']")" = "sha256:$(sha256sum "$R/usr/bin/vigil-rpmsha" | cut -d' ' -f1)" ] &&
                ok "actual digest matches sha256sum" || fail "actual digest"
        [ "$(json "$WORK/first.json" "$ev['package'] + ' ' + $ev['package_version']")" = "vigil-rpmsha 1.0-2" ] &&
                ok "package and version in evidence" || fail "package evidence"
        expect_in "$WORK/first.json" "dnf reinstall vigil-rpmsha" "remediation reinstalls the package"
        expect_in "$WORK/first.json" "rpm --root" "remediation asks rpm who owns the file"
fi
# rpm itself, as the oracle, sees the program changed and the %config file
# edited.
$RPM -V vigil-rpmsha >"$WORK/rpm-verify" 2>&1 || true
expect_in "$WORK/rpm-verify" "/usr/bin/vigil-rpmsha" "rpm -V agrees on the program"
grep -q " c /etc/ssh/vigil-rpmsha.conf" "$WORK/rpm-verify" && ok "rpm -V marks the edited file as %config" ||
        fail "rpm -V output: $(cat "$WORK/rpm-verify")"

# --- 3. MD5 digests of older packages --------------------------------
orig=$(md5sum "$R/usr/bin/vigil-rpmmd5" | cut -d' ' -f1)
printf 'x' >>"$R/usr/bin/vigil-rpmmd5"
if run 1 "$VIGIL" fim check --root "$R" --state "$S" --format json; then
        alerts "$WORK/out" | grep -qx "fim.package_mismatch urgent $R/usr/bin/vigil-rpmmd5" &&
                ok "MD5 package: appended program caught" || fail "md5 alerts: $(alerts "$WORK/out")"
        python3 -c "
import json,sys
d=json.load(open(sys.argv[1]))
e=[a['evidence'] for a in d['alerts'] if a['evidence']['path'].endswith('vigil-rpmmd5')][0]
print(e['expected_digest'])" "$WORK/out" | grep -qx "md5:$orig" &&
                ok "expected digest is rpm's MD5" || fail "md5 expected digest"
fi

# --- 4. The package manager's own reinstall restores a clean state ----
$RPM -i --nodeps --noscripts --replacepkgs "$WORK/rpms/noarch/vigil-rpmsha-1.0-2.noarch.rpm" \
        "$WORK/rpms/noarch/vigil-rpmmd5-1.0-2.noarch.rpm" >"$WORK/install.log" 2>&1 ||
        fail "rpm --replacepkgs"
if run 0 "$VIGIL" fim check --root "$R" --state "$S" --format json; then
        [ -z "$(alerts "$WORK/out")" ] && ok "after rpm reinstalls the packages: clean" ||
                fail "after reinstall: $(alerts "$WORK/out")"
fi

# --- 5. An unreadable database is noted, not fatal --------------------
rm -f "$R"/var/lib/rpm/rpmdb.sqlite-*
head -c 8192 /dev/urandom >"$R/var/lib/rpm/rpmdb.sqlite"
if run 0 "$VIGIL" fim check --root "$R" --state "$S"; then
        expect_in "$WORK/err" "cannot read the file digests of the rpm database" \
                "corrupt rpm database noted"
fi

finish
