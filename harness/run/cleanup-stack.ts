/* Every resource a run takes is pushed here and released in reverse order,
 * on success, error and signal alike. A failing release is reported and the
 * rest still run. */
export interface CleanupFailure {
  what: string;
  error: unknown;
}

export class CleanupStack {
  private readonly entries: { what: string; release: () => Promise<void> }[] = [];

  push(what: string, release: () => Promise<void>): void {
    this.entries.push({ what, release });
  }

  get size(): number {
    return this.entries.length;
  }

  /** Releases everything pushed since `mark` (a size taken earlier). */
  async releaseTo(mark: number): Promise<CleanupFailure[]> {
    const failures: CleanupFailure[] = [];
    while (this.entries.length > mark) {
      const e = this.entries.pop()!;
      try {
        await e.release();
      } catch (error) {
        failures.push({ what: e.what, error });
      }
    }
    return failures;
  }

  releaseAll(): Promise<CleanupFailure[]> {
    return this.releaseTo(0);
  }
}
