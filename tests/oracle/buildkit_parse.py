"""Prints what BuildKit's Go parser (PyPI `dockerfile`) makes of Dockerfiles.

Usage: buildkit_parse.py FILE...  ->  a JSON object, one key per file: either
a list of commands (the fields of `dockerfile.Command`) or {"error": message}.
"""
import json
import sys

import dockerfile


def main() -> None:
    out = {}
    for path in sys.argv[1:]:
        try:
            cmds = dockerfile.parse_file(path)
        except dockerfile.GoParseError as e:
            out[path] = {"error": str(e)}
            continue
        out[path] = [
            {
                "cmd": c.cmd,
                "subCmd": c.sub_cmd,
                "json": c.json,
                "original": c.original,
                "startLine": c.start_line,
                "endLine": c.end_line,
                "flags": list(c.flags),
                "value": list(c.value),
                "heredocs": [
                    {"name": h.name, "content": h.content, "fileDescriptor": h.file_descriptor}
                    for h in c.heredocs
                ],
            }
            for c in cmds
        ]
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
