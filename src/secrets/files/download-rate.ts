/** A stretch of time a download waited on its client, and the bytes its client took meanwhile. */
interface Sample {
  ms: number;
  bytes: number;
}

/**
 * The rate a download's client takes its bytes at, over the last `windowMs` of time the download
 * waited on it (not wall time: a download reading its store, or a server too busy to look, is
 * not waiting on its client), as Apache's mod_reqtimeout `MinRate` judges a request body.
 */
export class DownloadRate {
  private readonly samples: Sample[] = [];
  private ms = 0;
  private bytes = 0;

  constructor(
    private readonly windowMs: number,
    private readonly minBytesPerSecond: number,
  ) {}

  /** The client took `bytes` over `ms` of waiting on it. */
  add(ms: number, bytes: number): void {
    this.samples.push({ ms, bytes });
    this.ms += ms;
    this.bytes += bytes;
    // The oldest goes once the rest still fill the window, so a first burst into the kernel's buffers slides out too.
    while (this.ms - this.samples[0].ms >= this.windowMs) {
      const oldest = this.samples.shift()!;
      this.ms -= oldest.ms;
      this.bytes -= oldest.bytes;
    }
  }

  /** Whether a whole window of waiting has passed with the client taking less than the minimum rate. */
  tooSlow(): boolean {
    return this.ms >= this.windowMs && this.bytes < (this.minBytesPerSecond * this.ms) / 1000;
  }
}
