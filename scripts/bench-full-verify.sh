#!/usr/bin/env bash
# The cost of a full verification (CMS signature + 3-certificate path + a CRL per CA), GOST
# 2012-256: ours (criterion, `cargo bench -p keycarrier-cms-sign --bench cms_full_verify`) against OpenSSL
# 3's CMS_verify with X509_V_FLAG_CRL_CHECK_ALL (+ gost engine), same inputs, same run.
# OpenSSL runs before and after ours; the two rates are averaged. Prints a BENCHMARKS.md row.
#
#   scripts/bench-full-verify.sh
#
# Benchmark tooling only: the C harness links libcrypto; the library never does.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
for p in libssl-dev libengine-gost-openssl gcc openssl; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if ((${#need[@]})); then apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null; fi
so=$(dpkg -L libengine-gost-openssl | grep '/gost.so$' | head -n 1)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gcc -O2 -o "$work/openssl_cms_full_verify" crates/cms-sign/benches/openssl_cms_full_verify.c -lcrypto
(
    cd "$work"
    cat > openssl.cnf <<CNF
openssl_conf = openssl_def
[openssl_def]
engines = engine_section
[engine_section]
gost = gost_section
[gost_section]
engine_id = gost
dynamic_path = $so
default_algorithms = ALL
[req]
distinguished_name = dn
[dn]
[ca]
default_ca = c
[c]
database = index.txt
crlnumber = crlnumber
default_md = md_gost12_256
default_crl_days = 7
policy = p
[p]
commonName = supplied
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[v3_ee]
keyUsage = critical,digitalSignature,nonRepudiation
extendedKeyUsage = emailProtection
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
    export OPENSSL_CONF=$work/openssl.cnf
    k() { openssl genpkey -algorithm gost2012_256 -pkeyopt paramset:A -out "$1"; }
    k root.key; k int.key; k ee.key
    openssl req -new -x509 -key root.key -md_gost12_256 -days 30 -subj "/CN=Bench Root CA" \
        -extensions v3_ca -out root.pem
    openssl req -new -key int.key -subj "/CN=Bench Bank CA" -out int.csr
    openssl x509 -req -in int.csr -CA root.pem -CAkey root.key -md_gost12_256 -days 30 \
        -set_serial 2 -extfile openssl.cnf -extensions v3_ca -out int.pem
    openssl req -new -key ee.key -subj "/CN=Bench Signer" -out ee.csr
    openssl x509 -req -in ee.csr -CA int.pem -CAkey int.key -md_gost12_256 -days 30 \
        -set_serial 3 -extfile openssl.cnf -extensions v3_ee -out ee.pem
    for ca in root int; do
        : > index.txt; echo 01 > crlnumber
        openssl ca -gencrl -cert "$ca.pem" -keyfile "$ca.key" -out "$ca.crl" 2>/dev/null
    done
    cat root.crl int.crl > crls.pem
    cat root.pem crls.pem > trusted_and_crls.pem
    head -c 2048 /dev/urandom | base64 | head -c 2048 > order.txt
    openssl cms -sign -binary -nodetach -in order.txt -signer ee.pem -inkey ee.key \
        -certfile int.pem -md md_gost12_256 -outform DER -out order.p7s
    openssl cms -verify -binary -inform DER -in order.p7s -CAfile trusted_and_crls.pem \
        -crl_check_all -out /dev/null 2>/dev/null
) > /dev/null
OPENSSL_CONF= "$work/openssl_cms_full_verify" "$work/order.p7s" "$work/trusted_and_crls.pem" > "$work/before.txt"
KC_FULL_VERIFY_DIR="$work" cargo bench -q -p keycarrier-cms-sign --bench cms_full_verify -- --noplot > "$work/criterion.txt" 2>&1
OPENSSL_CONF= "$work/openssl_cms_full_verify" "$work/order.p7s" "$work/trusted_and_crls.pem" > "$work/after.txt"

python3 - "$work" <<'PY'
import json, os, re, sys
work = sys.argv[1]
def rate(path):
    return float(re.search(r"full-verify\s+([\d.]+)/s", open(path).read())[1])
anchor = (rate(f"{work}/before.txt") + rate(f"{work}/after.txt")) / 2
est = json.load(open(os.path.join("target", "criterion", "cms_full_verify", "gost256_3cert_crl", "new", "estimates.json")))
ours = 1e9 / est["mean"]["point_estimate"]
print(f"| CMS full verify 2 KiB, GOST TC26-256-A: signature + 3-certificate path + CRL per CA | {ours:,.0f}/s | OpenSSL CMS_verify with CRL_CHECK_ALL {anchor:,.0f}/s | {ours/anchor:.2f}× | `scripts/bench-full-verify.sh` |")
PY
