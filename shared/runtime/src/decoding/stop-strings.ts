/**
 * Finds the earliest stop string in generated text. Only the tail that the newest delta could have
 * completed is searched, so checking every step costs O(delta + longest stop string).
 */
export class StopStringMatcher {
  private readonly longest: number;

  constructor(private readonly stops: readonly string[]) {
    this.longest = stops.reduce((m, s) => Math.max(m, s.length), 0);
  }

  get active(): boolean {
    return this.stops.length > 0;
  }

  /**
   * `text` is the whole generated text so far, of which the last `deltaLength` characters are new.
   * Returns the index where the earliest stop string starts and which one, or undefined.
   */
  find(text: string, deltaLength: number): { index: number; stop: string } | undefined {
    if (this.longest === 0 || deltaLength === 0) return undefined;
    const from = Math.max(0, text.length - deltaLength - this.longest + 1);
    let best: { index: number; stop: string } | undefined;
    for (const stop of this.stops) {
      const index = text.indexOf(stop, from);
      if (index >= 0 && (best === undefined || index < best.index)) best = { index, stop };
    }
    return best;
  }
}
