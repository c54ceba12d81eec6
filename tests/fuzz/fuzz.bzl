"""A fuzz target: a libFuzzer binary under --config=fuzz, and its seed corpus as a test."""

def fuzz_target(name, srcs, deps):
    """Declares NAME (the fuzzer), NAME_corpus (corpus/NAME/*) and NAME_corpus_test.

    In an ordinary build NAME links fuzz_main.cc, which runs the target once per file named
    on its command line; NAME_corpus_test runs it over the seed corpus in `make test`. Under
    --config=fuzz (clang, --define=fuzz=libfuzzer) NAME links libFuzzer's main instead.
    """
    common_deps = deps + [":fuzz_check"]
    native.filegroup(
        name = name + "_corpus",
        srcs = native.glob(["corpus/" + name + "/*"]),
    )
    native.cc_binary(
        name = name,
        testonly = True,
        srcs = srcs,
        linkopts = select({
            ":libfuzzer": ["-fsanitize=fuzzer"],
            "//conditions:default": [],
        }),
        deps = common_deps + select({
            ":libfuzzer": [],
            "//conditions:default": [":fuzz_main"],
        }),
    )
    native.cc_test(
        name = name + "_corpus_test",
        size = "small",
        srcs = srcs,
        args = ["$(locations :" + name + "_corpus)"],
        data = [":" + name + "_corpus"],
        deps = common_deps + [":fuzz_main"],
    )
