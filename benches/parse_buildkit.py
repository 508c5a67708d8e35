"""BuildKit's own Dockerfile parser (Go), in process through its Python
binding (PyPI `dockerfile`: `dockerfile.parse_string`), over the whole
shared corpus, timed like benches/parse.rs: whole rounds over every file,
after a warm-up, for at least SECONDS and 5 rounds. Only the parse calls are
inside the timed region. Prints one JSON line.

    python benches/parse_buildkit.py [SECONDS]

Each call crosses from Python into Go and builds Python objects for the
result, as a Python user of BuildKit's parser pays; Go alone would be
somewhat faster.
"""
import json
import os
import sys
import time

import dockerfile


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
    here = os.path.dirname(os.path.abspath(__file__))
    corpus = os.path.join(here, "..", "..", "shared", "corpus", "dockerfiles")
    files = []
    for name in sorted(os.listdir(corpus)):
        with open(os.path.join(corpus, name), encoding="utf-8") as f:
            files.append(f.read())
    parse = dockerfile.parse_string

    instructions = sum(len(parse(s)) for s in files)
    warm_until = time.perf_counter() + seconds / 10
    while time.perf_counter() < warm_until:
        for s in files:
            parse(s)
    times = []
    start = time.perf_counter()
    while len(times) < 5 or time.perf_counter() - start < seconds:
        t = time.perf_counter()
        for s in files:
            parse(s)
        times.append(time.perf_counter() - t)
    times.sort()
    print(json.dumps({
        "impl": "buildkit",
        "workload": "parse",
        "files": len(files),
        "bytes": sum(len(s.encode()) for s in files),
        "instructions": instructions,
        "rounds": len(times),
        "median_s": times[len(times) // 2],
        "best_s": times[0],
    }))


if __name__ == "__main__":
    main()
