"""The benchmark harness behind `bench/run.py` (see bench/README.md).

Why a package: every measurement runs in its own subprocess (so each step's peak memory is its
own), and the child side needs importable step functions; keeping them in small modules keeps
the reference implementations readable on their own.
"""
