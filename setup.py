"""The one compiled part: ``governance_pipeline.otlp._spanscan`` (OTLP span columns off the protobuf wire, for the
landing pull). Everything else is in pyproject.toml; without a C compiler the pull uses its Python path."""

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class OptionalBuildExt(build_ext):
    """Build the extension when a compiler is there; otherwise install without it (``otlp.span_scan`` says)."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:
            print(f"warning: governance_pipeline.otlp._spanscan not built ({exc}); the pull uses its Python path")

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:
            print(f"warning: {ext.name} not built ({exc}); the pull uses its Python path")


setup(
    ext_modules=[
        Extension(
            "governance_pipeline.otlp._spanscan",
            ["governance_pipeline/otlp/_spanscan.c"],
            extra_compile_args=[
                "-O2",
                "-std=c11",
                "-Wall",
                "-Wextra",
                "-Wno-unused-parameter",
                "-Wno-missing-field-initializers",
            ],
        )
    ],
    cmdclass={"build_ext": OptionalBuildExt},
)
