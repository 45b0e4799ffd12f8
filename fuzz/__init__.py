"""A differential fuzzer for hotreload's reload contract.

Random versions of two modules (``b`` imports from ``a``) and random edit
sequences; after each step, every probe of the live program (references it
holds, instances it made, aliases, the modules themselves) is compared with
a fresh interpreter importing the same source. ``python -m fuzz --help``.
"""
