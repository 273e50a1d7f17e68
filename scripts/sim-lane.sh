#!/bin/bash
# One lane of a long simulator run: seeds FIRST..LAST of `mixed` at 3/5/7 members in chunks of
# CHUNK, one summary table per chunk (a lane stopped early keeps what it finished). It runs the
# simulator from DIST (default longrun/dist: a copy of dist/ made before starting, so a rebuild
# while it runs changes nothing). docs/simulation.md "The long run" ran two lanes in parallel:
#   npm run build && rm -rf longrun/dist && mkdir -p longrun && cp -r dist longrun/dist
#   nohup scripts/sim-lane.sh 1 50000 5000 > longrun/laneA.log 2>&1 &
#   nohup scripts/sim-lane.sh 50001 100000 5000 > longrun/laneB.log 2>&1 &
set -u
cd "$(dirname "$0")/.."
first=$1; last=$2; chunk=$3; dist=${DIST:-longrun/dist}
for ((s=first; s<=last; s+=chunk)); do
  n=$chunk; if (( s + n - 1 > last )); then n=$((last - s + 1)); fi
  echo "=== chunk $s..$((s+n-1)) start $(date -u +%FT%TZ)"
  nice node "$dist/scripts/sim.js" --seeds "$n" --start "$s" --scenario mixed --nodes 3,5,7 --max-violations 0 --progress 60
  echo "=== chunk $s..$((s+n-1)) exit $? end $(date -u +%FT%TZ)"
done
