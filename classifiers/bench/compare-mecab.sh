#!/usr/bin/env bash
# compare-mecab.sh times `hotline classify` against `mecab` tokenising the
# same text, whole processes side by side, as ../shared/bench/README.md
# describes: the benchmark text's non-empty lines, trimmed, repeated 60
# times, as plain text for mecab and as JSON Lines for hotline.
#
#   classifiers/bench/compare-mecab.sh [TEXT] [RUNS]
#
# TEXT defaults to ../shared/bench/whitepaper-2025-ch3.txt beside the
# repository; RUNS (default 3) runs of each, alternating. Needs mecab (with
# an IPA dictionary), GNU time (/usr/bin/time) and python3.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
text=${1:-$root/../shared/bench/whitepaper-2025-ch3.txt}
runs=${2:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$text" "$work" <<'PY'
import json, sys
lines = [l.strip() for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
with open(sys.argv[2] + "/bench.txt", "w", encoding="utf-8") as t, \
     open(sys.argv[2] + "/bench.jsonl", "w", encoding="utf-8") as j:
    n = 0
    for _ in range(60):
        for l in lines:
            n += 1
            t.write(l + "\n")
            j.write(json.dumps({"id": str(n), "text": l}, ensure_ascii=False) + "\n")
print(f"{n} lines, {sum(len(l.encode()) for l in lines) * 60 / 1e6:.1f} MB", file=sys.stderr)
PY
(cd "$root" && go build -o "$work/hotline" ./services/hotline)

measure() { # name stdin command...: prints "name seconds maxRSS", keeps the seconds
	local name=$1 in=$2
	shift 2
	/usr/bin/time -f "%e %M" -o "$work/time" "$@" <"$in" >/dev/null
	read -r secs kb <"$work/time"
	printf '%-8s %6.2f s %6.0f MB\n' "$name" "$secs" "$((kb / 1024))"
	echo "$secs" >>"$work/$name.secs"
}
for _ in $(seq "$runs"); do
	measure mecab "$work/bench.txt" mecab
	measure hotline "$work/bench.jsonl" "$work/hotline" classify
done
# The medians, and hotline's time as a multiple of mecab's: only runs side
# by side compare, as the machine's speed drifts.
median() { sort -n "$1" | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
m=$(median "$work/mecab.secs")
h=$(median "$work/hotline.secs")
awk -v m="$m" -v h="$h" 'BEGIN {printf "medians: mecab %.2f s, hotline %.2f s: hotline takes %.2f times as long\n", m, h, h/m}'
