// The arena: one region of wasm memory, above the module's static data, that every call
// stages its rows through. It is sized by a budget (bytes per chunk) and grows only when a
// single row needs more than the budget, so memory is bounded by the largest row ever seen,
// not by batch size or by the number of calls.

const PAGE = 65536;
const ALIGN = 16;

/** Default staging budget: small enough that a chunk's copy-in, kernel and copy-out stay in L2. */
export const DEFAULT_ARENA_BYTES = 256 * 1024;

const alignUp = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

/** How a call lays out its regions: byte offsets from the arena base, and rows per chunk. */
export interface ChunkPlan {
  rowsPerChunk: number;
  /** Start of each fixed region (e.g. class weights), then of each per-row region. */
  fixed: number[];
  perRow: number[];
}

export class Arena {
  readonly base: number;
  private buffer: ArrayBuffer | null = null;
  private f32View!: Float32Array;
  private i32View!: Int32Array;
  private f64View!: Float64Array;

  constructor(readonly memory: WebAssembly.Memory, heapBase: number, public budgetBytes: number) {
    this.base = alignUp(heapBase);
  }

  /** Bytes of wasm memory in use by the module (static data + arena capacity). */
  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  /** Makes [base, base + bytes) addressable, growing memory only when it is not yet. */
  reserve(bytes: number): void {
    const needed = this.base + bytes;
    const have = this.memory.buffer.byteLength;
    if (needed > have) this.memory.grow(Math.ceil((needed - have) / PAGE));
  }

  /**
   * Plans chunks of whole rows: fixed regions once, per-row regions repeated for as many rows
   * as the budget allows (at least one), capped at `rows`. Reserves the memory it needs.
   */
  plan(rows: number, fixedBytes: number[], perRowBytes: number[]): ChunkPlan {
    const fixedTotal = fixedBytes.reduce((sum, b) => sum + alignUp(b), 0);
    // Each per-row region is padded to 16 bytes once per chunk, hence the slack term.
    const rowTotal = perRowBytes.reduce((sum, b) => sum + b, 0);
    const slack = perRowBytes.length * ALIGN;
    const fit = Math.floor((this.budgetBytes - fixedTotal - slack) / rowTotal);
    const rowsPerChunk = Math.max(1, Math.min(rows, fit));
    let offset = 0;
    const fixed = fixedBytes.map((b) => { const at = offset; offset += alignUp(b); return at; });
    const perRow = perRowBytes.map((b) => { const at = offset; offset += alignUp(b * rowsPerChunk); return at; });
    this.reserve(offset);
    return { rowsPerChunk, fixed: fixed.map((o) => this.base + o), perRow: perRow.map((o) => this.base + o) };
  }

  private refresh(): void {
    if (this.buffer !== this.memory.buffer) {
      this.buffer = this.memory.buffer;
      this.f32View = new Float32Array(this.buffer);
      this.i32View = new Int32Array(this.buffer);
      this.f64View = new Float64Array(this.buffer);
    }
  }

  /** Views over the whole memory; rebuilt after a grow detaches the old buffer. */
  get f32(): Float32Array { this.refresh(); return this.f32View; }
  get i32(): Int32Array { this.refresh(); return this.i32View; }
  get f64(): Float64Array { this.refresh(); return this.f64View; }
}
