"""Explorations beyond one explanation: the derivative as a limit (tangent plot) and expression swell.

They run the pipeline (or sympy and torch directly) many times, so they sit above it.
"""
