#!/usr/bin/env bash
# GOST sign/verify and Streebog: ours (criterion, `cargo bench -p keycarrier-gost`) against OpenSSL 3 + the
# gost engine, measured in the same run on the same machine. Prints BENCHMARKS.md rows.
#
#   scripts/bench-gost.sh
#
# Benchmark tooling only: the C harness links libcrypto; the library never does. OpenSSL runs
# before and after ours and the two runs are averaged, to spread machine drift over both sides.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
for p in libssl-dev libengine-gost-openssl gcc; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if ((${#need[@]})); then apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null; fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gcc -O2 -o "$work/openssl_gost_speed" crates/gost/benches/openssl_gost_speed.c -lcrypto
"$work/openssl_gost_speed" > "$work/before.txt"
cargo bench -q -p keycarrier-gost --bench gost -- --noplot > "$work/criterion.txt" 2>&1
"$work/openssl_gost_speed" > "$work/after.txt"

python3 - "$work" <<'PY'
import json, os, re, sys
work = sys.argv[1]
def openssl(path):
    sets, md = {}, {}
    for line in open(path):
        m = re.match(r"(\S+)\s+sign\s+([\d.]+)/s\s+verify\s+([\d.]+)/s", line)
        if m: sets[m[1]] = (float(m[2]), float(m[3]))
        m = re.match(r"md_gost12_(\d+)\s+(\d+) B\s+([\d.]+) MB/s", line)
        if m: md[(m[1], int(m[2]))] = float(m[3])
    return sets, md
(s1, m1), (s2, m2) = openssl(f"{work}/before.txt"), openssl(f"{work}/after.txt")
def ours_ns(group, fn):
    path = os.path.join("target", "criterion", group, fn, "new", "estimates.json")
    return json.load(open(path))["mean"]["point_estimate"]
cmd = "`scripts/bench-gost.sh`"
for name in s1:
    for i, op in enumerate(["sign", "verify"]):
        ours = 1e9 / ours_ns(name, op)
        anchor = (s1[name][i] + s2[name][i]) / 2
        label = "verify, key seen before" if op == "verify" else op
        print(f"| GOST {name} {label} (digest) | {ours:,.0f}/s | OpenSSL gost engine {anchor:,.0f}/s | {ours/anchor:.2f}× | {cmd} |")
        if op == "verify":
            ours = 1e9 / ours_ns(name, "verify-first-use")
            print(f"| GOST {name} verify, first use of the key (digest) | {ours:,.0f}/s | OpenSSL gost engine {anchor:,.0f}/s | {ours/anchor:.2f}× | {cmd} |")
for (bits, size) in m1:
    ns = ours_ns(f"streebog_{size}", bits)
    ours = size / ns * 1e9 / 1e6
    anchor = (m1[(bits, size)] + m2[(bits, size)]) / 2
    label = "8 KiB" if size == 8192 else "1 MiB"
    print(f"| Streebog-{bits}, {label} | {ours:,.0f} MB/s | OpenSSL gost engine {anchor:,.0f} MB/s | {ours/anchor:.2f}× | {cmd} |")
PY
