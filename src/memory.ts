// The module's linear memory, laid out by TypeScript (the kernels never allocate):
//
//   [ static data | user blocks (zero-copy tier) | arena ............ ]
//                 ^ heapBase      ^ blocksEnd = arena base
//
// The arena is the region every copying call stages its rows through, in chunks sized by a
// budget (bytes per chunk). It grows only when a single row needs more than the budget, so
// memory is bounded by the largest row ever seen, not by batch size or the number of calls.
// Arena contents live for one call only, so the arena simply moves up when a block is added.
//
// User blocks back the zero-copy tier: Float32Array / Int32Array views that live in wasm memory,
// so kernels read and write them in place. A first-fit list keeps freed space reusable.

const PAGE = 65536;
const ALIGN = 16;

/** Default staging budget: small enough that a chunk's copy-in, kernel and copy-out stay in L2. */
export const DEFAULT_ARENA_BYTES = 256 * 1024;

const alignUp = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

/** How a call lays out its regions: absolute byte addresses, and rows per chunk. */
export interface ChunkPlan {
  rowsPerChunk: number;
  /** Start of each fixed region (e.g. class weights), then of each per-row region. */
  fixed: number[];
  perRow: number[];
}

interface Block { start: number; bytes: number }

export class Arena {
  private readonly heapBase: number;
  /** Live user blocks, sorted by address. */
  private blocks: Block[] = [];
  private buffer: ArrayBuffer | null = null;
  private f32View!: Float32Array;
  private i32View!: Int32Array;
  private f64View!: Float64Array;
  /** Buffers of this memory from before a grow: views on them are detached. */
  private readonly retired = new WeakSet<ArrayBufferLike>();

  constructor(readonly memory: WebAssembly.Memory, heapBase: number, public budgetBytes: number) {
    this.heapBase = alignUp(heapBase);
  }

  /** Start of the arena: just above the highest user block. */
  get base(): number {
    const last = this.blocks[this.blocks.length - 1];
    return last ? alignUp(last.start + last.bytes) : this.heapBase;
  }

  /** Bytes of wasm memory in use by the module (static data, user blocks, arena capacity). */
  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  /** Makes [base, base + bytes) addressable, growing memory only when it is not yet. */
  reserve(bytes: number): void {
    const needed = this.base + bytes;
    const have = this.memory.buffer.byteLength;
    if (needed > have) {
      this.retired.add(this.memory.buffer);
      this.memory.grow(Math.ceil((needed - have) / PAGE));
    }
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
    const fit = rowTotal === 0 ? rows : Math.floor((this.budgetBytes - fixedTotal - slack) / rowTotal);
    const rowsPerChunk = Math.max(1, Math.min(rows, fit));
    let offset = 0;
    const fixed = fixedBytes.map((b) => { const at = offset; offset += alignUp(b); return at; });
    const perRow = perRowBytes.map((b) => { const at = offset; offset += alignUp(b * rowsPerChunk); return at; });
    this.reserve(offset);
    const base = this.base;
    return { rowsPerChunk, fixed: fixed.map((o) => base + o), perRow: perRow.map((o) => base + o) };
  }

  /**
   * Reserves a user block (first fit among freed gaps, else on top, moving the arena up) and
   * keeps the arena's budget addressable above it, so later calls within the budget do not
   * grow memory and detach the caller's views.
   */
  allocate(bytes: number): number {
    const size = alignUp(Math.max(bytes, 1));
    let start = this.heapBase;
    let index = 0;
    for (; index < this.blocks.length; index++) {
      if (this.blocks[index].start - start >= size) break;
      start = alignUp(this.blocks[index].start + this.blocks[index].bytes);
    }
    this.blocks.splice(index, 0, { start, bytes: size });
    this.reserve(this.budgetBytes);
    return start;
  }

  free(start: number): boolean {
    const index = this.blocks.findIndex((b) => b.start === start);
    if (index < 0) return false;
    this.blocks.splice(index, 1);
    return true;
  }

  /** Whether a typed array is a view of this module's current memory (the zero-copy tier). */
  holds(view: ArrayBufferView): boolean {
    return view.buffer === this.memory.buffer;
  }

  /** Whether a typed array is a view of this memory from before it grew (now detached). */
  isStale(view: ArrayBufferView): boolean {
    return this.retired.has(view.buffer);
  }

  /**
   * The same elements as a view made before memory grew (now detached): a fresh view at the
   * address and length captured before the growth; `view` itself when nothing changed.
   */
  reattach(view: Float32Array, byteOffset: number, length: number): Float32Array {
    return view.buffer === this.memory.buffer ? view : new Float32Array(this.memory.buffer, byteOffset, length);
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
