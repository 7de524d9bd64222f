from governance_pipeline.cli import run

run()
