"""Builds the optional native hashing accelerator; everything else is in pyproject.toml.

The extension links OpenSSL's libcrypto (already used by Python's hashlib). When a compiler or
the OpenSSL headers are missing it is skipped and the pure-Python implementation is used; both
produce identical hashes (tests/test_hashing.py).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "socialcredit.ledger._native",
            sources=["socialcredit/ledger/_native.c"],
            libraries=["crypto"],
            extra_compile_args=["-O3"],
            optional=True,
        )
    ]
)
