"""Policy bundles; ``default/`` is the policy shipped with the engine."""
