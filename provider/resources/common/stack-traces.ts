/**
 * Stack traces switched off while a resource registers itself (inside `super(...)`).
 *
 * The SDK stores `new Error().stack` on the promise behind every output property (`debuggablePromise`), read
 * only if that promise is still pending when the program exits. The language host formats those stacks through
 * a source-map-aware `prepareStackTrace`, so each one costs tens of microseconds per frame: for a pipeline's 19
 * outputs, about 4 ms per resource, which made a no-op `pulumi up` of 200 pipelines ×1.55 the engine's own time
 * for 200 trivial resources (×1.11 without it, measured side by side). The SDK's capture of the resource's source
 * position sets its own limit, so `pulumi preview` still points at the user's line.
 */
export class StackTracesOff {
  private readonly limit = Error.stackTraceLimit;

  constructor() {
    Error.stackTraceLimit = 0;
  }

  restore(): void {
    Error.stackTraceLimit = this.limit;
  }

  /**
   * An error raised while stack traces were off has none: give it the stack of the code that constructed the
   * resource (`constructor`'s caller), so the user still sees where in their program it failed.
   */
  located(error: unknown, constructor: abstract new (...args: never[]) => unknown): unknown {
    this.restore();
    if (error instanceof Error) Error.captureStackTrace(error, constructor);
    return error;
  }
}
