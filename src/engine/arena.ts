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

import { SLOT_LAYOUT, type Slots } from "./frame.js";
import type { KernelCall } from "./call.js";

const PAGE = 65536;
const ALIGN = 16;
/** wasm32 memory holds at most 65536 pages (4 GiB). */
export const MAX_MEMORY_BYTES = 65536 * PAGE;

/** Default staging budget: small enough that a chunk's copy-in, kernel and copy-out stay in L2. */
export const DEFAULT_ARENA_BYTES = 256 * 1024;

const alignUp = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

interface Block {
  start: number;
  bytes: number;
}

export class Arena {
  private readonly heapBase: number;
  /** Live user blocks, sorted by address. */
  private blocks: Block[] = [];
  /**
   * The memory's current buffer. Only this class grows the memory (kernels never do), so it is
   * kept here rather than read from `memory.buffer`, a host call that cost ~0.3 µs per operand.
   */
  buffer!: ArrayBuffer;
  /** Views over the whole memory, rebuilt after a grow detaches the old buffer. */
  f32!: Float32Array;
  i32!: Int32Array;
  f64!: Float64Array;
  u16!: Uint16Array;
  /** Buffers of this memory from before a grow: views on them are detached. */
  private readonly retired = new WeakSet<ArrayBufferLike>();

  /** The most bytes this memory may grow to (init's maxMemoryBytes; a wasm32 memory's 4 GiB by default). */
  readonly maxBytes: number;

  constructor(
    readonly memory: WebAssembly.Memory,
    heapBase: number,
    public budgetBytes: number,
    maxBytes = MAX_MEMORY_BYTES,
  ) {
    this.maxBytes = maxBytes;
    // The first 16 bytes above the static data hold the marker word owns() probes through.
    this.marker = alignUp(heapBase);
    this.heapBase = this.marker + ALIGN;
    this.shared = typeof SharedArrayBuffer === "function" && memory.buffer instanceof SharedArrayBuffer;
    this.base = this.heapBase;
    this.refresh();
  }

  /** Whether the memory is shared (a threaded runtime's): only then can another object be a handle of it. */
  readonly shared: boolean;
  /** The address of the word owns() writes through this memory and reads through another handle. */
  private readonly marker: number;
  /** Other handles of a shared memory seen so far (SharedArrayBuffers), and whether each is this memory. */
  private readonly handles = new WeakMap<ArrayBufferLike, boolean>();

  /**
   * Whether a buffer is this memory: its current buffer, one from before a grow, or (a shared
   * memory) another SharedArrayBuffer object over the same memory — one that came back through
   * postMessage, or a worker's `memory.buffer`. Such a handle is told apart by writing two
   * values to the marker word through this memory and reading them through the handle.
   */
  owns(buffer: ArrayBufferLike): boolean {
    if (buffer === this.buffer) return true;
    if (!this.shared) return this.retired.has(buffer);
    if (this.retired.has(buffer)) return true;
    if (!(buffer instanceof SharedArrayBuffer)) return false;
    let known = this.handles.get(buffer);
    if (known === undefined) {
      known = false;
      if (buffer.byteLength >= this.marker + 4) {
        const mine = new Int32Array(this.buffer, this.marker, 1),
          theirs = new Int32Array(buffer, this.marker, 1);
        const nonce = (Math.random() * 2 ** 31) | 0;
        known = true;
        for (const value of [nonce, ~nonce]) {
          Atomics.store(mine, 0, value);
          if (Atomics.load(theirs, 0) !== value) known = false;
        }
      }
      this.handles.set(buffer, known);
    }
    return known;
  }

  /** Start of the arena: just above the highest user block (kept current by allocate/free). */
  base: number;

  private updateBase(): void {
    const last = this.blocks[this.blocks.length - 1];
    this.base = last ? alignUp(last.start + last.bytes) : this.heapBase;
  }

  /** Bytes of wasm memory in use by the module (static data, user blocks, arena capacity). */
  get memoryBytes(): number {
    return this.buffer.byteLength;
  }

  /** Makes [base, base + bytes) addressable, growing memory only when it is not yet. */
  reserve(fn: string, bytes: number): void {
    this.ensure(fn, this.base + bytes);
  }

  /**
   * Makes addresses below `end` usable, or throws a RangeError and changes nothing: memory
   * cannot grow past 4 GiB, and the engine may refuse less (no address space, a host limit).
   */
  private ensure(fn: string, end: number): void {
    const have = this.buffer.byteLength;
    if (end <= have) return;
    if (end > this.maxBytes) {
      throw new RangeError(
        this.maxBytes === MAX_MEMORY_BYTES
          ? `${fn}: needs ${end} bytes of wasm memory, more than a wasm32 memory can hold (${MAX_MEMORY_BYTES} bytes, 4 GiB)`
          : `${fn}: needs ${end} bytes of wasm memory, more than init's maxMemoryBytes (${this.maxBytes})`,
      );
    }
    const old = this.buffer;
    try {
      this.memory.grow(Math.ceil((end - have) / PAGE));
    } catch (error) {
      throw new RangeError(
        `${fn}: could not grow wasm memory from ${have} to ${end} bytes (${(error as Error).message}); ` +
          `nothing was allocated, and the package stays usable`,
      );
    }
    this.retired.add(old);
    this.refresh();
  }

  /**
   * Plans chunks of whole rows for the executor's slots (execute.ts): fixed regions and the
   * scratch once, per-row regions repeated for as many rows as the budget allows (at least one),
   * capped at `rows`. Writes each region's address into `slots.region`, reserves the memory, and
   * returns the rows per chunk.
   */
  plan(
    fn: string,
    rows: number,
    slots: Slots,
    nIn: number,
    nOut: number,
    nFixed: number,
    rowMultiple: number,
    budgetBytes = this.budgetBytes,
  ): number {
    const { OUT, FIXED, SCRATCH } = SLOT_LAYOUT;
    const { bytes, region } = slots;
    let fixedTotal = alignUp(bytes[SCRATCH]),
      rowTotal = 0;
    for (let k = 0; k < nFixed; k++) fixedTotal += alignUp(bytes[FIXED + k]);
    for (let i = 0; i < nIn; i++) rowTotal += bytes[i];
    for (let j = 0; j < nOut; j++) rowTotal += bytes[OUT + j];
    // Each per-row region is padded to 16 bytes once per chunk, hence the slack term.
    const slack = (nIn + nOut) * ALIGN;
    const fit = rowTotal === 0 ? rows : Math.floor((budgetBytes - fixedTotal - slack) / rowTotal);
    let rowsPerChunk = Math.max(1, Math.min(rows, fit));
    // Whole multiples when asked (a kernel that is fastest on aligned groups), unless all rows fit.
    if (rowMultiple > 1 && rowsPerChunk < rows)
      rowsPerChunk = Math.max(rowMultiple, rowsPerChunk - (rowsPerChunk % rowMultiple));
    // Absolute addresses: the arena's base does not move while a call runs (only allocate moves it).
    let at = this.base;
    for (let k = 0; k < nFixed; k++) {
      region[FIXED + k] = at;
      at += alignUp(bytes[FIXED + k]);
    }
    region[SCRATCH] = at;
    at += alignUp(bytes[SCRATCH]);
    for (let i = 0; i < nIn; i++) {
      region[i] = at;
      at += alignUp(bytes[i] * rowsPerChunk);
    }
    for (let j = 0; j < nOut; j++) {
      region[OUT + j] = at;
      at += alignUp(bytes[OUT + j] * rowsPerChunk);
    }
    this.ensure(fn, at);
    return rowsPerChunk;
  }

  /** Regions for a hand-made call (scripts and tests): per-row byte counts → addresses and rows per chunk. */
  planRows(fn: string, rows: number, perRowBytes: number[]): { rowsPerChunk: number; perRow: number[] } {
    let rowTotal = 0;
    for (const b of perRowBytes) rowTotal += b;
    const fit = Math.floor((this.budgetBytes - perRowBytes.length * ALIGN) / Math.max(1, rowTotal));
    const rowsPerChunk = Math.max(1, Math.min(rows, fit));
    let at = this.base;
    const perRow = perRowBytes.map((b) => {
      const start = at;
      at += alignUp(b * rowsPerChunk);
      return start;
    });
    this.ensure(fn, at);
    return { rowsPerChunk, perRow };
  }

  /**
   * Reserves a user block (first fit among freed gaps, else on top, moving the arena up) and
   * keeps the arena's budget addressable above it, so later calls within the budget do not
   * grow memory and detach the caller's views.
   */
  allocate(fn: string, bytes: number): number {
    const size = alignUp(Math.max(bytes, 1));
    let start = this.heapBase;
    let index = 0;
    for (; index < this.blocks.length; index++) {
      if (this.blocks[index].start - start >= size) break;
      start = alignUp(this.blocks[index].start + this.blocks[index].bytes);
    }
    // Memory first, the record after: a failed grow leaves no block behind.
    const arenaBase = Math.max(this.base, alignUp(start + size));
    this.ensure(fn, arenaBase + this.budgetBytes);
    this.blocks.splice(index, 0, { start, bytes: size });
    this.updateBase();
    return start;
  }

  /** Returns a block to the free space. */
  free(start: number): boolean {
    const index = this.blocks.findIndex((b) => b.start === start);
    if (index < 0) return false;
    this.blocks.splice(index, 1);
    this.updateBase();
    return true;
  }

  /** Whether [byteOffset, byteOffset + byteLength) lies inside one live user block. */
  inLiveBlock(byteOffset: number, byteLength: number): boolean {
    for (const block of this.blocks) {
      if (byteOffset >= block.start && byteOffset + byteLength <= block.start + block.bytes) return true;
    }
    return false;
  }

  /** Whether a buffer is this memory's from before it grew (views of it are detached). */
  isRetired(buffer: ArrayBufferLike): boolean {
    return this.retired.has(buffer);
  }

  private refresh(): void {
    this.buffer = this.memory.buffer as ArrayBuffer;
    this.f32 = new Float32Array(this.buffer);
    this.i32 = new Int32Array(this.buffer);
    this.f64 = new Float64Array(this.buffer);
    this.u16 = new Uint16Array(this.buffer);
  }
}

/**
 * Bytes of rows a chunk of `call` may stage: its stagingBytes (a matrix product), at least a
 * quarter of its fixed operands (weights reread once per chunk), or 0 for an ordinary call.
 */
export function stagingOf(call: KernelCall): number {
  if (call.stagingBytes === undefined) return 0;
  let fixed = 0;
  for (const op of call.fixed ?? []) fixed += op.view.byteLength;
  return Math.max(call.stagingBytes, fixed / 4);
}

/**
 * The bytes a plan may lay out: the arena's budget, or for a call with stagingBytes its fixed
 * operands and scratch (as planned in `slots.bytes`) plus stagingOf(call) bytes of rows.
 */
export function chunkBudget(arena: Arena, call: KernelCall, slots: Slots): number {
  const staging = stagingOf(call);
  if (staging === 0) return arena.budgetBytes;
  const { FIXED, SCRATCH } = SLOT_LAYOUT;
  let fixedBytes = slots.bytes[SCRATCH];
  for (let k = 0; k < (call.fixed?.length ?? 0); k++) fixedBytes += slots.bytes[FIXED + k] + ALIGN;
  return Math.max(arena.budgetBytes, fixedBytes + staging);
}
