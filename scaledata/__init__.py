"""The benchmark's data set (issue 6): a state-sized, deterministic population written with COPY.
Not part of the product's domain: only `make bench` and the test suite run it."""
