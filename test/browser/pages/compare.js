// What the reference pages compare with: PyTorch's values (numbers, or strings for NaN and
// ±Infinity) against ours within a tolerance { abs, rel } — the same rule as test/helpers.ts.
export const num = (v) => (typeof v === "number" ? v : Number(v));

/** The first mismatch as a message, or null. */
export function mismatch(actual, expected, tol) {
  const a = typeof actual === "number" ? [actual] : Array.from(actual);
  const e = typeof expected === "number" ? [expected] : expected;
  if (a.length !== e.length) return `length ${a.length} vs ${e.length}`;
  for (let i = 0; i < a.length; i++) {
    const x = a[i],
      y = e[i];
    if (Number.isNaN(x) || Number.isNaN(y)) {
      if (Number.isNaN(x) !== Number.isNaN(y)) return `[${i}] ${x} vs ${y}`;
      continue;
    }
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      if (x !== y) return `[${i}] ${x} vs ${y}`;
      continue;
    }
    if (Math.abs(x - y) > tol.abs + tol.rel * Math.abs(y)) return `[${i}] ${x} vs ${y}`;
  }
  return null;
}
