"""`hq-ingest`, the command line (`main.app`): serve, migrate, keys, dead letters, import.

It is the outermost layer: it may import the gateway (`keys` hashes keys as the gateway
does), the workers (`dlq replay` and `backfill` send to their actors) and the pipeline;
nothing outside this package imports it.
"""
