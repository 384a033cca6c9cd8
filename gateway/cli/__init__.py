"""`hq-ingest`, the command line (`main.app`): serve, migrate, keys, dead letters, import.

It is the outermost layer: it may import the gateway (`serve` runs the app, `keys` hashes
keys as the gateway does), the workers and the pipeline; nothing outside this package
imports it.
"""
