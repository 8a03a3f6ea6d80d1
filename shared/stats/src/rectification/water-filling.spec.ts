import { Rng } from '../rng';
import { capsFromQ, rectifiedLogProb, rectifyLogits, rectifyProbs, waterFill } from './water-filling';

function sum(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}

describe('capsFromQ', () => {
  it('computes max(1 + Q − ε, pMin) after clamping Q to [−1, 0], or the relative form', () => {
    // Q = [0, −0.25, −0.95, 0.4 (→ 0), −3 (→ −1)], ε = 0.1:
    // absolute: [0.9, 0.65, max(−0.05, pMin) = pMin, 0.9, pMin]
    const q = [0, -0.25, -0.95, 0.4, -3];
    const abs = capsFromQ(q, { epsilon: 0.1 });
    [0.9, 0.65, 1e-7, 0.9, 1e-7].forEach((c, i) => expect(abs[i]).toBeCloseTo(c, 15));
    // relative: (1 + Q − 0.1)/0.9 → [1, 0.7222…, pMin, 1, pMin]
    const rel = capsFromQ(q, { epsilon: 0.1, mode: 'relative', pMin: 1e-5 });
    [1, 0.65 / 0.9, 1e-5, 1, 1e-5].forEach((c, i) => expect(rel[i]).toBeCloseTo(c, 15));
    // relative caps satisfy the security condition c ≤ 1 + Q (Q in [−1, 0]) and lie above the absolute ones.
    for (let i = 0; i < 3; i++) {
      expect(rel[i]).toBeLessThanOrEqual(Math.max(1 + Math.max(-1, Math.min(0, q[i])), 1e-5) + 1e-15);
      expect(rel[i]).toBeGreaterThanOrEqual(abs[i]);
    }
  });

  it('exempts tokens (EOS, pitfall 7) and validates its options', () => {
    expect(capsFromQ([-0.99, -0.99], { epsilon: 0.1, exemptTokens: [1] })[1]).toBe(1);
    expect(() => capsFromQ([0], { epsilon: 1.5 })).toThrow(RangeError);
    expect(() => capsFromQ([0], { epsilon: 1, mode: 'relative' })).toThrow(RangeError);
    expect(() => capsFromQ([0], { epsilon: 0.1, pMin: 0 })).toThrow(RangeError);
    expect(() => capsFromQ([NaN], { epsilon: 0.1 })).toThrow(RangeError);
    expect(() => capsFromQ([0], { epsilon: 0.1, exemptTokens: [3] })).toThrow(RangeError);
  });
});

describe('waterFill (exact, pitfall 2)', () => {
  it('equals the hand computation', () => {
    // π = [0.5, 0.3, 0.2], caps [0.25, 1, 1]: token 0 capped at 0.25; the other 0.75 is split 3:2 → k = 0.75/0.5 = 1.5,
    // π' = [0.25, 0.45, 0.30]; mass moved 0.25.
    const one = waterFill([0.5, 0.3, 0.2], [0.25, 1, 1]);
    expect(Array.from(one.probs)).toEqual([0.25, expect.closeTo(0.45, 15), expect.closeTo(0.3, 15)]);
    expect(one).toMatchObject({ scale: 1.5, tokensCapped: 1, deadEnd: false });
    expect(one.massMoved).toBeCloseTo(0.25, 15);
    // Cascade: π = [0.5, 0.3, 0.2], caps [0.25, 0.4, 1]. Pass 1 caps token 0 (k = 1.5), then 1.5·0.3 = 0.45 > 0.4 caps
    // token 1: k = (1 − 0.25 − 0.4)/0.2 = 1.75 → π' = [0.25, 0.4, 0.35], 3 passes (the last finds nothing new).
    // Token 1 is held at its cap although it gained mass (0.3 → 0.4); only token 0 lost any: 0.25 moved.
    const two = waterFill([0.5, 0.3, 0.2], [0.25, 0.4, 1]);
    expect(Array.from(two.probs)).toEqual([0.25, 0.4, expect.closeTo(0.35, 15)]);
    expect(two).toMatchObject({ tokensCapped: 2, passes: 3 });
    expect(two.scale).toBeCloseTo(1.75, 14);
    expect(two.massMoved).toBeCloseTo(0.25, 15);
  });

  it('returns π unchanged, bit for bit, when no cap binds (ε = 0 with Q ≡ 0)', () => {
    const rng = new Rng('identity');
    const logits = Array.from({ length: 1000 }, () => rng.normal(0, 3));
    const out = rectifyLogits(logits, new Float32Array(1000), { epsilon: 0 });
    const max = Math.max(...logits);
    const lse = max + Math.log(logits.reduce((s, z) => s + Math.exp(z - max), 0));
    const pi = Float64Array.from(logits, (z) => Math.exp(z - lse));
    expect(out.probs).toEqual(pi);
    expect(out).toMatchObject({ scale: 1, massMoved: 0, tokensCapped: 0, deadEnd: false });
    expect(out.logProbs[17]).toBe(logits[17] - lse);
    const p = [0.2, 0.3, 0.5];
    expect(Array.from(waterFill(p, [1, 1, 1]).probs)).toEqual(p);
  });

  it('keeps π′ ≤ cap and Σπ′ = 1 on random feasible problems, moving mass only to uncapped tokens in proportion', () => {
    const rng = new Rng('random-fill');
    let worstCap = 0;
    let worstSum = 0;
    let worstScale = 0;
    let worstLog = 0;
    let feasible = 0;
    for (let trial = 0; trial < 300; trial++) {
      const V = 2 + rng.int(200);
      const logits = Array.from({ length: V }, () => rng.normal(0, 1 + 3 * rng.next()));
      const q = Array.from({ length: V }, () => (rng.next() < 0.3 ? -rng.next() : 0));
      const options = { epsilon: rng.next() * 0.5, mode: trial % 2 ? 'relative' : 'absolute' } as const;
      const out = rectifyLogits(logits, q, options);
      const caps = capsFromQ(q, options);
      if (out.deadEnd) continue;
      feasible++;
      worstSum = Math.max(worstSum, Math.abs(sum(out.probs) - 1));
      const max = Math.max(...logits);
      const pi = logits.map((z) => Math.exp(z - max));
      const z = sum(pi);
      for (let a = 0; a < V; a++) {
        worstCap = Math.max(worstCap, out.probs[a] / caps[a] - 1);
        // Uncapped tokens are scaled by the common k ≥ 1; capped ones sit exactly at their cap.
        if (out.probs[a] !== caps[a]) worstScale = Math.max(worstScale, Math.abs(out.probs[a] - (out.scale * pi[a]) / z));
        worstLog = Math.max(worstLog, Math.abs(out.logProbs[a] - Math.log(out.probs[a])));
      }
      expect(out.scale).toBeGreaterThanOrEqual(1);
    }
    expect(feasible).toBeGreaterThan(100);
    expect(worstCap).toBeLessThanOrEqual(1e-12);
    expect(worstSum).toBeLessThan(1e-12);
    expect(worstScale).toBeLessThan(1e-12);
    expect(worstLog).toBeLessThan(1e-9);
  });

  it('handles the feasible boundary Σ caps = 1 and many cascading passes', () => {
    // Caps summing to exactly 1 on π's support: the only feasible π' is the caps themselves.
    const edge = waterFill([0.7, 0.2, 0.1], [0.5, 0.25, 0.25]);
    expect(Array.from(edge.probs)).toEqual([0.5, 0.25, 0.25]);
    expect(edge.deadEnd).toBe(false);
    // Geometric π with caps just under each probability's share: every pass caps one more token.
    const V = 60;
    const raw = Array.from({ length: V }, (_, i) => Math.pow(0.8, i));
    const pi = raw.map((p) => p / sum(raw));
    const caps = pi.map((p, i) => (i < V - 1 ? p * 0.999 : 1));
    const out = waterFill(pi, caps);
    expect(sum(out.probs)).toBeCloseTo(1, 12);
    out.probs.forEach((p, a) => expect(p).toBeLessThanOrEqual(caps[a]));
  });

  it('falls back at a dead end (Σ caps < 1): π′ ∝ π·c, flagged', () => {
    // caps [0.1, 0.2, 0.3] sum to 0.6 < 1. π = [0.5, 0.3, 0.2]: π·c = [0.05, 0.06, 0.06] → /0.17.
    const out = waterFill([0.5, 0.3, 0.2], [0.1, 0.2, 0.3]);
    expect(out.deadEnd).toBe(true);
    [0.05 / 0.17, 0.06 / 0.17, 0.06 / 0.17].forEach((p, i) => expect(out.probs[i]).toBeCloseTo(p, 14));
    expect(sum(out.probs)).toBeCloseTo(1, 14);
    expect(out.tokensCapped).toBe(3);
    // A token with π = 0 cannot take mass, so its cap does not count towards feasibility.
    expect(waterFill([0.6, 0.4, 0], [0.3, 0.3, 1]).deadEnd).toBe(true);
    // Every token of a toxic lexicon near certain (Q = −1) at ε = 0.1: all caps pMin, a dead end.
    expect(rectifyLogits([1, 2, 3], [-1, -1, -1], { epsilon: 0.1 }).deadEnd).toBe(true);
  });

  it('computes in float64: caps near the ε boundary are not flipped by fp32 rounding (pitfall 13)', () => {
    // Q = −0.9 + 1e-9 at ε = 0.1: 1 + Q − ε = 1e-9 > pMin = 1e-10, a cap fp32 arithmetic would lose (1 − 0.9 rounds).
    const caps = capsFromQ([-0.9 + 1e-9], { epsilon: 0.1, pMin: 1e-10 });
    expect(caps[0]).toBeCloseTo(1e-9, 15);
    expect(Math.fround(1 + Math.fround(-0.9 + 1e-9) - Math.fround(0.1))).not.toBeCloseTo(1e-9, 12);
    // Float32 logits in, float64 probabilities out.
    const out = rectifyLogits(Float32Array.from([0, 30]), Float32Array.from([0, -0.5]), { epsilon: 0 });
    // π ≈ [9.4e-14, 1 − 9.4e-14]; token 1 is capped at 0.5 and the tiny token 0 takes the other half, exactly:
    // its share is summed directly, not computed as 1 − π₁ (which cancels to 0.1 % error).
    expect(out.probs[1]).toBe(0.5);
    expect(out.probs[0]).toBeCloseTo(0.5, 15);
  });

  it('rejects bad input', () => {
    expect(() => waterFill([0.5, 0.5], [1])).toThrow(RangeError);
    expect(() => waterFill([0.5, 0.6], [1, 1])).toThrow(RangeError);
    expect(() => waterFill([0.5, NaN], [1, 1])).toThrow(RangeError);
    expect(() => waterFill([0.5, 0.5], [0, 1])).toThrow(RangeError);
    expect(() => rectifyLogits([0, 1], [0], { epsilon: 0.1 })).toThrow(RangeError);
    expect(() => rectifyLogits([NaN, 1], [0, 0], { epsilon: 0.1 })).toThrow(RangeError);
  });
});

/**
 * The water-filling as first written (every pass scans all V tokens, both sums over all V): the reference the
 * optimised `waterFill` must reproduce bit for bit.
 */
function referenceWaterFill(pi: ArrayLike<number>, caps: ArrayLike<number>) {
  const n = pi.length;
  let anyOver = false;
  let supportCaps = 0;
  for (let a = 0; a < n; a++) {
    if (pi[a] > caps[a]) anyOver = true;
    if (pi[a] > 0) supportCaps += caps[a];
  }
  if (!anyOver) return { probs: Float64Array.from(pi), scale: 1, massMoved: 0, tokensCapped: 0, deadEnd: false, passes: 0 };
  if (supportCaps < 1) {
    const probs = Float64Array.from(pi, (p, a) => p * caps[a]);
    const total = sum(probs);
    let massMoved = 0;
    let tokensCapped = 0;
    for (let a = 0; a < n; a++) {
      probs[a] /= total;
      if (probs[a] < pi[a]) massMoved += pi[a] - probs[a];
      if (pi[a] > 0) tokensCapped++;
    }
    return { probs, scale: NaN, massMoved, tokensCapped, deadEnd: true, passes: 0 };
  }
  const capped = new Uint8Array(n);
  let k = 1;
  let passes = 0;
  for (;;) {
    passes++;
    let changed = false;
    for (let a = 0; a < n; a++) {
      if (capped[a] || !(k * pi[a] > caps[a])) continue;
      capped[a] = 1;
      changed = true;
    }
    if (!changed) break;
    let cappedMass = 0;
    let freeMass = 0;
    for (let a = 0; a < n; a++) {
      if (capped[a]) cappedMass += caps[a];
      else freeMass += pi[a];
    }
    if (!(freeMass > 0)) {
      k = Infinity;
      break;
    }
    k = (1 - cappedMass) / freeMass;
  }
  const probs = new Float64Array(n);
  let massMoved = 0;
  let tokensCapped = 0;
  let total = 0;
  for (let a = 0; a < n; a++) {
    probs[a] = capped[a] ? (pi[a] > 0 ? caps[a] : 0) : k === Infinity ? 0 : k * pi[a];
    total += probs[a];
  }
  if (k === Infinity) for (let a = 0; a < n; a++) probs[a] /= total;
  for (let a = 0; a < n; a++) {
    if (probs[a] < pi[a]) massMoved += pi[a] - probs[a];
    if (capped[a] && pi[a] > 0) tokensCapped++;
  }
  return { probs, scale: k, massMoved, tokensCapped, deadEnd: false, passes };
}

describe('waterFill equals the reference algorithm bit for bit', () => {
  it('on random problems: feasible, cascading, dead ends, ties, zero-probability tokens, the Σ caps = 1 boundary', () => {
    const rng = new Rng('water-fill-reference');
    const kinds = { noCap: 0, feasible: 0, deadEnd: 0, ties: 0, zeros: 0, boundary: 0, cascades: 0 };
    for (let trial = 0; trial < 600; trial++) {
      const V = 2 + rng.int(trial % 10 === 0 ? 3000 : 300);
      const shape = trial % 6;
      // Logits: spread, or (shape 1) few distinct values so probabilities tie; (shape 2) some −∞ (π = 0).
      const logits = Array.from({ length: V }, () => (shape === 1 ? rng.int(4) : rng.normal(0, 0.5 + 4 * rng.next())));
      if (shape === 2) for (let a = 0; a < V; a += 3) logits[a] = -Infinity;
      if (shape === 2 && logits.every((z) => z === -Infinity)) logits[1 % V] = 0;
      // Q: mostly safe, some risky; (shape 3) heavily risky (dead ends); (shape 4) few distinct values (tied caps).
      const q = Array.from({ length: V }, () => {
        if (shape === 3) return -0.7 - 0.3 * rng.next();
        if (shape === 4) return -rng.int(5) / 5;
        return rng.next() < 0.4 ? -rng.next() : -0.05 * rng.next();
      });
      const options = { epsilon: rng.next() * 0.6, mode: trial % 2 ? 'relative' : 'absolute', exemptTokens: trial % 7 === 0 ? [0] : undefined } as const;
      const probs = rectifyLogits(logits, q, options);
      let pi: ArrayLike<number> = probs.pi;
      let caps: ArrayLike<number> = probs.caps;
      if (shape === 5) {
        // The feasible boundary: caps summing to 1 on the support (the reference renormalises them).
        const raw = Array.from({ length: V }, () => rng.next() + 0.01);
        pi = raw.map((r) => r / sum(raw));
        const cut = Array.from({ length: V }, () => rng.next() + 0.01);
        caps = cut.map((c) => c / sum(cut));
        kinds.boundary++;
      }
      const fast = waterFill(pi, caps);
      const ref = referenceWaterFill(pi, caps);
      expect(Array.from(fast.probs)).toEqual(Array.from(ref.probs));
      expect(Object.is(fast.scale, ref.scale) || (Number.isNaN(fast.scale) && Number.isNaN(ref.scale))).toBe(true);
      expect({ massMoved: fast.massMoved, tokensCapped: fast.tokensCapped, deadEnd: fast.deadEnd, passes: fast.passes }).toEqual({
        massMoved: ref.massMoved,
        tokensCapped: ref.tokensCapped,
        deadEnd: ref.deadEnd,
        passes: ref.passes,
      });
      if (ref.tokensCapped === 0) kinds.noCap++;
      else if (ref.deadEnd) kinds.deadEnd++;
      else kinds.feasible++;
      if (ref.passes > 3) kinds.cascades++;
      if (shape === 1 || shape === 4) kinds.ties++;
      if (shape === 2) kinds.zeros++;
    }
    // Every kind of problem was met, not just the easy one.
    for (const [kind, count] of Object.entries(kinds)) expect([kind, count > 5]).toEqual([kind, true]);
  });

  it('rectifiedLogProb of one token equals rectifyLogits’s logProbs', () => {
    const rng = new Rng('one-log-prob');
    for (let trial = 0; trial < 50; trial++) {
      const V = 2 + rng.int(100);
      const logits = Array.from({ length: V }, () => rng.normal(0, 3));
      const q = Array.from({ length: V }, () => -rng.next());
      const options = { epsilon: 0.3 * rng.next(), mode: 'relative' } as const;
      const full = rectifyLogits(logits, q, options);
      const lean = rectifyProbs(logits, q, options);
      for (let a = 0; a < V; a++) expect(rectifiedLogProb(lean, a)).toBe(full.logProbs[a]);
    }
  });
});
