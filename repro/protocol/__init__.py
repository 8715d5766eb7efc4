"""The protocol: which runs to make (tuning, runner), caching and checking their records, and the results of the tests."""
