"""Lantern's benchmarks: ``./dev bench [--quick] [--only flush]`` runs ``python -m bench.run``.

Every figure is measured against a baseline taken in the same run on the same machine, and the
last line of standard output is one JSON object holding all the figures.
"""
