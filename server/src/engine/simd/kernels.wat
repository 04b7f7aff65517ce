;; CNN Lab's WebAssembly SIMD kernels: a register-blocked SGEMM, Winograd F(2x2, 3x3) and
;; F(4x4, 3x3) transforms, im2col packing, a matrix-vector product, and the jobs that string them
;; together for one thread's share of a layer. Hand-written; assembled by build-wasm.mjs (wabt,
;; features simd and threads).
;;
;; Conventions. Every pointer and stride is a byte offset into the one shared memory, which the
;; TypeScript side (simd-backend.ts) creates, grows and lays out. Tensors are row-major f32:
;;   an image is (C, H, W); a weight is (Cout, Cin/groups, kH, kW) as in PyTorch.
;; The GEMM works on packed operands, in the order the micro-kernel reads them:
;;   packed A: panels of 4 rows; panel i holds A[4i .. 4i+3][k] as k-major quads: a[k][r].
;;   packed B: panels of 8 columns; panel j holds B[k][8j .. 8j+7] as k-major octets: b[k][c].
;; Rows of A past the real M and columns of B past the real N are zero, so the kernels never branch
;; on edges; the caller copies the real part of C out.
;; A fused activation is min(max(x, lo), hi) written f32x4.pmin(f32x4.pmax(x, lo), hi), x first: one
;; maxps and one minps on x64 (f32x4.min/max's rules for NaN and signed zeros cost about 8 instructions
;; each), and a NaN x stays NaN, as PyTorch's relu keeps it; relu(-0) is -0, as PyTorch's too.
;;
;; The micro-kernel keeps a 4x8 block of C in 8 f32x4 registers. Bigger blocks (5x8, 6x8, 4x16)
;; with a separate multiply and add make V8's TurboFan spill accumulators inside the k loop on x64
;; (15 usable xmm registers), and unrolling k makes it hoist the broadcasts and spill too, so the
;; plain build keeps 4x8 with a plain loop. The FMA build (build-wasm.mjs fuses each multiply-add into
;; relaxed SIMD's one-instruction form) also has 6x8 blocks (gemm_b12), which fit on V8 13 and later.
(module
  ;; Shared, so that worker threads can run jobs (the job_* functions at the end) on the same buffers.
  (import "env" "memory" (memory 1 65536 shared))

  ;; C (mp x np) = (acc ? C : 0) + A · B with packed A (panel stride apStride bytes, starting at
  ;; column k0 already applied by the caller) and packed B (k x np). mp is a multiple of 4, np of 8,
  ;; k >= 1. The A panel stays in L1 while the loop over B panels streams the B block from L2.
  ;; Each 4x8 block of C is kept in 8 f32x4 registers over the k loop (the micro-kernel, written
  ;; inline: V8 does not inline calls, and a call per block cost 10-25% on short k). With bias not 0,
  ;; C is the layer's output and each block is written as min(max((C + bias[r]) + res, lo), hi),
  ;; bias pointing at mp row biases and res (0: none) at a residual laid out as C; the sums round as
  ;; copy_out's.
  (func $gemm (export "gemm") (param $ap i32) (param $apStride i32) (param $bp i32) (param $k i32)
        (param $c i32) (param $ldc i32) (param $mp i32) (param $np i32) (param $acc i32)
        (param $bias i32) (param $res i32) (param $lo f32) (param $hi f32)
    (call $gemm_b (local.get $ap) (local.get $apStride) (local.get $bp) (i32.const 32) (i32.shl (local.get $k) (i32.const 5))
      (local.get $k) (local.get $c) (local.get $ldc) (local.get $mp) (local.get $np) (local.get $acc)
      (local.get $bias) (local.get $res) (local.get $lo) (local.get $hi)))

  ;; 1: gemm_b takes rows 12 at a time through gemm_b12. Each instance's own (not in the shared
  ;; memory): simd-backend.ts sets it on the calling thread's and every worker's instance.
  (global $rows12 (export "rows12") (mut i32) (i32.const 0))

  ;; gemm_b with B read in place: the octet of B for step kk of panel j at bp + j/8*bStride + kk*bRow.
  ;; Packed B has bRow 32 and bStride 32 k; the rows of a 1x1 convolution's input (B = inp as (k, P),
  ;; columns p0 .. p0+np-1 all below P) have bRow P*4 and bStride 32, so they need no packing.
  ;; With $rows12 on, whole groups of 12 rows go through gemm_b12 (6x8 blocks) and the rest (4 or 8
  ;; rows) through gemm_b4; else all through gemm_b4.
  (func $gemm_b (param $ap i32) (param $apStride i32) (param $bp i32) (param $bRow i32) (param $bStride i32) (param $k i32)
        (param $c i32) (param $ldc i32) (param $mp i32) (param $np i32) (param $acc i32)
        (param $bias i32) (param $res i32) (param $lo f32) (param $hi f32)
    (local $m12 i32)
    (if (global.get $rows12) (then
      (local.set $m12 (i32.mul (i32.div_u (local.get $mp) (i32.const 12)) (i32.const 12)))
      (if (local.get $m12) (then
        (call $gemm_b12 (local.get $ap) (local.get $apStride) (local.get $bp) (local.get $bRow) (local.get $bStride) (local.get $k)
          (local.get $c) (local.get $ldc) (local.get $m12) (local.get $np) (local.get $acc)
          (local.get $bias) (local.get $res) (local.get $lo) (local.get $hi))
        (local.set $ap (i32.add (local.get $ap) (i32.mul (local.get $apStride) (i32.shr_u (local.get $m12) (i32.const 2)))))
        (local.set $c (i32.add (local.get $c) (i32.mul (local.get $ldc) (local.get $m12))))
        (if (local.get $bias) (then (local.set $bias (i32.add (local.get $bias) (i32.shl (local.get $m12) (i32.const 2))))))
        (if (local.get $res) (then (local.set $res (i32.add (local.get $res) (i32.mul (local.get $ldc) (local.get $m12))))))
        (local.set $mp (i32.sub (local.get $mp) (local.get $m12)))))))
    (if (local.get $mp) (then
      (call $gemm_b4 (local.get $ap) (local.get $apStride) (local.get $bp) (local.get $bRow) (local.get $bStride) (local.get $k)
        (local.get $c) (local.get $ldc) (local.get $mp) (local.get $np) (local.get $acc)
        (local.get $bias) (local.get $res) (local.get $lo) (local.get $hi)))))

  ;; gemm_b for mp a multiple of 12 with 6x8 blocks of C in 12 f32x4 registers: with fused
  ;; multiply-adds the k loop needs 15 (12 + two of B + one broadcast of A), which x64 has, and it
  ;; loads 8 values per 12 multiply-adds instead of 6 per 8. Only the FMA build gains, and only where
  ;; V8 keeps the broadcasts next to their multiply-adds (V8 13, Node 24 and VS Code's Electron: 1.15x
  ;; on ResNet-50's 1x1 convs); V8 11 and 12 load all six first and spill (0.75x), as does a separate
  ;; multiply and add. simd-backend.ts decides. Packed A stays in panels of 4 rows: a
  ;; group of 12 rows is panels p, p+1, p+2, and its two blocks take 4 rows from one panel (X) and 2
  ;; from the middle one (Y): rows 0-3 (X = p) with 4-5 (Y = p+1 rows 0-1), then rows 8-11 (X = p+2)
  ;; with 6-7 (Y = p+1 rows 2-3). The B panel is read by both, the second time from L1.
  (func $gemm_b12 (param $ap i32) (param $apStride i32) (param $bp i32) (param $bRow i32) (param $bStride i32) (param $k i32)
        (param $c i32) (param $ldc i32) (param $mp i32) (param $np i32) (param $acc i32)
        (param $bias i32) (param $res i32) (param $lo f32) (param $hi f32)
    (local $i i32) (local $j i32) (local $h i32) (local $bPanel i32) (local $cBlock i32) (local $rBlock i32)
    (local $xa i32) (local $ya i32) (local $bb i32) (local $kk i32)
    (local $x0 i32) (local $x1 i32) (local $x2 i32) (local $x3 i32) (local $y0 i32) (local $y1 i32)
    (local $xBias i32) (local $yBias i32) (local $rOff i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $c40 v128) (local $c41 v128) (local $c50 v128) (local $c51 v128)
    (local $b0 v128) (local $b1 v128) (local $av v128)
    (block $i_done (loop $i_loop
      (br_if $i_done (i32.ge_u (local.get $i) (local.get $mp)))
      (local.set $bPanel (local.get $bp))
      (local.set $cBlock (local.get $c))
      (local.set $rBlock (local.get $res))
      (local.set $j (i32.const 0))
      (block $j_done (loop $j_loop
        (br_if $j_done (i32.ge_u (local.get $j) (local.get $np)))
        (local.set $h (i32.const 0))
        (loop $h_loop
          ;; Block h: its A rows (X: 4 rows, Y: 2 rows), its rows of C and its biases.
          (local.set $xa (select (i32.add (local.get $ap) (i32.shl (local.get $apStride) (i32.const 1))) (local.get $ap) (local.get $h)))
          (local.set $ya (i32.add (i32.add (local.get $ap) (local.get $apStride)) (i32.shl (local.get $h) (i32.const 3))))
          (local.set $x0 (i32.add (local.get $cBlock) (i32.mul (local.get $ldc) (i32.shl (local.get $h) (i32.const 3)))))
          (local.set $x1 (i32.add (local.get $x0) (local.get $ldc)))
          (local.set $x2 (i32.add (local.get $x1) (local.get $ldc)))
          (local.set $x3 (i32.add (local.get $x2) (local.get $ldc)))
          (local.set $y0 (i32.add (local.get $cBlock) (i32.mul (local.get $ldc) (i32.add (i32.const 4) (i32.shl (local.get $h) (i32.const 1))))))
          (local.set $y1 (i32.add (local.get $y0) (local.get $ldc)))
          (local.set $xBias (i32.add (local.get $bias) (i32.shl (local.get $h) (i32.const 5))))
          (local.set $yBias (i32.add (local.get $bias) (i32.add (i32.const 16) (i32.shl (local.get $h) (i32.const 3)))))
          (local.set $bb (local.get $bPanel))
          (local.set $kk (local.get $k))
          (if (local.get $acc) (then
            (local.set $c00 (v128.load (local.get $x0)))
            (local.set $c01 (v128.load offset=16 (local.get $x0)))
            (local.set $c10 (v128.load (local.get $x1)))
            (local.set $c11 (v128.load offset=16 (local.get $x1)))
            (local.set $c20 (v128.load (local.get $x2)))
            (local.set $c21 (v128.load offset=16 (local.get $x2)))
            (local.set $c30 (v128.load (local.get $x3)))
            (local.set $c31 (v128.load offset=16 (local.get $x3)))
            (local.set $c40 (v128.load (local.get $y0)))
            (local.set $c41 (v128.load offset=16 (local.get $y0)))
            (local.set $c50 (v128.load (local.get $y1)))
            (local.set $c51 (v128.load offset=16 (local.get $y1))))
            (else
              (local.set $c00 (v128.const i32x4 0 0 0 0))
              (local.set $c01 (v128.const i32x4 0 0 0 0))
              (local.set $c10 (v128.const i32x4 0 0 0 0))
              (local.set $c11 (v128.const i32x4 0 0 0 0))
              (local.set $c20 (v128.const i32x4 0 0 0 0))
              (local.set $c21 (v128.const i32x4 0 0 0 0))
              (local.set $c30 (v128.const i32x4 0 0 0 0))
              (local.set $c31 (v128.const i32x4 0 0 0 0))
              (local.set $c40 (v128.const i32x4 0 0 0 0))
              (local.set $c41 (v128.const i32x4 0 0 0 0))
              (local.set $c50 (v128.const i32x4 0 0 0 0))
              (local.set $c51 (v128.const i32x4 0 0 0 0))))
          (loop $k_loop
            (local.set $b0 (v128.load (local.get $bb)))
            (local.set $b1 (v128.load offset=16 (local.get $bb)))
            (local.set $av (v128.load32_splat (local.get $xa)))
            (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $av) (local.get $b0))))
            (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $av) (local.get $b1))))
            (local.set $av (v128.load32_splat offset=4 (local.get $xa)))
            (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $av) (local.get $b0))))
            (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $av) (local.get $b1))))
            (local.set $av (v128.load32_splat offset=8 (local.get $xa)))
            (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $av) (local.get $b0))))
            (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $av) (local.get $b1))))
            (local.set $av (v128.load32_splat offset=12 (local.get $xa)))
            (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $av) (local.get $b0))))
            (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $av) (local.get $b1))))
            (local.set $av (v128.load32_splat (local.get $ya)))
            (local.set $c40 (f32x4.add (local.get $c40) (f32x4.mul (local.get $av) (local.get $b0))))
            (local.set $c41 (f32x4.add (local.get $c41) (f32x4.mul (local.get $av) (local.get $b1))))
            (local.set $av (v128.load32_splat offset=4 (local.get $ya)))
            (local.set $c50 (f32x4.add (local.get $c50) (f32x4.mul (local.get $av) (local.get $b0))))
            (local.set $c51 (f32x4.add (local.get $c51) (f32x4.mul (local.get $av) (local.get $b1))))
            (local.set $xa (i32.add (local.get $xa) (i32.const 16)))
            (local.set $ya (i32.add (local.get $ya) (i32.const 16)))
            (local.set $bb (i32.add (local.get $bb) (local.get $bRow)))
            (br_if $k_loop (local.tee $kk (i32.sub (local.get $kk) (i32.const 1)))))
          (if (local.get $bias) (then
            (local.set $av (v128.load32_splat (local.get $xBias)))
            (local.set $c00 (f32x4.add (local.get $c00) (local.get $av)))
            (local.set $c01 (f32x4.add (local.get $c01) (local.get $av)))
            (local.set $av (v128.load32_splat offset=4 (local.get $xBias)))
            (local.set $c10 (f32x4.add (local.get $c10) (local.get $av)))
            (local.set $c11 (f32x4.add (local.get $c11) (local.get $av)))
            (local.set $av (v128.load32_splat offset=8 (local.get $xBias)))
            (local.set $c20 (f32x4.add (local.get $c20) (local.get $av)))
            (local.set $c21 (f32x4.add (local.get $c21) (local.get $av)))
            (local.set $av (v128.load32_splat offset=12 (local.get $xBias)))
            (local.set $c30 (f32x4.add (local.get $c30) (local.get $av)))
            (local.set $c31 (f32x4.add (local.get $c31) (local.get $av)))
            (local.set $av (v128.load32_splat (local.get $yBias)))
            (local.set $c40 (f32x4.add (local.get $c40) (local.get $av)))
            (local.set $c41 (f32x4.add (local.get $c41) (local.get $av)))
            (local.set $av (v128.load32_splat offset=4 (local.get $yBias)))
            (local.set $c50 (f32x4.add (local.get $c50) (local.get $av)))
            (local.set $c51 (f32x4.add (local.get $c51) (local.get $av)))
            (if (local.get $rBlock) (then
              ;; The residual is laid out as C: the same offsets from rBlock as the rows from cBlock.
              (local.set $rOff (i32.sub (local.get $rBlock) (local.get $cBlock)))
              (local.set $c00 (f32x4.add (local.get $c00) (v128.load (i32.add (local.get $x0) (local.get $rOff)))))
              (local.set $c01 (f32x4.add (local.get $c01) (v128.load offset=16 (i32.add (local.get $x0) (local.get $rOff)))))
              (local.set $c10 (f32x4.add (local.get $c10) (v128.load (i32.add (local.get $x1) (local.get $rOff)))))
              (local.set $c11 (f32x4.add (local.get $c11) (v128.load offset=16 (i32.add (local.get $x1) (local.get $rOff)))))
              (local.set $c20 (f32x4.add (local.get $c20) (v128.load (i32.add (local.get $x2) (local.get $rOff)))))
              (local.set $c21 (f32x4.add (local.get $c21) (v128.load offset=16 (i32.add (local.get $x2) (local.get $rOff)))))
              (local.set $c30 (f32x4.add (local.get $c30) (v128.load (i32.add (local.get $x3) (local.get $rOff)))))
              (local.set $c31 (f32x4.add (local.get $c31) (v128.load offset=16 (i32.add (local.get $x3) (local.get $rOff)))))
              (local.set $c40 (f32x4.add (local.get $c40) (v128.load (i32.add (local.get $y0) (local.get $rOff)))))
              (local.set $c41 (f32x4.add (local.get $c41) (v128.load offset=16 (i32.add (local.get $y0) (local.get $rOff)))))
              (local.set $c50 (f32x4.add (local.get $c50) (v128.load (i32.add (local.get $y1) (local.get $rOff)))))
              (local.set $c51 (f32x4.add (local.get $c51) (v128.load offset=16 (i32.add (local.get $y1) (local.get $rOff)))))))
            (local.set $b0 (f32x4.splat (local.get $lo)))
            (local.set $b1 (f32x4.splat (local.get $hi)))
            (local.set $c00 (f32x4.pmin (f32x4.pmax (local.get $c00) (local.get $b0)) (local.get $b1)))
            (local.set $c01 (f32x4.pmin (f32x4.pmax (local.get $c01) (local.get $b0)) (local.get $b1)))
            (local.set $c10 (f32x4.pmin (f32x4.pmax (local.get $c10) (local.get $b0)) (local.get $b1)))
            (local.set $c11 (f32x4.pmin (f32x4.pmax (local.get $c11) (local.get $b0)) (local.get $b1)))
            (local.set $c20 (f32x4.pmin (f32x4.pmax (local.get $c20) (local.get $b0)) (local.get $b1)))
            (local.set $c21 (f32x4.pmin (f32x4.pmax (local.get $c21) (local.get $b0)) (local.get $b1)))
            (local.set $c30 (f32x4.pmin (f32x4.pmax (local.get $c30) (local.get $b0)) (local.get $b1)))
            (local.set $c31 (f32x4.pmin (f32x4.pmax (local.get $c31) (local.get $b0)) (local.get $b1)))
            (local.set $c40 (f32x4.pmin (f32x4.pmax (local.get $c40) (local.get $b0)) (local.get $b1)))
            (local.set $c41 (f32x4.pmin (f32x4.pmax (local.get $c41) (local.get $b0)) (local.get $b1)))
            (local.set $c50 (f32x4.pmin (f32x4.pmax (local.get $c50) (local.get $b0)) (local.get $b1)))
            (local.set $c51 (f32x4.pmin (f32x4.pmax (local.get $c51) (local.get $b0)) (local.get $b1)))))
          (v128.store (local.get $x0) (local.get $c00))
          (v128.store offset=16 (local.get $x0) (local.get $c01))
          (v128.store (local.get $x1) (local.get $c10))
          (v128.store offset=16 (local.get $x1) (local.get $c11))
          (v128.store (local.get $x2) (local.get $c20))
          (v128.store offset=16 (local.get $x2) (local.get $c21))
          (v128.store (local.get $x3) (local.get $c30))
          (v128.store offset=16 (local.get $x3) (local.get $c31))
          (v128.store (local.get $y0) (local.get $c40))
          (v128.store offset=16 (local.get $y0) (local.get $c41))
          (v128.store (local.get $y1) (local.get $c50))
          (v128.store offset=16 (local.get $y1) (local.get $c51))
          (local.set $h (i32.add (local.get $h) (i32.const 1)))
          (br_if $h_loop (i32.lt_u (local.get $h) (i32.const 2))))
        (local.set $bPanel (i32.add (local.get $bPanel) (local.get $bStride)))
        (local.set $cBlock (i32.add (local.get $cBlock) (i32.const 32)))
        (if (local.get $res) (then (local.set $rBlock (i32.add (local.get $rBlock) (i32.const 32)))))
        (local.set $j (i32.add (local.get $j) (i32.const 8)))
        (br $j_loop)))
      (local.set $ap (i32.add (local.get $ap) (i32.mul (local.get $apStride) (i32.const 3))))
      (local.set $c (i32.add (local.get $c) (i32.mul (local.get $ldc) (i32.const 12))))
      (if (local.get $bias) (then (local.set $bias (i32.add (local.get $bias) (i32.const 48)))))
      (if (local.get $res) (then (local.set $res (i32.add (local.get $res) (i32.mul (local.get $ldc) (i32.const 12))))))
      (local.set $i (i32.add (local.get $i) (i32.const 12)))
      (br $i_loop))))

  ;; gemm_b in 4x8 blocks (any mp, a multiple of 4).
  (func $gemm_b4 (param $ap i32) (param $apStride i32) (param $bp i32) (param $bRow i32) (param $bStride i32) (param $k i32)
        (param $c i32) (param $ldc i32) (param $mp i32) (param $np i32) (param $acc i32)
        (param $bias i32) (param $res i32) (param $lo f32) (param $hi f32)
    (local $i i32) (local $j i32) (local $bPanel i32) (local $cBlock i32) (local $rBlock i32)
    (local $aa i32) (local $bb i32) (local $kk i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128) (local $av v128)
    (local $c1 i32) (local $c2 i32) (local $c3 i32) (local $r1 i32) (local $r2 i32) (local $r3 i32)
    (block $i_done (loop $i_loop
      (br_if $i_done (i32.ge_u (local.get $i) (local.get $mp)))
      (local.set $bPanel (local.get $bp))
      (local.set $cBlock (local.get $c))
      (local.set $rBlock (local.get $res))
      (local.set $j (i32.const 0))
      (block $j_done (loop $j_loop
        (br_if $j_done (i32.ge_u (local.get $j) (local.get $np)))
        (local.set $aa (local.get $ap))
        (local.set $bb (local.get $bPanel))
        (local.set $kk (local.get $k))
        (local.set $c1 (i32.add (local.get $cBlock) (local.get $ldc)))
        (local.set $c2 (i32.add (local.get $c1) (local.get $ldc)))
        (local.set $c3 (i32.add (local.get $c2) (local.get $ldc)))
        (if (local.get $acc) (then
          (local.set $c00 (v128.load (local.get $cBlock)))
          (local.set $c01 (v128.load offset=16 (local.get $cBlock)))
          (local.set $c10 (v128.load (local.get $c1)))
          (local.set $c11 (v128.load offset=16 (local.get $c1)))
          (local.set $c20 (v128.load (local.get $c2)))
          (local.set $c21 (v128.load offset=16 (local.get $c2)))
          (local.set $c30 (v128.load (local.get $c3)))
          (local.set $c31 (v128.load offset=16 (local.get $c3))))
          (else
            (local.set $c00 (v128.const i32x4 0 0 0 0))
            (local.set $c01 (v128.const i32x4 0 0 0 0))
            (local.set $c10 (v128.const i32x4 0 0 0 0))
            (local.set $c11 (v128.const i32x4 0 0 0 0))
            (local.set $c20 (v128.const i32x4 0 0 0 0))
            (local.set $c21 (v128.const i32x4 0 0 0 0))
            (local.set $c30 (v128.const i32x4 0 0 0 0))
            (local.set $c31 (v128.const i32x4 0 0 0 0))))
        (loop $k_loop
          (local.set $b0 (v128.load (local.get $bb)))
          (local.set $b1 (v128.load offset=16 (local.get $bb)))
          (local.set $av (v128.load32_splat (local.get $aa)))
          (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $av) (local.get $b0))))
          (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $av) (local.get $b1))))
          (local.set $av (v128.load32_splat offset=4 (local.get $aa)))
          (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $av) (local.get $b0))))
          (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $av) (local.get $b1))))
          (local.set $av (v128.load32_splat offset=8 (local.get $aa)))
          (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $av) (local.get $b0))))
          (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $av) (local.get $b1))))
          (local.set $av (v128.load32_splat offset=12 (local.get $aa)))
          (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $av) (local.get $b0))))
          (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $av) (local.get $b1))))
          (local.set $aa (i32.add (local.get $aa) (i32.const 16)))
          (local.set $bb (i32.add (local.get $bb) (local.get $bRow)))
          (br_if $k_loop (local.tee $kk (i32.sub (local.get $kk) (i32.const 1)))))
        (if (local.get $bias) (then
          (local.set $av (v128.load32_splat (local.get $bias)))
          (local.set $c00 (f32x4.add (local.get $c00) (local.get $av)))
          (local.set $c01 (f32x4.add (local.get $c01) (local.get $av)))
          (local.set $av (v128.load32_splat offset=4 (local.get $bias)))
          (local.set $c10 (f32x4.add (local.get $c10) (local.get $av)))
          (local.set $c11 (f32x4.add (local.get $c11) (local.get $av)))
          (local.set $av (v128.load32_splat offset=8 (local.get $bias)))
          (local.set $c20 (f32x4.add (local.get $c20) (local.get $av)))
          (local.set $c21 (f32x4.add (local.get $c21) (local.get $av)))
          (local.set $av (v128.load32_splat offset=12 (local.get $bias)))
          (local.set $c30 (f32x4.add (local.get $c30) (local.get $av)))
          (local.set $c31 (f32x4.add (local.get $c31) (local.get $av)))
          (if (local.get $rBlock) (then
            (local.set $r1 (i32.add (local.get $rBlock) (local.get $ldc)))
            (local.set $r2 (i32.add (local.get $r1) (local.get $ldc)))
            (local.set $r3 (i32.add (local.get $r2) (local.get $ldc)))
            (local.set $c00 (f32x4.add (local.get $c00) (v128.load (local.get $rBlock))))
            (local.set $c01 (f32x4.add (local.get $c01) (v128.load offset=16 (local.get $rBlock))))
            (local.set $c10 (f32x4.add (local.get $c10) (v128.load (local.get $r1))))
            (local.set $c11 (f32x4.add (local.get $c11) (v128.load offset=16 (local.get $r1))))
            (local.set $c20 (f32x4.add (local.get $c20) (v128.load (local.get $r2))))
            (local.set $c21 (f32x4.add (local.get $c21) (v128.load offset=16 (local.get $r2))))
            (local.set $c30 (f32x4.add (local.get $c30) (v128.load (local.get $r3))))
            (local.set $c31 (f32x4.add (local.get $c31) (v128.load offset=16 (local.get $r3))))))
          (local.set $b0 (f32x4.splat (local.get $lo)))
          (local.set $b1 (f32x4.splat (local.get $hi)))
          (local.set $c00 (f32x4.pmin (f32x4.pmax (local.get $c00) (local.get $b0)) (local.get $b1)))
          (local.set $c01 (f32x4.pmin (f32x4.pmax (local.get $c01) (local.get $b0)) (local.get $b1)))
          (local.set $c10 (f32x4.pmin (f32x4.pmax (local.get $c10) (local.get $b0)) (local.get $b1)))
          (local.set $c11 (f32x4.pmin (f32x4.pmax (local.get $c11) (local.get $b0)) (local.get $b1)))
          (local.set $c20 (f32x4.pmin (f32x4.pmax (local.get $c20) (local.get $b0)) (local.get $b1)))
          (local.set $c21 (f32x4.pmin (f32x4.pmax (local.get $c21) (local.get $b0)) (local.get $b1)))
          (local.set $c30 (f32x4.pmin (f32x4.pmax (local.get $c30) (local.get $b0)) (local.get $b1)))
          (local.set $c31 (f32x4.pmin (f32x4.pmax (local.get $c31) (local.get $b0)) (local.get $b1)))))
        (v128.store (local.get $cBlock) (local.get $c00))
        (v128.store offset=16 (local.get $cBlock) (local.get $c01))
        (v128.store (local.get $c1) (local.get $c10))
        (v128.store offset=16 (local.get $c1) (local.get $c11))
        (v128.store (local.get $c2) (local.get $c20))
        (v128.store offset=16 (local.get $c2) (local.get $c21))
        (v128.store (local.get $c3) (local.get $c30))
        (v128.store offset=16 (local.get $c3) (local.get $c31))
        (local.set $bPanel (i32.add (local.get $bPanel) (local.get $bStride)))
        (local.set $cBlock (i32.add (local.get $cBlock) (i32.const 32)))
        (if (local.get $res) (then (local.set $rBlock (i32.add (local.get $rBlock) (i32.const 32)))))
        (local.set $j (i32.add (local.get $j) (i32.const 8)))
        (br $j_loop)))
      (local.set $ap (i32.add (local.get $ap) (local.get $apStride)))
      (local.set $c (i32.add (local.get $c) (i32.shl (local.get $ldc) (i32.const 2))))
      (if (local.get $bias) (then (local.set $bias (i32.add (local.get $bias) (i32.const 16)))))
      (if (local.get $res) (then (local.set $res (i32.add (local.get $res) (i32.shl (local.get $ldc) (i32.const 2))))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $i_loop))))

  ;; Packs a row-major matrix W (rows x k, row stride k floats) into packed-A panels at ap, with
  ;; rows up to mp (a multiple of 4) zero-filled.
  (func $pack_a (export "pack_a") (param $w i32) (param $rows i32) (param $k i32) (param $ap i32) (param $mp i32)
    (local $i i32) (local $kk i32) (local $src i32) (local $dst i32)
    (block $i_done (loop $i_loop
      (br_if $i_done (i32.ge_u (local.get $i) (local.get $mp)))
      ;; dst walks panel (i/4) at lane (i%4); src walks row i.
      (local.set $dst (i32.add (local.get $ap)
        (i32.add (i32.mul (i32.shr_u (local.get $i) (i32.const 2)) (i32.shl (local.get $k) (i32.const 4)))
                 (i32.shl (i32.and (local.get $i) (i32.const 3)) (i32.const 2)))))
      (local.set $src (i32.add (local.get $w) (i32.shl (i32.mul (local.get $i) (local.get $k)) (i32.const 2))))
      (local.set $kk (i32.const 0))
      (block $k_done (loop $k_loop
        (br_if $k_done (i32.ge_u (local.get $kk) (local.get $k)))
        (f32.store (local.get $dst)
          (if (result f32) (i32.lt_u (local.get $i) (local.get $rows))
            (then (f32.load (local.get $src))) (else (f32.const 0))))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (local.set $kk (i32.add (local.get $kk) (i32.const 1)))
        (br $k_loop)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $i_loop))))

  ;; Packs columns p0 .. p0+nc-1 (nc a multiple of 8) of B = inp viewed as (k, P) row-major
  ;; (a 1x1 stride-1 unpadded convolution) into packed-B panels; columns >= P are zero.
  (func $pack_b_rows (export "pack_b_rows") (param $src i32) (param $P i32) (param $k i32)
        (param $p0 i32) (param $nc i32) (param $bp i32)
    (local $kk i32) (local $pp i32) (local $p i32) (local $row i32) (local $dst i32) (local $l i32)
    (local $panelStride i32)
    (local.set $panelStride (i32.shl (local.get $k) (i32.const 5)))
    (block $k_done (loop $k_loop
      (br_if $k_done (i32.ge_u (local.get $kk) (local.get $k)))
      (local.set $row (i32.add (local.get $src) (i32.shl (i32.mul (local.get $kk) (local.get $P)) (i32.const 2))))
      (local.set $dst (i32.add (local.get $bp) (i32.shl (local.get $kk) (i32.const 5))))
      (local.set $pp (i32.const 0))
      (block $p_done (loop $p_loop
        (br_if $p_done (i32.ge_u (local.get $pp) (local.get $nc)))
        (local.set $p (i32.add (local.get $p0) (local.get $pp)))
        (if (i32.le_u (i32.add (local.get $p) (i32.const 8)) (local.get $P))
          (then
            (v128.store (local.get $dst)
              (v128.load (i32.add (local.get $row) (i32.shl (local.get $p) (i32.const 2)))))
            (v128.store offset=16 (local.get $dst)
              (v128.load offset=16 (i32.add (local.get $row) (i32.shl (local.get $p) (i32.const 2))))))
          (else
            (local.set $l (i32.const 0))
            (loop $l_loop
              (f32.store (i32.add (local.get $dst) (i32.shl (local.get $l) (i32.const 2)))
                (if (result f32) (i32.lt_u (i32.add (local.get $p) (local.get $l)) (local.get $P))
                  (then (f32.load (i32.add (local.get $row)
                          (i32.shl (i32.add (local.get $p) (local.get $l)) (i32.const 2)))))
                  (else (f32.const 0))))
              (br_if $l_loop (i32.lt_u (local.tee $l (i32.add (local.get $l) (i32.const 1))) (i32.const 8))))))
        (local.set $dst (i32.add (local.get $dst) (local.get $panelStride)))
        (local.set $pp (i32.add (local.get $pp) (i32.const 8)))
        (br $p_loop)))
      (local.set $kk (i32.add (local.get $kk) (i32.const 1)))
      (br $k_loop))))

  ;; im2col fused with B packing for a general convolution of one group: rows k0 .. k0+kc-1 of
  ;; col (k = (c*kH + ky)*kW + kx) and columns p0 .. p0+nc-1 (p = oy*Wo + ox; p0 and nc multiples
  ;; of 8), col[k][p] = inp[c][oy*sH - pH + ky*dH][ox*sW - pW + kx*dW], zero outside the image or
  ;; past P. geo points at 12 i32: H, W, kH, kW, sH, sW, pH, pW, dH, dW, Wo, P.
  ;; Each octet of columns is one row of a packed panel. When its 8 pixels are consecutive input
  ;; pixels (stride 1, one output row, inside the image) it is two vector copies, every other input
  ;; pixel (stride 2) four loads and two shuffles; otherwise it is gathered lane by lane.
  (func $pack_b_im2col (export "pack_b_im2col") (param $src i32) (param $geo i32)
        (param $p0 i32) (param $nc i32) (param $k0 i32) (param $kc i32) (param $bp i32)
    (local $H i32) (local $W i32) (local $kH i32) (local $kW i32) (local $sH i32) (local $sW i32)
    (local $pH i32) (local $pW i32) (local $dH i32) (local $dW i32) (local $Wo i32) (local $P i32)
    (local $kk i32) (local $k i32) (local $kArea i32) (local $r i32) (local $chan i32)
    (local $offY i32) (local $offX i32) (local $oy i32) (local $ox i32) (local $pp i32)
    (local $ly i32) (local $lx i32) (local $l i32) (local $iy i32) (local $ix i32)
    (local $dst i32) (local $panelStride i32) (local $val f32) (local $va v128) (local $vb v128)
    (local.set $H (i32.load offset=0 (local.get $geo)))
    (local.set $W (i32.load offset=4 (local.get $geo)))
    (local.set $kH (i32.load offset=8 (local.get $geo)))
    (local.set $kW (i32.load offset=12 (local.get $geo)))
    (local.set $sH (i32.load offset=16 (local.get $geo)))
    (local.set $sW (i32.load offset=20 (local.get $geo)))
    (local.set $pH (i32.load offset=24 (local.get $geo)))
    (local.set $pW (i32.load offset=28 (local.get $geo)))
    (local.set $dH (i32.load offset=32 (local.get $geo)))
    (local.set $dW (i32.load offset=36 (local.get $geo)))
    (local.set $Wo (i32.load offset=40 (local.get $geo)))
    (local.set $P (i32.load offset=44 (local.get $geo)))
    (local.set $kArea (i32.mul (local.get $kH) (local.get $kW)))
    (local.set $panelStride (i32.shl (local.get $kc) (i32.const 5)))
    (block $k_done (loop $k_loop
      (br_if $k_done (i32.ge_u (local.get $kk) (local.get $kc)))
      (local.set $k (i32.add (local.get $k0) (local.get $kk)))
      (local.set $r (i32.rem_u (local.get $k) (local.get $kArea)))
      (local.set $chan (i32.add (local.get $src)
        (i32.shl (i32.mul (i32.div_u (local.get $k) (local.get $kArea)) (i32.mul (local.get $H) (local.get $W)))
                 (i32.const 2))))
      (local.set $offY (i32.sub (i32.mul (i32.div_u (local.get $r) (local.get $kW)) (local.get $dH)) (local.get $pH)))
      (local.set $offX (i32.sub (i32.mul (i32.rem_u (local.get $r) (local.get $kW)) (local.get $dW)) (local.get $pW)))
      ;; (oy, ox) is the output pixel of column p0 + pp, the first of the octet.
      (local.set $oy (i32.div_u (local.get $p0) (local.get $Wo)))
      (local.set $ox (i32.rem_u (local.get $p0) (local.get $Wo)))
      (local.set $dst (i32.add (local.get $bp) (i32.shl (local.get $kk) (i32.const 5))))
      (local.set $pp (i32.const 0))
      (block $p_done (loop $p_loop
        (br_if $p_done (i32.ge_u (local.get $pp) (local.get $nc)))
        (local.set $iy (i32.add (i32.mul (local.get $oy) (local.get $sH)) (local.get $offY)))
        (local.set $ix (i32.add (local.get $ox) (local.get $offX)))
        (if (i32.and
              (i32.and (i32.eq (local.get $sW) (i32.const 1))
                       (i32.le_u (i32.add (i32.add (local.get $p0) (local.get $pp)) (i32.const 8)) (local.get $P)))
              (i32.and (i32.le_u (i32.add (local.get $ox) (i32.const 8)) (local.get $Wo))
                       (i32.and (i32.lt_u (local.get $iy) (local.get $H))
                                (i32.and (i32.ge_s (local.get $ix) (i32.const 0))
                                         (i32.le_s (i32.add (local.get $ix) (i32.const 8)) (local.get $W))))))
          (then
            (local.set $l (i32.add (local.get $chan)
              (i32.shl (i32.add (i32.mul (local.get $iy) (local.get $W)) (local.get $ix)) (i32.const 2))))
            (v128.store (local.get $dst) (v128.load (local.get $l)))
            (v128.store offset=16 (local.get $dst) (v128.load offset=16 (local.get $l))))
          (else
           ;; lx: the input column of the octet's first pixel at stride 2.
           (local.set $lx (i32.add (i32.shl (local.get $ox) (i32.const 1)) (local.get $offX)))
           (if (i32.and
              (i32.and (i32.eq (local.get $sW) (i32.const 2))
                       (i32.le_u (i32.add (i32.add (local.get $p0) (local.get $pp)) (i32.const 8)) (local.get $P)))
              (i32.and (i32.le_u (i32.add (local.get $ox) (i32.const 8)) (local.get $Wo))
                       (i32.and (i32.lt_u (local.get $iy) (local.get $H))
                                (i32.and (i32.ge_s (local.get $lx) (i32.const 0))
                                         (i32.le_s (i32.add (local.get $lx) (i32.const 15)) (local.get $W))))))
          (then
            ;; Stride 2: the octet's pixels are the even ones of 16 consecutive inputs (the 16th, past
            ;; the last one used, may be the next row's first: it is loaded and dropped).
            (local.set $l (i32.add (local.get $chan)
              (i32.shl (i32.add (i32.mul (local.get $iy) (local.get $W)) (local.get $lx)) (i32.const 2))))
            (local.set $va (v128.load (local.get $l)))
            (local.set $vb (v128.load offset=16 (local.get $l)))
            (v128.store (local.get $dst)
              (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $va) (local.get $vb)))
            (local.set $va (v128.load offset=32 (local.get $l)))
            (local.set $vb (v128.load offset=48 (local.get $l)))
            (v128.store offset=16 (local.get $dst)
              (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $va) (local.get $vb))))
          (else
            ;; Lane by lane, (ly, lx) walking the output pixels of the octet.
            (local.set $ly (local.get $oy))
            (local.set $lx (local.get $ox))
            (local.set $l (i32.const 0))
            (loop $l_loop
              (local.set $val (f32.const 0))
              (if (i32.lt_u (i32.add (i32.add (local.get $p0) (local.get $pp)) (local.get $l)) (local.get $P)) (then
                (local.set $iy (i32.add (i32.mul (local.get $ly) (local.get $sH)) (local.get $offY)))
                (local.set $ix (i32.add (i32.mul (local.get $lx) (local.get $sW)) (local.get $offX)))
                ;; Unsigned compares also reject negative coordinates (the zero padding).
                (if (i32.and (i32.lt_u (local.get $iy) (local.get $H)) (i32.lt_u (local.get $ix) (local.get $W)))
                  (then (local.set $val (f32.load (i32.add (local.get $chan)
                    (i32.shl (i32.add (i32.mul (local.get $iy) (local.get $W)) (local.get $ix)) (i32.const 2)))))))))
              (f32.store (i32.add (local.get $dst) (i32.shl (local.get $l) (i32.const 2))) (local.get $val))
              (local.set $lx (i32.add (local.get $lx) (i32.const 1)))
              (if (i32.eq (local.get $lx) (local.get $Wo)) (then
                (local.set $lx (i32.const 0))
                (local.set $ly (i32.add (local.get $ly) (i32.const 1)))))
              (br_if $l_loop (i32.lt_u (local.tee $l (i32.add (local.get $l) (i32.const 1))) (i32.const 8))))))))
        ;; Advance (oy, ox) by 8 pixels; a row narrower than 8 wraps more than once.
        (local.set $ox (i32.add (local.get $ox) (i32.const 8)))
        (block $wrapped (loop $wrap
          (br_if $wrapped (i32.lt_u (local.get $ox) (local.get $Wo)))
          (local.set $ox (i32.sub (local.get $ox) (local.get $Wo)))
          (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
          (br $wrap)))
        (local.set $dst (i32.add (local.get $dst) (local.get $panelStride)))
        (local.set $pp (i32.add (local.get $pp) (i32.const 8)))
        (br $p_loop)))
      (local.set $kk (i32.add (local.get $kk) (i32.const 1)))
      (br $k_loop))))

  ;; dst[r][j] = min(max(c[r][j] + bias[r] (+ res[r][j]), lo), hi) for r < rows, j < cols: copies the
  ;; real part of a padded GEMM result (row stride ldc bytes) into an output with row stride ldd bytes,
  ;; with a fused residual add when res is not 0 (res has dst's layout; the sum rounds as
  ;; (c + bias) + res, as an unfused add would) and the fused activation's clamp (lo = -inf, hi = +inf
  ;; for none).
  (func $copy_out (export "copy_out") (param $c i32) (param $ldc i32) (param $dst i32) (param $ldd i32)
        (param $rows i32) (param $cols i32) (param $bias i32) (param $lo f32) (param $hi f32) (param $res i32)
    (local $r i32) (local $j i32) (local $b f32) (local $bv v128) (local $cols4 i32) (local $vlo v128) (local $vhi v128)
    (local $at i32)
    (local.set $vlo (f32x4.splat (local.get $lo)))
    (local.set $vhi (f32x4.splat (local.get $hi)))
    (local.set $cols4 (i32.and (local.get $cols) (i32.const -4)))
    (block $r_done (loop $r_loop
      (br_if $r_done (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $b (f32.load (i32.add (local.get $bias) (i32.shl (local.get $r) (i32.const 2)))))
      (local.set $bv (f32x4.splat (local.get $b)))
      (local.set $j (i32.const 0))
      (if (local.get $res)
        (then
          (block $rv_done (loop $rv_loop
            (br_if $rv_done (i32.ge_u (local.get $j) (local.get $cols4)))
            (local.set $at (i32.shl (local.get $j) (i32.const 2)))
            (v128.store (i32.add (local.get $dst) (local.get $at))
              (f32x4.pmin (f32x4.pmax
                (f32x4.add (f32x4.add (v128.load (i32.add (local.get $c) (local.get $at))) (local.get $bv))
                           (v128.load (i32.add (local.get $res) (local.get $at))))
                (local.get $vlo)) (local.get $vhi)))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $rv_loop)))
          (block $rs_done (loop $rs_loop
            (br_if $rs_done (i32.ge_u (local.get $j) (local.get $cols)))
            (local.set $at (i32.shl (local.get $j) (i32.const 2)))
            (f32.store (i32.add (local.get $dst) (local.get $at))
              (f32.min (f32.max
                (f32.add (f32.add (f32.load (i32.add (local.get $c) (local.get $at))) (local.get $b))
                         (f32.load (i32.add (local.get $res) (local.get $at))))
                (local.get $lo)) (local.get $hi)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $rs_loop)))
          (local.set $res (i32.add (local.get $res) (local.get $ldd)))))
      (block $v_done (loop $v_loop
        (br_if $v_done (i32.ge_u (local.get $j) (local.get $cols4)))
        (v128.store (i32.add (local.get $dst) (i32.shl (local.get $j) (i32.const 2)))
          (f32x4.pmin (f32x4.pmax (f32x4.add (v128.load (i32.add (local.get $c) (i32.shl (local.get $j) (i32.const 2)))) (local.get $bv))
            (local.get $vlo)) (local.get $vhi)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $v_loop)))
      (block $s_done (loop $s_loop
        (br_if $s_done (i32.ge_u (local.get $j) (local.get $cols)))
        (f32.store (i32.add (local.get $dst) (i32.shl (local.get $j) (i32.const 2)))
          (f32.min (f32.max (f32.add (f32.load (i32.add (local.get $c) (i32.shl (local.get $j) (i32.const 2)))) (local.get $b))
            (local.get $lo)) (local.get $hi)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $s_loop)))
      (local.set $c (i32.add (local.get $c) (local.get $ldc)))
      (local.set $dst (i32.add (local.get $dst) (local.get $ldd)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $r_loop))))

  ;; ---------------------------------------------------------------------------------------------
  ;; Winograd F(2x2, 3x3) (Lavin & Gray 2015). With a 3x3 filter g and a 4x4 input tile d, the 2x2
  ;; output tile is Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A, where
  ;;   Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],  G = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1],
  ;;   Aᵀ = [1 1 1 0; 0 1 -1 -1].
  ;; Summed over input channels, each of the 16 positions ξ of the ⊙ is one GEMM:
  ;;   M_ξ (Cout x tiles) = U_ξ (Cout x Cin) · V_ξ (Cin x tiles).
  ;; The filter transform writes U_ξ as packed A; the input transform writes V_ξ as packed B; the
  ;; output transform reads M_ξ as the GEMM left it. Each f32x4 lane holds one of 4 output channels
  ;; (filter transform) or one of 4 neighbouring tiles (input and output transforms).
  ;; ---------------------------------------------------------------------------------------------

  ;; U_ξ = G g Gᵀ for every (co, ci), written as packed A: U + ξ*uXi + (co/4)*cin*16 + ci*16 + (co%4)*4,
  ;; with uXi >= coutp*cin*4 (not a multiple of 4 KB: the 16 stores of one step would share an L1
  ;; set). Rows co >= cout repeat row cout-1 (the GEMM computes them, nothing reads them back).
  ;; w is (cout, cin, 3, 3). Lane l of every vector below belongs to output channel 4*cp + l.
  ;; Only panels cpStart .. cpEnd-1 (4 channels each) are written, so threads can share the work.
  (func $wino_filter (export "wino_filter") (param $w i32) (param $cout i32) (param $cin i32)
        (param $u i32) (param $uXi i32) (param $cpStart i32) (param $cpEnd i32)
    (local $cp i32) (local $ci i32) (local $dst i32) (local $stride i32)
    (local $s0 i32) (local $s1 i32) (local $s2 i32) (local $s3 i32)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128)
    (local $q0 v128) (local $q1 v128) (local $q2 v128) (local $q3 v128)
    (local $g00 v128) (local $g01 v128) (local $g02 v128) (local $g10 v128) (local $g11 v128)
    (local $g12 v128) (local $g20 v128) (local $g21 v128) (local $g22 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $half v128)
    (local.set $half (f32x4.splat (f32.const 0.5)))
    (local.set $stride (i32.mul (local.get $cin) (i32.const 36)))
    (local.set $cp (local.get $cpStart))
    (block $cp_done (loop $cp_loop
      (br_if $cp_done (i32.ge_u (local.get $cp) (local.get $cpEnd)))
      ;; s_l walks filter (4cp + l, ci), clamped to the last real channel.
      (local.set $s0 (i32.add (local.get $w) (i32.mul (call $min_u (i32.shl (local.get $cp) (i32.const 2))
        (i32.sub (local.get $cout) (i32.const 1))) (local.get $stride))))
      (local.set $s1 (i32.add (local.get $w) (i32.mul (call $min_u (i32.add (i32.shl (local.get $cp) (i32.const 2)) (i32.const 1))
        (i32.sub (local.get $cout) (i32.const 1))) (local.get $stride))))
      (local.set $s2 (i32.add (local.get $w) (i32.mul (call $min_u (i32.add (i32.shl (local.get $cp) (i32.const 2)) (i32.const 2))
        (i32.sub (local.get $cout) (i32.const 1))) (local.get $stride))))
      (local.set $s3 (i32.add (local.get $w) (i32.mul (call $min_u (i32.add (i32.shl (local.get $cp) (i32.const 2)) (i32.const 3))
        (i32.sub (local.get $cout) (i32.const 1))) (local.get $stride))))
      (local.set $dst (i32.add (local.get $u) (i32.mul (local.get $cp) (i32.shl (local.get $cin) (i32.const 4)))))
      (local.set $ci (i32.const 0))
      (block $ci_done (loop $ci_loop
        (br_if $ci_done (i32.ge_u (local.get $ci) (local.get $cin)))
        ;; Each lane's 9 weights are contiguous: transpose g0..g3 and g4..g7 of the 4 lanes
        ;; (t = a.0 b.0 a.1 b.1 interleaves, then pairs of halves), and gather g8 lane by lane.
        (local.set $r0 (v128.load (local.get $s0)))
        (local.set $r1 (v128.load (local.get $s1)))
        (local.set $r2 (v128.load (local.get $s2)))
        (local.set $r3 (v128.load (local.get $s3)))
        (local.set $q0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
        (local.set $q1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
        (local.set $q2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
        (local.set $q3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
        (local.set $g00 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $q0) (local.get $q2)))
        (local.set $g01 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $q0) (local.get $q2)))
        (local.set $g02 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $q1) (local.get $q3)))
        (local.set $g10 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $q1) (local.get $q3)))
        (local.set $r0 (v128.load offset=16 (local.get $s0)))
        (local.set $r1 (v128.load offset=16 (local.get $s1)))
        (local.set $r2 (v128.load offset=16 (local.get $s2)))
        (local.set $r3 (v128.load offset=16 (local.get $s3)))
        (local.set $q0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
        (local.set $q1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
        (local.set $q2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
        (local.set $q3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
        (local.set $g11 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $q0) (local.get $q2)))
        (local.set $g12 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $q0) (local.get $q2)))
        (local.set $g20 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $q1) (local.get $q3)))
        (local.set $g21 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $q1) (local.get $q3)))
        (local.set $g22 (f32x4.replace_lane 3 (f32x4.replace_lane 2 (f32x4.replace_lane 1
          (f32x4.splat (f32.load offset=32 (local.get $s0)))
          (f32.load offset=32 (local.get $s1))) (f32.load offset=32 (local.get $s2))) (f32.load offset=32 (local.get $s3))))
        ;; Row r of T = G g is (t0, t1, t2); row r of U = T Gᵀ is [t0, ½(t0+t1+t2), ½(t0-t1+t2), t2],
        ;; written to ξ = 4r .. 4r+3. G's rows: g0, ½(g0+g1+g2), ½(g0-g1+g2), g2.
        (local.set $t0 (local.get $g00))
        (local.set $t1 (local.get $g01))
        (local.set $t2 (local.get $g02))
        (v128.store (local.get $dst) (local.get $t0))
        (v128.store (i32.add (local.get $dst) (local.get $uXi))
          (f32x4.mul (local.get $half) (f32x4.add (f32x4.add (local.get $t0) (local.get $t1)) (local.get $t2))))
        (v128.store (i32.add (local.get $dst) (i32.mul (local.get $uXi) (i32.const 2)))
          (f32x4.mul (local.get $half) (f32x4.add (f32x4.sub (local.get $t0) (local.get $t1)) (local.get $t2))))
        (v128.store (i32.add (local.get $dst) (i32.mul (local.get $uXi) (i32.const 3))) (local.get $t2))
        (local.set $t0 (f32x4.mul (local.get $half) (f32x4.add (f32x4.add (local.get $g00) (local.get $g10)) (local.get $g20))))
        (local.set $t1 (f32x4.mul (local.get $half) (f32x4.add (f32x4.add (local.get $g01) (local.get $g11)) (local.get $g21))))
        (local.set $t2 (f32x4.mul (local.get $half) (f32x4.add (f32x4.add (local.get $g02) (local.get $g12)) (local.get $g22))))
        (v128.store (i32.add (local.get $dst) (i32.mul (local.get $uXi) (i32.const 4))) (local.get $t0))
        (v128.store (i32.add (local.get $dst) (i32.mul (local.get $uXi) (i32.const 5)))
          (f32x4.mul (local.get $half) (f32x4.add (f32x4.add (local.get $t0) (local.get $t1)) (local.get $t2))))
        (v128.store (i32.add (local.get $dst) (i32.mul (local.get $uXi) (i32.const 6)))
          (f32x4.mul (local.get $half) (f32x4.add (f32x4.sub (local.get $t0) (local.get $t1)) (local.get $t2))))
        (v128.store (i32.add (local.get $dst) (i32.mul (local.get $uXi) (i32.const 7))) (local.get $t2))
        (local.set $t0 (f32x4.mul (local.get $half) (f32x4.add (f32x4.sub (local.get $g00) (local.get $g10)) (local.get $g20))))
        (local.set $t1 (f32x4.mul (local.get $half) (f32x4.add (f32x4.sub (local.get $g01) (local.get $g11)) (local.get $g21))))
        (local.set $t2 (f32x4.mul (local.get $half) (f32x4.add (f32x4.sub (local.get $g02) (local.get $g12)) (local.get $g22))))
        (v128.store (i32.add (local.get $dst) (i32.mul (local.get $uXi) (i32.const 8))) (local.get $t0))
        (v128.store (i32.add (local.get $dst) (i32.mul (local.get $uXi) (i32.const 9)))
          (f32x4.mul (local.get $half) (f32x4.add (f32x4.add (local.get $t0) (local.get $t1)) (local.get $t2))))
        (v128.store (i32.add (local.get $dst) (i32.mul (local.get $uXi) (i32.const 10)))
          (f32x4.mul (local.get $half) (f32x4.add (f32x4.sub (local.get $t0) (local.get $t1)) (local.get $t2))))
        (v128.store (i32.add (local.get $dst) (i32.mul (local.get $uXi) (i32.const 11))) (local.get $t2))
        (local.set $t0 (local.get $g20))
        (local.set $t1 (local.get $g21))
        (local.set $t2 (local.get $g22))
        (v128.store (i32.add (local.get $dst) (i32.mul (local.get $uXi) (i32.const 12))) (local.get $t0))
        (v128.store (i32.add (local.get $dst) (i32.mul (local.get $uXi) (i32.const 13)))
          (f32x4.mul (local.get $half) (f32x4.add (f32x4.add (local.get $t0) (local.get $t1)) (local.get $t2))))
        (v128.store (i32.add (local.get $dst) (i32.mul (local.get $uXi) (i32.const 14)))
          (f32x4.mul (local.get $half) (f32x4.add (f32x4.sub (local.get $t0) (local.get $t1)) (local.get $t2))))
        (v128.store (i32.add (local.get $dst) (i32.mul (local.get $uXi) (i32.const 15))) (local.get $t2))
        (local.set $s0 (i32.add (local.get $s0) (i32.const 36)))
        (local.set $s1 (i32.add (local.get $s1) (i32.const 36)))
        (local.set $s2 (i32.add (local.get $s2) (i32.const 36)))
        (local.set $s3 (i32.add (local.get $s3) (i32.const 36)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (local.set $ci (i32.add (local.get $ci) (i32.const 1)))
        (br $ci_loop)))
      (local.set $cp (i32.add (local.get $cp) (i32.const 1)))
      (br $cp_loop))))

  ;; The smaller of two unsigned integers.
  (func $min_u (param $a i32) (param $b i32) (result i32)
    (select (local.get $a) (local.get $b) (i32.lt_u (local.get $a) (local.get $b))))

  ;; V_ξ = Bᵀ d B for tiles t0 .. t0+T-1 (T a multiple of 8) of a zero-padded input, written as
  ;; packed B: V + ξ*vXi + ((t-t0)/8)*cin*32 + ci*32 + ((t-t0)%8)*4, with vXi >= cin*T*4 and not a
  ;; multiple of 4 KB (the 16 stores of one step would share an L1 set). Tile t sits at tile row
  ;; t / tilesX, column t % tilesX; its 4x4 input patch starts at padded (2*row, 2*col). Tiles past
  ;; tilesTotal are zero. src: padded input of at least 2*tilesX + 2 columns, plane and rowb its
  ;; channel and row strides in bytes; the fast path loads (and ignores) up to 2 floats past a row's
  ;; last tile, so the buffer needs 8 readable bytes after it. scratch: 256 + 2*T bytes.
  ;; Lane l of every vector below belongs to tile t + l.
  (func $wino_input (export "wino_input") (param $src i32) (param $cin i32) (param $plane i32) (param $rowb i32)
        (param $tilesX i32) (param $tilesTotal i32) (param $t0 i32) (param $T i32) (param $v i32) (param $vXi i32)
        (param $scratch i32)
    (local $q i32) (local $t i32) (local $ci i32) (local $l i32) (local $r i32) (local $c i32) (local $tt i32)
    (local $fast i32) (local $base i32) (local $p i32) (local $dst i32) (local $row i32) (local $table i32)
    (local $a v128) (local $b v128)
    (local $d00 v128) (local $d01 v128) (local $d02 v128) (local $d03 v128)
    (local $d10 v128) (local $d11 v128) (local $d12 v128) (local $d13 v128)
    (local $d20 v128) (local $d21 v128) (local $d22 v128) (local $d23 v128)
    (local $d30 v128) (local $d31 v128) (local $d32 v128) (local $d33 v128)
    (local $e0 v128) (local $e1 v128) (local $e2 v128) (local $e3 v128)
    ;; First a table of each tile group's patch offset within a channel and whether it can take the
    ;; fast path (4 real tiles side by side in one tile row), so the loop below needs no division.
    (local.set $table (i32.add (local.get $scratch) (i32.const 256)))
    (block $tq_done (loop $tq_loop
      (br_if $tq_done (i32.ge_u (i32.shl (local.get $q) (i32.const 2)) (local.get $T)))
      (local.set $t (i32.add (local.get $t0) (i32.shl (local.get $q) (i32.const 2))))
      (i32.store (i32.add (local.get $table) (i32.shl (local.get $q) (i32.const 3)))
        (i32.add (i32.mul (i32.shl (i32.div_u (local.get $t) (local.get $tilesX)) (i32.const 1)) (local.get $rowb))
                 (i32.shl (i32.rem_u (local.get $t) (local.get $tilesX)) (i32.const 3))))
      (i32.store offset=4 (i32.add (local.get $table) (i32.shl (local.get $q) (i32.const 3)))
        (i32.and
          (i32.le_u (i32.add (local.get $t) (i32.const 4)) (local.get $tilesTotal))
          (i32.le_u (i32.add (i32.rem_u (local.get $t) (local.get $tilesX)) (i32.const 4)) (local.get $tilesX))))
      (local.set $q (i32.add (local.get $q) (i32.const 1)))
      (br $tq_loop)))
    ;; Channel by channel, so the reads stream along the rows of one plane and the writes of
    ;; neighbouring channels share cache lines.
    (block $ci_done (loop $ci_loop
      (br_if $ci_done (i32.ge_u (local.get $ci) (local.get $cin)))
      (local.set $q (i32.const 0))
      (block $q_done (loop $q_loop
        (br_if $q_done (i32.ge_u (i32.shl (local.get $q) (i32.const 2)) (local.get $T)))
        (local.set $t (i32.add (local.get $t0) (i32.shl (local.get $q) (i32.const 2))))
        (local.set $base (i32.add (i32.add (local.get $src) (i32.mul (local.get $ci) (local.get $plane)))
          (i32.load (i32.add (local.get $table) (i32.shl (local.get $q) (i32.const 3))))))
        (local.set $fast (i32.load offset=4 (i32.add (local.get $table) (i32.shl (local.get $q) (i32.const 3)))))
        (local.set $dst (i32.add (i32.add (local.get $v) (i32.shl (local.get $ci) (i32.const 5)))
          (i32.add (i32.mul (i32.shr_u (local.get $q) (i32.const 1)) (i32.shl (local.get $cin) (i32.const 5)))
                   (i32.shl (i32.and (local.get $q) (i32.const 1)) (i32.const 4)))))
        (if (local.get $fast)
          (then
            ;; Row r of the 4 patches is padded row 2*ty + r, columns 2*tx .. 2*tx+9. With
            ;; a = x0..x3, b = x4..x7, the even and odd columns give d[r][0] = x0 x2 x4 x6 and
            ;; d[r][1] = x1 x3 x5 x7; the same from x2 onwards gives d[r][2] and d[r][3].
            (local.set $row (local.get $base))
            (local.set $a (v128.load (local.get $row)))
            (local.set $b (v128.load offset=16 (local.get $row)))
            (local.set $d00 (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $a) (local.get $b)))
            (local.set $d01 (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $a) (local.get $b)))
            (local.set $a (v128.load offset=8 (local.get $row)))
            (local.set $b (v128.load offset=24 (local.get $row)))
            (local.set $d02 (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $a) (local.get $b)))
            (local.set $d03 (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $a) (local.get $b)))
            (local.set $row (i32.add (local.get $row) (local.get $rowb)))
            (local.set $a (v128.load (local.get $row)))
            (local.set $b (v128.load offset=16 (local.get $row)))
            (local.set $d10 (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $a) (local.get $b)))
            (local.set $d11 (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $a) (local.get $b)))
            (local.set $a (v128.load offset=8 (local.get $row)))
            (local.set $b (v128.load offset=24 (local.get $row)))
            (local.set $d12 (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $a) (local.get $b)))
            (local.set $d13 (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $a) (local.get $b)))
            (local.set $row (i32.add (local.get $row) (local.get $rowb)))
            (local.set $a (v128.load (local.get $row)))
            (local.set $b (v128.load offset=16 (local.get $row)))
            (local.set $d20 (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $a) (local.get $b)))
            (local.set $d21 (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $a) (local.get $b)))
            (local.set $a (v128.load offset=8 (local.get $row)))
            (local.set $b (v128.load offset=24 (local.get $row)))
            (local.set $d22 (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $a) (local.get $b)))
            (local.set $d23 (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $a) (local.get $b)))
            (local.set $row (i32.add (local.get $row) (local.get $rowb)))
            (local.set $a (v128.load (local.get $row)))
            (local.set $b (v128.load offset=16 (local.get $row)))
            (local.set $d30 (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $a) (local.get $b)))
            (local.set $d31 (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $a) (local.get $b)))
            (local.set $a (v128.load offset=8 (local.get $row)))
            (local.set $b (v128.load offset=24 (local.get $row)))
            (local.set $d32 (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $a) (local.get $b)))
            (local.set $d33 (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $a) (local.get $b))))
          (else
            ;; Edge of the tile grid: gather each lane's patch into scratch as [r*4+c][lane].
            (local.set $l (i32.const 0))
            (loop $l_loop
              (local.set $tt (i32.add (local.get $t) (local.get $l)))
              (local.set $p (i32.add (i32.add (local.get $src) (i32.mul (local.get $ci) (local.get $plane)))
                (i32.add (i32.mul (i32.shl (i32.div_u (local.get $tt) (local.get $tilesX)) (i32.const 1)) (local.get $rowb))
                         (i32.shl (i32.rem_u (local.get $tt) (local.get $tilesX)) (i32.const 3)))))
              (local.set $r (i32.const 0))
              (loop $r_loop
                (local.set $c (i32.const 0))
                (loop $c_loop
                  (f32.store (i32.add (local.get $scratch)
                               (i32.add (i32.shl (i32.add (i32.shl (local.get $r) (i32.const 2)) (local.get $c)) (i32.const 4))
                                        (i32.shl (local.get $l) (i32.const 2))))
                    (if (result f32) (i32.lt_u (local.get $tt) (local.get $tilesTotal))
                      (then (f32.load (i32.add (local.get $p)
                              (i32.add (i32.mul (local.get $r) (local.get $rowb)) (i32.shl (local.get $c) (i32.const 2))))))
                      (else (f32.const 0))))
                  (br_if $c_loop (i32.lt_u (local.tee $c (i32.add (local.get $c) (i32.const 1))) (i32.const 4))))
                (br_if $r_loop (i32.lt_u (local.tee $r (i32.add (local.get $r) (i32.const 1))) (i32.const 4))))
              (br_if $l_loop (i32.lt_u (local.tee $l (i32.add (local.get $l) (i32.const 1))) (i32.const 4))))
            (local.set $d00 (v128.load offset=0 (local.get $scratch)))
            (local.set $d01 (v128.load offset=16 (local.get $scratch)))
            (local.set $d02 (v128.load offset=32 (local.get $scratch)))
            (local.set $d03 (v128.load offset=48 (local.get $scratch)))
            (local.set $d10 (v128.load offset=64 (local.get $scratch)))
            (local.set $d11 (v128.load offset=80 (local.get $scratch)))
            (local.set $d12 (v128.load offset=96 (local.get $scratch)))
            (local.set $d13 (v128.load offset=112 (local.get $scratch)))
            (local.set $d20 (v128.load offset=128 (local.get $scratch)))
            (local.set $d21 (v128.load offset=144 (local.get $scratch)))
            (local.set $d22 (v128.load offset=160 (local.get $scratch)))
            (local.set $d23 (v128.load offset=176 (local.get $scratch)))
            (local.set $d30 (v128.load offset=192 (local.get $scratch)))
            (local.set $d31 (v128.load offset=208 (local.get $scratch)))
            (local.set $d32 (v128.load offset=224 (local.get $scratch)))
            (local.set $d33 (v128.load offset=240 (local.get $scratch)))))
        ;; Column j of E = Bᵀ d is (d0-d2, d1+d2, d2-d1, d1-d3) down column j of d; row i of
        ;; V = E B is (e0-e2, e1+e2, e2-e1, e1-e3) along row i of E, stored at ξ = 4i .. 4i+3.
        (local.set $e0 (f32x4.sub (local.get $d00) (local.get $d20)))
        (local.set $e1 (f32x4.sub (local.get $d01) (local.get $d21)))
        (local.set $e2 (f32x4.sub (local.get $d02) (local.get $d22)))
        (local.set $e3 (f32x4.sub (local.get $d03) (local.get $d23)))
        (v128.store (local.get $dst) (f32x4.sub (local.get $e0) (local.get $e2)))
        (v128.store (i32.add (local.get $dst) (local.get $vXi)) (f32x4.add (local.get $e1) (local.get $e2)))
        (v128.store (i32.add (local.get $dst) (i32.mul (local.get $vXi) (i32.const 2))) (f32x4.sub (local.get $e2) (local.get $e1)))
        (v128.store (i32.add (local.get $dst) (i32.mul (local.get $vXi) (i32.const 3))) (f32x4.sub (local.get $e1) (local.get $e3)))
        (local.set $e0 (f32x4.add (local.get $d10) (local.get $d20)))
        (local.set $e1 (f32x4.add (local.get $d11) (local.get $d21)))
        (local.set $e2 (f32x4.add (local.get $d12) (local.get $d22)))
        (local.set $e3 (f32x4.add (local.get $d13) (local.get $d23)))
        (v128.store (i32.add (local.get $dst) (i32.mul (local.get $vXi) (i32.const 4))) (f32x4.sub (local.get $e0) (local.get $e2)))
        (v128.store (i32.add (local.get $dst) (i32.mul (local.get $vXi) (i32.const 5))) (f32x4.add (local.get $e1) (local.get $e2)))
        (v128.store (i32.add (local.get $dst) (i32.mul (local.get $vXi) (i32.const 6))) (f32x4.sub (local.get $e2) (local.get $e1)))
        (v128.store (i32.add (local.get $dst) (i32.mul (local.get $vXi) (i32.const 7))) (f32x4.sub (local.get $e1) (local.get $e3)))
        (local.set $e0 (f32x4.sub (local.get $d20) (local.get $d10)))
        (local.set $e1 (f32x4.sub (local.get $d21) (local.get $d11)))
        (local.set $e2 (f32x4.sub (local.get $d22) (local.get $d12)))
        (local.set $e3 (f32x4.sub (local.get $d23) (local.get $d13)))
        (v128.store (i32.add (local.get $dst) (i32.mul (local.get $vXi) (i32.const 8))) (f32x4.sub (local.get $e0) (local.get $e2)))
        (v128.store (i32.add (local.get $dst) (i32.mul (local.get $vXi) (i32.const 9))) (f32x4.add (local.get $e1) (local.get $e2)))
        (v128.store (i32.add (local.get $dst) (i32.mul (local.get $vXi) (i32.const 10))) (f32x4.sub (local.get $e2) (local.get $e1)))
        (v128.store (i32.add (local.get $dst) (i32.mul (local.get $vXi) (i32.const 11))) (f32x4.sub (local.get $e1) (local.get $e3)))
        (local.set $e0 (f32x4.sub (local.get $d10) (local.get $d30)))
        (local.set $e1 (f32x4.sub (local.get $d11) (local.get $d31)))
        (local.set $e2 (f32x4.sub (local.get $d12) (local.get $d32)))
        (local.set $e3 (f32x4.sub (local.get $d13) (local.get $d33)))
        (v128.store (i32.add (local.get $dst) (i32.mul (local.get $vXi) (i32.const 12))) (f32x4.sub (local.get $e0) (local.get $e2)))
        (v128.store (i32.add (local.get $dst) (i32.mul (local.get $vXi) (i32.const 13))) (f32x4.add (local.get $e1) (local.get $e2)))
        (v128.store (i32.add (local.get $dst) (i32.mul (local.get $vXi) (i32.const 14))) (f32x4.sub (local.get $e2) (local.get $e1)))
        (v128.store (i32.add (local.get $dst) (i32.mul (local.get $vXi) (i32.const 15))) (f32x4.sub (local.get $e1) (local.get $e3)))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (br $q_loop)))
      (local.set $ci (i32.add (local.get $ci) (i32.const 1)))
      (br $ci_loop))))

  ;; Y = min(max(Aᵀ M A + bias, lo), hi) for tiles t0 .. t0+T-1 and every output channel, written into
  ;; out (cout, ho, wo) (lo, hi: the clamp of a fused activation, or -inf, +inf).
  ;; M is the GEMM result: M + ξ*mXi + co*T*4 + (t-t0)*4, mXi >= coutp*T*4 (not a multiple of 4 KB,
  ;; as for vXi). scratch: 64 bytes.
  (func $wino_output (export "wino_output") (param $m i32) (param $mXi i32) (param $cout i32) (param $T i32)
        (param $t0 i32) (param $tilesX i32) (param $tilesTotal i32) (param $out i32) (param $ho i32) (param $wo i32)
        (param $bias i32) (param $scratch i32) (param $lo f32) (param $hi f32)
    (local $vlo v128) (local $vhi v128)
    (local $co i32) (local $q i32) (local $t i32) (local $tt i32) (local $l i32) (local $ty i32) (local $tx i32)
    (local $src i32) (local $plane i32) (local $dst i32) (local $fast i32) (local $y i32) (local $x i32)
    (local $b v128)
    (local $m00 v128) (local $m01 v128) (local $m02 v128) (local $m03 v128)
    (local $m10 v128) (local $m11 v128) (local $m12 v128) (local $m13 v128)
    (local $m20 v128) (local $m21 v128) (local $m22 v128) (local $m23 v128)
    (local $m30 v128) (local $m31 v128) (local $m32 v128) (local $m33 v128)
    (local $s00 v128) (local $s01 v128) (local $s02 v128) (local $s03 v128)
    (local $s10 v128) (local $s11 v128) (local $s12 v128) (local $s13 v128)
    (local $y00 v128) (local $y01 v128) (local $y10 v128) (local $y11 v128)
    (local.set $plane (i32.shl (i32.mul (local.get $ho) (local.get $wo)) (i32.const 2)))
    (local.set $vlo (f32x4.splat (local.get $lo)))
    (local.set $vhi (f32x4.splat (local.get $hi)))
    (block $co_done (loop $co_loop
      (br_if $co_done (i32.ge_u (local.get $co) (local.get $cout)))
      (local.set $b (v128.load32_splat (i32.add (local.get $bias) (i32.shl (local.get $co) (i32.const 2)))))
      (local.set $q (i32.const 0))
      (block $q_done (loop $q_loop
        (local.set $t (i32.add (local.get $t0) (i32.shl (local.get $q) (i32.const 2))))
        (br_if $q_done (i32.ge_u (i32.shl (local.get $q) (i32.const 2)) (local.get $T)))
        (br_if $q_done (i32.ge_u (local.get $t) (local.get $tilesTotal)))
        (local.set $src (i32.add (local.get $m)
          (i32.shl (i32.add (i32.mul (local.get $co) (local.get $T)) (i32.shl (local.get $q) (i32.const 2))) (i32.const 2))))
        (local.set $m00 (v128.load (local.get $src)))
        (local.set $src (i32.add (local.get $src) (local.get $mXi)))
        (local.set $m01 (v128.load (local.get $src)))
        (local.set $src (i32.add (local.get $src) (local.get $mXi)))
        (local.set $m02 (v128.load (local.get $src)))
        (local.set $src (i32.add (local.get $src) (local.get $mXi)))
        (local.set $m03 (v128.load (local.get $src)))
        (local.set $src (i32.add (local.get $src) (local.get $mXi)))
        (local.set $m10 (v128.load (local.get $src)))
        (local.set $src (i32.add (local.get $src) (local.get $mXi)))
        (local.set $m11 (v128.load (local.get $src)))
        (local.set $src (i32.add (local.get $src) (local.get $mXi)))
        (local.set $m12 (v128.load (local.get $src)))
        (local.set $src (i32.add (local.get $src) (local.get $mXi)))
        (local.set $m13 (v128.load (local.get $src)))
        (local.set $src (i32.add (local.get $src) (local.get $mXi)))
        (local.set $m20 (v128.load (local.get $src)))
        (local.set $src (i32.add (local.get $src) (local.get $mXi)))
        (local.set $m21 (v128.load (local.get $src)))
        (local.set $src (i32.add (local.get $src) (local.get $mXi)))
        (local.set $m22 (v128.load (local.get $src)))
        (local.set $src (i32.add (local.get $src) (local.get $mXi)))
        (local.set $m23 (v128.load (local.get $src)))
        (local.set $src (i32.add (local.get $src) (local.get $mXi)))
        (local.set $m30 (v128.load (local.get $src)))
        (local.set $src (i32.add (local.get $src) (local.get $mXi)))
        (local.set $m31 (v128.load (local.get $src)))
        (local.set $src (i32.add (local.get $src) (local.get $mXi)))
        (local.set $m32 (v128.load (local.get $src)))
        (local.set $src (i32.add (local.get $src) (local.get $mXi)))
        (local.set $m33 (v128.load (local.get $src)))
        ;; S = Aᵀ M: rows m0+m1+m2 and m1-m2-m3.
        (local.set $s00 (f32x4.add (f32x4.add (local.get $m00) (local.get $m10)) (local.get $m20)))
        (local.set $s01 (f32x4.add (f32x4.add (local.get $m01) (local.get $m11)) (local.get $m21)))
        (local.set $s02 (f32x4.add (f32x4.add (local.get $m02) (local.get $m12)) (local.get $m22)))
        (local.set $s03 (f32x4.add (f32x4.add (local.get $m03) (local.get $m13)) (local.get $m23)))
        (local.set $s10 (f32x4.sub (f32x4.sub (local.get $m10) (local.get $m20)) (local.get $m30)))
        (local.set $s11 (f32x4.sub (f32x4.sub (local.get $m11) (local.get $m21)) (local.get $m31)))
        (local.set $s12 (f32x4.sub (f32x4.sub (local.get $m12) (local.get $m22)) (local.get $m32)))
        (local.set $s13 (f32x4.sub (f32x4.sub (local.get $m13) (local.get $m23)) (local.get $m33)))
        ;; Y = S A + bias, clamped (a fused activation): columns s0+s1+s2 and s1-s2-s3.
        (local.set $y00 (f32x4.pmin (f32x4.pmax (f32x4.add (f32x4.add (f32x4.add (local.get $s00) (local.get $s01)) (local.get $s02)) (local.get $b)) (local.get $vlo)) (local.get $vhi)))
        (local.set $y01 (f32x4.pmin (f32x4.pmax (f32x4.add (f32x4.sub (f32x4.sub (local.get $s01) (local.get $s02)) (local.get $s03)) (local.get $b)) (local.get $vlo)) (local.get $vhi)))
        (local.set $y10 (f32x4.pmin (f32x4.pmax (f32x4.add (f32x4.add (f32x4.add (local.get $s10) (local.get $s11)) (local.get $s12)) (local.get $b)) (local.get $vlo)) (local.get $vhi)))
        (local.set $y11 (f32x4.pmin (f32x4.pmax (f32x4.add (f32x4.sub (f32x4.sub (local.get $s11) (local.get $s12)) (local.get $s13)) (local.get $b)) (local.get $vlo)) (local.get $vhi)))
        (local.set $ty (i32.div_u (local.get $t) (local.get $tilesX)))
        (local.set $tx (i32.rem_u (local.get $t) (local.get $tilesX)))
        ;; Fast path: 4 real tiles in one row whose 2x8 outputs are all inside the image.
        (local.set $fast (i32.and (i32.and
          (i32.le_u (i32.add (local.get $t) (i32.const 4)) (local.get $tilesTotal))
          (i32.le_u (i32.add (i32.shl (local.get $tx) (i32.const 1)) (i32.const 8)) (local.get $wo)))
          (i32.le_u (i32.add (i32.shl (local.get $ty) (i32.const 1)) (i32.const 2)) (local.get $ho))))
        (if (local.get $fast)
          (then
            (local.set $dst (i32.add (i32.add (local.get $out) (i32.mul (local.get $co) (local.get $plane)))
              (i32.shl (i32.add (i32.mul (i32.shl (local.get $ty) (i32.const 1)) (local.get $wo))
                                (i32.shl (local.get $tx) (i32.const 1))) (i32.const 2))))
            ;; Interleave the tiles' left and right columns: y00_0 y01_0 y00_1 y01_1 | y00_2 y01_2 ...
            (v128.store (local.get $dst)
              (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $y00) (local.get $y01)))
            (v128.store offset=16 (local.get $dst)
              (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $y00) (local.get $y01)))
            (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $wo) (i32.const 2))))
            (v128.store (local.get $dst)
              (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $y10) (local.get $y11)))
            (v128.store offset=16 (local.get $dst)
              (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $y10) (local.get $y11))))
          (else
            (v128.store offset=0 (local.get $scratch) (local.get $y00))
            (v128.store offset=16 (local.get $scratch) (local.get $y01))
            (v128.store offset=32 (local.get $scratch) (local.get $y10))
            (v128.store offset=48 (local.get $scratch) (local.get $y11))
            (local.set $l (i32.const 0))
            (block $l_done (loop $l_loop
              (local.set $tt (i32.add (local.get $t) (local.get $l)))
              (br_if $l_done (i32.ge_u (local.get $l) (i32.const 4)))
              (br_if $l_done (i32.ge_u (local.get $tt) (local.get $tilesTotal)))
              (local.set $y (i32.shl (i32.div_u (local.get $tt) (local.get $tilesX)) (i32.const 1)))
              (local.set $x (i32.shl (i32.rem_u (local.get $tt) (local.get $tilesX)) (i32.const 1)))
              (local.set $dst (i32.add (i32.add (local.get $out) (i32.mul (local.get $co) (local.get $plane)))
                (i32.shl (i32.add (i32.mul (local.get $y) (local.get $wo)) (local.get $x)) (i32.const 2))))
              (local.set $src (i32.add (local.get $scratch) (i32.shl (local.get $l) (i32.const 2))))
              ;; Top-left is always inside; the others only when the image reaches them.
              (f32.store (local.get $dst) (f32.load offset=0 (local.get $src)))
              (if (i32.lt_u (i32.add (local.get $x) (i32.const 1)) (local.get $wo))
                (then (f32.store offset=4 (local.get $dst) (f32.load offset=16 (local.get $src)))))
              (if (i32.lt_u (i32.add (local.get $y) (i32.const 1)) (local.get $ho)) (then
                (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $wo) (i32.const 2))))
                (f32.store (local.get $dst) (f32.load offset=32 (local.get $src)))
                (if (i32.lt_u (i32.add (local.get $x) (i32.const 1)) (local.get $wo))
                  (then (f32.store offset=4 (local.get $dst) (f32.load offset=48 (local.get $src)))))))
              (local.set $l (i32.add (local.get $l) (i32.const 1)))
              (br $l_loop)))))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (br $q_loop)))
      (local.set $co (i32.add (local.get $co) (i32.const 1)))
      (br $co_loop))))

  ;; ---------------------------------------------------------------------------------------------
  ;; Winograd F(4x4, 3x3): 6x6 input tiles give 4x4 output tiles through 36 GEMMs, so 2.25
  ;; multiplications per output against 4 for F(2x2, 3x3) and 9 for direct convolution. With the
  ;; interpolation points 0, ±1, ±2 (Lavin & Gray 2015):
  ;;   Bᵀ = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1],
  ;;   G  = [¼ 0 0; -⅙ -⅙ -⅙; -⅙ ⅙ -⅙; 1/24 1/12 ⅙; 1/24 -1/12 ⅙; 0 0 1],
  ;;   Aᵀ = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1].
  ;; The larger constants cost some accuracy (about 1e-6 of the largest output on VGG layers in the
  ;; tests, against 1e-4 allowed). Each 2-D transform is a pass of the 1-D one down the columns
  ;; into scratch and a pass along the rows, written out in both loops: V8 does not inline calls
  ;; and a call per pass costs more than the arithmetic. The layouts of U, V and M are those of
  ;; F(2x2, 3x3) with ξ = 6*row + column running to 36.
  ;; ---------------------------------------------------------------------------------------------

  ;; U_ξ = G g Gᵀ (6x6) for panels cpStart .. cpEnd-1, as packed A like wino_filter (ξ < 36).
  ;; Lane l of every vector belongs to output channel 4*cp + l. scratch: 432 bytes: g as [r][c]
  ;; (9 vectors), then T = G g as [r][c] (18 vectors).
  (func $wino4_filter (export "wino4_filter") (param $w i32) (param $cout i32) (param $cin i32)
        (param $u i32) (param $uXi i32) (param $cpStart i32) (param $cpEnd i32) (param $scratch i32)
    (local $cp i32) (local $ci i32) (local $l i32) (local $co i32) (local $src i32) (local $dst i32) (local $r i32)
    (local $s0 i32) (local $s1 i32) (local $s2 i32) (local $s3 i32) (local $stride i32) (local $p i32)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128)
    (local $q0 v128) (local $q1 v128) (local $q2 v128) (local $q3 v128)
    (local $a v128) (local $b v128) (local $c v128) (local $s v128) (local $e v128) (local $f v128)
    (local.set $stride (i32.mul (local.get $cin) (i32.const 36)))
    (local.set $cp (local.get $cpStart))
    (block $cp_done (loop $cp_loop
      (br_if $cp_done (i32.ge_u (local.get $cp) (local.get $cpEnd)))
      ;; s_l walks filter (4cp + l, ci), clamped to the last real channel.
      (local.set $s0 (i32.add (local.get $w) (i32.mul (call $min_u (i32.shl (local.get $cp) (i32.const 2))
        (i32.sub (local.get $cout) (i32.const 1))) (local.get $stride))))
      (local.set $s1 (i32.add (local.get $w) (i32.mul (call $min_u (i32.add (i32.shl (local.get $cp) (i32.const 2)) (i32.const 1))
        (i32.sub (local.get $cout) (i32.const 1))) (local.get $stride))))
      (local.set $s2 (i32.add (local.get $w) (i32.mul (call $min_u (i32.add (i32.shl (local.get $cp) (i32.const 2)) (i32.const 2))
        (i32.sub (local.get $cout) (i32.const 1))) (local.get $stride))))
      (local.set $s3 (i32.add (local.get $w) (i32.mul (call $min_u (i32.add (i32.shl (local.get $cp) (i32.const 2)) (i32.const 3))
        (i32.sub (local.get $cout) (i32.const 1))) (local.get $stride))))
      (local.set $dst (i32.add (local.get $u) (i32.mul (local.get $cp) (i32.shl (local.get $cin) (i32.const 4)))))
      (local.set $ci (i32.const 0))
      (block $ci_done (loop $ci_loop
        (br_if $ci_done (i32.ge_u (local.get $ci) (local.get $cin)))
        ;; Each lane's 9 weights are contiguous: transpose g0..g3 and g4..g7 of the 4 lanes, gather g8.
        (local.set $r0 (v128.load (local.get $s0)))
        (local.set $r1 (v128.load (local.get $s1)))
        (local.set $r2 (v128.load (local.get $s2)))
        (local.set $r3 (v128.load (local.get $s3)))
        (local.set $q0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
        (local.set $q1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
        (local.set $q2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
        (local.set $q3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
        (v128.store offset=0 (local.get $scratch) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $q0) (local.get $q2)))
        (v128.store offset=16 (local.get $scratch) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $q0) (local.get $q2)))
        (v128.store offset=32 (local.get $scratch) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $q1) (local.get $q3)))
        (v128.store offset=48 (local.get $scratch) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $q1) (local.get $q3)))
        (local.set $r0 (v128.load offset=16 (local.get $s0)))
        (local.set $r1 (v128.load offset=16 (local.get $s1)))
        (local.set $r2 (v128.load offset=16 (local.get $s2)))
        (local.set $r3 (v128.load offset=16 (local.get $s3)))
        (local.set $q0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
        (local.set $q1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
        (local.set $q2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
        (local.set $q3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
        (v128.store offset=64 (local.get $scratch) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $q0) (local.get $q2)))
        (v128.store offset=80 (local.get $scratch) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $q0) (local.get $q2)))
        (v128.store offset=96 (local.get $scratch) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $q1) (local.get $q3)))
        (v128.store offset=112 (local.get $scratch) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $q1) (local.get $q3)))
        (v128.store offset=128 (local.get $scratch) (f32x4.replace_lane 3 (f32x4.replace_lane 2 (f32x4.replace_lane 1
          (f32x4.splat (f32.load offset=32 (local.get $s0)))
          (f32.load offset=32 (local.get $s1))) (f32.load offset=32 (local.get $s2))) (f32.load offset=32 (local.get $s3))))
        ;; Columns: T[.][c] = G (g0c, g1c, g2c); G's rows are ¼a, -(a+b+c)/6, -(a-b+c)/6,
        ;; a/24 + b/12 + c/6, a/24 - b/12 + c/6, c.
        (local.set $p (local.get $scratch))
        (loop $col_loop
          (local.set $a (v128.load offset=0 (local.get $p)))
          (local.set $b (v128.load offset=48 (local.get $p)))
          (local.set $c (v128.load offset=96 (local.get $p)))
          (local.set $s (f32x4.add (local.get $a) (local.get $c)))
          (local.set $e (f32x4.add (f32x4.mul (local.get $a) (v128.const f32x4 0x1.555556p-5 0x1.555556p-5 0x1.555556p-5 0x1.555556p-5))
                                   (f32x4.mul (local.get $c) (v128.const f32x4 0x1.555556p-3 0x1.555556p-3 0x1.555556p-3 0x1.555556p-3))))
          (local.set $f (f32x4.mul (local.get $b) (v128.const f32x4 0x1.555556p-4 0x1.555556p-4 0x1.555556p-4 0x1.555556p-4)))
          (v128.store offset=144 (local.get $p) (f32x4.mul (local.get $a) (v128.const f32x4 0.25 0.25 0.25 0.25)))
          (v128.store offset=192 (local.get $p) (f32x4.mul (f32x4.add (local.get $s) (local.get $b))
            (v128.const f32x4 -0x1.555556p-3 -0x1.555556p-3 -0x1.555556p-3 -0x1.555556p-3)))
          (v128.store offset=240 (local.get $p) (f32x4.mul (f32x4.sub (local.get $s) (local.get $b))
            (v128.const f32x4 -0x1.555556p-3 -0x1.555556p-3 -0x1.555556p-3 -0x1.555556p-3)))
          (v128.store offset=288 (local.get $p) (f32x4.add (local.get $e) (local.get $f)))
          (v128.store offset=336 (local.get $p) (f32x4.sub (local.get $e) (local.get $f)))
          (v128.store offset=384 (local.get $p) (local.get $c))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (br_if $col_loop (i32.lt_u (local.get $p) (i32.add (local.get $scratch) (i32.const 48)))))
        ;; Rows: row r of U = T Gᵀ, the same combination along the row, goes to ξ = 6r .. 6r+5.
        (local.set $p (i32.add (local.get $scratch) (i32.const 144)))
        (local.set $r (local.get $dst))
        (loop $row_loop
          (local.set $a (v128.load offset=0 (local.get $p)))
          (local.set $b (v128.load offset=16 (local.get $p)))
          (local.set $c (v128.load offset=32 (local.get $p)))
          (local.set $s (f32x4.add (local.get $a) (local.get $c)))
          (local.set $e (f32x4.add (f32x4.mul (local.get $a) (v128.const f32x4 0x1.555556p-5 0x1.555556p-5 0x1.555556p-5 0x1.555556p-5))
                                   (f32x4.mul (local.get $c) (v128.const f32x4 0x1.555556p-3 0x1.555556p-3 0x1.555556p-3 0x1.555556p-3))))
          (local.set $f (f32x4.mul (local.get $b) (v128.const f32x4 0x1.555556p-4 0x1.555556p-4 0x1.555556p-4 0x1.555556p-4)))
          (v128.store (local.get $r) (f32x4.mul (local.get $a) (v128.const f32x4 0.25 0.25 0.25 0.25)))
          (v128.store (i32.add (local.get $r) (local.get $uXi)) (f32x4.mul (f32x4.add (local.get $s) (local.get $b))
            (v128.const f32x4 -0x1.555556p-3 -0x1.555556p-3 -0x1.555556p-3 -0x1.555556p-3)))
          (v128.store (i32.add (local.get $r) (i32.mul (local.get $uXi) (i32.const 2))) (f32x4.mul (f32x4.sub (local.get $s) (local.get $b))
            (v128.const f32x4 -0x1.555556p-3 -0x1.555556p-3 -0x1.555556p-3 -0x1.555556p-3)))
          (v128.store (i32.add (local.get $r) (i32.mul (local.get $uXi) (i32.const 3))) (f32x4.add (local.get $e) (local.get $f)))
          (v128.store (i32.add (local.get $r) (i32.mul (local.get $uXi) (i32.const 4))) (f32x4.sub (local.get $e) (local.get $f)))
          (v128.store (i32.add (local.get $r) (i32.mul (local.get $uXi) (i32.const 5))) (local.get $c))
          (local.set $r (i32.add (local.get $r) (i32.mul (local.get $uXi) (i32.const 6))))
          (local.set $p (i32.add (local.get $p) (i32.const 48)))
          (br_if $row_loop (i32.lt_u (local.get $p) (i32.add (local.get $scratch) (i32.const 432)))))
        (local.set $s0 (i32.add (local.get $s0) (i32.const 36)))
        (local.set $s1 (i32.add (local.get $s1) (i32.const 36)))
        (local.set $s2 (i32.add (local.get $s2) (i32.const 36)))
        (local.set $s3 (i32.add (local.get $s3) (i32.const 36)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (local.set $ci (i32.add (local.get $ci) (i32.const 1)))
        (br $ci_loop)))
      (local.set $cp (i32.add (local.get $cp) (i32.const 1)))
      (br $cp_loop))))

  ;; V_ξ = Bᵀ d B (6x6) for tiles t0 .. t0+T-1, as packed B like wino_input (ξ < 36). Tile t's 6x6
  ;; patch starts at padded (4*row, 4*col); the padded input has at least 4*tilesX + 2 columns and
  ;; 8 readable bytes after it. scratch: 1152 + 2*T bytes: d as [r][c], then Bᵀ d, then the table.
  (func $wino4_input (export "wino4_input") (param $src i32) (param $cin i32) (param $plane i32) (param $rowb i32)
        (param $tilesX i32) (param $tilesTotal i32) (param $t0 i32) (param $T i32) (param $v i32) (param $vXi i32)
        (param $scratch i32)
    (local $q i32) (local $t i32) (local $ci i32) (local $l i32) (local $r i32) (local $c i32) (local $tt i32)
    (local $base i32) (local $p i32) (local $dst i32) (local $row i32) (local $table i32) (local $d i32)
    (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128) (local $x4 v128)
    (local $t0v v128) (local $t1v v128) (local $t2v v128) (local $t3v v128) (local $c0 v128) (local $c1 v128)
    ;; The table of each tile group's patch offset and fast-path flag, as in wino_input.
    (local.set $table (i32.add (local.get $scratch) (i32.const 1152)))
    (block $tq_done (loop $tq_loop
      (br_if $tq_done (i32.ge_u (i32.shl (local.get $q) (i32.const 2)) (local.get $T)))
      (local.set $t (i32.add (local.get $t0) (i32.shl (local.get $q) (i32.const 2))))
      (i32.store (i32.add (local.get $table) (i32.shl (local.get $q) (i32.const 3)))
        (i32.add (i32.mul (i32.shl (i32.div_u (local.get $t) (local.get $tilesX)) (i32.const 2)) (local.get $rowb))
                 (i32.shl (i32.rem_u (local.get $t) (local.get $tilesX)) (i32.const 4))))
      (i32.store offset=4 (i32.add (local.get $table) (i32.shl (local.get $q) (i32.const 3)))
        (i32.and
          (i32.le_u (i32.add (local.get $t) (i32.const 4)) (local.get $tilesTotal))
          (i32.le_u (i32.add (i32.rem_u (local.get $t) (local.get $tilesX)) (i32.const 4)) (local.get $tilesX))))
      (local.set $q (i32.add (local.get $q) (i32.const 1)))
      (br $tq_loop)))
    (block $ci_done (loop $ci_loop
      (br_if $ci_done (i32.ge_u (local.get $ci) (local.get $cin)))
      (local.set $q (i32.const 0))
      (block $q_done (loop $q_loop
        (br_if $q_done (i32.ge_u (i32.shl (local.get $q) (i32.const 2)) (local.get $T)))
        (local.set $t (i32.add (local.get $t0) (i32.shl (local.get $q) (i32.const 2))))
        (local.set $base (i32.add (i32.add (local.get $src) (i32.mul (local.get $ci) (local.get $plane)))
          (i32.load (i32.add (local.get $table) (i32.shl (local.get $q) (i32.const 3))))))
        (if (i32.load offset=4 (i32.add (local.get $table) (i32.shl (local.get $q) (i32.const 3))))
          (then
            ;; Row r of the 4 patches is padded row 4*ty + r, columns 4*tx .. 4*tx+17: with
            ;; x0..x4 its first 20 floats, column c of the 4x4 block x0..x3 is d[r][c] for c < 4,
            ;; and shifting in x4 gives d[r][4] and d[r][5].
            (local.set $row (local.get $base))
            (local.set $d (local.get $scratch))
            (local.set $r (i32.const 0))
            (loop $r_loop
              (local.set $x0 (v128.load offset=0 (local.get $row)))
              (local.set $x1 (v128.load offset=16 (local.get $row)))
              (local.set $x2 (v128.load offset=32 (local.get $row)))
              (local.set $x3 (v128.load offset=48 (local.get $row)))
              (local.set $x4 (v128.load offset=64 (local.get $row)))
              (local.set $t0v (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $x0) (local.get $x1)))
              (local.set $t1v (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $x0) (local.get $x1)))
              (local.set $t2v (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $x2) (local.get $x3)))
              (local.set $t3v (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $x2) (local.get $x3)))
              (local.set $c0 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0v) (local.get $t2v)))
              (local.set $c1 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0v) (local.get $t2v)))
              (v128.store offset=0 (local.get $d) (local.get $c0))
              (v128.store offset=16 (local.get $d) (local.get $c1))
              (v128.store offset=32 (local.get $d)
                (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1v) (local.get $t3v)))
              (v128.store offset=48 (local.get $d)
                (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1v) (local.get $t3v)))
              (v128.store offset=64 (local.get $d)
                (i8x16.shuffle 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 (local.get $c0) (local.get $x4)))
              (v128.store offset=80 (local.get $d)
                (i8x16.shuffle 4 5 6 7 8 9 10 11 12 13 14 15 20 21 22 23 (local.get $c1) (local.get $x4)))
              (local.set $row (i32.add (local.get $row) (local.get $rowb)))
              (local.set $d (i32.add (local.get $d) (i32.const 96)))
              (br_if $r_loop (i32.lt_u (local.tee $r (i32.add (local.get $r) (i32.const 1))) (i32.const 6)))))
          (else
            ;; Edge of the tile grid: gather each lane's patch as [r*6+c][lane]; tiles past the end are zero.
            (local.set $l (i32.const 0))
            (loop $l_loop
              (local.set $tt (i32.add (local.get $t) (local.get $l)))
              (local.set $p (i32.add (i32.add (local.get $src) (i32.mul (local.get $ci) (local.get $plane)))
                (i32.add (i32.mul (i32.shl (i32.div_u (local.get $tt) (local.get $tilesX)) (i32.const 2)) (local.get $rowb))
                         (i32.shl (i32.rem_u (local.get $tt) (local.get $tilesX)) (i32.const 4)))))
              (local.set $r (i32.const 0))
              (loop $r_loop2
                (local.set $c (i32.const 0))
                (loop $c_loop
                  (f32.store (i32.add (local.get $scratch)
                               (i32.add (i32.shl (i32.add (i32.mul (local.get $r) (i32.const 6)) (local.get $c)) (i32.const 4))
                                        (i32.shl (local.get $l) (i32.const 2))))
                    (if (result f32) (i32.lt_u (local.get $tt) (local.get $tilesTotal))
                      (then (f32.load (i32.add (local.get $p)
                              (i32.add (i32.mul (local.get $r) (local.get $rowb)) (i32.shl (local.get $c) (i32.const 2))))))
                      (else (f32.const 0))))
                  (br_if $c_loop (i32.lt_u (local.tee $c (i32.add (local.get $c) (i32.const 1))) (i32.const 6))))
                (br_if $r_loop2 (i32.lt_u (local.tee $r (i32.add (local.get $r) (i32.const 1))) (i32.const 6))))
              (br_if $l_loop (i32.lt_u (local.tee $l (i32.add (local.get $l) (i32.const 1))) (i32.const 4))))))
        ;; Columns (down r) into E = Bᵀ d, then rows (along c) into V: row i of Bᵀ d B goes to
        ;; ξ = 6i .. 6i+5. Bᵀ's rows: 4d0 - 5d2 + d4, (d4 - 4d2) ± (d3 - 4d1), (d4 - d2) ± 2(d3 - d1),
        ;; 4d1 - 5d3 + d5.
        (local.set $d (local.get $scratch))
        (loop $col_loop
          (local.set $x0 (v128.load offset=0 (local.get $d)))
          (local.set $x1 (v128.load offset=96 (local.get $d)))
          (local.set $x2 (v128.load offset=192 (local.get $d)))
          (local.set $x3 (v128.load offset=288 (local.get $d)))
          (local.set $x4 (v128.load offset=384 (local.get $d)))
          (local.set $c0 (v128.load offset=480 (local.get $d)))
          (v128.store offset=576 (local.get $d)
            (f32x4.add (f32x4.sub (f32x4.mul (local.get $x0) (v128.const f32x4 4 4 4 4))
                                  (f32x4.mul (local.get $x2) (v128.const f32x4 5 5 5 5))) (local.get $x4)))
          (local.set $t0v (f32x4.sub (local.get $x4) (f32x4.mul (local.get $x2) (v128.const f32x4 4 4 4 4))))
          (local.set $t1v (f32x4.sub (local.get $x3) (f32x4.mul (local.get $x1) (v128.const f32x4 4 4 4 4))))
          (v128.store offset=672 (local.get $d) (f32x4.add (local.get $t0v) (local.get $t1v)))
          (v128.store offset=768 (local.get $d) (f32x4.sub (local.get $t0v) (local.get $t1v)))
          (local.set $t0v (f32x4.sub (local.get $x4) (local.get $x2)))
          (local.set $t1v (f32x4.mul (f32x4.sub (local.get $x3) (local.get $x1)) (v128.const f32x4 2 2 2 2)))
          (v128.store offset=864 (local.get $d) (f32x4.add (local.get $t0v) (local.get $t1v)))
          (v128.store offset=960 (local.get $d) (f32x4.sub (local.get $t0v) (local.get $t1v)))
          (v128.store offset=1056 (local.get $d)
            (f32x4.add (f32x4.sub (f32x4.mul (local.get $x1) (v128.const f32x4 4 4 4 4))
                                  (f32x4.mul (local.get $x3) (v128.const f32x4 5 5 5 5))) (local.get $c0)))
          (local.set $d (i32.add (local.get $d) (i32.const 16)))
          (br_if $col_loop (i32.lt_u (local.get $d) (i32.add (local.get $scratch) (i32.const 96)))))
        (local.set $dst (i32.add (i32.add (local.get $v) (i32.shl (local.get $ci) (i32.const 5)))
          (i32.add (i32.mul (i32.shr_u (local.get $q) (i32.const 1)) (i32.shl (local.get $cin) (i32.const 5)))
                   (i32.shl (i32.and (local.get $q) (i32.const 1)) (i32.const 4)))))
        (local.set $d (i32.add (local.get $scratch) (i32.const 576)))
        (loop $row_loop
          (local.set $x0 (v128.load offset=0 (local.get $d)))
          (local.set $x1 (v128.load offset=16 (local.get $d)))
          (local.set $x2 (v128.load offset=32 (local.get $d)))
          (local.set $x3 (v128.load offset=48 (local.get $d)))
          (local.set $x4 (v128.load offset=64 (local.get $d)))
          (local.set $c0 (v128.load offset=80 (local.get $d)))
          (v128.store (local.get $dst)
            (f32x4.add (f32x4.sub (f32x4.mul (local.get $x0) (v128.const f32x4 4 4 4 4))
                                  (f32x4.mul (local.get $x2) (v128.const f32x4 5 5 5 5))) (local.get $x4)))
          (local.set $t0v (f32x4.sub (local.get $x4) (f32x4.mul (local.get $x2) (v128.const f32x4 4 4 4 4))))
          (local.set $t1v (f32x4.sub (local.get $x3) (f32x4.mul (local.get $x1) (v128.const f32x4 4 4 4 4))))
          (v128.store (i32.add (local.get $dst) (local.get $vXi)) (f32x4.add (local.get $t0v) (local.get $t1v)))
          (v128.store (i32.add (local.get $dst) (i32.mul (local.get $vXi) (i32.const 2))) (f32x4.sub (local.get $t0v) (local.get $t1v)))
          (local.set $t0v (f32x4.sub (local.get $x4) (local.get $x2)))
          (local.set $t1v (f32x4.mul (f32x4.sub (local.get $x3) (local.get $x1)) (v128.const f32x4 2 2 2 2)))
          (v128.store (i32.add (local.get $dst) (i32.mul (local.get $vXi) (i32.const 3))) (f32x4.add (local.get $t0v) (local.get $t1v)))
          (v128.store (i32.add (local.get $dst) (i32.mul (local.get $vXi) (i32.const 4))) (f32x4.sub (local.get $t0v) (local.get $t1v)))
          (v128.store (i32.add (local.get $dst) (i32.mul (local.get $vXi) (i32.const 5)))
            (f32x4.add (f32x4.sub (f32x4.mul (local.get $x1) (v128.const f32x4 4 4 4 4))
                                  (f32x4.mul (local.get $x3) (v128.const f32x4 5 5 5 5))) (local.get $c0)))
          (local.set $dst (i32.add (local.get $dst) (i32.mul (local.get $vXi) (i32.const 6))))
          (local.set $d (i32.add (local.get $d) (i32.const 96)))
          (br_if $row_loop (i32.lt_u (local.get $d) (i32.add (local.get $scratch) (i32.const 1152)))))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (br $q_loop)))
      (local.set $ci (i32.add (local.get $ci) (i32.const 1)))
      (br $ci_loop))))

  ;; Y = min(max(Aᵀ M A + bias, lo), hi) (4x4) for tiles t0 .. t0+T-1 and every output channel, into
  ;; out (cout, ho, wo) (lo, hi: the clamp of a fused activation, or -inf, +inf);
  ;; M as in wino_output (ξ < 36). scratch: 640 bytes: Aᵀ M as [r][c] (24 vectors), then Y (16).
  (func $wino4_output (export "wino4_output") (param $m i32) (param $mXi i32) (param $cout i32) (param $T i32)
        (param $t0 i32) (param $tilesX i32) (param $tilesTotal i32) (param $out i32) (param $ho i32) (param $wo i32)
        (param $bias i32) (param $scratch i32) (param $lo f32) (param $hi f32)
    (local $vlo v128) (local $vhi v128)
    (local $co i32) (local $q i32) (local $t i32) (local $tt i32) (local $l i32) (local $r i32) (local $c i32)
    (local $ty i32) (local $tx i32) (local $src i32) (local $plane i32) (local $dst i32) (local $y i32) (local $x i32)
    (local $d i32) (local $b v128)
    (local $m0 v128) (local $m5 v128) (local $s12 v128) (local $d12 v128) (local $s34 v128) (local $d34 v128)
    (local.set $plane (i32.shl (i32.mul (local.get $ho) (local.get $wo)) (i32.const 2)))
    (local.set $vlo (f32x4.splat (local.get $lo)))
    (local.set $vhi (f32x4.splat (local.get $hi)))
    (block $co_done (loop $co_loop
      (br_if $co_done (i32.ge_u (local.get $co) (local.get $cout)))
      (local.set $b (v128.load32_splat (i32.add (local.get $bias) (i32.shl (local.get $co) (i32.const 2)))))
      (local.set $q (i32.const 0))
      (block $q_done (loop $q_loop
        (local.set $t (i32.add (local.get $t0) (i32.shl (local.get $q) (i32.const 2))))
        (br_if $q_done (i32.ge_u (i32.shl (local.get $q) (i32.const 2)) (local.get $T)))
        (br_if $q_done (i32.ge_u (local.get $t) (local.get $tilesTotal)))
        (local.set $src (i32.add (local.get $m)
          (i32.shl (i32.add (i32.mul (local.get $co) (local.get $T)) (i32.shl (local.get $q) (i32.const 2))) (i32.const 2))))
        ;; Each row of M (ξ = 6r .. 6r+5) through Aᵀ into S (6x4), then each column of S into Y.
        ;; Aᵀ's rows: m0 + (m1+m2) + (m3+m4), (m1-m2) + 2(m3-m4), (m1+m2) + 4(m3+m4), (m1-m2) + 8(m3-m4) + m5.
        (local.set $d (local.get $scratch))
        (loop $row_loop
          (local.set $m0 (v128.load (local.get $src)))
          (local.set $s12 (f32x4.add (v128.load (i32.add (local.get $src) (local.get $mXi)))
                                     (v128.load (i32.add (local.get $src) (i32.mul (local.get $mXi) (i32.const 2))))))
          (local.set $d12 (f32x4.sub (v128.load (i32.add (local.get $src) (local.get $mXi)))
                                     (v128.load (i32.add (local.get $src) (i32.mul (local.get $mXi) (i32.const 2))))))
          (local.set $s34 (f32x4.add (v128.load (i32.add (local.get $src) (i32.mul (local.get $mXi) (i32.const 3))))
                                     (v128.load (i32.add (local.get $src) (i32.mul (local.get $mXi) (i32.const 4))))))
          (local.set $d34 (f32x4.sub (v128.load (i32.add (local.get $src) (i32.mul (local.get $mXi) (i32.const 3))))
                                     (v128.load (i32.add (local.get $src) (i32.mul (local.get $mXi) (i32.const 4))))))
          (local.set $m5 (v128.load (i32.add (local.get $src) (i32.mul (local.get $mXi) (i32.const 5)))))
          (v128.store offset=0 (local.get $d) (f32x4.add (f32x4.add (local.get $m0) (local.get $s12)) (local.get $s34)))
          (v128.store offset=16 (local.get $d) (f32x4.add (local.get $d12) (f32x4.mul (local.get $d34) (v128.const f32x4 2 2 2 2))))
          (v128.store offset=32 (local.get $d) (f32x4.add (local.get $s12) (f32x4.mul (local.get $s34) (v128.const f32x4 4 4 4 4))))
          (v128.store offset=48 (local.get $d)
            (f32x4.add (f32x4.add (local.get $d12) (f32x4.mul (local.get $d34) (v128.const f32x4 8 8 8 8))) (local.get $m5)))
          (local.set $src (i32.add (local.get $src) (i32.mul (local.get $mXi) (i32.const 6))))
          (local.set $d (i32.add (local.get $d) (i32.const 64)))
          (br_if $row_loop (i32.lt_u (local.get $d) (i32.add (local.get $scratch) (i32.const 384)))))
        (local.set $d (local.get $scratch))
        (loop $col_loop
          (local.set $m0 (v128.load offset=0 (local.get $d)))
          (local.set $s12 (f32x4.add (v128.load offset=64 (local.get $d)) (v128.load offset=128 (local.get $d))))
          (local.set $d12 (f32x4.sub (v128.load offset=64 (local.get $d)) (v128.load offset=128 (local.get $d))))
          (local.set $s34 (f32x4.add (v128.load offset=192 (local.get $d)) (v128.load offset=256 (local.get $d))))
          (local.set $d34 (f32x4.sub (v128.load offset=192 (local.get $d)) (v128.load offset=256 (local.get $d))))
          (local.set $m5 (v128.load offset=320 (local.get $d)))
          ;; + bias, clamped (a fused activation).
          (v128.store offset=384 (local.get $d) (f32x4.pmin (f32x4.pmax
            (f32x4.add (f32x4.add (f32x4.add (local.get $m0) (local.get $s12)) (local.get $s34)) (local.get $b))
            (local.get $vlo)) (local.get $vhi)))
          (v128.store offset=448 (local.get $d) (f32x4.pmin (f32x4.pmax
            (f32x4.add (f32x4.add (local.get $d12) (f32x4.mul (local.get $d34) (v128.const f32x4 2 2 2 2))) (local.get $b))
            (local.get $vlo)) (local.get $vhi)))
          (v128.store offset=512 (local.get $d) (f32x4.pmin (f32x4.pmax
            (f32x4.add (f32x4.add (local.get $s12) (f32x4.mul (local.get $s34) (v128.const f32x4 4 4 4 4))) (local.get $b))
            (local.get $vlo)) (local.get $vhi)))
          (v128.store offset=576 (local.get $d) (f32x4.pmin (f32x4.pmax
            (f32x4.add (f32x4.add (f32x4.add (local.get $d12) (f32x4.mul (local.get $d34) (v128.const f32x4 8 8 8 8))) (local.get $m5))
                       (local.get $b))
            (local.get $vlo)) (local.get $vhi)))
          (local.set $d (i32.add (local.get $d) (i32.const 16)))
          (br_if $col_loop (i32.lt_u (local.get $d) (i32.add (local.get $scratch) (i32.const 64)))))
        (local.set $ty (i32.div_u (local.get $t) (local.get $tilesX)))
        (local.set $tx (i32.rem_u (local.get $t) (local.get $tilesX)))
        (if (i32.and (i32.and
              (i32.le_u (i32.add (local.get $t) (i32.const 4)) (local.get $tilesTotal))
              (i32.le_u (i32.add (i32.shl (local.get $tx) (i32.const 2)) (i32.const 16)) (local.get $wo)))
              (i32.le_u (i32.add (i32.shl (local.get $ty) (i32.const 2)) (i32.const 4)) (local.get $ho)))
          (then
            ;; 4 real tiles side by side, all inside the image: row r of Y, transposed, is 16
            ;; consecutive outputs of image row 4*ty + r.
            (local.set $dst (i32.add (i32.add (local.get $out) (i32.mul (local.get $co) (local.get $plane)))
              (i32.shl (i32.add (i32.mul (i32.shl (local.get $ty) (i32.const 2)) (local.get $wo))
                                (i32.shl (local.get $tx) (i32.const 2))) (i32.const 2))))
            (local.set $y (i32.add (local.get $scratch) (i32.const 384)))
            (loop $store_loop
              (local.set $m0 (v128.load offset=0 (local.get $y)))
              (local.set $m5 (v128.load offset=16 (local.get $y)))
              (local.set $s12 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $m0) (local.get $m5)))
              (local.set $d12 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $m0) (local.get $m5)))
              (local.set $m0 (v128.load offset=32 (local.get $y)))
              (local.set $m5 (v128.load offset=48 (local.get $y)))
              (local.set $s34 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $m0) (local.get $m5)))
              (local.set $d34 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $m0) (local.get $m5)))
              (v128.store offset=0 (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $s12) (local.get $s34)))
              (v128.store offset=16 (local.get $dst) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $s12) (local.get $s34)))
              (v128.store offset=32 (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $d12) (local.get $d34)))
              (v128.store offset=48 (local.get $dst) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $d12) (local.get $d34)))
              (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $wo) (i32.const 2))))
              (local.set $y (i32.add (local.get $y) (i32.const 64)))
              (br_if $store_loop (i32.lt_u (local.get $y) (i32.add (local.get $scratch) (i32.const 640))))))
          (else
            (local.set $l (i32.const 0))
            (block $l_done (loop $l_loop
              (local.set $tt (i32.add (local.get $t) (local.get $l)))
              (br_if $l_done (i32.ge_u (local.get $l) (i32.const 4)))
              (br_if $l_done (i32.ge_u (local.get $tt) (local.get $tilesTotal)))
              (local.set $r (i32.const 0))
              (loop $r_loop
                (local.set $y (i32.add (i32.shl (i32.div_u (local.get $tt) (local.get $tilesX)) (i32.const 2)) (local.get $r)))
                (local.set $c (i32.const 0))
                (loop $c_loop
                  (local.set $x (i32.add (i32.shl (i32.rem_u (local.get $tt) (local.get $tilesX)) (i32.const 2)) (local.get $c)))
                  (if (i32.and (i32.lt_u (local.get $y) (local.get $ho)) (i32.lt_u (local.get $x) (local.get $wo)))
                    (then (f32.store (i32.add (i32.add (local.get $out) (i32.mul (local.get $co) (local.get $plane)))
                                              (i32.shl (i32.add (i32.mul (local.get $y) (local.get $wo)) (local.get $x)) (i32.const 2)))
                      (f32.load offset=384 (i32.add (local.get $scratch)
                        (i32.add (i32.shl (i32.add (i32.shl (local.get $r) (i32.const 2)) (local.get $c)) (i32.const 4))
                                 (i32.shl (local.get $l) (i32.const 2))))))))
                  (br_if $c_loop (i32.lt_u (local.tee $c (i32.add (local.get $c) (i32.const 1))) (i32.const 4))))
                (br_if $r_loop (i32.lt_u (local.tee $r (i32.add (local.get $r) (i32.const 1))) (i32.const 4))))
              (local.set $l (i32.add (local.get $l) (i32.const 1)))
              (br $l_loop)))))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (br $q_loop)))
      (local.set $co (i32.add (local.get $co) (i32.const 1)))
      (br $co_loop))))

  ;; y[r] = W[r] · x for r < rows, with W (rows, k) row-major: four rows at a time share each load
  ;; of x; the reduction order differs from a scalar loop only by float rounding.
  (func $gemv (export "gemv") (param $w i32) (param $x i32) (param $y i32) (param $rows i32) (param $k i32)
    (local $r i32) (local $i i32) (local $k4 i32) (local $rowb i32)
    (local $w0 i32) (local $w1 i32) (local $w2 i32) (local $w3 i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $xv v128)
    (local $s0 f32) (local $s1 f32) (local $s2 f32) (local $s3 f32) (local $xs f32)
    (local.set $k4 (i32.and (local.get $k) (i32.const -4)))
    (local.set $rowb (i32.shl (local.get $k) (i32.const 2)))
    (block $r_done (loop $r_loop
      (br_if $r_done (i32.gt_u (i32.add (local.get $r) (i32.const 4)) (local.get $rows)))
      (local.set $w0 (i32.add (local.get $w) (i32.mul (local.get $r) (local.get $rowb))))
      (local.set $w1 (i32.add (local.get $w0) (local.get $rowb)))
      (local.set $w2 (i32.add (local.get $w1) (local.get $rowb)))
      (local.set $w3 (i32.add (local.get $w2) (local.get $rowb)))
      (local.set $a0 (v128.const i32x4 0 0 0 0))
      (local.set $a1 (v128.const i32x4 0 0 0 0))
      (local.set $a2 (v128.const i32x4 0 0 0 0))
      (local.set $a3 (v128.const i32x4 0 0 0 0))
      (local.set $i (i32.const 0))
      (block $i_done (loop $i_loop
        (br_if $i_done (i32.ge_u (i32.shr_u (local.get $i) (i32.const 2)) (local.get $k4)))
        (local.set $xv (v128.load (i32.add (local.get $x) (local.get $i))))
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load (i32.add (local.get $w0) (local.get $i))) (local.get $xv))))
        (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (v128.load (i32.add (local.get $w1) (local.get $i))) (local.get $xv))))
        (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (v128.load (i32.add (local.get $w2) (local.get $i))) (local.get $xv))))
        (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (v128.load (i32.add (local.get $w3) (local.get $i))) (local.get $xv))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $i_loop)))
      (local.set $s0 (call $hsum (local.get $a0)))
      (local.set $s1 (call $hsum (local.get $a1)))
      (local.set $s2 (call $hsum (local.get $a2)))
      (local.set $s3 (call $hsum (local.get $a3)))
      (block $t_done (loop $t_loop
        (br_if $t_done (i32.ge_u (local.get $i) (local.get $rowb)))
        (local.set $xs (f32.load (i32.add (local.get $x) (local.get $i))))
        (local.set $s0 (f32.add (local.get $s0) (f32.mul (f32.load (i32.add (local.get $w0) (local.get $i))) (local.get $xs))))
        (local.set $s1 (f32.add (local.get $s1) (f32.mul (f32.load (i32.add (local.get $w1) (local.get $i))) (local.get $xs))))
        (local.set $s2 (f32.add (local.get $s2) (f32.mul (f32.load (i32.add (local.get $w2) (local.get $i))) (local.get $xs))))
        (local.set $s3 (f32.add (local.get $s3) (f32.mul (f32.load (i32.add (local.get $w3) (local.get $i))) (local.get $xs))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $t_loop)))
      (f32.store offset=0 (i32.add (local.get $y) (i32.shl (local.get $r) (i32.const 2))) (local.get $s0))
      (f32.store offset=4 (i32.add (local.get $y) (i32.shl (local.get $r) (i32.const 2))) (local.get $s1))
      (f32.store offset=8 (i32.add (local.get $y) (i32.shl (local.get $r) (i32.const 2))) (local.get $s2))
      (f32.store offset=12 (i32.add (local.get $y) (i32.shl (local.get $r) (i32.const 2))) (local.get $s3))
      (local.set $r (i32.add (local.get $r) (i32.const 4)))
      (br $r_loop)))
    ;; Leftover rows, one at a time.
    (block $r1_done (loop $r1_loop
      (br_if $r1_done (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $w0 (i32.add (local.get $w) (i32.mul (local.get $r) (local.get $rowb))))
      (local.set $a0 (v128.const i32x4 0 0 0 0))
      (local.set $i (i32.const 0))
      (block $i1_done (loop $i1_loop
        (br_if $i1_done (i32.ge_u (i32.shr_u (local.get $i) (i32.const 2)) (local.get $k4)))
        (local.set $a0 (f32x4.add (local.get $a0)
          (f32x4.mul (v128.load (i32.add (local.get $w0) (local.get $i))) (v128.load (i32.add (local.get $x) (local.get $i))))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $i1_loop)))
      (local.set $s0 (call $hsum (local.get $a0)))
      (block $t1_done (loop $t1_loop
        (br_if $t1_done (i32.ge_u (local.get $i) (local.get $rowb)))
        (local.set $s0 (f32.add (local.get $s0)
          (f32.mul (f32.load (i32.add (local.get $w0) (local.get $i))) (f32.load (i32.add (local.get $x) (local.get $i))))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $t1_loop)))
      (f32.store (i32.add (local.get $y) (i32.shl (local.get $r) (i32.const 2))) (local.get $s0))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $r1_loop))))

  ;; The sum of a vector's four lanes.
  (func $hsum (param $v v128) (result f32)
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))
;; ---------------------------------------------------------------------------------------------
  ;; Copies `rows` rows of W floats from `from` (contiguous) to `to`, rows rowb bytes apart.
  (func $copy_rows (param $from i32) (param $to i32) (param $rows i32) (param $W i32) (param $rowb i32)
    (local $i i32)
    (block $y_done (loop $y_loop
      (br_if $y_done (i32.eqz (local.get $rows)))
      (local.set $i (i32.const 0))
      (block $v_done (loop $v_loop
        (br_if $v_done (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $W)))
        (v128.store (i32.add (local.get $to) (i32.shl (local.get $i) (i32.const 2)))
          (v128.load (i32.add (local.get $from) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $v_loop)))
      (block $s_done (loop $s_loop
        (br_if $s_done (i32.ge_u (local.get $i) (local.get $W)))
        (f32.store (i32.add (local.get $to) (i32.shl (local.get $i) (i32.const 2)))
          (f32.load (i32.add (local.get $from) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $s_loop)))
      (local.set $from (i32.add (local.get $from) (i32.shl (local.get $W) (i32.const 2))))
      (local.set $to (i32.add (local.get $to) (local.get $rowb)))
      (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
      (br $y_loop))))

  ;; Depthwise 3x3 convolution (one filter per channel, as in MobileNet), stride 1 or 2, dilation 1:
  ;;   out[c][oy][ox] = clamp(bias[c] + sum over ky, kx of w[c][ky][kx] * in[c][s*oy - p + ky][s*ox - p + kx])
  ;; with zeros outside the image, clamp(x) = min(max(x, lo), hi) (the fused activation; -inf/+inf for
  ;; none). Each channel is first copied into a plane in scratch with a zero border of p (row stride Wp =
  ;; W + 2p floats), so the inner loop has no edge tests: it makes 4 outputs of one row per vector, and for
  ;; stride 2 picks the even and odd columns of 8 loaded inputs with shuffles. Lanes past the row's end read
  ;; whatever follows (scratch has a row and 16 floats of slack) and are not stored. The partial last
  ;; vector's stores are written out in each loop (here twice, once in job_maxpool): behind a call V8
  ;; keeps none of the loop's vectors in registers across it, and the kernel ran 0.8x as fast.
  ;; Fields: src H W wgt bias out Ho Wo stride pad c0 c1 scratch lo(f32) hi(f32).
  (func (export "job_dw3x3") (param $p i32)
    (local $src i32) (local $H i32) (local $W i32) (local $wgt i32) (local $Ho i32) (local $Wo i32)
    (local $stride i32) (local $pad i32) (local $c i32) (local $c1 i32) (local $scratch i32)
    (local $Wp i32) (local $rowb i32) (local $i i32) (local $n i32)
    (local $dst i32) (local $oy i32) (local $ox i32) (local $q i32) (local $q1 i32) (local $q2 i32)
    (local $lo v128) (local $hi v128) (local $b v128) (local $acc v128) (local $va v128) (local $vb v128)
    (local $w0 v128) (local $w1 v128) (local $w2 v128) (local $w3 v128) (local $w4 v128)
    (local $w5 v128) (local $w6 v128) (local $w7 v128) (local $w8 v128)
    (local.set $src (i32.load offset=0 (local.get $p)))
    (local.set $H (i32.load offset=4 (local.get $p)))
    (local.set $W (i32.load offset=8 (local.get $p)))
    (local.set $wgt (i32.load offset=12 (local.get $p)))
    (local.set $Ho (i32.load offset=24 (local.get $p)))
    (local.set $Wo (i32.load offset=28 (local.get $p)))
    (local.set $stride (i32.load offset=32 (local.get $p)))
    (local.set $pad (i32.load offset=36 (local.get $p)))
    (local.set $c (i32.load offset=40 (local.get $p)))
    (local.set $c1 (i32.load offset=44 (local.get $p)))
    (local.set $scratch (i32.load offset=48 (local.get $p)))
    (local.set $lo (v128.load32_splat offset=52 (local.get $p)))
    (local.set $hi (v128.load32_splat offset=56 (local.get $p)))
    (local.set $Wp (i32.add (local.get $W) (i32.shl (local.get $pad) (i32.const 1))))
    (local.set $rowb (i32.shl (local.get $Wp) (i32.const 2)))
    ;; Zero the whole plane once: only its interior is rewritten per channel.
    (local.set $n (i32.shl (i32.mul (i32.add (local.get $H) (i32.shl (local.get $pad) (i32.const 1))) (local.get $Wp)) (i32.const 2)))
    (local.set $i (i32.const 0))
    (block $z_done (loop $z_loop
      (br_if $z_done (i32.ge_u (local.get $i) (local.get $n)))
      (f32.store (i32.add (local.get $scratch) (local.get $i)) (f32.const 0))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $z_loop)))
    (block $c_done (loop $c_loop
      (br_if $c_done (i32.ge_u (local.get $c) (local.get $c1)))
      ;; The channel's rows into the plane's interior, starting at (pad, pad).
      (call $copy_rows (i32.add (local.get $src) (i32.shl (i32.mul (i32.mul (local.get $c) (local.get $H)) (local.get $W)) (i32.const 2)))
        (i32.add (local.get $scratch) (i32.shl (i32.add (i32.mul (local.get $pad) (local.get $Wp)) (local.get $pad)) (i32.const 2)))
        (local.get $H) (local.get $W) (local.get $rowb))
      (local.set $q (i32.add (local.get $wgt) (i32.mul (local.get $c) (i32.const 36))))
      (local.set $w0 (v128.load32_splat offset=0 (local.get $q)))
      (local.set $w1 (v128.load32_splat offset=4 (local.get $q)))
      (local.set $w2 (v128.load32_splat offset=8 (local.get $q)))
      (local.set $w3 (v128.load32_splat offset=12 (local.get $q)))
      (local.set $w4 (v128.load32_splat offset=16 (local.get $q)))
      (local.set $w5 (v128.load32_splat offset=20 (local.get $q)))
      (local.set $w6 (v128.load32_splat offset=24 (local.get $q)))
      (local.set $w7 (v128.load32_splat offset=28 (local.get $q)))
      (local.set $w8 (v128.load32_splat offset=32 (local.get $q)))
      (local.set $b (v128.load32_splat (i32.add (i32.load offset=16 (local.get $p)) (i32.shl (local.get $c) (i32.const 2)))))
      (local.set $dst (i32.add (i32.load offset=20 (local.get $p))
        (i32.shl (i32.mul (i32.mul (local.get $c) (local.get $Ho)) (local.get $Wo)) (i32.const 2))))
      ;; Per vector of 4 outputs, each kernel row's three products are summed first, then the rows and
      ;; the bias as a tree: five dependent adds instead of nine, so consecutive vectors overlap.
      (local.set $oy (i32.const 0))
      (block $oy_done (loop $oy_loop
        (br_if $oy_done (i32.ge_u (local.get $oy) (local.get $Ho)))
        (local.set $ox (i32.const 0))
        (if (i32.eq (local.get $stride) (i32.const 1))
          (then
            ;; q: input (oy, ox) of the plane; q + rowb, q + 2 rowb: rows oy + 1, oy + 2.
            (local.set $q (i32.add (local.get $scratch) (i32.mul (local.get $oy) (local.get $rowb))))
            (block $ox1_done (loop $ox1_loop
              (br_if $ox1_done (i32.ge_u (local.get $ox) (local.get $Wo)))
              (local.set $q1 (i32.add (local.get $q) (local.get $rowb)))
              (local.set $q2 (i32.add (local.get $q1) (local.get $rowb)))
              (local.set $acc (f32x4.add
                (f32x4.add (f32x4.add (f32x4.add (f32x4.mul (local.get $w0) (v128.load (local.get $q))) (f32x4.mul (local.get $w1) (v128.load offset=4 (local.get $q))))
                  (f32x4.mul (local.get $w2) (v128.load offset=8 (local.get $q))))
                  (local.get $b))
                (f32x4.add (f32x4.add (f32x4.add (f32x4.mul (local.get $w3) (v128.load (local.get $q1))) (f32x4.mul (local.get $w4) (v128.load offset=4 (local.get $q1))))
                  (f32x4.mul (local.get $w5) (v128.load offset=8 (local.get $q1))))
                  (f32x4.add (f32x4.add (f32x4.mul (local.get $w6) (v128.load (local.get $q2))) (f32x4.mul (local.get $w7) (v128.load offset=4 (local.get $q2))))
                  (f32x4.mul (local.get $w8) (v128.load offset=8 (local.get $q2)))))))
              (local.set $acc (f32x4.pmin (f32x4.pmax (local.get $acc) (local.get $lo)) (local.get $hi)))
              (local.set $q1 (i32.add (local.get $dst) (i32.shl (local.get $ox) (i32.const 2))))
              (if (i32.le_u (i32.add (local.get $ox) (i32.const 4)) (local.get $Wo))
                (then (v128.store (local.get $q1) (local.get $acc)))
                (else
                  (f32.store (local.get $q1) (f32x4.extract_lane 0 (local.get $acc)))
                  (if (i32.gt_u (i32.sub (local.get $Wo) (local.get $ox)) (i32.const 1))
                    (then (f32.store offset=4 (local.get $q1) (f32x4.extract_lane 1 (local.get $acc)))))
                  (if (i32.gt_u (i32.sub (local.get $Wo) (local.get $ox)) (i32.const 2))
                    (then (f32.store offset=8 (local.get $q1) (f32x4.extract_lane 2 (local.get $acc)))))))
              (local.set $q (i32.add (local.get $q) (i32.const 16)))
              (local.set $ox (i32.add (local.get $ox) (i32.const 4)))
              (br $ox1_loop))))
          (else
            ;; q: input (2 oy, 2 ox); columns 2 ox + kx of 4 outputs are the even (kx = 0, 2) or odd
            ;; (kx = 1) lanes of the 8 floats from q (from q + 8 bytes for kx = 2).
            (local.set $q (i32.add (local.get $scratch) (i32.mul (i32.shl (local.get $oy) (i32.const 1)) (local.get $rowb))))
            (block $ox2_done (loop $ox2_loop
              (br_if $ox2_done (i32.ge_u (local.get $ox) (local.get $Wo)))
              (local.set $q1 (i32.add (local.get $q) (local.get $rowb)))
              (local.set $q2 (i32.add (local.get $q1) (local.get $rowb)))
              (local.set $acc (f32x4.add
                (f32x4.add (f32x4.add (f32x4.add
                    (f32x4.mul (local.get $w0) (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (v128.load (local.get $q)) (v128.load offset=16 (local.get $q))))
                    (f32x4.mul (local.get $w1) (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (v128.load (local.get $q)) (v128.load offset=16 (local.get $q)))))
                  (f32x4.mul (local.get $w2) (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (v128.load offset=8 (local.get $q)) (v128.load offset=24 (local.get $q)))))
                  (local.get $b))
                (f32x4.add (f32x4.add (f32x4.add
                    (f32x4.mul (local.get $w3) (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (v128.load (local.get $q1)) (v128.load offset=16 (local.get $q1))))
                    (f32x4.mul (local.get $w4) (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (v128.load (local.get $q1)) (v128.load offset=16 (local.get $q1)))))
                  (f32x4.mul (local.get $w5) (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (v128.load offset=8 (local.get $q1)) (v128.load offset=24 (local.get $q1)))))
                  (f32x4.add (f32x4.add
                    (f32x4.mul (local.get $w6) (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (v128.load (local.get $q2)) (v128.load offset=16 (local.get $q2))))
                    (f32x4.mul (local.get $w7) (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (v128.load (local.get $q2)) (v128.load offset=16 (local.get $q2)))))
                  (f32x4.mul (local.get $w8) (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (v128.load offset=8 (local.get $q2)) (v128.load offset=24 (local.get $q2))))))))
              (local.set $acc (f32x4.pmin (f32x4.pmax (local.get $acc) (local.get $lo)) (local.get $hi)))
              (local.set $q1 (i32.add (local.get $dst) (i32.shl (local.get $ox) (i32.const 2))))
              (if (i32.le_u (i32.add (local.get $ox) (i32.const 4)) (local.get $Wo))
                (then (v128.store (local.get $q1) (local.get $acc)))
                (else
                  (f32.store (local.get $q1) (f32x4.extract_lane 0 (local.get $acc)))
                  (if (i32.gt_u (i32.sub (local.get $Wo) (local.get $ox)) (i32.const 1))
                    (then (f32.store offset=4 (local.get $q1) (f32x4.extract_lane 1 (local.get $acc)))))
                  (if (i32.gt_u (i32.sub (local.get $Wo) (local.get $ox)) (i32.const 2))
                    (then (f32.store offset=8 (local.get $q1) (f32x4.extract_lane 2 (local.get $acc)))))))
              (local.set $q (i32.add (local.get $q) (i32.const 32)))
              (local.set $ox (i32.add (local.get $ox) (i32.const 4)))
              (br $ox2_loop)))))
        (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $Wo) (i32.const 2))))
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br $oy_loop)))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br $c_loop))))

;; Max pooling, kernel kh x kw, stride sh x sw with sw 1 or 2, padding ph x pw (-inf), for channels
  ;; c0 .. c1-1; the output size Ho x Wo is the caller's (floor or ceil mode: a window may run past the
  ;; padding). Each channel is copied into a plane in scratch (row stride Wp floats) with a border of
  ;; -inf wide enough for every window (pw left, ph above, the rest right and below) and 8 floats of slack
  ;; per row, so the inner loop has no edge tests: 4 outputs of a row per vector, the max over the
  ;; window's rows of its columns (stride 2: the even or odd lanes of 8 loaded floats). f32x4.max keeps a
  ;; NaN and takes +0 over -0, as Math.max and PyTorch. Lanes past Wo are computed and not stored.
  ;; Fields: src H W out Ho Wo kh kw sh sw ph pw c0 c1 scratch Hp Wp.
  (func (export "job_maxpool") (param $p i32)
    (local $src i32) (local $H i32) (local $W i32) (local $Ho i32) (local $Wo i32) (local $kh i32) (local $kw i32)
    (local $sh i32) (local $sw i32) (local $ph i32) (local $pw i32) (local $c i32) (local $c1 i32) (local $scratch i32)
    (local $Wp i32) (local $rowb i32) (local $i i32) (local $n i32)
    (local $dst i32) (local $oy i32) (local $ox i32) (local $ky i32) (local $kx i32) (local $row i32) (local $q i32)
    (local $acc v128) (local $ninf v128)
    (local.set $src (i32.load offset=0 (local.get $p)))
    (local.set $H (i32.load offset=4 (local.get $p)))
    (local.set $W (i32.load offset=8 (local.get $p)))
    (local.set $Ho (i32.load offset=16 (local.get $p)))
    (local.set $Wo (i32.load offset=20 (local.get $p)))
    (local.set $kh (i32.load offset=24 (local.get $p)))
    (local.set $kw (i32.load offset=28 (local.get $p)))
    (local.set $sh (i32.load offset=32 (local.get $p)))
    (local.set $sw (i32.load offset=36 (local.get $p)))
    (local.set $ph (i32.load offset=40 (local.get $p)))
    (local.set $pw (i32.load offset=44 (local.get $p)))
    (local.set $c (i32.load offset=48 (local.get $p)))
    (local.set $c1 (i32.load offset=52 (local.get $p)))
    (local.set $scratch (i32.load offset=56 (local.get $p)))
    (local.set $Wp (i32.load offset=64 (local.get $p)))
    (local.set $rowb (i32.shl (local.get $Wp) (i32.const 2)))
    (local.set $ninf (v128.const f32x4 -inf -inf -inf -inf))
    ;; The whole plane -inf once (Wp is a multiple of 4): only its interior is rewritten per channel.
    (local.set $n (i32.mul (i32.load offset=60 (local.get $p)) (local.get $rowb)))
    (local.set $i (i32.const 0))
    (block $z_done (loop $z_loop
      (br_if $z_done (i32.ge_u (local.get $i) (local.get $n)))
      (v128.store (i32.add (local.get $scratch) (local.get $i)) (local.get $ninf))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $z_loop)))
    (local.set $dst (i32.add (i32.load offset=12 (local.get $p))
      (i32.shl (i32.mul (i32.mul (local.get $c) (local.get $Ho)) (local.get $Wo)) (i32.const 2))))
    (block $c_done (loop $c_loop
      (br_if $c_done (i32.ge_u (local.get $c) (local.get $c1)))
      ;; The channel's rows into the plane's interior, starting at (ph, pw).
      (call $copy_rows (i32.add (local.get $src) (i32.shl (i32.mul (i32.mul (local.get $c) (local.get $H)) (local.get $W)) (i32.const 2)))
        (i32.add (local.get $scratch) (i32.shl (i32.add (i32.mul (local.get $ph) (local.get $Wp)) (local.get $pw)) (i32.const 2)))
        (local.get $H) (local.get $W) (local.get $rowb))
      (local.set $oy (i32.const 0))
      (block $oy_done (loop $oy_loop
        (br_if $oy_done (i32.ge_u (local.get $oy) (local.get $Ho)))
        (local.set $ox (i32.const 0))
        (block $ox_done (loop $ox_loop
          (br_if $ox_done (i32.ge_u (local.get $ox) (local.get $Wo)))
          ;; row: plane (oy·sh, ox·sw), the window's top left.
          (local.set $row (i32.add (local.get $scratch) (i32.add (i32.mul (i32.mul (local.get $oy) (local.get $sh)) (local.get $rowb))
            (i32.shl (i32.mul (local.get $ox) (local.get $sw)) (i32.const 2)))))
          (local.set $acc (local.get $ninf))
          (local.set $ky (i32.const 0))
          (loop $ky_loop
            (local.set $kx (i32.const 0))
            (loop $kx_loop
              (if (i32.eq (local.get $sw) (i32.const 1))
                (then (local.set $acc (f32x4.max (local.get $acc)
                  (v128.load (i32.add (local.get $row) (i32.shl (local.get $kx) (i32.const 2)))))))
                (else
                  ;; Columns 2(ox+i) + kx: lanes of the 8 floats from column 2 ox + (kx rounded down to even).
                  (local.set $q (i32.add (local.get $row) (i32.shl (i32.and (local.get $kx) (i32.const -2)) (i32.const 2))))
                  (local.set $acc (f32x4.max (local.get $acc)
                    (if (result v128) (i32.and (local.get $kx) (i32.const 1))
                      (then (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (v128.load (local.get $q)) (v128.load offset=16 (local.get $q))))
                      (else (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (v128.load (local.get $q)) (v128.load offset=16 (local.get $q)))))))))
              (br_if $kx_loop (i32.lt_u (local.tee $kx (i32.add (local.get $kx) (i32.const 1))) (local.get $kw))))
            (local.set $row (i32.add (local.get $row) (local.get $rowb)))
            (br_if $ky_loop (i32.lt_u (local.tee $ky (i32.add (local.get $ky) (i32.const 1))) (local.get $kh))))
          (local.set $q (i32.add (local.get $dst) (i32.shl (local.get $ox) (i32.const 2))))
          (if (i32.le_u (i32.add (local.get $ox) (i32.const 4)) (local.get $Wo))
            (then (v128.store (local.get $q) (local.get $acc)))
            (else
                  (f32.store (local.get $q) (f32x4.extract_lane 0 (local.get $acc)))
                  (if (i32.gt_u (i32.sub (local.get $Wo) (local.get $ox)) (i32.const 1))
                    (then (f32.store offset=4 (local.get $q) (f32x4.extract_lane 1 (local.get $acc)))))
                  (if (i32.gt_u (i32.sub (local.get $Wo) (local.get $ox)) (i32.const 2))
                    (then (f32.store offset=8 (local.get $q) (f32x4.extract_lane 2 (local.get $acc)))))))
          (local.set $ox (i32.add (local.get $ox) (i32.const 4)))
          (br $ox_loop)))
        (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $Wo) (i32.const 2))))
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br $oy_loop)))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br $c_loop))))

  ;; x[i] = min(max(x[i], lo), hi) for i < n: a fused activation over a whole result.
  (func (export "clamp") (param $x i32) (param $n i32) (param $lo f32) (param $hi f32)
    (local $end i32) (local $vlo v128) (local $vhi v128)
    (local.set $vlo (f32x4.splat (local.get $lo)))
    (local.set $vhi (f32x4.splat (local.get $hi)))
    (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $v_done (loop $v_loop
      (br_if $v_done (i32.ge_u (local.get $x) (local.get $end)))
      (v128.store (local.get $x) (f32x4.pmin (f32x4.pmax (v128.load (local.get $x)) (local.get $vlo)) (local.get $vhi)))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (br $v_loop)))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $s_done (loop $s_loop
      (br_if $s_done (i32.ge_u (local.get $x) (local.get $end)))
      (f32.store (local.get $x) (f32.min (f32.max (f32.load (local.get $x)) (local.get $lo)) (local.get $hi)))
      (local.set $x (i32.add (local.get $x) (i32.const 4)))
      (br $s_loop))))

  ;; x[i] = min(max(x[i] + r[i], lo), hi) for i < n: a fused residual add and activation over a whole
  ;; result, for the paths whose epilogue does not take the residual itself.
  (func (export "add_clamp") (param $x i32) (param $r i32) (param $n i32) (param $lo f32) (param $hi f32)
    (local $end i32) (local $vlo v128) (local $vhi v128)
    (local.set $vlo (f32x4.splat (local.get $lo)))
    (local.set $vhi (f32x4.splat (local.get $hi)))
    (local.set $end (i32.add (local.get $x) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $v_done (loop $v_loop
      (br_if $v_done (i32.ge_u (local.get $x) (local.get $end)))
      (v128.store (local.get $x)
        (f32x4.pmin (f32x4.pmax (f32x4.add (v128.load (local.get $x)) (v128.load (local.get $r))) (local.get $vlo)) (local.get $vhi)))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (local.set $r (i32.add (local.get $r) (i32.const 16)))
      (br $v_loop)))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $s_done (loop $s_loop
      (br_if $s_done (i32.ge_u (local.get $x) (local.get $end)))
      (f32.store (local.get $x) (f32.min (f32.max (f32.add (f32.load (local.get $x)) (f32.load (local.get $r))) (local.get $lo)) (local.get $hi)))
      (local.set $x (i32.add (local.get $x) (i32.const 4)))
      (local.set $r (i32.add (local.get $r) (i32.const 4)))
      (br $s_loop))))

  ;; ---------------------------------------------------------------------------------------------
  ;; Jobs: a whole slice of a layer's work behind one call, so a worker thread needs nothing but the
  ;; export's name and a pointer to its arguments, a record of i32 fields in memory.
  ;; ---------------------------------------------------------------------------------------------

  ;; Filter transform of panels cpStart .. cpEnd-1, for F(2x2, 3x3) when alpha (the input tile
  ;; size) is 4 and F(4x4, 3x3) when it is 6. Fields: w cout cin u uXi cpStart cpEnd alpha scratch.
  (func (export "job_wino_filter") (param $p i32)
    (if (i32.eq (i32.load offset=28 (local.get $p)) (i32.const 6))
      (then
        (call $wino4_filter (i32.load offset=0 (local.get $p)) (i32.load offset=4 (local.get $p)) (i32.load offset=8 (local.get $p))
          (i32.load offset=12 (local.get $p)) (i32.load offset=16 (local.get $p)) (i32.load offset=20 (local.get $p))
          (i32.load offset=24 (local.get $p)) (i32.load offset=32 (local.get $p))))
      (else
        (call $wino_filter (i32.load offset=0 (local.get $p)) (i32.load offset=4 (local.get $p)) (i32.load offset=8 (local.get $p))
          (i32.load offset=12 (local.get $p)) (i32.load offset=16 (local.get $p)) (i32.load offset=20 (local.get $p))
          (i32.load offset=24 (local.get $p))))))

  ;; Winograd tiles tStart .. tEnd-1 (tStart a multiple of T) in blocks of T: input transform into
  ;; this job's V, alpha² GEMMs against the shared U into this job's M, output transform into res;
  ;; alpha 4 is F(2x2, 3x3), alpha 6 is F(4x4, 3x3).
  ;; Fields: padded cin plane rowb tilesX tiles T v vXi u uXi m mXi coutp cout res ho wo bias scratch
  ;; tStart tEnd alpha lo(f32) hi(f32), lo and hi the clamp of a fused activation.
  (func (export "job_wino_blocks") (param $p i32)
    (local $cin i32) (local $T i32) (local $v i32) (local $vXi i32) (local $u i32) (local $uXi i32)
    (local $m i32) (local $mXi i32) (local $coutp i32) (local $t0 i32) (local $xi i32) (local $f4 i32) (local $nXi i32)
    (local.set $f4 (i32.eq (i32.load offset=88 (local.get $p)) (i32.const 6)))
    (local.set $nXi (select (i32.const 36) (i32.const 16) (local.get $f4)))
    (local.set $cin (i32.load offset=4 (local.get $p)))
    (local.set $T (i32.load offset=24 (local.get $p)))
    (local.set $v (i32.load offset=28 (local.get $p)))
    (local.set $vXi (i32.load offset=32 (local.get $p)))
    (local.set $u (i32.load offset=36 (local.get $p)))
    (local.set $uXi (i32.load offset=40 (local.get $p)))
    (local.set $m (i32.load offset=44 (local.get $p)))
    (local.set $mXi (i32.load offset=48 (local.get $p)))
    (local.set $coutp (i32.load offset=52 (local.get $p)))
    (local.set $t0 (i32.load offset=80 (local.get $p)))
    (block $done (loop $blocks
      (br_if $done (i32.ge_u (local.get $t0) (i32.load offset=84 (local.get $p))))
      (if (local.get $f4)
        (then (call $wino4_input (i32.load offset=0 (local.get $p)) (local.get $cin) (i32.load offset=8 (local.get $p))
          (i32.load offset=12 (local.get $p)) (i32.load offset=16 (local.get $p)) (i32.load offset=20 (local.get $p))
          (local.get $t0) (local.get $T) (local.get $v) (local.get $vXi) (i32.load offset=76 (local.get $p))))
        (else (call $wino_input (i32.load offset=0 (local.get $p)) (local.get $cin) (i32.load offset=8 (local.get $p))
          (i32.load offset=12 (local.get $p)) (i32.load offset=16 (local.get $p)) (i32.load offset=20 (local.get $p))
          (local.get $t0) (local.get $T) (local.get $v) (local.get $vXi) (i32.load offset=76 (local.get $p)))))
      (local.set $xi (i32.const 0))
      (loop $gemms
        (call $gemm (i32.add (local.get $u) (i32.mul (local.get $xi) (local.get $uXi))) (i32.shl (local.get $cin) (i32.const 4))
          (i32.add (local.get $v) (i32.mul (local.get $xi) (local.get $vXi))) (local.get $cin)
          (i32.add (local.get $m) (i32.mul (local.get $xi) (local.get $mXi))) (i32.shl (local.get $T) (i32.const 2))
          (local.get $coutp) (local.get $T) (i32.const 0) (i32.const 0) (i32.const 0) (f32.const 0) (f32.const 0))
        (br_if $gemms (i32.lt_u (local.tee $xi (i32.add (local.get $xi) (i32.const 1))) (local.get $nXi))))
      (if (local.get $f4)
        (then (call $wino4_output (local.get $m) (local.get $mXi) (i32.load offset=56 (local.get $p)) (local.get $T) (local.get $t0)
          (i32.load offset=16 (local.get $p)) (i32.load offset=20 (local.get $p)) (i32.load offset=60 (local.get $p))
          (i32.load offset=64 (local.get $p)) (i32.load offset=68 (local.get $p)) (i32.load offset=72 (local.get $p))
          (i32.load offset=76 (local.get $p)) (f32.load offset=92 (local.get $p)) (f32.load offset=96 (local.get $p))))
        (else (call $wino_output (local.get $m) (local.get $mXi) (i32.load offset=56 (local.get $p)) (local.get $T) (local.get $t0)
          (i32.load offset=16 (local.get $p)) (i32.load offset=20 (local.get $p)) (i32.load offset=60 (local.get $p))
          (i32.load offset=64 (local.get $p)) (i32.load offset=68 (local.get $p)) (i32.load offset=72 (local.get $p))
          (i32.load offset=76 (local.get $p)) (f32.load offset=92 (local.get $p)) (f32.load offset=96 (local.get $p)))))
      (local.set $t0 (i32.add (local.get $t0) (local.get $T)))
      (br $blocks))))

;; Copies channels cStart .. cEnd-1 of an image src (C, h, w) into dst as planes of hp x wp with
  ;; the image at row ph, column pw and zeros around it (hp >= h + ph, wp >= w + pw): the Winograd
  ;; input, so each thread pads its own share of the channels. Fields: src dst h w hp wp ph pw cStart cEnd.
  (func (export "job_pad") (param $p i32)
    (local $c i32) (local $y i32) (local $h i32) (local $w i32) (local $hp i32) (local $wp i32) (local $ph i32) (local $pw i32)
    (local $from i32) (local $to i32) (local $rowb i32) (local $wb i32) (local $pwb i32)
    (local.set $h (i32.load offset=8 (local.get $p)))
    (local.set $w (i32.load offset=12 (local.get $p)))
    (local.set $hp (i32.load offset=16 (local.get $p)))
    (local.set $wp (i32.load offset=20 (local.get $p)))
    (local.set $ph (i32.load offset=24 (local.get $p)))
    (local.set $pw (i32.load offset=28 (local.get $p)))
    (local.set $rowb (i32.shl (local.get $wp) (i32.const 2)))
    (local.set $wb (i32.shl (local.get $w) (i32.const 2)))
    (local.set $pwb (i32.shl (local.get $pw) (i32.const 2)))
    (local.set $c (i32.load offset=32 (local.get $p)))
    (block $c_done (loop $c_loop
      (br_if $c_done (i32.ge_u (local.get $c) (i32.load offset=36 (local.get $p))))
      (local.set $from (i32.add (i32.load offset=0 (local.get $p)) (i32.mul (local.get $c) (i32.mul (local.get $h) (local.get $wb)))))
      (local.set $to (i32.add (i32.load offset=4 (local.get $p)) (i32.mul (local.get $c) (i32.mul (local.get $hp) (local.get $rowb)))))
      ;; The rows above the image and the left border of its first row, in one fill.
      (memory.fill (local.get $to) (i32.const 0) (i32.add (i32.mul (local.get $ph) (local.get $rowb)) (local.get $pwb)))
      (local.set $to (i32.add (local.get $to) (i32.add (i32.mul (local.get $ph) (local.get $rowb)) (local.get $pwb))))
      (local.set $y (i32.const 0))
      (block $y_done (loop $y_loop
        (br_if $y_done (i32.ge_u (local.get $y) (local.get $h)))
        (memory.copy (local.get $to) (local.get $from) (local.get $wb))
        ;; The right border of this row and the left border of the next, contiguous.
        (memory.fill (i32.add (local.get $to) (local.get $wb)) (i32.const 0) (i32.sub (local.get $rowb) (local.get $wb)))
        (local.set $to (i32.add (local.get $to) (local.get $rowb)))
        (local.set $from (i32.add (local.get $from) (local.get $wb)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $y_loop)))
      ;; The rows below the image (less the left border of row ph + h, already zero).
      (memory.fill (local.get $to) (i32.const 0)
        (i32.sub (i32.mul (i32.sub (local.get $hp) (i32.add (local.get $ph) (local.get $h))) (local.get $rowb)) (local.get $pwb)))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br $c_loop))))

  ;; im2col GEMMs for groups gStart .. gEnd-1 and output pixels pStart .. pEnd-1 (pStart a multiple
  ;; of NC): per group pack its weights into this job's A (or, when prepacked, use group g's panels at
  ;; ap + g*mp*K*4, packed once for every call), then per block of NC pixels pack col (KC rows at a
  ;; time) into this job's B, multiply into this job's C and copy C out with bias (and residual), or
  ;; when the block is whole, multiply into the output directly with the bias in the last GEMM's epilogue.
  ;; Fields: src geo wgt K KC coutG mp groupBytes P NC pointwise ap bp c res bias gStart gEnd pStart pEnd
  ;; prepacked lo(f32) hi(f32) residual direct mStart mEnd, where groupBytes is the byte size of one group's input
  ;; channels, lo, hi the clamp of a fused activation, residual a tensor of the output's layout to
  ;; add (0: none) and direct 1 to let whole blocks go straight into the output; rows mStart .. mEnd-1
  ;; (multiples of 4, mStart < coutG) of each group's output are this job's. pointwise is 0 for
  ;; im2col, 1 for a 1x1 stride-1 unpadded conv whose input rows are packed as B, 2 for one whose
  ;; whole blocks of columns the GEMM reads from the input rows in place (gemm_b).
  (func (export "job_im2col") (param $p i32)
    (local $g i32) (local $K i32) (local $KC i32) (local $coutG i32) (local $mp i32) (local $P i32) (local $NC i32)
    (local $ap i32) (local $bp i32) (local $c i32) (local $srcG i32) (local $p0 i32) (local $nc i32) (local $k0 i32) (local $kc i32)
    (local $at i32) (local $direct i32) (local $dst i32) (local $ldc i32) (local $epi i32) (local $biasG i32) (local $res i32)
    (local $m0 i32) (local $rows i32) (local $apM i32)
    (local.set $K (i32.load offset=12 (local.get $p)))
    (local.set $KC (i32.load offset=16 (local.get $p)))
    (local.set $coutG (i32.load offset=20 (local.get $p)))
    (local.set $mp (i32.load offset=24 (local.get $p)))
    (local.set $P (i32.load offset=32 (local.get $p)))
    (local.set $NC (i32.load offset=36 (local.get $p)))
    (local.set $ap (i32.load offset=44 (local.get $p)))
    (local.set $bp (i32.load offset=48 (local.get $p)))
    (local.set $c (i32.load offset=52 (local.get $p)))
    (local.set $m0 (i32.load offset=100 (local.get $p)))
    (local.set $rows (i32.sub (i32.load offset=104 (local.get $p)) (local.get $m0)))
    (local.set $g (i32.load offset=64 (local.get $p)))
    (block $g_done (loop $g_loop
      (br_if $g_done (i32.ge_u (local.get $g) (i32.load offset=68 (local.get $p))))
      (if (i32.load offset=80 (local.get $p))
        (then (local.set $ap (i32.add (i32.load offset=44 (local.get $p))
          (i32.shl (i32.mul (i32.mul (local.get $g) (local.get $mp)) (local.get $K)) (i32.const 2)))))
        (else (call $pack_a (i32.add (i32.load offset=8 (local.get $p)) (i32.shl (i32.mul (i32.mul (local.get $g) (local.get $coutG)) (local.get $K)) (i32.const 2)))
          (local.get $coutG) (local.get $K) (local.get $ap) (local.get $mp))))
      ;; This job's rows: packed panels are 4 rows of K floats each.
      (local.set $apM (i32.add (local.get $ap) (i32.shl (i32.mul (local.get $m0) (local.get $K)) (i32.const 2))))
      (local.set $srcG (i32.add (i32.load offset=0 (local.get $p)) (i32.mul (local.get $g) (i32.load offset=28 (local.get $p)))))
      (local.set $p0 (i32.load offset=72 (local.get $p)))
      (block $p_done (loop $p_loop
        (br_if $p_done (i32.ge_u (local.get $p0) (i32.load offset=76 (local.get $p))))
        ;; nc = min(NC, P - p0 rounded up to 8)
        (local.set $nc (call $min_u (local.get $NC)
          (i32.and (i32.add (i32.sub (local.get $P) (local.get $p0)) (i32.const 7)) (i32.const -8))))
        ;; The block's place in the output (and in the residual): (g*coutG + m0, p0).
        (local.set $at (i32.shl (i32.add (i32.mul (i32.add (i32.mul (local.get $g) (local.get $coutG)) (local.get $m0)) (local.get $P)) (local.get $p0)) (i32.const 2)))
        (local.set $biasG (i32.add (i32.load offset=60 (local.get $p)) (i32.shl (i32.add (i32.mul (local.get $g) (local.get $coutG)) (local.get $m0)) (i32.const 2))))
        (local.set $res (select (i32.add (i32.load offset=92 (local.get $p)) (local.get $at)) (i32.const 0) (i32.load offset=92 (local.get $p))))
        ;; Direct: the GEMM accumulates in the output itself and its last k block applies the epilogue,
        ;; when every row and column it writes is real (no padded rows, a whole block of columns);
        ;; else into this job's C, copied out below.
        (local.set $direct (i32.and (i32.and (i32.le_u (i32.add (local.get $m0) (local.get $rows)) (local.get $coutG)) (i32.load offset=96 (local.get $p)))
                                    (i32.le_u (i32.add (local.get $p0) (local.get $nc)) (local.get $P))))
        (local.set $dst (select (i32.add (i32.load offset=56 (local.get $p)) (local.get $at)) (local.get $c) (local.get $direct)))
        (local.set $ldc (select (i32.shl (local.get $P) (i32.const 2)) (i32.shl (local.get $nc) (i32.const 2)) (local.get $direct)))
        (local.set $k0 (i32.const 0))
        (block $k_done (loop $k_loop
          (br_if $k_done (i32.ge_u (local.get $k0) (local.get $K)))
          (local.set $kc (call $min_u (local.get $KC) (i32.sub (local.get $K) (local.get $k0))))
          (local.set $epi (i32.and (local.get $direct) (i32.ge_u (i32.add (local.get $k0) (local.get $kc)) (local.get $K))))
          (if (i32.and (i32.eq (i32.load offset=40 (local.get $p)) (i32.const 2)) (i32.le_u (i32.add (local.get $p0) (local.get $nc)) (local.get $P)))
            (then
              ;; A pointwise block of whole columns: the GEMM reads the input rows in place.
              (call $gemm_b (i32.add (local.get $apM) (i32.shl (local.get $k0) (i32.const 4))) (i32.shl (local.get $K) (i32.const 4))
                (i32.add (local.get $srcG) (i32.shl (i32.add (i32.mul (local.get $k0) (local.get $P)) (local.get $p0)) (i32.const 2)))
                (i32.shl (local.get $P) (i32.const 2)) (i32.const 32)
                (local.get $kc) (local.get $dst) (local.get $ldc) (local.get $rows) (local.get $nc)
                (i32.ne (local.get $k0) (i32.const 0))
                (select (local.get $biasG) (i32.const 0) (local.get $epi)) (select (local.get $res) (i32.const 0) (local.get $epi))
                (f32.load offset=84 (local.get $p)) (f32.load offset=88 (local.get $p))))
            (else
              (if (i32.load offset=40 (local.get $p))
                (then (call $pack_b_rows (i32.add (local.get $srcG) (i32.shl (i32.mul (local.get $k0) (local.get $P)) (i32.const 2)))
                        (local.get $P) (local.get $kc) (local.get $p0) (local.get $nc) (local.get $bp)))
                (else (call $pack_b_im2col (local.get $srcG) (i32.load offset=4 (local.get $p)) (local.get $p0) (local.get $nc)
                        (local.get $k0) (local.get $kc) (local.get $bp))))
              (call $gemm (i32.add (local.get $apM) (i32.shl (local.get $k0) (i32.const 4))) (i32.shl (local.get $K) (i32.const 4))
                (local.get $bp) (local.get $kc) (local.get $dst) (local.get $ldc) (local.get $rows) (local.get $nc)
                (i32.ne (local.get $k0) (i32.const 0))
                (select (local.get $biasG) (i32.const 0) (local.get $epi)) (select (local.get $res) (i32.const 0) (local.get $epi))
                (f32.load offset=84 (local.get $p)) (f32.load offset=88 (local.get $p)))))
          (local.set $k0 (i32.add (local.get $k0) (local.get $kc)))
          (br $k_loop)))
        (if (i32.eqz (local.get $direct))
          (then (call $copy_out (local.get $c) (i32.shl (local.get $nc) (i32.const 2))
            (i32.add (i32.load offset=56 (local.get $p)) (local.get $at))
            (i32.shl (local.get $P) (i32.const 2)) (i32.sub (call $min_u (i32.add (local.get $m0) (local.get $rows)) (local.get $coutG)) (local.get $m0)) (call $min_u (local.get $nc) (i32.sub (local.get $P) (local.get $p0)))
            (local.get $biasG) (f32.load offset=84 (local.get $p)) (f32.load offset=88 (local.get $p)) (local.get $res))))
        (local.set $p0 (i32.add (local.get $p0) (local.get $NC)))
        (br $p_loop)))
      (local.set $g (i32.add (local.get $g) (i32.const 1)))
      (br $g_loop))))

  ;; y[r] = W[r] · x for rows rStart .. rEnd-1 of a weight chunk. Fields: w x y k rStart rEnd.
  (func (export "job_gemv") (param $p i32)
    (local $r0 i32) (local $k i32)
    (local.set $r0 (i32.load offset=16 (local.get $p)))
    (local.set $k (i32.load offset=12 (local.get $p)))
    (call $gemv (i32.add (i32.load offset=0 (local.get $p)) (i32.shl (i32.mul (local.get $r0) (local.get $k)) (i32.const 2)))
      (i32.load offset=4 (local.get $p))
      (i32.add (i32.load offset=8 (local.get $p)) (i32.shl (local.get $r0) (i32.const 2)))
      (i32.sub (i32.load offset=20 (local.get $p)) (local.get $r0)) (local.get $k)))
)
