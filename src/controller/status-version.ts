// A counter of status changes: bumped wherever an app's status is published (reconcile.ts publish())
// and where the controller's own view moves (a snapshot applied, a resync's prune pass, a worker done).
// The HTTP surface renders /apps and /metrics again only when it moved (src/http/rendering.ts), so a
// thousand readers cost one rendering, not a thousand.
export class StatusVersion {
  private n = 0;

  bump(): void {
    this.n++;
  }

  get value(): number {
    return this.n;
  }
}
