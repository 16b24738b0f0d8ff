// Reusable JavaScript-side buffers for the copies a call makes for itself (label snapshots,
// per-row losses and gradient scales). Allocating a typed array larger than 64 bytes costs
// 2–4 µs in V8 (an off-heap backing store): more than a whole small kernel call. These
// grow-only buffers are reused instead. A call uses one only while it runs and only where no
// caller code can run in between (kernels are synchronous); above POOLED_MAX elements a call
// gets a fresh array, so one huge batch does not pin its size in memory for good.

const POOLED_MAX = 1 << 16;

type Kind = Int32ArrayConstructor | Float32ArrayConstructor | Float64ArrayConstructor;

class Pool<T extends Int32Array | Float32Array | Float64Array> {
  private buffer: T;

  constructor(private readonly kind: Kind) {
    this.buffer = new kind(64) as T;
  }

  /**
   * An array of at least `length` elements (the pool's whole buffer: a subarray would cost an
   * allocation), valid until the next take() of this pool. Its contents are undefined: the
   * caller writes the first `length` elements before reading them and ignores the rest.
   */
  take(length: number): T {
    if (length > POOLED_MAX) return new this.kind(length) as T;
    if (this.buffer.length < length) this.buffer = new this.kind(Math.max(length, this.buffer.length * 2)) as T;
    return this.buffer;
  }
}

export const int32Scratch = new Pool<Int32Array>(Int32Array);
export const float32Scratch = new Pool<Float32Array>(Float32Array);
export const float64Scratch = new Pool<Float64Array>(Float64Array);
