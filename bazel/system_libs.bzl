"""Debian's C++ libraries as Bazel targets, found through pkg-config.

No build machine reaches GitHub or the Bazel mirrors, so nothing is downloaded:
every library is a Debian -dev package, and each target here is a cc_library
that carries what `pkg-config --cflags --libs` says. Linking through pkg-config
(rather than a hand-written -l list) matters: protobuf alone fails with an
undefined absl::debian3::Mutex otherwise.
"""

# Target name -> pkg-config modules. `./x setup` installs the packages.
_LIBRARIES = {
    "absl": [
        "absl_status",
        "absl_statusor",
        "absl_strings",
        "absl_str_format",
        "absl_span",
        "absl_flat_hash_map",
        "absl_flags",
        "absl_flags_parse",
    ],
    "benchmark": ["benchmark"],
    "crypto": ["libcrypto"],
    "grpc": ["grpc++", "protobuf"],
    "gtest": ["gtest_main", "gmock"],
    "gtest_no_main": ["gtest", "gmock"],
    "json": ["nlohmann_json"],
    "prometheus": ["prometheus-cpp-pull", "prometheus-cpp-core"],
}

# Libraries Debian ships without a .pc file: target name -> (the pkg-config
# target it extends, its link options).
_WITHOUT_PKG_CONFIG = {
    # gRPC server reflection: libgrpc++-dev has libgrpc++_reflection.so but
    # no grpc++_reflection.pc.
    "grpc_reflection": ("grpc", ["-lgrpc++_reflection"]),
}

def _pkg_config(ctx, flag, modules):
    result = ctx.execute(["pkg-config", flag] + modules)
    if result.return_code != 0:
        fail("pkg-config {} {} failed (run `./x setup` to install the " +
             "missing Debian packages): {}".format(flag, " ".join(modules), result.stderr))
    return result.stdout.strip().split(" ") if result.stdout.strip() else []

def _system_libs_impl(ctx):
    build = ['package(default_visibility = ["//visibility:public"])', ""]
    for name, modules in _LIBRARIES.items():
        defines = []
        copts = []
        includes = []
        for flag in _pkg_config(ctx, "--cflags", modules):
            if flag.startswith("-D"):
                defines.append(flag[2:])
            elif flag.startswith("-I"):
                path = flag[2:]
                if path in ("/usr/include", "/usr/local/include"):
                    continue

                # Bazel takes only relative `includes`: link the folder in.
                link = "include_" + path.replace("/", "_").strip("_")
                ctx.symlink(path, link)
                includes.append(link)
            elif flag:
                copts.append(flag)
        linkopts = [f for f in _pkg_config(ctx, "--libs", modules) if f]
        build.append("cc_library(")
        build.append("    name = {},".format(repr(name)))
        build.append("    defines = {},".format(repr(defines)))
        build.append("    includes = {},".format(repr(includes)))
        build.append("    linkopts = {},".format(repr(linkopts + copts)))
        build.append(")")
        build.append("")
    for name, (base, linkopts) in _WITHOUT_PKG_CONFIG.items():
        build.append("cc_library(")
        build.append("    name = {},".format(repr(name)))
        build.append("    linkopts = {},".format(repr(linkopts)))
        build.append("    deps = [{}],".format(repr(":" + base)))
        build.append(")")
        build.append("")
    ctx.file("WORKSPACE", "")
    ctx.file("BUILD.bazel", "\n".join(build))

system_libs = repository_rule(
    implementation = _system_libs_impl,
    local = True,
    environ = ["PKG_CONFIG_PATH"],
)
