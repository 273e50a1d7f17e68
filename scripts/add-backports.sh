#!/usr/bin/env bash
# Adds Debian's bookworm-backports suite to apt, reusing the mirror URI this machine's own apt sources
# already name for bookworm (deb822 files in /etc/apt/sources.list.d/*.sources, else the one-line
# /etc/apt/sources.list), so no mirror host is ever written into the repository. Writes one file of
# its own, /etc/apt/sources.list.d/resp-elect-backports.sources; does nothing when the suite is there.
# RESP_ELECT_APT_ETC replaces /etc/apt (for its test, test/deploy/add-backports.test.ts).
set -euo pipefail
ETC=${RESP_ELECT_APT_ETC:-/etc/apt}
OUT=$ETC/sources.list.d/resp-elect-backports.sources
if grep -rqs 'bookworm-backports' "$ETC/sources.list" "$ETC/sources.list.d/" ; then exit 0; fi

uri=""; keyring=""
# deb822: the first stanza whose Suites include plain "bookworm" (not -security/-updates).
for f in "$ETC"/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  found=$(awk '
    BEGIN { RS = ""; FS = "\n" }
    {
      u = ""; k = ""; ok = 0
      for (i = 1; i <= NF; i++) {
        if ($i ~ /^#/) continue
        if ($i ~ /^URIs:/)      { sub(/^URIs:[ \t]*/, "", $i); split($i, a, /[ \t]+/); u = a[1] }
        if ($i ~ /^Signed-By:/) { sub(/^Signed-By:[ \t]*/, "", $i); k = $i }
        if ($i ~ /^Suites:/)    { n = split($i, s, /[ \t]+/); for (j = 2; j <= n; j++) if (s[j] == "bookworm") ok = 1 }
      }
      if (ok && u != "") { print u "\t" k; exit }
    }' "$f")
  if [ -n "$found" ]; then uri=${found%%$'\t'*}; keyring=${found#*$'\t'}; break; fi
done
# One-line format: deb [opts] URI bookworm main ...
if [ -z "$uri" ] && [ -f "$ETC/sources.list" ]; then
  uri=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) { if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; continue } if ($(i+1) == "bookworm") { print $i; exit } break } }' "$ETC/sources.list")
fi
if [ -z "$uri" ]; then
  echo "resp-elect: no apt source for Debian bookworm found in $ETC/sources.list{,.d/*.sources}; add bookworm-backports yourself" >&2
  exit 1
fi
echo "resp-elect: adding bookworm-backports from $uri to $OUT" >&2
{
  echo "Types: deb"
  echo "URIs: $uri"
  echo "Suites: bookworm-backports"
  echo "Components: main"
  if [ -n "$keyring" ]; then echo "Signed-By: $keyring"; fi
} > "$OUT"
