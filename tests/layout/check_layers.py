#!/usr/bin/env python3
"""Checks that the source tree keeps the shape docs/architecture.md describes.

  check_layers.py SOURCE_DIR

- Includes point down the layers (or within a folder), never up or
  sideways: the ranks below are the layer order.
- The libraries of a stack stay behind their one seam: dnnl.hpp only in the
  oneDNN backend, SentencePiece only in its shim, prometheus-cpp only in
  the metrics file, grpcpp only in the RPC layer and the client, cpp-httplib
  only in the HTTP layer.
- No source file is over MAX_LINES lines; model/'s root holds only the
  engine facade (and CMake).
- tests/ mirrors the source folders.
Prints every violation and exits 1 if there is any.
"""

import os
import re
import sys

# Folder -> rank. A file may include a project header of a folder with a
# lower rank, or of its own folder.
RANKS = {
    "base": 0,
    "model/kernels": 1,
    "model/io": 2,
    "model/tokenizer": 3,
    "model/transformer": 3,
    "model/decoding": 4,
    "model/families": 5,
    "model": 6,  # the facade, engine.h
    "model/cli": 7,
    "server/metrics": 8,
    "server/scheduling": 9,
    "server/documents": 9,  # documents as sentences and back; ICU only
    "server/requests": 10,
    "server/access": 10,
    "server/calls": 11,
    "server/models": 12,
    "server/rpc": 12,
    "server/http": 12,
    "server": 13,  # the program: flags, warm-up, main
    "client": 8,
}
# Generated API headers ("glossa/v1/glossa.pb.h"): who may see them.
PROTO_USERS = ("server/requests", "server/calls", "server/models",
               "server/rpc", "server/http",
               "server", "client")
# Headers of a library -> the only files that may include them.
SEAMS = {
    "dnnl.hpp": ("model/kernels/backend_dnnl.cc",
                 "model/kernels/dnnl_kernels.h"),
    "sentencepiece_processor.h": ("model/tokenizer/spm_shim.cc",),
    "prometheus/": ("server/metrics/metrics.cc",),
}
GRPC_USERS = ("server/rpc/", "client/")
HTTP_USERS = ("server/http/",)
MAX_LINES = 500
SOURCE_ROOTS = ("base", "model", "server", "client")
MODEL_ROOT_FILES = {"engine.h", "engine.cc", "CMakeLists.txt"}

INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]')


def folder_of(path):
  return os.path.dirname(path)


def check(root):
  problems = []
  sources = []
  for top in SOURCE_ROOTS:
    for dirpath, _, files in os.walk(os.path.join(root, top)):
      for name in files:
        if name.endswith((".cc", ".h")):
          sources.append(os.path.relpath(os.path.join(dirpath, name), root))
  for path in sorted(sources):
    folder = folder_of(path)
    if folder not in RANKS:
      problems.append(f"{path}: folder {folder}/ has no place in the layers")
      continue
    with open(os.path.join(root, path), encoding="utf-8") as f:
      lines = f.read().splitlines()
    if len(lines) > MAX_LINES:
      problems.append(f"{path}: {len(lines)} lines (at most {MAX_LINES})")
    for number, line in enumerate(lines, 1):
      match = INCLUDE.match(line)
      if not match:
        continue
      header = match.group(1)
      where = f"{path}:{number}: includes {header}"
      for library, allowed in SEAMS.items():
        if header.startswith(library) and path not in allowed:
          problems.append(f"{where}, which only {', '.join(allowed)} may")
      if header.startswith("grpcpp/") and not path.startswith(GRPC_USERS):
        problems.append(f"{where}: gRPC stays in server/rpc/ and client/")
      if header == "httplib.h" and not path.startswith(HTTP_USERS):
        problems.append(f"{where}: cpp-httplib stays in server/http/")
      if header.startswith("glossa/v1/") and folder not in PROTO_USERS:
        problems.append(f"{where}: the API messages stay out of {folder}/")
      target = folder_of(header)
      if target not in RANKS or target == folder:
        continue
      if RANKS[target] >= RANKS[folder] or (
          folder == "client" and target != "base"):
        problems.append(f"{where}: {target}/ is not below {folder}/")
  for name in os.listdir(os.path.join(root, "model")):
    full = os.path.join(root, "model", name)
    if os.path.isfile(full) and name not in MODEL_ROOT_FILES:
      problems.append(f"model/{name}: only the facade lives at model/'s root")
  for top in ("model", "server"):
    for dirpath, dirs, _ in os.walk(os.path.join(root, "tests", top)):
      for name in dirs:
        test_dir = os.path.relpath(os.path.join(dirpath, name),
                                   os.path.join(root, "tests"))
        if not os.path.isdir(os.path.join(root, test_dir)):
          problems.append(f"tests/{test_dir}/ mirrors no source folder")
  return problems


def main():
  if len(sys.argv) != 2:
    sys.exit(__doc__)
  problems = check(sys.argv[1])
  for problem in problems:
    print(problem)
  if problems:
    sys.exit(1)
  print("layers: every include points down; seams, sizes and mirrors hold")


if __name__ == "__main__":
  main()
