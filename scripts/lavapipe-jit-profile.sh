#!/usr/bin/env bash
# Where lavapipe's time goes inside our shaders: samples a running `glasswing-cli bench --backend vulkan`
# with perf, dumps the hottest regions of llvmpipe's JIT code from the live process with gdb, disassembles
# them and prints, per region, its hottest loops (instructions, samples) and, for the loop ranges given, the
# instruction mix. perf alone cannot: the JIT code has no symbols and is gone when the process exits.
#
# Usage: scripts/lavapipe-jit-profile.sh MODEL.gguf "BENCH ARGS" [WARMUP_S] [LOOP_START LOOP_END ...]
#   e.g. scripts/lavapipe-jit-profile.sh /tmp/smollm2-135m-q8_0.gguf "-p 1 -n 600 -r 1"
#   then again with the loop range of interest (instruction indexes printed by the first run) to see its mix;
#   the bench must still be running WARMUP_S (default 5) + 3 seconds after it starts. Needs perf, gdb and
#   objdump; run as a user allowed to attach to the process (ptrace).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cli="${GLASSWING_CLI:-$root/build/cli/glasswing-cli}"
model=$1 args=$2 warmup=${3:-5}
shift $(($# < 3 ? $# : 3))
out=$(mktemp -d /tmp/jitprof.XXXXXX)
# shellcheck disable=SC2086
"$cli" bench -m "$model" $args --backend vulkan > "$out/bench.txt" 2>&1 &
pid=$!
sleep "$warmup"
perf record -p "$pid" -o "$out/perf.data" -- sleep 3 > /dev/null 2>&1
perf script -i "$out/perf.data" -F ip,dso 2> /dev/null | awk '/perf-[0-9]+\.map/ {print $1}' > "$out/ips.txt"
python3 - "$out" > "$out/regions.txt" << 'EOF'
import bisect, collections, sys
out = sys.argv[1]
ips = [int(l, 16) for l in open(f"{out}/ips.txt")]
if not ips:
    sys.exit("no samples in JIT code: is the bench still running after the warm-up?")
s = sorted(set(ips)); regions = []; start = prev = s[0]
for a in s[1:]:
    if a - prev > 4096: regions.append((start, prev)); start = a
    prev = a
regions.append((start, prev))
starts = [r[0] for r in regions]
count = collections.Counter(regions[bisect.bisect_right(starts, ip) - 1] for ip in ips)
for (a, b), n in count.most_common(3):
    if n > len(ips) * 0.05: print(hex(a & ~4095), hex((b + 4096) & ~4095), n)
EOF
i=0; gdb_args=()
while read -r a b _; do gdb_args+=(-ex "dump binary memory $out/region$i.bin $a $b"); i=$((i + 1)); done < "$out/regions.txt"
gdb -p "$pid" -batch "${gdb_args[@]}" > /dev/null 2>&1 || true
kill "$pid" 2> /dev/null || true
wait "$pid" 2> /dev/null || true
python3 - "$out" "$@" << 'EOF'
import bisect, collections, re, subprocess, sys
out, ranges = sys.argv[1], [int(v) for v in sys.argv[2:]]
ips = [int(l, 16) for l in open(f"{out}/ips.txt")]
for i, line in enumerate(open(f"{out}/regions.txt")):
    a, b = (int(v, 16) for v in line.split()[:2])
    asm = subprocess.run(["objdump", "-D", "-b", "binary", "-mi386:x86-64", f"--adjust-vma={hex(a)}",
                          f"{out}/region{i}.bin"], capture_output=True, text=True).stdout
    lines = [l for l in asm.splitlines() if re.match(r"\s+[0-9a-f]+:\t", l)]
    addrs = [int(l.split(":")[0], 16) for l in lines]
    hot = collections.Counter(bisect.bisect_right(addrs, ip) - 1 for ip in ips if a <= ip < b)
    with open(f"{out}/region{i}.asm", "w") as f:
        f.write("\n".join(f"{hot.get(j, 0):5d} {l}" for j, l in enumerate(lines)))
    index = {ad: j for j, ad in enumerate(addrs)}
    loops = []  # backward jumps: (samples, first, last instruction index)
    for j, l in enumerate(lines):
        m = re.search(r"\tj\w+\s+(0x[0-9a-f]+)", l)
        if m and int(m.group(1), 16) < addrs[j] and int(m.group(1), 16) in index:
            k = index[int(m.group(1), 16)]
            loops.append((sum(hot.get(x, 0) for x in range(k, j + 1)), k, j))
    print(f"region {i}: {sum(hot.values())} samples, {len(lines)} instructions ({out}/region{i}.asm)")
    for n, k, j in sorted(loops, reverse=True)[:6]:
        print(f"  loop {k}..{j}: {j - k + 1} instructions, {n} samples")
    if len(ranges) >= 2 * (i + 1):
        k, j = ranges[2 * i], ranges[2 * i + 1]
        mix = collections.Counter(l.split("\t")[2].split()[0] for l in lines[k:j + 1]
                                  if len(l.split("\t")) > 2 and l.split("\t")[2].strip())
        print("  mix:", " ".join(f"{m}:{n}" for m, n in mix.most_common(25)))
EOF
