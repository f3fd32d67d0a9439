#!/usr/bin/python3
"""Reads a /metrics answer with the Prometheus project's own parser
(python3-prometheus-client) and prints the value of each sample asked for.

  prom_query.py FILE                 parses FILE; exit 1 (with the parser's
                                     error) when it is not the text format
  prom_query.py FILE 'name{a="b"}'.. one line per query: the sample's value,
                                     or "missing"; a query names a sample and
                                     a subset of its labels, and must match
                                     exactly one sample
"""
import re
import sys

from prometheus_client.parser import text_string_to_metric_families

QUERY = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?$')
LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?')


def main():
    text = open(sys.argv[1], encoding="utf-8").read()
    try:
        samples = [s for f in text_string_to_metric_families(text) for s in f.samples]
    except Exception as e:  # the parser's own words
        print("not the Prometheus text format: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        return 1
    for q in sys.argv[2:]:
        m = QUERY.match(q)
        if not m:
            print("bad query " + q, file=sys.stderr)
            return 2
        want = dict(LABEL.findall(m.group(2) or ""))
        hits = [s for s in samples if s.name == m.group(1) and all(s.labels.get(k) == v for k, v in want.items())]
        if len(hits) > 1:
            print("query %s matches %d samples" % (q, len(hits)), file=sys.stderr)
            return 2
        print(repr(hits[0].value) if hits else "missing")
    return 0


if __name__ == "__main__":
    sys.exit(main())
