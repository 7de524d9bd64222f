"""Enrichment applied to every source's events on their way into the lake (see ``lake.writer``)."""
