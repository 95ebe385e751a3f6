// Dense products C[m×n] = alpha·op(A)·op(B) (+ bias per column) (+ C), row-major, for the three
// products training needs — A·B (forward), A·Bᵀ (delta of the layer below), Aᵀ·B (weight
// gradient) — and Aᵀ·Bᵀ.
//
// The design follows XNNPACK's f32 gemm microkernels ("loadsplat" variant) inside GotoBLAS/BLIS
// blocking: op(B) is packed, one block of KC × NC at a time, into panels of NR = 8 columns that
// store the 8 values of one k side by side (zero past n), and op(A) into strips of MR = 4 rows
// that store the 4 values of one k side by side (zero past m). The transposes live entirely in
// the packing routines — B rows are copied (A·B, Aᵀ·B) or 4 × 4-transposed (A·Bᵀ, Aᵀ·Bᵀ), A
// strips are 4 × 4-transposed (A·B, A·Bᵀ) or copied (Aᵀ·B, Aᵀ·Bᵀ) — so all four products run the
// same register-blocked microkernel on unit-stride streams: a 4 × 8 tile of C in eight f32x4
// accumulators, per k four broadcasts of A (v128.load32_splat: one vbroadcastss on x86) and two
// vectors of B. Eight independent accumulator chains cover the 4-cycle latency of the two
// multiply-add ports of x86 cores. A strip (4 KiB) stays in L1 across the panels of a block, the
// block of B (512 KiB) in L2 across the strips. When m ≤ 4 each panel is read once, so an
// untransposed B is read in place instead of packed, and one or two rows use a 2 × 16 tile.
//
// Every shape is exact: tail rows, tail columns and tail k are handled explicitly and nothing is
// read or written past the end of any operand. Scratch space (the packed block and strip) is
// handed in by the wrapper (gemmScratchLength says how much); the kernels never allocate.
import { madd } from './vmath';

/** Rows of C per microkernel tile. */
const MR: i32 = 4;
/** Columns of C per microkernel tile (two f32x4). */
const NR: i32 = 8;
/** Depth of one packed block of B: a 4 × KC strip of A (4 KiB) stays in L1. */
const KC: i32 = 256;
/** Columns of one packed block of B: KC × NC floats (512 KiB) stay in L2. */
const NC: i32 = 512;

@inline function roundUp(x: i32, to: i32): i32 {
  return (x + to - 1) / to * to;
}

/** Floats of scratch gemm needs for these dimensions (packed B block + one packed A strip). */
export function gemmScratchLength(m: i32, k: i32, n: i32): i32 {
  const kc = min(k, KC);
  return kc * roundUp(min(n, NC), NR) + kc * MR;
}

// ---- epilogue -------------------------------------------------------------------------------

// The first `count` (1…4) floats at p in the low lanes, zeros above.
@inline function loadLanes(p: usize, count: i32): v128 {
  let v = f32x4.splat(0);
  v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (count > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (count > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  if (count > 3) v = f32x4.replace_lane(v, 3, load<f32>(p, 12));
  return v;
}

@inline function storeLanes(p: usize, v: v128, count: i32): void {
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (count > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (count > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
  if (count > 3) store<f32>(p, f32x4.extract_lane(v, 3), 12);
}

// One row of a tile: c[0 … nr) = alpha·acc (+ bias) (+ c), in the oracle's order of operations.
@inline function finishRow(
  c: usize, lo: v128, hi: v128, nr: i32, alpha: v128, bias: usize, accumulate: bool,
): void {
  lo = f32x4.mul(lo, alpha);
  hi = f32x4.mul(hi, alpha);
  if (nr == NR) {
    if (bias != 0) {
      lo = f32x4.add(lo, v128.load(bias));
      hi = f32x4.add(hi, v128.load(bias, 16));
    }
    if (accumulate) {
      lo = f32x4.add(lo, v128.load(c));
      hi = f32x4.add(hi, v128.load(c, 16));
    }
    v128.store(c, lo);
    v128.store(c, hi, 16);
    return;
  }
  const nLo = min(nr, 4), nHi = nr - 4;
  if (bias != 0) {
    lo = f32x4.add(lo, loadLanes(bias, nLo));
    if (nHi > 0) hi = f32x4.add(hi, loadLanes(bias + 16, nHi));
  }
  if (accumulate) {
    lo = f32x4.add(lo, loadLanes(c, nLo));
    if (nHi > 0) hi = f32x4.add(hi, loadLanes(c + 16, nHi));
  }
  storeLanes(c, lo, nLo);
  if (nHi > 0) storeLanes(c + 16, hi, nHi);
}

// ---- microkernels ---------------------------------------------------------------------------

// C[mr × nr] = alpha·A·W (+ bias) (+ C) for one packed strip A of op(A) (kc × 4: for each k the
// tile's 4 rows side by side) and one panel W of op(B) (kc × 8, rows ldw bytes apart: 32 when
// packed, so both operands are unit-stride streams; B's row stride when read in place). One
// pointer with immediate offsets reaches all four rows of A.
//
// One k per iteration on purpose: TurboFan places every load of an iteration ahead of the
// multiply-adds that use it, so each iteration keeps all its loaded vectors and the 8 accumulators
// live at once. One k (4 broadcasts + 2 panel vectors + 8 accumulators = 14) fits the 15 xmm
// registers V8 allocates on x64; unrolling k by 2 or 4 made V8 spill accumulators to the stack.
function gemm4x8(
  a: usize, w: usize, ldw: usize, kc: i32, c: usize, ldc: usize, mr: i32, nr: i32,
  alpha: f32, bias: usize, accumulate: bool,
): void {
  let c0l = f32x4.splat(0), c0h = c0l, c1l = c0l, c1h = c0l, c2l = c0l, c2h = c0l, c3l = c0l, c3h = c0l;
  const wEnd = w + <usize>kc * ldw;
  do {
    const b0 = v128.load(w), b1 = v128.load(w, 16);
    let x = v128.load32_splat(a);
    c0l = madd(x, b0, c0l); c0h = madd(x, b1, c0h);
    x = v128.load32_splat(a, 4);
    c1l = madd(x, b0, c1l); c1h = madd(x, b1, c1h);
    x = v128.load32_splat(a, 8);
    c2l = madd(x, b0, c2l); c2h = madd(x, b1, c2h);
    x = v128.load32_splat(a, 12);
    c3l = madd(x, b0, c3l); c3h = madd(x, b1, c3h);
    a += 16;
    w += ldw;
  } while (w < wEnd);
  const av = f32x4.splat(alpha);
  finishRow(c, c0l, c0h, nr, av, bias, accumulate);
  if (mr > 1) finishRow(c + ldc, c1l, c1h, nr, av, bias, accumulate);
  if (mr > 2) finishRow(c + 2 * ldc, c2l, c2h, nr, av, bias, accumulate);
  if (mr > 3) finishRow(c + 3 * ldc, c3l, c3h, nr, av, bias, accumulate);
}

// The tile for one or two rows (mr ≤ 2) of a product with an untransposed B read in place:
// 2 × 16 keeps 8 accumulator chains busy where a 4 × 8 tile would spend half or more of its
// multiply-adds on padding rows. Same strip of A (rows 0 and 1 used), 16 columns of B at w
// (rows ldw bytes apart), nr = 16 always.
function gemm2x16(
  a: usize, w: usize, ldw: usize, kc: i32, c: usize, ldc: usize, mr: i32,
  alpha: f32, bias: usize, accumulate: bool,
): void {
  let c00 = f32x4.splat(0), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
  const wEnd = w + <usize>kc * ldw;
  do {
    const b0 = v128.load(w), b1 = v128.load(w, 16), b2 = v128.load(w, 32), b3 = v128.load(w, 48);
    let x = v128.load32_splat(a);
    c00 = madd(x, b0, c00); c01 = madd(x, b1, c01); c02 = madd(x, b2, c02); c03 = madd(x, b3, c03);
    x = v128.load32_splat(a, 4);
    c10 = madd(x, b0, c10); c11 = madd(x, b1, c11); c12 = madd(x, b2, c12); c13 = madd(x, b3, c13);
    a += 16;
    w += ldw;
  } while (w < wEnd);
  const av = f32x4.splat(alpha);
  finishRow(c, c00, c01, NR, av, bias, accumulate);
  finishRow(c + 32, c02, c03, NR, av, bias != 0 ? bias + 32 : 0, accumulate);
  if (mr > 1) {
    finishRow(c + ldc, c10, c11, NR, av, bias, accumulate);
    finishRow(c + ldc + 32, c12, c13, NR, av, bias != 0 ? bias + 32 : 0, accumulate);
  }
}

// ---- packing --------------------------------------------------------------------------------

// Packs op(B)[0 … kc) × [0 … nc) into panels of 8 columns (kc × 8 floats each, zero-padded past
// nc) where op(B) = B and B's rows are ldb bytes apart: two vector copies per k for full panels.
function packRowsB(b: usize, ldb: usize, kc: i32, nc: i32, dst: usize): void {
  for (let j = 0; j < nc; j += NR) {
    const cols = min(NR, nc - j);
    let src = b + (<usize>j << 2);
    const end = dst + (<usize>kc << 5);
    if (cols == NR) {
      for (; dst < end; dst += 32, src += ldb) {
        v128.store(dst, v128.load(src));
        v128.store(dst, v128.load(src, 16), 16);
      }
    } else {
      for (; dst < end; dst += 32, src += ldb) {
        v128.store(dst, f32x4.splat(0));
        v128.store(dst, f32x4.splat(0), 16);
        for (let jj = 0; jj < cols; jj++) store<f32>(dst + (<usize>jj << 2), load<f32>(src + (<usize>jj << 2)));
      }
    }
  }
}

// Transposes 4 rows of 4 floats into 4 vectors `stride` bytes apart: lane r of vector i is lane i
// of row r.
@inline function transposeStore4x4(dst: usize, stride: usize, r0: v128, r1: v128, r2: v128, r3: v128): void {
  const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
  const t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
  const t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
  const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
  v128.store(dst + stride, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
  v128.store(dst + 2 * stride, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * stride, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7));
}

// The same panels when op(B) = Bᵀ: column j of op(B) is row j of the stored B (ldb bytes apart,
// contiguous in k), so each full panel is an 8 × kc block transposed 4 × 4 at a time.
function packColsB(b: usize, ldb: usize, kc: i32, nc: i32, dst: usize): void {
  const kc4 = kc & ~3;
  for (let j = 0; j < nc; j += NR) {
    const cols = min(NR, nc - j);
    const src = b + <usize>j * ldb;
    if (cols == NR) {
      const s0 = src, s1 = s0 + ldb, s2 = s1 + ldb, s3 = s2 + ldb;
      const s4 = s3 + ldb, s5 = s4 + ldb, s6 = s5 + ldb, s7 = s6 + ldb;
      for (let p = 0; p < kc4; p += 4) {
        const o = <usize>p << 2;
        const d = dst + (<usize>p << 5);
        transposeStore4x4(d, 32, v128.load(s0 + o), v128.load(s1 + o), v128.load(s2 + o), v128.load(s3 + o));
        transposeStore4x4(d + 16, 32, v128.load(s4 + o), v128.load(s5 + o), v128.load(s6 + o), v128.load(s7 + o));
      }
      for (let p = kc4; p < kc; p++) {
        for (let jj = 0; jj < NR; jj++) {
          store<f32>(dst + (<usize>p << 5) + (<usize>jj << 2), load<f32>(src + <usize>jj * ldb + (<usize>p << 2)));
        }
      }
    } else {
      for (let p = 0; p < kc; p++) {
        const d = dst + (<usize>p << 5);
        v128.store(d, f32x4.splat(0));
        v128.store(d, f32x4.splat(0), 16);
        for (let jj = 0; jj < cols; jj++) {
          store<f32>(d + (<usize>jj << 2), load<f32>(src + <usize>jj * ldb + (<usize>p << 2)));
        }
      }
    }
    dst += <usize>kc << 5;
  }
}

// Packs mr ≤ 4 rows of A (row r at a + r·lda, contiguous in k) into a strip for gemm4x8: for each
// of kc k, the rows' 4 floats side by side (zero past mr), 4 × 4 transposes for full strips.
function packRowsA(a: usize, lda: usize, kc: i32, mr: i32, dst: usize): void {
  let p = 0;
  if (mr == MR) {
    const a1 = a + lda, a2 = a1 + lda, a3 = a2 + lda;
    for (; p + 4 <= kc; p += 4) {
      const o = <usize>p << 2;
      transposeStore4x4(dst + (<usize>p << 4), 16, v128.load(a + o), v128.load(a1 + o), v128.load(a2 + o), v128.load(a3 + o));
    }
  }
  for (; p < kc; p++) {
    const d = dst + (<usize>p << 4);
    v128.store(d, f32x4.splat(0));
    for (let r = 0; r < mr; r++) store<f32>(d + (<usize>r << 2), load<f32>(a + <usize>r * lda + (<usize>p << 2)));
  }
}

// Packs mr ≤ 4 rows of op(A) = Aᵀ (mr adjacent floats per k, k apart by lda bytes) into a strip
// for gemm4x8, zero past mr.
function packColsA(a: usize, lda: usize, kc: i32, mr: i32, dst: usize): void {
  const end = dst + (<usize>kc << 4);
  if (mr == MR) {
    for (; dst < end; dst += 16, a += lda) v128.store(dst, v128.load(a));
    return;
  }
  for (; dst < end; dst += 16, a += lda) {
    v128.store(dst, f32x4.splat(0));
    for (let r = 0; r < mr; r++) store<f32>(dst + (<usize>r << 2), load<f32>(a + (<usize>r << 2)));
  }
}

// ---- driver ---------------------------------------------------------------------------------

/**
 * C[m×n] = alpha·op(A)·op(B) (+ bias[j]) (+ C if accumulate), all row-major; op(A) is m×k (A is
 * stored k×m when transA), op(B) is k×n (B stored n×k when transB); bias is 0 or n floats.
 * scratch holds gemmScratchLength(m, k, n) floats.
 */
export function gemm(
  a: usize, b: usize, c: usize, m: i32, k: i32, n: i32, transA: bool, transB: bool,
  alpha: f32, accumulate: bool, bias: usize, scratch: usize,
): void {
  const kcMax = min(k, KC);
  const packedB = scratch;
  const packedA = scratch + (<usize>(kcMax * roundUp(min(n, NC), NR)) << 2);
  const ldc = <usize>n << 2;
  // Stored-operand strides in bytes: the step between rows of op(A) and between k.
  const aRow: usize = transA ? 4 : <usize>k << 2;
  const aK: usize = transA ? <usize>m << 2 : 4;
  const ldb: usize = transB ? <usize>k << 2 : <usize>n << 2;
  for (let k0 = 0; k0 < k; k0 += KC) {
    const kc = min(KC, k - k0);
    // Later k blocks add to what the earlier ones stored; the bias is added once.
    const blockAccumulate = accumulate || k0 > 0;
    const blockBias: usize = k0 == 0 ? bias : 0;
    for (let j0 = 0; j0 < n; j0 += NC) {
      const nc = min(NC, n - j0);
      // A product with a single strip reads each panel once: packing would only add a pass over
      // B, so the full panels of an untransposed B are read in place and only a tail is packed.
      const inPlace = !transB && m <= MR;
      const bBlock = b + <usize>k0 * ldb + (<usize>j0 << 2);
      if (transB) packColsB(b + <usize>j0 * ldb + (<usize>k0 << 2), ldb, kc, nc, packedB);
      else if (!inPlace) packRowsB(bBlock, ldb, kc, nc, packedB);
      else if (nc % NR != 0) packRowsB(bBlock + (<usize>(nc - nc % NR) << 2), ldb, kc, nc % NR, packedB);
      for (let i0 = 0; i0 < m; i0 += MR) {
        const mr = min(MR, m - i0);
        // The strip is packed once per block of B and then read from L1 by every panel; read in
        // place, a strip of Aᵀ would touch a new cache line per k.
        const aSource = a + <usize>i0 * aRow + <usize>k0 * aK;
        if (transA) packColsA(aSource, aK, kc, mr, packedA);
        else packRowsA(aSource, aRow, kc, mr, packedA);
        const cRow = c + <usize>i0 * ldc + (<usize>j0 << 2);
        let j = 0;
        if (inPlace && mr <= 2) {
          for (; j + 2 * NR <= nc; j += 2 * NR) {
            const jBias: usize = blockBias != 0 ? blockBias + (<usize>(j0 + j) << 2) : 0;
            gemm2x16(packedA, bBlock + (<usize>j << 2), ldb, kc, cRow + (<usize>j << 2), ldc, mr, alpha, jBias, blockAccumulate);
          }
        }
        for (; j < nc; j += NR) {
          const nr = min(NR, nc - j);
          let w = packedB + <usize>j * (<usize>kc << 2);
          let ldw: usize = NR << 2;
          if (inPlace) {
            w = nr == NR ? bBlock + (<usize>j << 2) : packedB;
            ldw = nr == NR ? ldb : NR << 2;
          }
          const jBias: usize = blockBias != 0 ? blockBias + (<usize>(j0 + j) << 2) : 0;
          gemm4x8(packedA, w, ldw, kc, cRow + (<usize>j << 2), ldc, mr, nr, alpha, jBias, blockAccumulate);
        }
      }
    }
  }
}
