"""docs/kernels.md: the recorded run's verdicts beside a run of the same protocol with another kernel set.

The confirmatory run is recorded with OpenBLAS's AVX2 kernels. A verdict that another kernel set can
flip is not a finding, so the same registered protocol is run again with the AVX-512 kernels, in a
cache of its own, and its verdicts are set beside the recorded ones part by part:

    OPENBLAS_CORETYPE=SkylakeX python -m repro all --cache output/cache512 --out output/avx512 --no-pdf
    python bench/kernels.py output/avx512/results.json

It writes docs/kernels.json (the other run's verdicts, estimates and seed counts per part) and
docs/kernels.md (the table); tests/test_docs.py checks that the table is the one these make.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from repro import docsync
from repro.claim import CLAIMS_DIR, load_claims
from repro.protocol import replication
from repro.protocol.tuning import PROTOCOL_VERSION


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, help="results.json of a default run with the other kernel set")
    args = parser.parse_args(argv)
    try:
        results = json.loads(args.results.read_text())
        other = docsync.other_kernels(results)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"error: {args.results} is not a repro results.json ({exc}); pass the results.json of "
              "`repro all` run with the other kernel set", file=sys.stderr)
        return 2
    if results.get("profile") != "default" or other["protocol"] != PROTOCOL_VERSION:
        print(f"error: {args.results} is a {results.get('profile')!r} run of protocol {other['protocol']}; the "
              f"comparison needs the default profile of protocol {PROTOCOL_VERSION}", file=sys.stderr)
        return 2
    if not other["kernels"] or "Haswell" in other["kernels"]:
        print(f"error: {args.results} was trained with {other['kernels'] or 'unknown'} kernels; run it with "
              "OPENBLAS_CORETYPE=SkylakeX (the recorded run is AVX2)", file=sys.stderr)
        return 2
    (docsync.DOCS / docsync.KERNELS_JSON).write_text(json.dumps(other, indent=1) + "\n")
    claims = load_claims()
    rates = replication.load(replication.replication_file(CLAIMS_DIR))["claims"]
    (docsync.DOCS / docsync.KERNELS_MD).write_text(docsync.kernel_table(claims, other, rates))
    print(f"wrote {docsync.DOCS / docsync.KERNELS_JSON}, {docsync.DOCS / docsync.KERNELS_MD}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
