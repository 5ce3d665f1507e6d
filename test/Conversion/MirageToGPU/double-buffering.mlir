// RUN: mirage-opt %s --convert-mirage-to-gpu --split-input-file | FileCheck %s --check-prefix=TILES
// RUN: mirage-opt %s --convert-mirage-to-gpu --mirage-map-tiles-to-threads --canonicalize --cse --split-input-file | FileCheck %s --check-prefix=THREADS
// RUN: mirage-run %s --entry=sum --engine=tiles --reference=%s | FileCheck %s --check-prefix=EVAL
// RUN: mirage-run %s --entry=sum --engine=threads --reference=%s | FileCheck %s --check-prefix=EVAL
// EVAL: PASS: 1 output(s) compared with the reference

// Double buffering: a for-loop input tile gets two slots. Iteration 0's
// tile is copied into slot 0 before the loop; iteration i reads slot i mod 2
// and meanwhile copies iteration i + 1's tile into the other slot (not in
// the last iteration). The slots' views carry the byte range of both, for
// the thread level's barrier analysis.

// TILES-LABEL: func.func @sum(
// Two 8x16 f16 slots (256 bytes each); the result tile reuses the first.
// TILES: dynamic_shared_memory_size %c512_i32
// TILES: gpu.func @sum_kernel_0
// TILES: %[[SLOT0:.*]] = memref.view %{{.*}}[%c0][] : {{.*}} to memref<8x16xf16, #gpu.address_space<workgroup>>
// TILES: linalg.copy ins(%{{.*}}) outs(%[[SLOT0]] : memref<8x16xf16, #gpu.address_space<workgroup>>)
// TILES: scf.for %[[I:.*]] = %c0 to %c4 step %c1 {
// TILES:   %[[PARITY:.*]] = arith.remui %[[I]], %c2
// TILES:   %[[ODD:.*]] = arith.cmpi ne, %[[PARITY]], %c0
// TILES:   %[[NEXT:.*]] = arith.addi %[[I]], %c1
// TILES:   %[[MORE:.*]] = arith.cmpi ult, %[[NEXT]], %c4
// TILES:   %[[AT:.*]] = arith.select %[[ODD]], %c256, %c0
// TILES:   %[[CUR:.*]] = memref.view %{{.*}}[%[[AT]]][] {mirage.shared_bytes = array<i64: 0, 512>}
// TILES:   %[[OTHERAT:.*]] = arith.select %[[ODD]], %c0, %c256
// TILES:   %[[OTHER:.*]] = memref.view %{{.*}}[%[[OTHERAT]]][] {mirage.shared_bytes = array<i64: 0, 512>}
// TILES:   scf.if %[[MORE]] {
// TILES:     %[[K:.*]] = arith.muli %[[NEXT]], %c16
// TILES:     %[[SRC:.*]] = memref.subview %{{.*}}[0, %[[K]]] [8, 16] [1, 1]
// TILES:     linalg.copy {mirage.async_copy} ins(%[[SRC]] : {{.*}}) outs(%[[OTHER]] : {{.*}})
// TILES:   }
// TILES:   linalg.generic {{.*}} ins(%[[CUR]] : {{.*}})
// TILES:   math.exp

// At thread level the next tile's copy is cp.async (16 bytes a thread,
// bypassing L1), committed as a group; the body starts by waiting for the
// group the previous iteration issued, then one barrier, and needs no other.
// THREADS-LABEL: gpu.func @sum_kernel_0
// THREADS: scf.for
// THREADS-NEXT: nvvm.cp.async.wait.group 0
// THREADS-NEXT: gpu.barrier
// THREADS-NOT: gpu.barrier
// THREADS: nvgpu.device_async_copy %{{.*}}, %{{.*}}, 8 {bypassL1} : memref<8x16xf16, strided<[64, 1], offset: ?>> to memref<8x16xf16, #gpu.address_space<workgroup>>
// THREADS: nvvm.cp.async.commit.group
// THREADS-NOT: gpu.barrier
// THREADS: math.exp
// THREADS-NOT: gpu.barrier
// THREADS: }
func.func @sum(%x: tensor<8x64xf16>) -> tensor<8x16xf16> {
  %y = mirage.graph_kernel(%x) grid = [1, 1, 1] block = [32] forloop = 4
      : (tensor<8x64xf16>) -> tensor<8x16xf16> {
  ^bb0(%X: tensor<8x64xf16>):
    %acc = mirage.for_loop {
      %xt = mirage.input_iterator %X imap = {} fmap = 1 : tensor<8x64xf16> -> !mirage.tile<8x16xf16>
      %e = mirage.exp %xt : !mirage.tile<8x16xf16>
      mirage.accumulate sum(%e) : !mirage.tile<8x16xf16>
    }
    mirage.output_saver %acc omap = {} : !mirage.tile<8x16xf16>
  }
  return %y : tensor<8x16xf16>
}

// -----

// Second slots that do not fit are not made: a 160 KiB tile live across the
// loop and the loop's 64 KiB tile fit H100's 227 KB (232448 bytes), a
// second 64 KiB slot does not.
// TILES-LABEL: func.func @too_big_to_double(
// TILES: dynamic_shared_memory_size %c229376_i32
// TILES: gpu.func @too_big_to_double_kernel_0
// TILES-NOT: mirage.async_copy
// TILES-NOT: mirage.shared_bytes
// TILES: gpu.return
func.func @too_big_to_double(%x: tensor<256x256xf16>, %y: tensor<256x320xf16>) -> (tensor<256x1xf16>, tensor<256x320xf16>) {
  %r:2 = mirage.graph_kernel(%x, %y) grid = [1, 1, 1] block = [128] forloop = 2
      : (tensor<256x256xf16>, tensor<256x320xf16>) -> (tensor<256x1xf16>, tensor<256x320xf16>) {
  ^bb0(%X: tensor<256x256xf16>, %Y: tensor<256x320xf16>):
    %yt = mirage.input_iterator %Y imap = {} : tensor<256x320xf16> -> !mirage.tile<256x320xf16>
    %acc = mirage.for_loop {
      %xt = mirage.input_iterator %X imap = {} fmap = 1 : tensor<256x256xf16> -> !mirage.tile<256x128xf16>
      %s = mirage.reduce sum %xt dim = 1 : (!mirage.tile<256x128xf16>) -> !mirage.tile<256x1xf16>
      mirage.accumulate sum(%s) : !mirage.tile<256x1xf16>
    }
    mirage.output_saver %acc omap = {} : !mirage.tile<256x1xf16>
    mirage.output_saver %yt omap = {} : !mirage.tile<256x320xf16>
  }
  return %r#0, %r#1 : tensor<256x1xf16>, tensor<256x320xf16>
}

// -----

// As many second slots as fit, smallest first: with the 156 KiB tile live
// across the loop, the 2 KiB tile's second slot fits, the 64 KiB tile's
// does not (227328 bytes single-buffered, 229376 with the small tile's
// second slot).
// TILES-LABEL: func.func @doubles_the_small_tile(
// TILES: dynamic_shared_memory_size %c229376_i32
// TILES: gpu.func @doubles_the_small_tile_kernel_0
// TILES: scf.for
// TILES: linalg.copy {mirage.async_copy} ins(%{{.*}} : memref<8x128xf16, {{.*}}>)
// TILES-NOT: mirage.async_copy
// TILES: linalg.copy ins(%{{.*}} : memref<256x128xf16, {{.*}}>)
// TILES: gpu.return
func.func @doubles_the_small_tile(%x: tensor<256x256xf16>, %s: tensor<8x256xf16>, %y: tensor<256x312xf16>) -> (tensor<256x1xf16>, tensor<8x1xf16>, tensor<256x312xf16>) {
  %r:3 = mirage.graph_kernel(%x, %s, %y) grid = [1, 1, 1] block = [128] forloop = 2
      : (tensor<256x256xf16>, tensor<8x256xf16>, tensor<256x312xf16>) -> (tensor<256x1xf16>, tensor<8x1xf16>, tensor<256x312xf16>) {
  ^bb0(%X: tensor<256x256xf16>, %S: tensor<8x256xf16>, %Y: tensor<256x312xf16>):
    %yt = mirage.input_iterator %Y imap = {} : tensor<256x312xf16> -> !mirage.tile<256x312xf16>
    %acc:2 = mirage.for_loop {
      %xt = mirage.input_iterator %X imap = {} fmap = 1 : tensor<256x256xf16> -> !mirage.tile<256x128xf16>
      %st = mirage.input_iterator %S imap = {} fmap = 1 : tensor<8x256xf16> -> !mirage.tile<8x128xf16>
      %a = mirage.reduce sum %xt dim = 1 : (!mirage.tile<256x128xf16>) -> !mirage.tile<256x1xf16>
      %b = mirage.reduce sum %st dim = 1 : (!mirage.tile<8x128xf16>) -> !mirage.tile<8x1xf16>
      mirage.accumulate sum(%a), sum(%b) : !mirage.tile<256x1xf16>, !mirage.tile<8x1xf16>
    }
    mirage.output_saver %acc#0 omap = {} : !mirage.tile<256x1xf16>
    mirage.output_saver %acc#1 omap = {} : !mirage.tile<8x1xf16>
    mirage.output_saver %yt omap = {} : !mirage.tile<256x312xf16>
  }
  return %r#0, %r#1, %r#2 : tensor<256x1xf16>, tensor<8x1xf16>, tensor<256x312xf16>
}
