"""A worker process of scv.normalize.parse_phones: reads (pairs, fallback regions, Reference) pickled on
stdin and writes the parsed pairs, in the same order, pickled on stdout."""

from __future__ import annotations

import pickle
import sys

from scv.normalize import _parse_phone_chunk


def main() -> None:
    pairs, fallback_regions, ref = pickle.load(sys.stdin.buffer)
    pickle.dump(_parse_phone_chunk(pairs, fallback_regions, ref), sys.stdout.buffer, pickle.HIGHEST_PROTOCOL)


if __name__ == "__main__":
    main()
