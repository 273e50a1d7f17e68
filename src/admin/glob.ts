/**
 * Redis glob-style matching, as PSUBSCRIBE patterns use it: `*` any run,
 * `?` one character, `[abc]`, `[^abc]`, `[a-z]` classes and `\` escapes.
 * Iterative with a single backtrack point for `*`, so a hostile pattern
 * (`*a*a*a*...`) costs O(pattern × text) at worst, never exponential time.
 */

/** Whether the character class starting at `pattern[p] === '['` matches `ch`; returns the index after `]` too. */
function matchClass(pattern: string, p: number, ch: string): { matched: boolean; next: number } {
  let i = p + 1;
  let negate = false;
  if (pattern[i] === '^') {
    negate = true;
    i++;
  }
  let matched = false;
  while (i < pattern.length && pattern[i] !== ']') {
    if (pattern[i] === '\\' && i + 1 < pattern.length) {
      if (pattern[i + 1] === ch) matched = true;
      i += 2;
    } else if (i + 2 < pattern.length && pattern[i + 1] === '-' && pattern[i + 2] !== ']') {
      let lo = pattern[i]!;
      let hi = pattern[i + 2]!;
      if (lo > hi) [lo, hi] = [hi, lo];
      if (ch >= lo && ch <= hi) matched = true;
      i += 3;
    } else {
      if (pattern[i] === ch) matched = true;
      i++;
    }
  }
  // An unterminated class runs to the end of the pattern, as in redis.
  const next = i < pattern.length ? i + 1 : i;
  return { matched: negate ? !matched : matched, next };
}

export function globMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let starP = -1;
  let starT = -1;
  while (t < text.length) {
    if (p < pattern.length) {
      const c = pattern[p]!;
      if (c === '*') {
        while (pattern[p] === '*') p++;
        if (p === pattern.length) return true;
        starP = p;
        starT = t;
        continue;
      }
      if (c === '?') {
        p++;
        t++;
        continue;
      }
      if (c === '[') {
        const { matched, next } = matchClass(pattern, p, text[t]!);
        if (matched) {
          p = next;
          t++;
          continue;
        }
      } else if (c === '\\' && p + 1 < pattern.length) {
        if (pattern[p + 1] === text[t]) {
          p += 2;
          t++;
          continue;
        }
      } else if (c === text[t]) {
        p++;
        t++;
        continue;
      }
    }
    if (starP < 0) return false;
    // Let the last `*` swallow one more character and retry from there.
    starT++;
    t = starT;
    p = starP;
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}
