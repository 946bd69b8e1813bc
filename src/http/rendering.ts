// Renderings of the big read-only answers (GET /apps, GET /metrics) kept until the state they show
// changes. A thousand concurrent readers cost one rendering (they share the one in flight), and a
// reader never makes the controller build its 5,000-app list or the registry its exposition again
// while nothing moved — so readers cannot starve reconciling of the event loop.
export class CachedRendering {
  private key: string | undefined;
  private body: Promise<Buffer> | undefined;
  /** renderings made (tests and the bench count them) */
  builds = 0;

  constructor(private readonly build: () => Buffer | Promise<Buffer>) {}

  /** The rendering for `key`: the cached one when the key is unchanged, else a new one (shared while it is made). */
  get(key: string): Promise<Buffer> {
    if (this.body && this.key === key) return this.body;
    this.key = key;
    this.builds++;
    const body = Promise.resolve().then(() => this.build());
    this.body = body;
    // A failed rendering is not kept: the next reader tries again.
    body.catch(() => {
      if (this.body === body) this.body = undefined;
    });
    return body;
  }
}
