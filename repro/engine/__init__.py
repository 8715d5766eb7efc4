"""The engine: the modules whose code decides the numbers of a Record (data, model, training, probes), and the hash of them."""
