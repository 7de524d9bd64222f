"""The compiled parts: ``otlp._spanscan`` and ``otlp._logscan`` (span columns and log records off the protobuf
wire, for the landing pull) and ``otlp._jsonspans`` (OTLP/JSON traces to protobuf, for the receiver). Everything else
is in pyproject.toml; without a C compiler each uses its Python path."""

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class OptionalBuildExt(build_ext):
    """Build the extension when a compiler is there; otherwise install without them (the Python paths do the same work, slower)."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:
            print(f"warning: compiled parts not built ({exc}); the Python paths are used")

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:
            print(f"warning: {ext.name} not built ({exc}); its Python path is used")


FLAGS = ["-O2", "-std=c11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers"]

setup(
    ext_modules=[
        Extension(
            f"governance_pipeline.otlp.{name}",
            [f"governance_pipeline/otlp/{name}.c"],
            depends=["governance_pipeline/otlp/_buf.h", "governance_pipeline/otlp/_wire.h"],
            extra_compile_args=FLAGS,
        )
        for name in ("_spanscan", "_logscan", "_jsonspans")
    ],
    cmdclass={"build_ext": OptionalBuildExt},
)
