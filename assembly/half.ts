// 16-bit floats (IEEE float16, bfloat16) widened to float32, exactly: every 16-bit value is a
// float32 value. Kernels read float32 rows, so a call over 16-bit logits has its rows widened
// here as they are staged (no float32 copy in JavaScript).

/**
 * n 16-bit floats at src into float32 at dst (bf16 = 1: bfloat16, else float16). dst may lie
 * 2·n bytes below src, which the engine uses to widen a staged row in place: each float32 is
 * written below the 16-bit values still to be read.
 */
export function halfToFloat(src: usize, dst: usize, n: i32, bf16: i32): void {
  for (let i = 0; i < n; i++) {
    const h = <u32>load<u16>(src + (<usize>i << 1));
    let bits: u32;
    if (bf16) {
      bits = h << 16;
    } else {
      const sign = (h & 0x8000) << 16;
      const exponent = (h >> 10) & 0x1f;
      const mantissa = h & 0x3ff;
      if (exponent == 0x1f) bits = sign | 0x7f800000 | (mantissa << 13); // ±Infinity, NaN
      else if (exponent != 0) bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
      else bits = sign | reinterpret<u32>(<f32>mantissa * 5.9604644775390625e-8); // ±0, subnormals: m·2⁻²⁴
    }
    store<u32>(dst + (<usize>i << 2), bits);
  }
}
