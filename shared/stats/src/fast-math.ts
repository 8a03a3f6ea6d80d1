/**
 * Math bound to module scope for the hot loops. Inside jest's vm sandbox every global lookup (`Math.tanh`,
 * `Number.isFinite`) goes through the context's global proxy and costs ~10× a module binding; the witness
 * training and the simulations call these millions of times.
 */
export const { abs, ceil, exp, floor, imul, log, log1p, log2, max, min, pow, round, sign, sin, sqrt, tanh } = Math;
export const { E, LN2, LOG10E, PI } = Math;
export const isFiniteNumber = Number.isFinite;
