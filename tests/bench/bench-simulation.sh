#!/usr/bin/env bash
# Benchmark (by hand, never a timed test): lesson 01 with N messages
# (default 10,000, sent as 10 steps of 1,000 — the lesson format caps one
# step's count), simulated with the pcap written.
# Prints wall time, peak memory, frames written and frames per second.
#   tests/bench/bench-simulation.sh [N] [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."

n=${1:-10000}
build=${2:-build}
cli=$build/sim/cli/maillab-cli
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

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

/usr/bin/time -f '%e %M' -o "$work/time" "$cli" run "$work/bench.yaml" --quiet --pcap "$work/out.pcap"
read -r secs kib < "$work/time"
frames=$(tshark -r "$work/out.pcap" -T fields -e frame.number 2>/dev/null | wc -l)
bytes=$(stat -c %s "$work/out.pcap")
echo "messages:        $(( steps * per_step ))"
echo "wall time:       ${secs} s"
echo "peak memory:     $(( kib / 1024 )) MiB"
echo "frames written:  $frames ($(( bytes / 1024 / 1024 )) MiB of pcap)"
echo "frames/second:   $(python3 -c "print(round($frames / max($secs, 0.001)))")"
