#!/usr/bin/env python3
"""The layer checker finds what it is there to find, on a small made-up tree."""

import os
import tempfile
import unittest

import check_layers


def write(root, path, text=""):
  full = os.path.join(root, path)
  os.makedirs(os.path.dirname(full), exist_ok=True)
  with open(full, "w", encoding="utf-8") as f:
    f.write(text)


class CheckLayersTest(unittest.TestCase):

  def tree(self, files):
    root = tempfile.mkdtemp()
    self.addCleanup(lambda: __import__("shutil").rmtree(root))
    write(root, "model/engine.h", '#include "model/decoding/d.h"\n')
    write(root, "model/decoding/d.h", '#include "model/kernels/k.h"\n')
    write(root, "model/kernels/k.h", '#include "base/b.h"\n')
    write(root, "base/b.h")
    write(root, "server/rpc/r.cc", '#include "grpcpp/grpcpp.h"\n')
    write(root, "client/c.cc", '#include "base/b.h"\n')
    for path, text in files.items():
      write(root, path, text)
    return check_layers.check(root)

  def test_a_well_layered_tree_passes(self):
    self.assertEqual(self.tree({}), [])

  def test_an_include_up_a_layer_is_reported(self):
    problems = self.tree({"model/kernels/k.h": '#include "model/engine.h"\n'})
    self.assertEqual(len(problems), 1)
    self.assertIn("model/ is not below model/kernels/", problems[0])

  def test_sideways_between_equal_ranks_is_reported(self):
    problems = self.tree(
        {"model/tokenizer/t.h": '#include "model/transformer/m.h"\n'})
    self.assertEqual(len(problems), 1)

  def test_seams_sizes_and_the_model_root(self):
    problems = self.tree({
        "model/io/x.cc": "#include <dnnl.hpp>\n",
        "model/decoding/big.cc": "\n" * 501,
        "model/helper.h": "",
        "server/scheduling/s.cc": '#include "grpcpp/grpcpp.h"\n',
        "model/io/y.cc": '#include "glossa/v1/glossa.pb.h"\n',
        "client/d.cc": '#include "model/engine.h"\n',
        "tests/model/nowhere/t.cc": "",
    })
    text = "\n".join(problems)
    for expected in ("dnnl.hpp", "501 lines", "model/helper.h",
                     "gRPC stays", "API messages", "client/",
                     "tests/model/nowhere/"):
      self.assertIn(expected, text)
    self.assertEqual(len(problems), 7)


if __name__ == "__main__":
  unittest.main()
