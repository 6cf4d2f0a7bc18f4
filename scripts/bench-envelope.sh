#!/usr/bin/env bash
# Opening and sealing envelopes of 2 KiB and 1 MiB: ours (criterion, `cargo bench -p
# cms-envelope --bench envelope`, the recipient key on a soft token) against OpenSSL 3's
# CMS_decrypt / CMS_encrypt (+ gost engine) on the same envelopes, same run. OpenSSL runs
# before and after ours; the two rates are averaged. Prints BENCHMARKS.md rows.
#
#   scripts/bench-envelope.sh
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
gcc -O2 -o "$work/speed" crates/cms-envelope/benches/openssl_envelope_speed.c -lcrypto
cat > "$work/openssl.cnf" <<CNF
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
CNF
# Only OpenSSL and the C harness get the engine configuration: cargo links OpenSSL too, and
# loading the gost engine into cargo makes it crash.
ossl() { OPENSSL_CONF=$work/openssl.cnf openssl "$@"; }
# profile  keygen  openssl cipher
profiles=(
    "gost256-kuznyechik-omac|-algorithm gost2012_256 -pkeyopt paramset:A|kuznyechik-ctr-acpkm-omac"
    "gost512-kuznyechik-omac|-algorithm gost2012_512 -pkeyopt paramset:A|kuznyechik-ctr-acpkm-omac"
    "gost256-magma|-algorithm gost2012_256 -pkeyopt paramset:A|magma-ctr-acpkm"
    "gost256-gost89|-algorithm gost2012_256 -pkeyopt paramset:A|gost89"
    "rsa-aes256cbc|-algorithm RSA -pkeyopt rsa_keygen_bits:2048|aes-256-cbc"
    "rsa-aes256gcm|-algorithm RSA -pkeyopt rsa_keygen_bits:2048|aes-256-gcm"
)
sizes="2048 1048576"
(
    cd "$work"
    for entry in "${profiles[@]}"; do
        IFS='|' read -r p keygen cipher <<<"$entry"
        # shellcheck disable=SC2086
        ossl genpkey $keygen -out "$p.key"
        ossl pkcs8 -topk8 -nocrypt -in "$p.key" -outform DER -out "$p.pk8"
        ossl req -new -x509 -key "$p.key" -subj "/CN=$p" -days 30 -out "$p.crt"
        ossl x509 -in "$p.crt" -outform DER -out "$p.der"
        for s in $sizes; do
            head -c "$s" /dev/zero > "content-$s"
            ossl cms -encrypt -binary -in "content-$s" -outform DER -out "$p-$s.der" "-$cipher" "$p.crt"
        done
    done
)
run_openssl() {
    for entry in "${profiles[@]}"; do
        IFS='|' read -r p _ cipher <<<"$entry"
        # shellcheck disable=SC2086
        OPENSSL_CONF=$work/openssl.cnf "$work/speed" "$work" "$p" "$cipher" $sizes
    done
}
run_openssl > "$work/before.txt"
KC_ENVELOPE_DIR=$work cargo bench -q -p keycarrier-cms-envelope --bench envelope -- --noplot > "$work/criterion.txt" 2>&1
run_openssl > "$work/after.txt"

python3 - "$work" <<'PY'
import json, os, re, sys
work = sys.argv[1]
def rates(path):
    r = {}
    for line in open(path):
        m = re.match(r"(\S+) (\d+) (decrypt|decrypt-failing) ([\d.]+)/s encrypt ([\d.]+)/s", line)
        if m: r[(m[1], int(m[2]))] = (float(m[4]), float(m[5]), m[3] == "decrypt-failing")
    return r
a, b = rates(f"{work}/before.txt"), rates(f"{work}/after.txt")
def ours(group, fn):
    path = os.path.join("target", "criterion", group, fn, "new", "estimates.json")
    return 1e9 / json.load(open(path))["mean"]["point_estimate"]
cmd = "`scripts/bench-envelope.sh`"
for (p, size), (d1, e1, failing) in a.items():
    d2, e2, _ = b[(p, size)]
    label = "2 KiB" if size == 2048 else "1 MiB"
    for i, op in enumerate(["decrypt", "encrypt"]):
        anchor = ((d1 + d2) if i == 0 else (e1 + e2)) / 2
        mine = ours(f"envelope_{p}_{size}", op)
        note = " (engine fails its own tag; work counted)" if i == 0 and failing else ""
        print(f"| {p} {op}, {label} | {mine:,.1f}/s | OpenSSL CMS_{op} {anchor:,.1f}/s{note} | {mine/anchor:.2f}× | {cmd} |")
PY
