// erf, the normal CDF and erfinv in float64, for truncNormal (PyTorch's formula needs both).

/** erf(x): Taylor series for |x| < 2.5, continued fraction for erfc beyond; ~1e-15 absolute. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // erf x = 2/√π · Σ (−1)ⁿ x^(2n+1) / (n! (2n+1))
    let term = ax,
      sum = ax;
    const x2 = ax * ax;
    for (let n = 1; n < 100; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    const r = (2 / Math.sqrt(Math.PI)) * sum;
    return x < 0 ? -r : r;
  }
  if (ax > 6) return x < 0 ? -1 : 1;
  // erfc x = e^(−x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + 2/(x + …))))), evaluated bottom-up.
  let frac = ax;
  for (let k = 60; k >= 1; k--) frac = ax + k / 2 / frac;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / frac;
  return x < 0 ? erfc - 1 : 1 - erfc;
}

/** Φ(x), the standard normal CDF. */
export function normalCdf(x: number): number {
  return (1 + erf(x / Math.SQRT2)) / 2;
}

/** erfinv(y) for y in [−1, 1]: M. Giles' approximation refined by Newton steps on erf. */
export function erfinv(y: number): number {
  if (Number.isNaN(y) || y < -1 || y > 1) return NaN;
  if (y === 1) return Infinity;
  if (y === -1) return -Infinity;
  let w = -Math.log((1 - y) * (1 + y));
  let x: number;
  if (w < 6.25) {
    w -= 3.125;
    let p = -3.6444120640178196996e-21;
    for (const c of [
      -1.685059138182016589e-19, 1.2858480715256400167e-18, 1.115787767802518096e-17, -1.333171662854620906e-16,
      2.0972767875968561637e-17, 6.6376381343583238325e-15, -4.0545662729752068639e-14, -8.1519341976054721522e-14,
      2.6335093153082322977e-12, -1.2975133253453532498e-11, -5.4154120542946279317e-11, 1.051212273321532285e-9,
      -4.1126339803469836976e-9, -2.9070369957882005086e-8, 4.2347877827932403518e-7, -1.3654692000834678645e-6,
      -1.3882523362786468719e-5, 0.0001867342080340571352, -0.00074070253416626697512, -0.0060336708714301490533,
      0.24015818242558961693, 1.6536545626831027356,
    ])
      p = c + p * w;
    x = p * y;
  } else {
    w = Math.sqrt(w);
    let p: number;
    if (w < 16) {
      w -= 3.25;
      p = 2.2137376921775787049e-9;
      for (const c of [
        9.0756561938885390979e-8, -2.7517406297064545428e-7, 1.8239629214389227755e-8, 1.5027403968909827627e-6,
        -4.013867526981545969e-6, 2.9234449089955446044e-6, 1.2475304481671778723e-5, -4.7318229009055733981e-5,
        6.8284851459573175448e-5, 2.4031110387097893999e-5, -0.0003550375203628474796, 0.00095328937973738049703,
        -0.0016882755560235047313, 0.0024914420961078508066, -0.0037512085075692412107, 0.005370914553590063617,
        1.0052589676941592334, 3.0838856104922207635,
      ])
        p = c + p * w;
    } else {
      w -= 5;
      p = -2.7109920616438573243e-11;
      for (const c of [
        -2.5556418169965252055e-10, 1.5076572693500548083e-9, -3.7894654401267369937e-9, 7.6157012080783393804e-9,
        -1.4960026627149240478e-8, 2.9147953450901080826e-8, -6.7711997758452339498e-8, 2.2900482228026654717e-7,
        -9.9298272942317002539e-7, 4.5260625972231537039e-6, -1.9681778105531670567e-5, 7.5995277030017761139e-5,
        -0.00021503011930044477347, -0.00013871931833623122026, 1.0103004648645343977, 4.8499064014085844221,
      ])
        p = c + p * w;
    }
    x = p * y;
  }
  // Two Newton steps on erf(x) − y.
  for (let i = 0; i < 2; i++) {
    const err = erf(x) - y;
    x -= err / ((2 / Math.sqrt(Math.PI)) * Math.exp(-x * x));
  }
  return x;
}

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * log Φ̄(x) = log(1 − Φ(x)), the log of the standard normal's upper tail, accurate where Φ̄
 * underflows: 1 − Φ below x = 3.5, and beyond it φ(x)·R(x) in log space with the Mills ratio R
 * from its continued fraction R(x) = 1/(x + 1/(x + 2/(x + 3/(x + …)))).
 */
export function logUpperTail(x: number): number {
  if (x < 3.5) return Math.log((1 - erf(x / Math.SQRT2)) / 2);
  let frac = x;
  for (let k = 60; k >= 1; k--) frac = x + k / frac;
  return -0.5 * x * x - LOG_SQRT_2PI - Math.log(frac);
}

/**
 * The x in [lo, hi] with log Φ̄(x) = target (log Φ̄ decreases): Newton's method on log Φ̄, whose
 * derivative is −φ(x)/Φ̄(x), kept inside a shrinking bracket by bisection.
 */
function upperTailInverse(target: number, lo: number, hi: number): number {
  if (!Number.isFinite(hi)) {
    hi = Math.max(lo, 1);
    while (logUpperTail(hi) > target) hi *= 2;
  }
  let x = lo;
  for (let i = 0; i < 200; i++) {
    const fx = logUpperTail(x) - target;
    if (fx === 0) return x;
    if (fx > 0) lo = x;
    else hi = x;
    const slope = -Math.exp(-0.5 * x * x - LOG_SQRT_2PI - logUpperTail(x));
    const next = x - fx / slope;
    const bisect = (lo + hi) / 2;
    x = next > lo && next < hi ? next : bisect;
    if (hi - lo <= 1e-15 * Math.max(1, Math.abs(x))) break;
  }
  return x;
}

/**
 * The standard normal truncated to [alpha, beta] with alpha ≥ 0, at the quantile u ∈ [0, 1]:
 * the x with Φ̄(alpha) − Φ̄(x) = u·(Φ̄(alpha) − Φ̄(beta)), solved in log space so that intervals far
 * in the tail (where Φ(alpha) and Φ(beta) both round to 1) keep their shape.
 */
export function upperTruncatedQuantile(u: number, alpha: number, beta: number): number {
  const la = logUpperTail(alpha);
  const lb = beta === Infinity ? -Infinity : logUpperTail(beta);
  // log(Φ̄(alpha) − u·(Φ̄(alpha) − Φ̄(beta))) = la + log(1 − u·(1 − e^(lb − la)))
  const target = la + Math.log1p(-u * -Math.expm1(lb - la));
  return Math.min(beta, Math.max(alpha, upperTailInverse(target, alpha, beta)));
}
