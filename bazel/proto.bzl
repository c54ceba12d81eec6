"""Protobuf and gRPC C++ code generation with Debian's protoc and grpc_cpp_plugin.

rules_proto cannot be downloaded here, so one genrule runs the system protoc from the
workspace root with `-I.`; generated headers are included as "proto/<path>/x.pb.h".
"""

def cc_proto_library(name, srcs, deps = [], grpc = False, visibility = None, testonly = False):
    """Generates C++ (and optionally gRPC) code for `srcs` and wraps it in a cc_library.

    Args:
      name: the cc_library's name; `name + "_files"` is a filegroup of the .proto files
        (with those of `deps`) for libraries that import them.
      srcs: .proto files in this package.
      deps: other cc_proto_library targets whose protos these import.
      grpc: also run grpc_cpp_plugin (for files that declare services).
      visibility: of the cc_library and the filegroup.
      testonly: for protos only tests use.
    """
    native.filegroup(
        name = name + "_files",
        srcs = srcs + [dep + "_files" for dep in deps],
        visibility = visibility,
        testonly = testonly,
    )

    outs = []
    for src in srcs:
        stem = src[:-len(".proto")]
        outs += [stem + ".pb.h", stem + ".pb.cc"]
        if grpc:
            outs += [stem + ".grpc.pb.h", stem + ".grpc.pb.cc"]

    grpc_flags = ""
    if grpc:
        grpc_flags = "--grpc_out=$(GENDIR) --plugin=protoc-gen-grpc=$$(command -v grpc_cpp_plugin) "

    native.genrule(
        name = name + "_gen",
        srcs = srcs + [dep + "_files" for dep in deps],
        outs = outs,
        cmd = "protoc -I. --cpp_out=$(GENDIR) " + grpc_flags +
              " ".join(["$(location %s)" % src for src in srcs]),
        testonly = testonly,
    )

    native.cc_library(
        name = name,
        srcs = [out for out in outs if out.endswith(".cc")],
        hdrs = [out for out in outs if out.endswith(".h")],
        deps = deps + [
            "//third_party/system:protobuf",
        ] + (["//third_party/system:grpc"] if grpc else []),
        visibility = visibility,
        testonly = testonly,
    )
