"""What the compiled OTLP parts (``_spanscan``, ``_logscan``, ``_jsonspans``; built by setup.py) raise for an input
past a limit of theirs: a text column over 2 GiB (``OverflowError``), an encoder's nesting level (``RuntimeError``),
``ValueError``. Such an input takes the Python path, so it costs speed and never a source (``MemoryError`` still
fails the run, which is retried)."""

COMPILED_ERRORS = (OverflowError, RuntimeError, ValueError)
