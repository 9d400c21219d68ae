"""The benchmark: a synthetic archive, our build, and the peers it is measured against."""
