"""Run the stages: the cache keyed by content, the workers, staging and the atomic commit of outputs."""
