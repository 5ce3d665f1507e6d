// RUN: mirage-opt %s --split-input-file --verify-diagnostics

// One case per verifier error of graph-defined kernels, block graphs and
// thread graphs.

func.func @grid_rank(%x: tensor<8xf16>) -> tensor<8xf16> {
  // expected-error @+1 {{'mirage.graph_kernel' op grid must be three positive sizes [x, y, z], got [1, 1]}}
  %y = mirage.graph_kernel(%x) grid = [1, 1] block = [128] forloop = 1 : (tensor<8xf16>) -> tensor<8xf16> {
  ^bb0(%X: tensor<8xf16>):
    %t = mirage.input_iterator %X imap = {} : tensor<8xf16> -> !mirage.tile<8xf16>
    mirage.output_saver %t omap = {} : !mirage.tile<8xf16>
  }
  return %y : tensor<8xf16>
}

// -----

func.func @grid_zero(%x: tensor<8xf16>) -> tensor<8xf16> {
  // expected-error @+1 {{'mirage.graph_kernel' op grid must be three positive sizes [x, y, z], got [0, 1, 1]}}
  %y = mirage.graph_kernel(%x) grid = [0, 1, 1] block = [128] forloop = 1 : (tensor<8xf16>) -> tensor<8xf16> {
  ^bb0(%X: tensor<8xf16>):
    %t = mirage.input_iterator %X imap = {} : tensor<8xf16> -> !mirage.tile<8xf16>
    mirage.output_saver %t omap = {} : !mirage.tile<8xf16>
  }
  return %y : tensor<8xf16>
}

// -----

func.func @block_shape(%x: tensor<8xf16>) -> tensor<8xf16> {
  // expected-error @+1 {{'mirage.graph_kernel' op block must be one to three positive sizes, got [2, 2, 2, 2]}}
  %y = mirage.graph_kernel(%x) grid = [1, 1, 1] block = [2, 2, 2, 2] forloop = 1 : (tensor<8xf16>) -> tensor<8xf16> {
  ^bb0(%X: tensor<8xf16>):
    %t = mirage.input_iterator %X imap = {} : tensor<8xf16> -> !mirage.tile<8xf16>
    mirage.output_saver %t omap = {} : !mirage.tile<8xf16>
  }
  return %y : tensor<8xf16>
}

// -----

func.func @too_many_threads(%x: tensor<8xf16>) -> tensor<8xf16> {
  // expected-error @+1 {{'mirage.graph_kernel' op a thread block has at most 1024 threads, got 2048}}
  %y = mirage.graph_kernel(%x) grid = [1, 1, 1] block = [1024, 2] forloop = 1 : (tensor<8xf16>) -> tensor<8xf16> {
  ^bb0(%X: tensor<8xf16>):
    %t = mirage.input_iterator %X imap = {} : tensor<8xf16> -> !mirage.tile<8xf16>
    mirage.output_saver %t omap = {} : !mirage.tile<8xf16>
  }
  return %y : tensor<8xf16>
}

// -----

// CUDA's launch limits: y and z at most 65535 blocks.
func.func @grid_y_too_large(%x: tensor<131072xf16>) -> tensor<131072xf16> {
  // expected-error @+1 {{'mirage.graph_kernel' op grid y is 131072, but sm_90a launches at most 65535 blocks along y}}
  %y = mirage.graph_kernel(%x) grid = [1, 131072, 1] block = [128] forloop = 1 : (tensor<131072xf16>) -> tensor<131072xf16> {
  ^bb0(%X: tensor<131072xf16>):
    %t = mirage.input_iterator %X imap = {y = 0} : tensor<131072xf16> -> !mirage.tile<1xf16>
    mirage.output_saver %t omap = {y = 0} : !mirage.tile<1xf16>
  }
  return %y : tensor<131072xf16>
}

// -----

func.func @grid_z_too_large(%x: tensor<65536xf16>) -> tensor<65536xf16> {
  // expected-error @+1 {{'mirage.graph_kernel' op grid z is 65536, but sm_90a launches at most 65535 blocks along z}}
  %y = mirage.graph_kernel(%x) grid = [1, 1, 65536] block = [128] forloop = 1 : (tensor<65536xf16>) -> tensor<65536xf16> {
  ^bb0(%X: tensor<65536xf16>):
    %t = mirage.input_iterator %X imap = {z = 0} : tensor<65536xf16> -> !mirage.tile<1xf16>
    mirage.output_saver %t omap = {z = 0} : !mirage.tile<1xf16>
  }
  return %y : tensor<65536xf16>
}

// -----

// x: at most 2^31 - 1 blocks.
func.func @grid_x_too_large(%x: tensor<8xf16>) -> tensor<8xf16> {
  // expected-error @+1 {{'mirage.graph_kernel' op grid x is 2147483648, but sm_90a launches at most 2147483647 blocks along x}}
  %y = mirage.graph_kernel(%x) grid = [2147483648, 1, 1] block = [128] forloop = 1 : (tensor<8xf16>) -> tensor<8xf16> {
  ^bb0(%X: tensor<8xf16>):
    %t = mirage.input_iterator %X imap = {} : tensor<8xf16> -> !mirage.tile<8xf16>
    mirage.output_saver %t omap = {} : !mirage.tile<8xf16>
  }
  return %y : tensor<8xf16>
}

// -----

// Blocks: at most 1024 threads along x and y, 64 along z.
func.func @block_x_too_large(%x: tensor<8xf16>) -> tensor<8xf16> {
  // expected-error @+1 {{'mirage.graph_kernel' op block x is 2048, but sm_90a allows at most 1024 threads along x}}
  %y = mirage.graph_kernel(%x) grid = [1, 1, 1] block = [2048] forloop = 1 : (tensor<8xf16>) -> tensor<8xf16> {
  ^bb0(%X: tensor<8xf16>):
    %t = mirage.input_iterator %X imap = {} : tensor<8xf16> -> !mirage.tile<8xf16>
    mirage.output_saver %t omap = {} : !mirage.tile<8xf16>
  }
  return %y : tensor<8xf16>
}

// -----

func.func @block_z_too_large(%x: tensor<8xf16>) -> tensor<8xf16> {
  // expected-error @+1 {{'mirage.graph_kernel' op block z is 128, but sm_90a allows at most 64 threads along z}}
  %y = mirage.graph_kernel(%x) grid = [1, 1, 1] block = [1, 1, 128] forloop = 1 : (tensor<8xf16>) -> tensor<8xf16> {
  ^bb0(%X: tensor<8xf16>):
    %t = mirage.input_iterator %X imap = {} : tensor<8xf16> -> !mirage.tile<8xf16>
    mirage.output_saver %t omap = {} : !mirage.tile<8xf16>
  }
  return %y : tensor<8xf16>
}

// -----

// Block extents that would overflow int64 when multiplied.
func.func @block_overflow(%x: tensor<8xf16>) -> tensor<8xf16> {
  // expected-error @+1 {{'mirage.graph_kernel' op block x is 4294967296, but sm_90a allows at most 1024 threads along x}}
  %y = mirage.graph_kernel(%x) grid = [1, 1, 1] block = [4294967296, 4294967296, 4294967296] forloop = 1 : (tensor<8xf16>) -> tensor<8xf16> {
  ^bb0(%X: tensor<8xf16>):
    %t = mirage.input_iterator %X imap = {} : tensor<8xf16> -> !mirage.tile<8xf16>
    mirage.output_saver %t omap = {} : !mirage.tile<8xf16>
  }
  return %y : tensor<8xf16>
}

// -----

func.func @kernel_tensor_too_large(%x: tensor<1048576x1048576xf16>) -> tensor<1048576x1048576xf16> {
  // expected-error @+1 {{'mirage.graph_kernel' op operand #0 (tensor<1048576x1048576xf16>) is too large: it takes 2199023255552 bytes, more than 1099511627776 (2^40)}}
  %y = mirage.graph_kernel(%x) grid = [1048576, 1, 1] block = [128] forloop = 1 : (tensor<1048576x1048576xf16>) -> tensor<1048576x1048576xf16> {
  ^bb0(%X: tensor<1048576x1048576xf16>):
    %t = mirage.input_iterator %X imap = {x = 0} : tensor<1048576x1048576xf16> -> !mirage.tile<1x1048576xf16>
    mirage.output_saver %t omap = {x = 0} : !mirage.tile<1x1048576xf16>
  }
  return %y : tensor<1048576x1048576xf16>
}

// -----

func.func @block_arguments(%x: tensor<8xf16>) -> tensor<8xf16> {
  // expected-error @+1 {{'mirage.graph_kernel' op block graph arguments must match the kernel's operands one to one, with the same types}}
  %y = mirage.graph_kernel(%x) grid = [1, 1, 1] block = [128] forloop = 1 : (tensor<8xf16>) -> tensor<8xf16> {
  ^bb0(%X: tensor<8xf16>, %Z: tensor<8xf16>):
    %t = mirage.input_iterator %X imap = {} : tensor<8xf16> -> !mirage.tile<8xf16>
    mirage.output_saver %t omap = {} : !mirage.tile<8xf16>
  }
  return %y : tensor<8xf16>
}

// -----

func.func @composite_in_block_graph(%x: tensor<8x16xf16>) -> tensor<8x16xf16> {
  %y = mirage.graph_kernel(%x) grid = [1, 1, 1] block = [128] forloop = 1 : (tensor<8x16xf16>) -> tensor<8x16xf16> {
  ^bb0(%X: tensor<8x16xf16>):
    %t = mirage.input_iterator %X imap = {} : tensor<8x16xf16> -> !mirage.tile<8x16xf16>
    // expected-error @+1 {{'mirage.softmax' op is a composite op, not a block-graph op; run mirage-decompose first}}
    %s = mirage.softmax %t dim = 1 : !mirage.tile<8x16xf16>
    mirage.output_saver %s omap = {} : !mirage.tile<8x16xf16>
  }
  return %y : tensor<8x16xf16>
}

// -----

func.func @nested_kernel(%x: tensor<8xf16>) -> tensor<8xf16> {
  %y = mirage.graph_kernel(%x) grid = [1, 1, 1] block = [128] forloop = 1 : (tensor<8xf16>) -> tensor<8xf16> {
  ^bb0(%X: tensor<8xf16>):
    // expected-error @+1 {{'mirage.graph_kernel' op is not a block-graph op}}
    %z = mirage.graph_kernel(%X) grid = [1, 1, 1] block = [128] forloop = 1 : (tensor<8xf16>) -> tensor<8xf16> {
    ^bb0(%Y: tensor<8xf16>):
      %u = mirage.input_iterator %Y imap = {} : tensor<8xf16> -> !mirage.tile<8xf16>
      mirage.output_saver %u omap = {} : !mirage.tile<8xf16>
    }
    %t = mirage.input_iterator %X imap = {} : tensor<8xf16> -> !mirage.tile<8xf16>
    mirage.output_saver %t omap = {} : !mirage.tile<8xf16>
  }
  return %y : tensor<8xf16>
}

// -----

func.func @two_loops(%x: tensor<8xf16>) -> tensor<1xf16> {
  %y = mirage.graph_kernel(%x) grid = [1, 1, 1] block = [128] forloop = 2 : (tensor<8xf16>) -> tensor<1xf16> {
  ^bb0(%X: tensor<8xf16>):
    %a = mirage.for_loop {
      %t = mirage.input_iterator %X imap = {} fmap = 0 : tensor<8xf16> -> !mirage.tile<4xf16>
      %r = mirage.reduce sum %t dim = 0 : (!mirage.tile<4xf16>) -> !mirage.tile<1xf16>
      mirage.accumulate sum(%r) : !mirage.tile<1xf16>
    }
    // expected-error @+1 {{'mirage.for_loop' op a block graph has at most one for-loop}}
    %b = mirage.for_loop {
      %t = mirage.input_iterator %X imap = {} fmap = 0 : tensor<8xf16> -> !mirage.tile<4xf16>
      %r = mirage.reduce max %t dim = 0 : (!mirage.tile<4xf16>) -> !mirage.tile<1xf16>
      mirage.accumulate max(%r) : !mirage.tile<1xf16>
    }
    %c = mirage.add %a, %b : (!mirage.tile<1xf16>, !mirage.tile<1xf16>) -> !mirage.tile<1xf16>
    mirage.output_saver %c omap = {} : !mirage.tile<1xf16>
  }
  return %y : tensor<1xf16>
}

// -----

func.func @missing_loop(%x: tensor<8xf16>) -> tensor<8xf16> {
  // expected-error @+1 {{'mirage.graph_kernel' op forloop = 4 but the block graph has no mirage.for_loop}}
  %y = mirage.graph_kernel(%x) grid = [1, 1, 1] block = [128] forloop = 4 : (tensor<8xf16>) -> tensor<8xf16> {
  ^bb0(%X: tensor<8xf16>):
    %t = mirage.input_iterator %X imap = {} : tensor<8xf16> -> !mirage.tile<8xf16>
    mirage.output_saver %t omap = {} : !mirage.tile<8xf16>
  }
  return %y : tensor<8xf16>
}

// -----

func.func @saver_count(%x: tensor<8xf16>) -> (tensor<8xf16>, tensor<8xf16>) {
  // expected-error @+1 {{'mirage.graph_kernel' op has 2 results but 1 mirage.output_saver ops}}
  %y:2 = mirage.graph_kernel(%x) grid = [1, 1, 1] block = [128] forloop = 1 : (tensor<8xf16>) -> (tensor<8xf16>, tensor<8xf16>) {
  ^bb0(%X: tensor<8xf16>):
    %t = mirage.input_iterator %X imap = {} : tensor<8xf16> -> !mirage.tile<8xf16>
    mirage.output_saver %t omap = {} : !mirage.tile<8xf16>
  }
  return %y#0, %y#1 : tensor<8xf16>, tensor<8xf16>
}

// -----

func.func @omap_coverage(%x: tensor<8x16xf16>) -> tensor<8x16xf16> {
  %y = mirage.graph_kernel(%x) grid = [2, 4, 1] block = [128] forloop = 1 : (tensor<8x16xf16>) -> tensor<8x16xf16> {
  ^bb0(%X: tensor<8x16xf16>):
    %t = mirage.input_iterator %X imap = {x = 1, y = 0} : tensor<8x16xf16> -> !mirage.tile<2x8xf16>
    // expected-error @+1 {{'mirage.output_saver' op grid axis y has size 4 but omap does not map it, so blocks along it would overwrite each other's output}}
    mirage.output_saver %t omap = {x = 1} : !mirage.tile<2x8xf16>
  }
  return %y : tensor<8x16xf16>
}

// -----

func.func @omap_rank(%x: tensor<8x16xf16>) -> tensor<8x16xf16> {
  %y = mirage.graph_kernel(%x) grid = [2, 1, 1] block = [128] forloop = 1 : (tensor<8x16xf16>) -> tensor<8x16xf16> {
  ^bb0(%X: tensor<8x16xf16>):
    %t = mirage.input_iterator %X imap = {x = 1} : tensor<8x16xf16> -> !mirage.tile<8x8xf16>
    // expected-error @+1 {{'mirage.output_saver' op omap maps grid axis x to dim 2, but the tile has rank 2}}
    mirage.output_saver %t omap = {x = 2} : !mirage.tile<8x8xf16>
  }
  return %y : tensor<8x16xf16>
}

// -----

func.func @saver_shape(%x: tensor<8x16xf16>) -> tensor<8x16xf16> {
  %y = mirage.graph_kernel(%x) grid = [2, 1, 1] block = [128] forloop = 1 : (tensor<8x16xf16>) -> tensor<8x16xf16> {
  ^bb0(%X: tensor<8x16xf16>):
    %t = mirage.input_iterator %X imap = {x = 1} : tensor<8x16xf16> -> !mirage.tile<8x8xf16>
    // expected-error @+1 {{'mirage.output_saver' op writes '!mirage.tile<8x8xf16>' tiles over grid [2, 1, 1], i.e. a 16x8xf16 result, but result 0 has type 'tensor<8x16xf16>'}}
    mirage.output_saver %t omap = {x = 0} : !mirage.tile<8x8xf16>
  }
  return %y : tensor<8x16xf16>
}

// -----

func.func @shared_memory(%x: tensor<512x512xf16>) -> tensor<512x512xf16> {
  // expected-error @+1 {{'mirage.graph_kernel' op block graph needs 1048576 bytes of shared memory, but sm_90a allows 232448 per block}}
  %y = mirage.graph_kernel(%x) grid = [1, 1, 1] block = [128] forloop = 1 : (tensor<512x512xf16>) -> tensor<512x512xf16> {
  ^bb0(%X: tensor<512x512xf16>):
    %t = mirage.input_iterator %X imap = {} : tensor<512x512xf16> -> !mirage.tile<512x512xf16>
    %e = mirage.exp %t : !mirage.tile<512x512xf16>
    mirage.output_saver %e omap = {} : !mirage.tile<512x512xf16>
  }
  return %y : tensor<512x512xf16>
}

// -----

// The same two live 100 KB tiles that fit sm_90a do not fit sm_80.
module attributes {mirage.target = "sm_80"} {
  func.func @shared_memory_sm80(%x: tensor<100x512xf16>) -> tensor<100x512xf16> {
    // expected-error @+1 {{'mirage.graph_kernel' op block graph needs 204800 bytes of shared memory, but sm_80 allows 166912 per block}}
    %y = mirage.graph_kernel(%x) grid = [1, 1, 1] block = [128] forloop = 1 : (tensor<100x512xf16>) -> tensor<100x512xf16> {
    ^bb0(%X: tensor<100x512xf16>):
      %t = mirage.input_iterator %X imap = {} : tensor<100x512xf16> -> !mirage.tile<100x512xf16>
      %e = mirage.exp %t : !mirage.tile<100x512xf16>
      mirage.output_saver %e omap = {} : !mirage.tile<100x512xf16>
    }
    return %y : tensor<100x512xf16>
  }
}

// -----

// sm_86 and sm_89 allow 99 KB per block: the 200 KB that fit sm_90a do not.
module attributes {mirage.target = "sm_86"} {
  func.func @shared_memory_sm86(%x: tensor<100x512xf16>) -> tensor<100x512xf16> {
    // expected-error @+1 {{'mirage.graph_kernel' op block graph needs 204800 bytes of shared memory, but sm_86 allows 101376 per block}}
    %y = mirage.graph_kernel(%x) grid = [1, 1, 1] block = [128] forloop = 1 : (tensor<100x512xf16>) -> tensor<100x512xf16> {
    ^bb0(%X: tensor<100x512xf16>):
      %t = mirage.input_iterator %X imap = {} : tensor<100x512xf16> -> !mirage.tile<100x512xf16>
      %e = mirage.exp %t : !mirage.tile<100x512xf16>
      mirage.output_saver %e omap = {} : !mirage.tile<100x512xf16>
    }
    return %y : tensor<100x512xf16>
  }
}

// -----

module attributes {mirage.target = "sm_89"} {
  func.func @shared_memory_sm89(%x: tensor<100x512xf16>) -> tensor<100x512xf16> {
    // expected-error @+1 {{'mirage.graph_kernel' op block graph needs 204800 bytes of shared memory, but sm_89 allows 101376 per block}}
    %y = mirage.graph_kernel(%x) grid = [1, 1, 1] block = [128] forloop = 1 : (tensor<100x512xf16>) -> tensor<100x512xf16> {
    ^bb0(%X: tensor<100x512xf16>):
      %t = mirage.input_iterator %X imap = {} : tensor<100x512xf16> -> !mirage.tile<100x512xf16>
      %e = mirage.exp %t : !mirage.tile<100x512xf16>
      mirage.output_saver %e omap = {} : !mirage.tile<100x512xf16>
    }
    return %y : tensor<100x512xf16>
  }
}

// -----

// expected-error @+1 {{mirage.target must name a target: sm_80 (a100), sm_86 (a10), sm_89 (l4), sm_90a (sm_90, h100), h200}}
module attributes {mirage.target = "sm_75"} {
}

// -----

func.func @iterator_outside_kernel(%x: tensor<8xf16>) {
  // expected-error @+1 {{'mirage.input_iterator' op must be inside a mirage.graph_kernel}}
  %t = mirage.input_iterator %x imap = {} : tensor<8xf16> -> !mirage.tile<8xf16>
  return
}

// -----

func.func @fmap_outside_loop(%x: tensor<8xf16>) -> tensor<8xf16> {
  %y = mirage.graph_kernel(%x) grid = [1, 1, 1] block = [128] forloop = 1 : (tensor<8xf16>) -> tensor<8xf16> {
  ^bb0(%X: tensor<8xf16>):
    // expected-error @+1 {{'mirage.input_iterator' op has an fmap, so it must be in the mirage.for_loop body}}
    %t = mirage.input_iterator %X imap = {} fmap = 0 : tensor<8xf16> -> !mirage.tile<8xf16>
    mirage.output_saver %t omap = {} : !mirage.tile<8xf16>
  }
  return %y : tensor<8xf16>
}

// -----

func.func @imap_rank(%x: tensor<8xf16>) -> tensor<8xf16> {
  %y = mirage.graph_kernel(%x) grid = [1, 1, 1] block = [128] forloop = 1 : (tensor<8xf16>) -> tensor<8xf16> {
  ^bb0(%X: tensor<8xf16>):
    // expected-error @+1 {{'mirage.input_iterator' op imap maps grid axis y to dim 1, but the input has rank 1}}
    %t = mirage.input_iterator %X imap = {y = 1} : tensor<8xf16> -> !mirage.tile<8xf16>
    mirage.output_saver %t omap = {} : !mirage.tile<8xf16>
  }
  return %y : tensor<8xf16>
}

// -----

func.func @fmap_rank(%x: tensor<8xf16>) -> tensor<1xf16> {
  %y = mirage.graph_kernel(%x) grid = [1, 1, 1] block = [128] forloop = 2 : (tensor<8xf16>) -> tensor<1xf16> {
  ^bb0(%X: tensor<8xf16>):
    %a = mirage.for_loop {
      // expected-error @+1 {{'mirage.input_iterator' op fmap 1 is out of range for rank 1}}
      %t = mirage.input_iterator %X imap = {} fmap = 1 : tensor<8xf16> -> !mirage.tile<4xf16>
      %r = mirage.reduce sum %t dim = 0 : (!mirage.tile<4xf16>) -> !mirage.tile<1xf16>
      mirage.accumulate sum(%r) : !mirage.tile<1xf16>
    }
    mirage.output_saver %a omap = {} : !mirage.tile<1xf16>
  }
  return %y : tensor<1xf16>
}

// -----

func.func @grid_divisibility(%x: tensor<100xf16>) -> tensor<100xf16> {
  %y = mirage.graph_kernel(%x) grid = [3, 1, 1] block = [128] forloop = 1 : (tensor<100xf16>) -> tensor<100xf16> {
  ^bb0(%X: tensor<100xf16>):
    // expected-error @+1 {{'mirage.input_iterator' op dim 0 of extent 100 is not divisible by grid.x (3)}}
    %t = mirage.input_iterator %X imap = {x = 0} : tensor<100xf16> -> !mirage.tile<33xf16>
    mirage.output_saver %t omap = {x = 0} : !mirage.tile<33xf16>
  }
  return %y : tensor<100xf16>
}

// -----

func.func @forloop_divisibility(%x: tensor<64xf16>) -> tensor<4xf16> {
  %y = mirage.graph_kernel(%x) grid = [4, 1, 1] block = [128] forloop = 32 : (tensor<64xf16>) -> tensor<4xf16> {
  ^bb0(%X: tensor<64xf16>):
    %a = mirage.for_loop {
      // expected-error @+1 {{'mirage.input_iterator' op dim 0 of extent 64 is not divisible by grid.x (4) x forloop (32)}}
      %t = mirage.input_iterator %X imap = {x = 0} fmap = 0 : tensor<64xf16> -> !mirage.tile<1xf16>
      mirage.accumulate sum(%t) : !mirage.tile<1xf16>
    }
    mirage.output_saver %a omap = {x = 0} : !mirage.tile<1xf16>
  }
  return %y : tensor<4xf16>
}

// -----

func.func @tile_type(%x: tensor<8x16xf16>) -> tensor<8x16xf16> {
  %y = mirage.graph_kernel(%x) grid = [2, 1, 1] block = [128] forloop = 1 : (tensor<8x16xf16>) -> tensor<8x16xf16> {
  ^bb0(%X: tensor<8x16xf16>):
    // expected-error @+1 {{'mirage.input_iterator' op result type '!mirage.tile<4x16xf16>' does not match the 8x8xf16 tile that imap and fmap give}}
    %t = mirage.input_iterator %X imap = {x = 1} : tensor<8x16xf16> -> !mirage.tile<4x16xf16>
    mirage.output_saver %t omap = {x = 0} : !mirage.tile<4x16xf16>
  }
  return %y : tensor<8x16xf16>
}

// -----

// Tile shapes must agree between producers and consumers: block-level ops
// check their operands' tile shapes as kernel-level ops check tensors'.
func.func @tile_shapes(%a: tensor<8x64xf16>, %b: tensor<64x8xf16>) -> tensor<8x8xf16> {
  %y = mirage.graph_kernel(%a, %b) grid = [1, 1, 1] block = [128] forloop = 1 : (tensor<8x64xf16>, tensor<64x8xf16>) -> tensor<8x8xf16> {
  ^bb0(%A: tensor<8x64xf16>, %B: tensor<64x8xf16>):
    %at = mirage.input_iterator %A imap = {} : tensor<8x64xf16> -> !mirage.tile<8x64xf16>
    %bt = mirage.input_iterator %B imap = {} : tensor<64x8xf16> -> !mirage.tile<64x8xf16>
    // expected-error @+1 {{'mirage.matmul' op contraction dims differ: lhs is 8x64 (m x k) but rhs is 8x64 (k x n)}}
    %c = mirage.matmul %at, %at : (!mirage.tile<8x64xf16>, !mirage.tile<8x64xf16>) -> !mirage.tile<8x64xf16>
    mirage.output_saver %c omap = {} : !mirage.tile<8x64xf16>
  }
  return %y : tensor<8x8xf16>
}

// -----

// Loop-body values reach the epilogue only through accumulators: the body is
// a region, so its values are not even in scope after the loop.
func.func @body_value_after_loop(%x: tensor<8xf16>) -> tensor<4xf16> {
  %y = mirage.graph_kernel(%x) grid = [1, 1, 1] block = [128] forloop = 2 : (tensor<8xf16>) -> tensor<4xf16> {
  ^bb0(%X: tensor<8xf16>):
    %a = mirage.for_loop {
      %t = mirage.input_iterator %X imap = {} fmap = 0 : tensor<8xf16> -> !mirage.tile<4xf16>
      mirage.accumulate sum(%t) : !mirage.tile<4xf16>
    }
    // expected-error @+1 {{use of undeclared SSA value name}}
    mirage.output_saver %t omap = {} : !mirage.tile<4xf16>
  }
  return %y : tensor<4xf16>
}

// -----

func.func @loop_results(%x: tensor<8xf16>) -> tensor<4xf16> {
  %y = mirage.graph_kernel(%x) grid = [1, 1, 1] block = [128] forloop = 2 : (tensor<8xf16>) -> tensor<4xf16> {
  ^bb0(%X: tensor<8xf16>):
    // expected-error @+1 {{'mirage.for_loop' op results must have the types of the accumulated values}}
    %a = "mirage.for_loop"() ({
      %t = mirage.input_iterator %X imap = {} fmap = 0 : tensor<8xf16> -> !mirage.tile<4xf16>
      mirage.accumulate sum(%t) : !mirage.tile<4xf16>
    }) : () -> !mirage.tile<4xf32>
    %b = "mirage.exp"(%a) : (!mirage.tile<4xf32>) -> !mirage.tile<4xf32>
    mirage.output_saver %b omap = {} : !mirage.tile<4xf32>
  }
  return %y : tensor<4xf16>
}

// -----

func.func @rescale_without_max(%x: tensor<8x8xf16>) -> tensor<8x1xf16> {
  %y = mirage.graph_kernel(%x) grid = [1, 1, 1] block = [128] forloop = 2 : (tensor<8x8xf16>) -> tensor<8x1xf16> {
  ^bb0(%X: tensor<8x8xf16>):
    %l, %m = mirage.for_loop {
      %t = mirage.input_iterator %X imap = {} fmap = 1 : tensor<8x8xf16> -> !mirage.tile<8x4xf16>
      %r = mirage.reduce sum %t dim = 1 : (!mirage.tile<8x4xf16>) -> !mirage.tile<8x1xf16>
      // expected-error @+1 {{'mirage.accumulate' op rescaled_sum accumulator 0 must be rescaled by (by = j) another accumulator j of kind max}}
      mirage.accumulate rescaled_sum(%r, by = 1), sum(%r) : !mirage.tile<8x1xf16>, !mirage.tile<8x1xf16>
    }
    mirage.output_saver %l omap = {} : !mirage.tile<8x1xf16>
  }
  return %y : tensor<8x1xf16>
}

// -----

func.func @rescale_shape(%x: tensor<8x8xf16>) -> tensor<8x1xf16> {
  %y = mirage.graph_kernel(%x) grid = [1, 1, 1] block = [128] forloop = 2 : (tensor<8x8xf16>) -> tensor<8x1xf16> {
  ^bb0(%X: tensor<8x8xf16>):
    %m, %l = mirage.for_loop {
      %t = mirage.input_iterator %X imap = {} fmap = 1 : tensor<8x8xf16> -> !mirage.tile<8x4xf16>
      %r = mirage.reduce max %t dim = 0 : (!mirage.tile<8x4xf16>) -> !mirage.tile<1x4xf16>
      %s = mirage.reduce sum %t dim = 1 : (!mirage.tile<8x4xf16>) -> !mirage.tile<8x1xf16>
      // expected-error @+1 {{'mirage.accumulate' op rescaled_sum accumulator 1 (8x1) is rescaled by max accumulator 0 (1x4), which does not broadcast to it}}
      mirage.accumulate max(%r), rescaled_sum(%s, by = 0) : !mirage.tile<1x4xf16>, !mirage.tile<8x1xf16>
    }
    mirage.output_saver %l omap = {} : !mirage.tile<8x1xf16>
  }
  return %y : tensor<8x1xf16>
}

// -----

func.func @unknown_accumulator(%x: tensor<8xf16>) -> tensor<4xf16> {
  %y = mirage.graph_kernel(%x) grid = [1, 1, 1] block = [128] forloop = 2 : (tensor<8xf16>) -> tensor<4xf16> {
  ^bb0(%X: tensor<8xf16>):
    %a = mirage.for_loop {
      %t = mirage.input_iterator %X imap = {} fmap = 0 : tensor<8xf16> -> !mirage.tile<4xf16>
      // expected-error @+1 {{unknown accumulator 'product'; expected sum, mean, rms, max or rescaled_sum}}
      mirage.accumulate product(%t) : !mirage.tile<4xf16>
    }
    mirage.output_saver %a omap = {} : !mirage.tile<4xf16>
  }
  return %y : tensor<4xf16>
}

// -----

func.func @tiles_outside_kernel(%t: !mirage.tile<4xf16>) -> !mirage.tile<4xf16> {
  // expected-error @+1 {{'mirage.exp' op works on tiles, which exist only inside a mirage.graph_kernel}}
  %e = mirage.exp %t : !mirage.tile<4xf16>
  return %e : !mirage.tile<4xf16>
}

// -----

func.func @tensors_in_kernel(%x: tensor<8xf16>) -> tensor<8xf16> {
  %y = mirage.graph_kernel(%x) grid = [1, 1, 1] block = [128] forloop = 1 : (tensor<8xf16>) -> tensor<8xf16> {
  ^bb0(%X: tensor<8xf16>):
    // expected-error @+1 {{'mirage.exp' op works on kernel tensors, which a block graph reads only through mirage.input_iterator}}
    %e = mirage.exp %X : tensor<8xf16>
    %t = mirage.input_iterator %X imap = {} : tensor<8xf16> -> !mirage.tile<8xf16>
    mirage.output_saver %t omap = {} : !mirage.tile<8xf16>
  }
  return %y : tensor<8xf16>
}

// -----

func.func @mixed_levels(%x: tensor<8xf16>) -> tensor<8xf16> {
  %y = mirage.graph_kernel(%x) grid = [1, 1, 1] block = [128] forloop = 1 : (tensor<8xf16>) -> tensor<8xf16> {
  ^bb0(%X: tensor<8xf16>):
    %t = mirage.input_iterator %X imap = {} : tensor<8xf16> -> !mirage.tile<8xf16>
    // expected-error @+1 {{'mirage.add' op operands and results must all be kernel tensors or all be tiles}}
    %s = "mirage.add"(%t, %X) : (!mirage.tile<8xf16>, tensor<8xf16>) -> !mirage.tile<8xf16>
    mirage.output_saver %s omap = {} : !mirage.tile<8xf16>
  }
  return %y : tensor<8xf16>
}

// -----

func.func @thread_graph_op(%x: tensor<8x8xf16>) -> tensor<8x8xf16> {
  %y = mirage.graph_kernel(%x) grid = [1, 1, 1] block = [128] forloop = 1 : (tensor<8x8xf16>) -> tensor<8x8xf16> {
  ^bb0(%X: tensor<8x8xf16>):
    %t = mirage.input_iterator %X imap = {} : tensor<8x8xf16> -> !mirage.tile<8x8xf16>
    %u = mirage.thread_graph(%t) : (!mirage.tile<8x8xf16>) -> !mirage.tile<8x8xf16> {
    ^bb0(%a: !mirage.tile<8x8xf16>):
      // expected-error @+1 {{'mirage.matmul' op is not elementwise and cannot be part of a thread graph}}
      %m = mirage.matmul %a, %a : (!mirage.tile<8x8xf16>, !mirage.tile<8x8xf16>) -> !mirage.tile<8x8xf16>
      mirage.yield %m : !mirage.tile<8x8xf16>
    }
    mirage.output_saver %u omap = {} : !mirage.tile<8x8xf16>
  }
  return %y : tensor<8x8xf16>
}

// -----

func.func @thread_graph_iteration_shape(%x: tensor<8x8xf16>, %z: tensor<8x1xf16>) -> tensor<8x8xf16> {
  %y = mirage.graph_kernel(%x, %z) grid = [1, 1, 1] block = [128] forloop = 1 : (tensor<8x8xf16>, tensor<8x1xf16>) -> tensor<8x8xf16> {
  ^bb0(%X: tensor<8x8xf16>, %Z: tensor<8x1xf16>):
    %t = mirage.input_iterator %X imap = {} : tensor<8x8xf16> -> !mirage.tile<8x8xf16>
    %s = mirage.input_iterator %Z imap = {} : tensor<8x1xf16> -> !mirage.tile<8x1xf16>
    %u = mirage.thread_graph(%t, %s) : (!mirage.tile<8x8xf16>, !mirage.tile<8x1xf16>) -> !mirage.tile<8x8xf16> {
    ^bb0(%a: !mirage.tile<8x8xf16>, %b: !mirage.tile<8x1xf16>):
      // expected-error @+1 {{'mirage.exp' op produces 8x1, but every op of a thread graph produces its iteration shape 8x8}}
      %e = mirage.exp %b : !mirage.tile<8x1xf16>
      %m = mirage.mul %a, %e : (!mirage.tile<8x8xf16>, !mirage.tile<8x1xf16>) -> !mirage.tile<8x8xf16>
      mirage.yield %m : !mirage.tile<8x8xf16>
    }
    mirage.output_saver %u omap = {} : !mirage.tile<8x8xf16>
  }
  return %y : tensor<8x8xf16>
}

// -----

func.func @thread_graph_results(%x: tensor<8x8xf16>) -> tensor<8x8xf16> {
  %y = mirage.graph_kernel(%x) grid = [1, 1, 1] block = [128] forloop = 1 : (tensor<8x8xf16>) -> tensor<8x8xf16> {
  ^bb0(%X: tensor<8x8xf16>):
    %t = mirage.input_iterator %X imap = {} : tensor<8x8xf16> -> !mirage.tile<8x8xf16>
    // expected-error @+1 {{'mirage.thread_graph' op results must share one iteration shape, got 8x8 and 1x8}}
    %u, %v = mirage.thread_graph(%t) : (!mirage.tile<8x8xf16>) -> (!mirage.tile<8x8xf16>, !mirage.tile<1x8xf16>) {
    ^bb0(%a: !mirage.tile<8x8xf16>):
      %e = mirage.exp %a : !mirage.tile<8x8xf16>
      mirage.yield %e, %e : !mirage.tile<8x8xf16>, !mirage.tile<8x8xf16>
    }
    mirage.output_saver %u omap = {} : !mirage.tile<8x8xf16>
  }
  return %y : tensor<8x8xf16>
}

// -----

func.func @thread_graph_yield(%x: tensor<8x8xf16>) -> tensor<8x8xf16> {
  %y = mirage.graph_kernel(%x) grid = [1, 1, 1] block = [128] forloop = 1 : (tensor<8x8xf16>) -> tensor<8x8xf16> {
  ^bb0(%X: tensor<8x8xf16>):
    %t = mirage.input_iterator %X imap = {} : tensor<8x8xf16> -> !mirage.tile<8x8xf16>
    // expected-error @+1 {{'mirage.thread_graph' op mirage.yield must return values of the result types}}
    %u = mirage.thread_graph(%t) : (!mirage.tile<8x8xf16>) -> !mirage.tile<8x8xf16> {
    ^bb0(%a: !mirage.tile<8x8xf16>):
      mirage.yield
    }
    mirage.output_saver %u omap = {} : !mirage.tile<8x8xf16>
  }
  return %y : tensor<8x8xf16>
}

// -----

func.func @thread_graph_broadcast(%x: tensor<8x8xf16>, %z: tensor<4x8xf16>) -> tensor<8x8xf16> {
  %y = mirage.graph_kernel(%x, %z) grid = [1, 1, 1] block = [128] forloop = 1 : (tensor<8x8xf16>, tensor<4x8xf16>) -> tensor<8x8xf16> {
  ^bb0(%X: tensor<8x8xf16>, %Z: tensor<4x8xf16>):
    %t = mirage.input_iterator %X imap = {} : tensor<8x8xf16> -> !mirage.tile<8x8xf16>
    %s = mirage.input_iterator %Z imap = {} : tensor<4x8xf16> -> !mirage.tile<4x8xf16>
    // expected-error @+1 {{'mirage.thread_graph' op operand 1 (4x8) does not broadcast to the iteration shape 8x8}}
    %u = mirage.thread_graph(%t, %s) : (!mirage.tile<8x8xf16>, !mirage.tile<4x8xf16>) -> !mirage.tile<8x8xf16> {
    ^bb0(%a: !mirage.tile<8x8xf16>, %b: !mirage.tile<4x8xf16>):
      %e = mirage.exp %a : !mirage.tile<8x8xf16>
      mirage.yield %e : !mirage.tile<8x8xf16>
    }
    mirage.output_saver %u omap = {} : !mirage.tile<8x8xf16>
  }
  return %y : tensor<8x8xf16>
}

// -----

func.func @grid_map_axis(%x: tensor<8xf16>) -> tensor<8xf16> {
  %y = mirage.graph_kernel(%x) grid = [1, 1, 1] block = [128] forloop = 1 : (tensor<8xf16>) -> tensor<8xf16> {
  ^bb0(%X: tensor<8xf16>):
    // expected-error @+1 {{expected grid axis x, y or z, got 'w'}}
    %t = mirage.input_iterator %X imap = {w = 0} : tensor<8xf16> -> !mirage.tile<8xf16>
    mirage.output_saver %t omap = {} : !mirage.tile<8xf16>
  }
  return %y : tensor<8xf16>
}

// -----

func.func @grid_map_twice(%x: tensor<8x8xf16>) -> tensor<8x8xf16> {
  %y = mirage.graph_kernel(%x) grid = [1, 1, 1] block = [128] forloop = 1 : (tensor<8x8xf16>) -> tensor<8x8xf16> {
  ^bb0(%X: tensor<8x8xf16>):
    // expected-error @+1 {{grid axis x is mapped twice}}
    %t = mirage.input_iterator %X imap = {x = 0, x = 1} : tensor<8x8xf16> -> !mirage.tile<8x8xf16>
    mirage.output_saver %t omap = {} : !mirage.tile<8x8xf16>
  }
  return %y : tensor<8x8xf16>
}

// -----

func.func @grid_map_same_dim(%x: tensor<8x8xf16>) -> tensor<8x8xf16> {
  %y = mirage.graph_kernel(%x) grid = [1, 1, 1] block = [128] forloop = 1 : (tensor<8x8xf16>) -> tensor<8x8xf16> {
  ^bb0(%X: tensor<8x8xf16>):
    // expected-error @+1 {{grid axes x and y both map to dim 0}}
    %t = mirage.input_iterator %X imap = {x = 0, y = 0} : tensor<8x8xf16> -> !mirage.tile<8x8xf16>
    mirage.output_saver %t omap = {} : !mirage.tile<8x8xf16>
  }
  return %y : tensor<8x8xf16>
}

// -----

// expected-error @+1 {{tile element type must be f16, bf16 or f32, got 'i32'}}
func.func @tile_element_type(%t: !mirage.tile<4xi32>)

// -----

// expected-error @+1 {{tile dims must be positive, got 4x0}}
func.func @tile_zero_dim(%t: !mirage.tile<4x0xf16>)

// -----

// expected-error @+1 {{tile 4611686018427387905x4xf16 is too large: dim 0 has extent 4611686018427387905, more than 2147483647 (2^31 - 1)}}
func.func @tile_too_large(%t: !mirage.tile<4611686018427387905x4xf16>)

// -----

func.func @saver_outside_kernel(%t: !mirage.tile<4xf16>) {
  // expected-error @+1 {{'mirage.output_saver' op expects parent op 'mirage.graph_kernel'}}
  mirage.output_saver %t omap = {} : !mirage.tile<4xf16>
  return
}
