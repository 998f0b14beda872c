#!/usr/bin/env bash
# Benchmark (by hand, never a timed test): read a large capture with
# `maillab-cli inspect --stats`, with `tshark -Y 'smtp||imap||pop'` and with
# `tcpdump -r`, and compare wall time and peak memory (/usr/bin/time).
#
# The capture is lesson 01 with N messages (default 5,000, in steps of
# 1,000 as tests/bench/bench-simulation.sh makes it), written as a pcap by
# `maillab-cli run --pcap`: about 30 packets a message, so the default gives
# well over 100,000 packets. Or pass a capture of your own.
#   tests/bench/bench-inspect.sh [N | FILE.pcap] [BUILD_DIR]
# Goal (issue 7): inspect at least 10x faster than that tshark run, with at
# most a quarter of its memory.
set -euo pipefail
cd "$(dirname "$0")/../.."

arg=${1:-5000}
build=${2:-build}
cli=$build/sim/cli/maillab-cli
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for tool in tshark tcpdump /usr/bin/time; do
  command -v "$tool" > /dev/null || { echo "bench-inspect: $tool is needed" >&2; exit 1; }
done

if [[ -f $arg ]]; then
  capture=$arg
else
  n=$arg
  steps=$(( (n + 999) / 1000 ))
  per_step=$(( n / steps ))
  {
    sed -n '/^steps:/q;p' lessons/01-smtp-journey.yaml
    echo "steps:"
    for _ in $(seq "$steps"); do
      cat <<STEP
  - action: send
    host: alice-laptop
    from: alice@a.example
    to: [bob@b.example]
    subject: Benchmark message
    count: $per_step
    body: |
      Hi Bob, this is one of many messages.
STEP
    done
  } > "$work/bench.yaml"
  capture=$work/bench.pcap
  "$cli" run "$work/bench.yaml" --quiet --pcap "$capture"
fi

packets=$(tcpdump -r "$capture" -nn -q 2>/dev/null | wc -l)
size=$(stat -c %s "$capture")
echo "capture:  $capture"
echo "packets:  $packets ($(( size / 1024 / 1024 )) MiB)"
echo

# Each run twice; the second (warm page cache) is the one reported. CPU
# time (user + system) is shown too: on a shared machine the wall time
# mostly measures the other processes.
measure() {
  local name=$1; shift
  for _ in 1 2; do
    /usr/bin/time -f '%e %M %U %S' -o "$work/time" "$@" > "$work/$name.out" 2> /dev/null || true
  done
  read -r secs kib user sys < "$work/time"
  cpu=$(python3 -c "print(round($user + $sys, 2))")
  printf '%-34s %8.2f s %8.2f s %8d MiB\n' "$name" "$secs" "$cpu" "$(( kib / 1024 ))"
  echo "$secs $kib $cpu" > "$work/$name.result"
}

printf '%-34s %10s %10s %12s\n' "" "wall time" "CPU time" "peak memory"
measure "maillab-cli inspect --stats" "$cli" inspect --stats "$capture"
measure "tshark -Y 'smtp||imap||pop'" tshark -r "$capture" -Y 'smtp||imap||pop'
measure "tcpdump -r" tcpdump -r "$capture" -nn
echo
read -r ms mk mc < "$work/maillab-cli inspect --stats.result"
read -r ts tk tc < "$work/tshark -Y 'smtp||imap||pop'.result"
python3 - "$ms" "$mk" "$mc" "$ts" "$tk" "$tc" <<'PY'
import sys
ms, mk, mc, ts, tk, tc = map(float, sys.argv[1:])
print(f"inspect vs tshark: {ts / max(ms, 0.01):.1f}x faster in wall time, "
      f"{tc / max(mc, 0.01):.1f}x in CPU time (goal >= 10x), "
      f"{mk / tk:.2f} of its memory (goal <= 0.25)")
PY
echo
echo "inspect --stats said:"
cat "$work/maillab-cli inspect --stats.out"
