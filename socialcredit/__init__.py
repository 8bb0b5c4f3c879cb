"""socialcredit: an open, auditable social credit engine and a policy lab.

The engine keeps every fact in a tamper-evident ledger (RFC 6962 Merkle tree, Ed25519-signed
checkpoints); everything else is a projection of it. See ``docs/`` and ``README.md``.
"""

__version__ = "0.1.0"
