"""``make demo``: sample upstreams, one pull of every source, the marts, a KPI summary, then the Dagster UI."""
