"""The bottom layer: modules every other package may import, which import nothing of ours.

`canonical` spells the values we join on (domains, LinkedIn URLs, LinkedIn's taxonomy) and
gives them as pydantic types; `logs` sets up every process's log output.
"""
