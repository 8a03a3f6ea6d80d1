/**
 * Training pieces of the dead-end value Q_D (spec shared/specs/rectification.md §2.3): SARSA TD targets, the
 * squared TD loss, the Polyak-averaged target head, and the bound of Q to [−1, 0] (pitfall 4).
 *
 * The MDP: γ = 1, reward −1 when the finished text is toxic, 0 otherwise, no intermediate reward, so
 * −Q(s, a) is the probability that continuing with a ends toxic.
 * For one trajectory with actions a_0 … a_{T−1} (the tokens, each taken after its prefix), SARSA bootstraps on the
 * action actually taken next:
 *   y_t = γ·Q_target(s_{t+1}, a_{t+1})  for t < T − 1,     y_{T−1} = r,
 * each clamped to [−1, 0] (the reference's q_min/q_max). **EOS (pitfall 7)**: when a completion ended with EOS,
 * pass EOS as its last action, so Q(s, EOS) is trained towards the terminal reward instead of never being seen;
 * a completion cut at the token limit ends at its last generated token, which then carries the reward (the episode
 * ends there, as in the reference).
 */
import { sigmoid } from '../nn/logistic';

/**
 * SARSA(λ) targets (forward view, γ = `gamma`): y_{T−1} = r and, going back,
 *   y_t = (1 − λ)·γ·Q_target(s_{t+1}, a_{t+1}) + λ·γ·y_{t+1},
 * each clamped to [−1, 0]. λ = 0 is `sarsaTargets` (one-step SARSA, the reference); λ = 1 is the Monte Carlo return
 * (every action's target is the terminal reward). Intermediate λ propagates a terminal reward back along a
 * 20-token rollout in one update instead of one step per target-network refresh.
 */
export function sarsaLambdaTargets(qTargetTaken: ArrayLike<number>, reward: number, lambda: number, gamma = 1): Float64Array {
  if (!(lambda >= 0 && lambda <= 1)) throw new RangeError(`lambda must lie in [0, 1], got ${lambda}`);
  const y = sarsaTargets(qTargetTaken, reward, gamma);
  if (lambda === 0) return y;
  for (let t = y.length - 2; t >= 0; t--) y[t] = clampQ((1 - lambda) * y[t] + lambda * gamma * y[t + 1]);
  return y;
}

/** Terminal reward of a finished text: −1 when its toxicity score is ≥ threshold (reference: 0.5), else 0. */
export function terminalReward(toxicity: number, threshold = 0.5): number {
  if (!(toxicity >= 0 && toxicity <= 1)) throw new RangeError(`toxicity must lie in [0, 1], got ${toxicity}`);
  return toxicity >= threshold ? -1 : 0;
}

/**
 * TD targets of one trajectory from the target head's values at the taken actions,
 * qTargetTaken[t] = Q_target(s_t, a_t), and its terminal reward.
 */
export function sarsaTargets(qTargetTaken: ArrayLike<number>, reward: number, gamma = 1): Float64Array {
  const T = qTargetTaken.length;
  if (T === 0) throw new RangeError('a trajectory needs at least one action');
  if (!(gamma >= 0 && gamma <= 1)) throw new RangeError(`gamma must lie in [0, 1], got ${gamma}`);
  if (!Number.isFinite(reward)) throw new RangeError(`reward must be finite, got ${reward}`);
  const y = new Float64Array(T);
  for (let t = 0; t < T - 1; t++) {
    const next = qTargetTaken[t + 1];
    if (!Number.isFinite(next)) throw new RangeError(`qTargetTaken[${t + 1}] is not finite`);
    y[t] = clampQ(gamma * next);
  }
  y[T - 1] = clampQ(reward);
  return y;
}

export interface TdLoss {
  /** Σ (Q − y)² / number of actions. */
  loss: number;
  /** ∂loss/∂Q per action: 2(Q − y)/number of actions. */
  grad: Float64Array;
}

/**
 * Mean squared TD error over the actions of a batch (flattened). The reference divides the sum by the number
 * of non-pad *tokens* (one more per row than actions); we divide by the number of actions, the plain mean.
 */
export function tdLoss(qOnlineTaken: ArrayLike<number>, targets: ArrayLike<number>): TdLoss {
  const n = qOnlineTaken.length;
  if (targets.length !== n || n === 0) throw new RangeError(`${n} Q values for ${targets.length} targets`);
  const grad = new Float64Array(n);
  let loss = 0;
  for (let t = 0; t < n; t++) {
    const d = qOnlineTaken[t] - targets[t];
    loss += d * d;
    grad[t] = (2 * d) / n;
  }
  return { loss: loss / n, grad };
}

/** θ_target ← α·θ_online + (1 − α)·θ_target, in place (spec: after every optimiser step, α = 0.1 in the README). */
export function polyakUpdate(target: Float32Array | Float64Array, online: ArrayLike<number>, alpha: number): void {
  if (target.length !== online.length) throw new RangeError(`target has ${target.length} parameters, online ${online.length}`);
  if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`alpha must lie in [0, 1], got ${alpha}`);
  for (let i = 0; i < target.length; i++) target[i] = alpha * online[i] + (1 - alpha) * target[i];
}

/** Q clamped to [−1, 0] (for values from an unbounded head, at inference). */
export function clampQ(q: number): number {
  return q > 0 ? 0 : q < -1 ? -1 : q;
}

/**
 * The smooth bound of pitfall 4 for a head's raw output u: Q = −σ(u) ∈ (−1, 0), so the head can never leave the
 * range (the reference leaves the online Q unbounded). Its derivative dQ/du = −σ(u)·(1 − σ(u)).
 */
export function boundQ(raw: number): number {
  return -sigmoid(raw);
}

export function boundQGradient(raw: number): number {
  const s = sigmoid(raw);
  return -s * (1 - s);
}
