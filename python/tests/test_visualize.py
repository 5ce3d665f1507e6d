"""visualize: DOT text, and SVG/PNG rendered by Graphviz's dot (installed by
scripts/setup.sh)."""

import xml.etree.ElementTree as ET

import pytest

import mirage as mi


@pytest.fixture(scope="module")
def optimized(tmp_path_factory):
    # benchmarks/rmsnorm.mlir: the μGraph found has a for-loop.
    graph = mi.new_kernel_graph("rmsnorm_linear")
    X = graph.new_input((2, 4096))
    W = graph.new_input((4096, 6144))
    graph.mark_output(graph.matmul(graph.rms_norm(X, [4096]), W))
    return graph.superoptimize(cache_dir=tmp_path_factory.mktemp("cache"))


def test_dot_text(optimized, tmp_path):
    path = optimized.visualize(tmp_path / "g.dot")
    text = (tmp_path / "g.dot").read_text()
    assert path == str(tmp_path / "g.dot")
    assert text.startswith('digraph "rmsnorm_linear" {') and text.rstrip().endswith("}")
    # The kernel graph, and the block graph of its one graph-defined kernel
    # with the for-loop, the iterators and the saver.
    assert "cluster_kernel_graph" in text and "cluster_kernel_0" in text
    assert "graph_kernel #0" in text and "block graph of graph_kernel #0: grid [" in text
    assert "for-loop, " in text and "iteration(s)" in text
    assert "input_iterator" in text and "imap=" in text and "fmap=" in text
    assert "accumulate" in text and "output_saver" in text and "omap=" in text
    assert "input 0\\n2x4096 f16" in text and "output 0\\n2x6144 f16" in text
    assert text == optimized.to_dot()


def test_svg(optimized, tmp_path):
    optimized.visualize(tmp_path / "g.svg")
    root = ET.parse(tmp_path / "g.svg").getroot()
    assert root.tag.endswith("svg")
    texts = "".join(root.itertext())
    assert "graph_kernel #0" in texts and "input_iterator" in texts


def test_png(tmp_path):
    graph = mi.new_kernel_graph()
    A = graph.new_input((2, 3))
    graph.mark_output(graph.exp(A))
    graph.visualize(str(tmp_path / "g.png"))
    data = (tmp_path / "g.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 100


def test_errors(optimized, tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="unknown format 'jpg'"):
        optimized.visualize(tmp_path / "g.jpg")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(mi.GraphvizError, match="apt-get install graphviz"):
        optimized.visualize(tmp_path / "g.svg")
    # DOT text needs no Graphviz.
    optimized.visualize(tmp_path / "g.gv")
    assert (tmp_path / "g.gv").read_text().startswith("digraph")
