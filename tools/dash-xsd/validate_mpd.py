#!/usr/bin/env python3
"""Validate DASH manifests against the ISO/IEC 23009-1 schema in this folder.

Usage: validate_mpd.py MANIFEST.mpd [...]   (exit 0 = all valid, 1 = invalid, 2 = cannot run)

The schema is MPEGGroup/DASHSchema's DASH-MPD.xsd with local copies of xlink.xsd and xml.xsd
(their licence: LICENSE beside this file). lxml (pinned in localstack/requirements.txt, installed
into .venv by `make venv`) brings its own libxml2, so no system xmllint is needed; the network
is never used (imports resolve to the files here).
"""
import os
import sys

try:
    from lxml import etree
except ImportError:
    sys.exit("validate_mpd.py: lxml is missing: run `make venv` (or .venv/bin/pip install -r localstack/requirements.txt)")

HERE = os.path.dirname(os.path.abspath(__file__))


def main(paths):
    if not paths:
        sys.exit(__doc__)
    # The schema's patterns are built from entities declared in its own DOCTYPE; manifests are
    # read with entities left alone.
    schema_parser = etree.XMLParser(no_network=True, resolve_entities=True)
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    schema = etree.XMLSchema(etree.parse(os.path.join(HERE, "DASH-MPD.xsd"), schema_parser))
    bad = 0
    for path in paths:
        try:
            doc = etree.parse(path, parser)
        except (OSError, etree.XMLSyntaxError) as e:
            print(f"{path}: not readable XML: {e}")
            bad += 1
            continue
        if schema.validate(doc):
            print(f"{path} validates")
        else:
            bad += 1
            for error in schema.error_log:
                print(f"{path}:{error.line}: {error.message}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
