"""The Hive-partitioned Parquet lake: schema, storage, the exactly-once writer, readers."""

import os

import pyarrow as pa

from governance_pipeline.lake.schema import EVENT_COLUMNS, EVENT_SCHEMA

# Pulls allocate and free Arrow buffers of tens of MB per block. Arrow's bundled allocator hands them back
# to the OS at once and takes them again page by page (page faults cost about a fifth of the pull's CPU);
# the C library's allocator reuses them. ARROW_DEFAULT_MEMORY_POOL still chooses, when set.
if "ARROW_DEFAULT_MEMORY_POOL" not in os.environ:
    pa.set_memory_pool(pa.system_memory_pool())

__all__ = ["EVENT_COLUMNS", "EVENT_SCHEMA"]
