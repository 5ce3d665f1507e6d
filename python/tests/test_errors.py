"""Errors: each is a Python exception raised by the call that caused it,
with a message that says what is wrong (the shapes, for shape errors)."""

import numpy as np
import pytest

import mirage as mi


@pytest.fixture
def graph():
    return mi.new_kernel_graph()


def test_matmul_contraction_dims(graph):
    A = graph.new_input((2, 3))
    B = graph.new_input((4, 5))
    with pytest.raises(mi.ShapeError) as info:
        graph.matmul(A, B)
    message = str(info.value)
    assert "mirage.matmul" in message
    assert "tensor<2x3xf16>" in message and "tensor<4x5xf16>" in message
    assert "contraction dims differ: lhs is 2x3 (m x k) but rhs is 4x5 (k x n)" in message
    assert isinstance(info.value, ValueError)


def test_matmul_ranks(graph):
    A = graph.new_input((2, 3, 4))
    B = graph.new_input((4, 5))
    with pytest.raises(mi.ShapeError, match=r"same rank, got 3 \(2x3x4\) and 2 \(4x5\)"):
        graph.matmul(A, B)


def test_broadcast(graph):
    A = graph.new_input((2, 3))
    B = graph.new_input((4,))
    with pytest.raises(mi.ShapeError, match="operand shapes 2x3 and 4 do not broadcast"):
        graph.add(A, B)


def test_mixed_dtypes(graph):
    A = graph.new_input((2, 3), dtype=mi.float16)
    B = graph.new_input((2, 3), dtype=mi.float32)
    with pytest.raises(mi.ShapeError, match=r"tensor<2x3xf16>, tensor<2x3xf32>.*element type"):
        graph.mul(A, B)


def test_reduction_size_and_dim(graph):
    A = graph.new_input((6, 10))
    with pytest.raises(mi.ShapeError, match="size 4 does not divide dim 1 of extent 10"):
        graph.reduction(A, 1, size=4)
    with pytest.raises(mi.ShapeError, match="dim 2 is out of range for rank 2"):
        graph.reduction(A, 2)


def test_rms_norm_shape(graph):
    A = graph.new_input((2, 64))
    with pytest.raises(mi.ShapeError,
                       match=r"normalized_shape \[32\] must equal the trailing dims of the operand \(2x64\)"):
        graph.rms_norm(A, [32])


def test_softmax_dim(graph):
    A = graph.new_input((2, 64))
    with pytest.raises(mi.ShapeError, match="dim 2 is out of range for rank 2"):
        graph.softmax(A, dim=2)


def test_concat_shapes(graph):
    A = graph.new_input((2, 3))
    B = graph.new_input((4, 5))
    with pytest.raises(mi.ShapeError, match=r"operand 1 has shape 4x5, which does not match operand 0 \(2x3\) outside dim 1"):
        graph.concat(A, B, dim=1)


def test_clamp_and_scalar(graph):
    A = graph.new_input((2, 3))
    with pytest.raises(mi.ShapeError, match=r"min \(1.000000e\+00\) must not exceed max \(0.000000e\+00\)"):
        graph.clamp(A, 1.0, 0.0)
    with pytest.raises(mi.ShapeError, match="scalar must be finite"):
        graph.mul_scalar(A, float("inf"))


def test_bad_inputs(graph):
    with pytest.raises(mi.ShapeError, match="dims must be positive"):
        graph.new_input((2, 0))
    with pytest.raises(mi.ShapeError, match="at least one dim"):
        graph.new_input(())
    with pytest.raises(TypeError, match="unsupported dtype"):
        graph.new_input((2,), dtype=np.float64)
    with pytest.raises(mi.GraphError, match="only dense row-major"):
        graph.new_input((2, 3), strides=(1, 2))
    assert graph.new_input((2, 3), strides=(3, 1)).shape == (2, 3)
    assert graph.new_input((2,), dtype="bf16").dtype is mi.bfloat16


def test_a_failed_op_leaves_the_graph_usable(graph):
    A = graph.new_input((2, 3), dtype=mi.float32)
    with pytest.raises(mi.ShapeError):
        graph.matmul(A, A)
    graph.mark_output(graph.exp(A))
    assert "matmul" not in graph.to_mlir()
    (out,) = graph([np.zeros((2, 3), np.float32)])
    np.testing.assert_array_equal(out, np.ones((2, 3), np.float32))


def test_tensors_of_another_graph(graph):
    other = mi.new_kernel_graph()
    A = other.new_input((2, 2))
    B = graph.new_input((2, 2))
    with pytest.raises(mi.GraphError, match="another graph"):
        graph.add(A, B)
    with pytest.raises(TypeError, match="must be a mirage Tensor"):
        graph.add(B, np.zeros((2, 2)))


def test_outputs(graph):
    A = graph.new_input((2, 2))
    with pytest.raises(mi.GraphError, match="an input cannot be marked as an output"):
        graph.mark_output(A)
    E = graph.exp(A)
    graph.mark_output(E)
    with pytest.raises(mi.GraphError, match="already an output"):
        graph.mark_output(E)


def test_running_without_outputs(graph):
    graph.new_input((2, 2))
    with pytest.raises(mi.GraphError, match="no outputs: call mark_output first"):
        graph([np.zeros((2, 2), np.float16)])


def test_run_inputs(graph):
    A = graph.new_input((2, 3), dtype=mi.float16)
    graph.mark_output(graph.exp(A))
    with pytest.raises(mi.InputTypeError, match=r"takes 1 input\(s\) \(2x3 float16\), got 2"):
        graph([np.zeros((2, 3), np.float16)] * 2)
    with pytest.raises(mi.InputTypeError,
                       match=r"input 0 has dtype float32, but the graph's input 0 is float16.*astype\(np.float16\)"):
        graph([np.zeros((2, 3), np.float32)])
    with pytest.raises(mi.ShapeError, match=r"input 0 has shape \(3, 2\), but the graph's input 0 is \(2, 3\)"):
        graph([np.zeros((3, 2), np.float16)])
    with pytest.raises(mi.InputTypeError, match="input 0 is a list"):
        graph([[1.0, 2.0]])
    with pytest.raises(mi.DeviceError, match="unknown device"):
        graph([np.zeros((2, 3), np.float16)], device="tpu")


def test_superoptimize_options(graph):
    A = graph.new_input((8, 64))
    graph.mark_output(graph.exp(A))
    with pytest.raises(TypeError, match="unknown option.*config"):
        graph.superoptimize(config="attention")
    with pytest.raises(mi.GraphError, match="time_budget"):
        graph.superoptimize(time_budget=-1)
    with pytest.raises(mi.SuperoptimizeError, match="unknown target 'sm_70'"):
        graph.superoptimize(target="sm_70", cache_dir=False)


def test_superoptimize_unsupported_op(graph):
    A = graph.new_input((8, 64), dtype=mi.float32)
    graph.mark_output(graph.reduce_max(A, 1))
    with pytest.raises(mi.SuperoptimizeError, match="reduce"):
        graph.superoptimize(cache_dir=False)
    # The graph still runs in the interpreter.
    x = np.arange(8 * 64, dtype=np.float32).reshape(8, 64)
    (out,) = graph([x])
    np.testing.assert_array_equal(out[:, 0], x.max(axis=1))


def test_superoptimize_without_outputs(graph):
    graph.new_input((2, 2))
    with pytest.raises(mi.GraphError, match="no outputs"):
        graph.superoptimize()


def test_from_mlir_errors():
    with pytest.raises(mi.MLIRParseError, match="line 1:"):
        mi.from_mlir("func.func @f(%a: tensor<2xf16>) -> tensor<2xf16> {\n")
    with pytest.raises(mi.MLIRParseError, match="defines no function"):
        mi.from_mlir("module {}")
    text = """
    func.func @f(%a: tensor<2x3xf16>, %b: tensor<4x5xf16>) -> tensor<2x5xf16> {
      %c = mirage.matmul %a, %b : (tensor<2x3xf16>, tensor<4x5xf16>) -> tensor<2x5xf16>
      return %c : tensor<2x5xf16>
    }"""
    with pytest.raises(mi.MLIRParseError, match="contraction dims differ"):
        mi.from_mlir(text)
    two = """
    func.func @f(%a: tensor<2xf16>) -> tensor<2xf16> {
      %e = mirage.exp %a : tensor<2xf16>
      return %e : tensor<2xf16>
    }
    func.func @g(%a: tensor<2xf16>) -> tensor<2xf16> {
      %e = mirage.relu %a : tensor<2xf16>
      return %e : tensor<2xf16>
    }"""
    with pytest.raises(mi.MLIRParseError, match=r"several functions \(@f, @g\)"):
        mi.from_mlir(two)
    with pytest.raises(mi.MLIRParseError, match=r"no function @h \(it defines @f, @g\)"):
        mi.from_mlir(two, entry="h")
    assert mi.from_mlir(two, entry="g").name == "g"
    with pytest.raises(TypeError):
        mi.from_mlir(b"bytes")
