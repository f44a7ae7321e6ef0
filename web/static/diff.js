// A line diff of two texts (longest common subsequence), grouped into
// hunks with a few lines of context, as in a unified diff.

// diffLines returns [{op: ' '|'-'|'+', text, a, b}] where a and b are the
// line numbers in the old and the new text.
export function diffLines(oldText, newText) {
  const a = oldText.split('\n');
  const b = newText.split('\n');
  // Common head and tail are cut off first: versions differ little.
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length, endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) { endA--; endB--; }
  const n = endA - start, m = endB - start;
  // lcs[i][j]: the longest common subsequence of a[start+i:] and b[start+j:].
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = a[start + i] === b[start + j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out = [];
  for (let k = 0; k < start; k++) out.push({ op: ' ', text: a[k], a: k + 1, b: k + 1 });
  let i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[start + i] === b[start + j]) {
      out.push({ op: ' ', text: a[start + i], a: start + i + 1, b: start + j + 1 });
      i++; j++;
    } else if (i < n && (j === m || lcs[i + 1][j] >= lcs[i][j + 1])) {
      out.push({ op: '-', text: a[start + i], a: start + i + 1 });
      i++;
    } else {
      out.push({ op: '+', text: b[start + j], b: start + j + 1 });
      j++;
    }
  }
  for (let k = 0; k < a.length - endA; k++) out.push({ op: ' ', text: a[endA + k], a: endA + k + 1, b: endB + k + 1 });
  return out;
}

// hunks keeps the changed lines with context lines around them.
export function hunks(lines, context = 3) {
  const keep = new Uint8Array(lines.length);
  lines.forEach((l, i) => {
    if (l.op === ' ') return;
    for (let k = Math.max(0, i - context); k <= Math.min(lines.length - 1, i + context); k++) keep[k] = 1;
  });
  const out = [];
  let cur = null;
  lines.forEach((l, i) => {
    if (!keep[i]) { cur = null; return; }
    if (!cur) out.push((cur = []));
    cur.push(l);
  });
  return out;
}
