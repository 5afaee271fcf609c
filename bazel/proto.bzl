"""C++ code generation from .proto files with Debian's protoc.

Bazel 4's native proto rules want protobuf's own Bazel repository, which would
have to be downloaded; this macro runs the system protoc (and grpc_cpp_plugin
for services) in a genrule instead and wraps the output in a cc_library.
"""

def plait_cc_proto_library(name, srcs, deps = [], grpc = False, visibility = None):
    """One cc_library with the generated code of `srcs`.

    Args:
      name: the cc_library's name.
      srcs: .proto files in this package.
      deps: other plait_cc_proto_library targets whose .proto files these import.
      grpc: also generate gRPC service stubs.
      visibility: of the cc_library.
    """
    outs = []
    for src in srcs:
        base = src[:-len(".proto")]
        outs += [base + ".pb.h", base + ".pb.cc"]
        if grpc:
            outs += [base + ".grpc.pb.h", base + ".grpc.pb.cc"]
    proto_paths = " ".join(["$(location %s)" % s for s in srcs])
    grpc_flags = ""
    tools = []
    if grpc:
        grpc_flags = ("--plugin=protoc-gen-grpc=$$(command -v grpc_cpp_plugin) " +
                      "--grpc_out=$(GENDIR) ")
    native.genrule(
        name = name + "_codegen",
        srcs = srcs + [d + "_protos" for d in deps],
        outs = outs,
        cmd = "protoc -I. --cpp_out=$(GENDIR) " + grpc_flags + proto_paths,
        tools = tools,
    )
    native.filegroup(
        name = name + "_protos",
        srcs = srcs + [d + "_protos" for d in deps],
        visibility = visibility,
    )
    native.cc_library(
        name = name,
        srcs = [o for o in outs if o.endswith(".cc")],
        hdrs = [o for o in outs if o.endswith(".h")],
        deps = deps + ["@system//:grpc"],
        visibility = visibility,
    )
