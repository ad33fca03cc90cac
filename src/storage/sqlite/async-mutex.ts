/** First-come, first-served lock held across awaits (one writer at a time on the SQLite write connection). */
export class AsyncMutex {
  private tail: Promise<void> = Promise.resolve();

  /** resolves with the release function once every earlier holder has released */
  lock(): Promise<() => void> {
    let release!: () => void;
    const released = new Promise<void>((resolve) => { release = resolve; });
    const previous = this.tail;
    this.tail = previous.then(() => released);
    return previous.then(() => release);
  }
}
