/**
 * The first key that occurs twice in one object of a JSON text, or undefined.
 *
 * JSON.parse keeps the last of two equal keys without a word, so a vote file
 * `{"epoch":7,"votedFor":"n2","epoch":3}` would load as epoch 3: a file that
 * says two things is corrupt, and we must see it. This is not a parser: call
 * it only on text JSON.parse has accepted. In valid JSON a `"` outside a
 * string always opens a string, so scanning string tokens from the left finds
 * exactly the strings; a string followed by `:` is a key, and the brackets
 * between them say which object it belongs to. Keys are compared decoded, so
 * `"epoch"` and `"\u0065poch"` are the same key, as JSON.parse sees them.
 */
export function findDuplicateJsonKey(validJson: string): string | undefined {
  const token = /"(?:[^"\\]|\\.)*"|[{}[\]]/g;
  const colonNext = /\s*:/y;
  const followedByColon = (end: number): boolean => {
    colonNext.lastIndex = end;
    return colonNext.test(validJson);
  };
  // One entry per open container: the keys seen so far in an object, null for an array.
  const open: (Set<string> | null)[] = [];
  for (let m = token.exec(validJson); m; m = token.exec(validJson)) {
    const t = m[0];
    if (t === '{') open.push(new Set());
    else if (t === '[') open.push(null);
    else if (t === '}' || t === ']') open.pop();
    else if (followedByColon(token.lastIndex)) {
      const keys = open.at(-1);
      const key = JSON.parse(t) as string;
      if (keys?.has(key)) return key;
      keys?.add(key);
    }
  }
  return undefined;
}
